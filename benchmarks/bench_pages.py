"""Benchmark: how fast the review pages answer on a database of realistic size (not a test; prints figures).

    .venv/bin/python benchmarks/bench_pages.py [--documents 200]

Fills a temporary SQLite database with N documents (the demo seed texts, three versions each with edited numbers,
an inserted and a deleted paragraph), then times each page through the real app (in-process ASGI client) and
prints the median and worst of 15 requests per page.
"""
from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from fastapi.testclient import TestClient

import storage
from diffing import diff_paragraphs, fingerprint, ops_to_json
from diffing.targets import extract_commitments
from policywatch.config import config_from_dict
from policywatch.web.app import create_app
from storage import repo

SEEDS = Path(__file__).resolve().parents[1] / "policywatch" / "demo" / "seeds"
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _variant(paragraphs: list[str], k: int) -> list[str]:
    """Version k: every number in a few paragraphs bumped, one paragraph inserted, one deleted."""
    out = [re.sub(r"\d+", lambda m: str(int(m.group()) + k), p) if i % 7 == k % 7 else p for i, p in enumerate(paragraphs)]
    out.insert(len(out) // 2, f"（新增）第{k}次修订增加的条款：到2027年底前完成{k * 10}个项目。")
    if len(out) > 10:
        del out[len(out) // 3]
    return out


def fill(engine, documents: int) -> None:
    texts = [[p for p in f.read_text(encoding="utf-8").splitlines() if p.strip()] for f in sorted(SEEDS.glob("*.txt"))]
    with storage.session(engine) as s:
        portals = [repo.get_or_create_portal(session=s, name=f"portal-{n}", now=T0) for n in range(5)]
        for d in range(documents):
            portal = portals[d % len(portals)]
            base = texts[d % len(texts)]
            doc = repo.create_document(session=s, portal_id=portal.id, url=f"http://127.0.0.1/doc/{d}.html",
                                       title=f"关于印发第{d}号工作方案的通知", now=T0)
            prev: list[str] | None = None
            for k in range(3):
                paras = base if k == 0 else _variant(base, k + d)
                when = T0 + timedelta(days=d % 30, hours=k)
                commitments = [c.to_json() | {"paragraph": c.paragraph} for c in extract_commitments(paras)]
                v = repo.add_version(session=s, document=doc, fetched_at=when, title=doc.title, paragraphs=paras,
                                     exact_hash=fingerprint(paras, level="exact"),
                                     semantic_hash=fingerprint(paras, level="semantic"), commitments=commitments)
                ops = ops_to_json(diff_paragraphs(prev, paras)) if prev is not None else []
                repo.add_change(session=s, portal_id=portal.id, document_id=doc.id, kind="revised" if prev else "new",
                                from_seq=v.seq - 1 if prev else None, to_seq=v.seq, detected_at=when, ops=ops,
                                summary="目标变更：示例 23% → 20%" if prev else "")
                prev = paras
        s.commit()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = storage.make_engine(f"sqlite:///{tmp}/bench.db")
        storage.init_db(engine)
        started = time.perf_counter()
        fill(engine, args.documents)
        print(f"filled {args.documents} documents x 3 versions in {time.perf_counter() - started:.1f} s")
        config = config_from_dict({"subscriptions": [{"name": "s", "urls": ["json://127.0.0.1:9/"], "keywords": ["项目"]}]})
        with TestClient(create_app(engine=engine, config=config)) as client:
            mid = args.documents // 2
            change = client.get(f"/api/changes?document_id={mid}&kind=revised").json()["items"][0]["id"]
            pages = {
                "front page (changes)": "/",
                "changes, filtered": "/changes?kind=revised&q=工作方案&since=2026-01-05",
                "portals": "/portals",
                "document": f"/documents/{mid}",
                "change review (stored ops)": f"/changes/{change}",
                "diff v1->v3 (computed)": f"/documents/{mid}/diff?from=1&to=3",
                "search text": "/search?q=超低排放",
                "feed, all": "/feeds/changes.atom",
                "feed, subscription (keyword)": "/feeds/subscriptions/s.atom",
                "api changes": "/api/changes?limit=100",
                "api commitments": "/api/commitments",
            }
            print(f"{'page':32} {'median ms':>10} {'max ms':>8} {'KiB':>6}")
            for name, path in pages.items():
                times = []
                size = 0
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    response = client.get(path)
                    times.append((time.perf_counter() - t) * 1000)
                    assert response.status_code == 200, (path, response.status_code)
                    size = len(response.content)
                print(f"{name:32} {statistics.median(times):10.1f} {max(times):8.1f} {size / 1024:6.0f}")
        engine.dispose()


if __name__ == "__main__":
    main()
