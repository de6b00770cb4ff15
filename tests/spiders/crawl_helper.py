"""Run one crawl of the real PortalSpider in a fresh process and write every item as a JSON line.

Usage: python crawl_helper.py <job.json>
job.json: {"out": path, "specs": [PortalSpec fields...], "known": {portal: [KnownDocument fields...]},
           "recheck": {portal: [url, ...]}, "settings": {extra Scrapy settings},
           "hand_over": true to let the spider hand pages over unread (they are read here, marked "handed_over")}
A separate process is needed because the Twisted reactor cannot be restarted inside one process.
"""
from __future__ import annotations

import base64
import dataclasses
import json
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from spiders.items import RawPage  # noqa: E402
from spiders.portal import KnownDocument, PortalSpec  # noqa: E402
from spiders.rawpage import finish  # noqa: E402
from spiders.runner import run_cycle  # noqa: E402


def _plain(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"type": type(value).__name__, **{f.name: _plain(getattr(value, f.name))
                                                 for f in dataclasses.fields(value)}}
    if isinstance(value, bytes):
        return {"b64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def main(job_path: str) -> None:
    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    specs = [PortalSpec(**s) for s in job["specs"]]
    known = {name: {k["url"]: KnownDocument(**k) for k in docs} for name, docs in job.get("known", {}).items()}
    recheck = {name: set(urls) for name, urls in job.get("recheck", {}).items()}
    with open(job["out"], "w", encoding="utf-8") as out:

        def on_item(item):
            line = _plain(finish(item)) | {"handed_over": True} if isinstance(item, RawPage) else _plain(item)
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
            out.flush()

        hand_over = {s.name: {"hand_over": lambda: True} for s in specs} if job.get("hand_over") else None
        run_cycle(specs, known=known, recheck=recheck, on_item=on_item, settings=job.get("settings", {}),
                  spider_kwargs=hand_over)


if __name__ == "__main__":
    main(sys.argv[1])
