"""Helpers for tests that run the real PortalSpider in a subprocess (crawl_helper.py) against PortalSite."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .portal_site import PortalSite

HELPER = Path(__file__).with_name("crawl_helper.py")


def crawl(tmp_path: Path, specs: list[dict], known: dict | None = None, recheck: dict | None = None,
          settings: dict | None = None, hand_over: bool = False) -> list[dict]:
    """Run one cycle in a fresh process; the items it yielded, in order, as JSON dicts with a "type" key.
    ``hand_over``: the spider may hand document pages over unread; they are read as they arrive, as the process that
    stores them in policywatch reads them, and marked ``"handed_over": True``."""
    out = tmp_path / f"items{len(list(tmp_path.iterdir()))}.jsonl"
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"out": str(out), "specs": specs, "known": known or {}, "recheck": recheck or {},
                               "settings": settings or {}, "hand_over": hand_over}), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(HELPER), str(job)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def spec(site: PortalSite, **kw) -> dict:
    return {"name": "test", "start_urls": [site.url("/col/index.html")], "delay": 0, "concurrency": 4,
            "timeout": 1, "max_bytes": 200_000, **kw}


def by_url(items: list[dict], kind: str) -> dict[str, dict]:
    return {i["url"]: i for i in items if i["type"] == kind}
