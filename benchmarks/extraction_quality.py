"""Paragraph precision/recall of spiders.extract.extract_document on the real pages in tests/data/corpus.

Expected paragraph lists (tests/data/corpus/expected/*.txt) were checked by hand against the page sources.
Precision = matched extracted paragraphs / extracted paragraphs, recall = matched / expected, where a match is
an exact paragraph (multiset intersection). For comparison, the same figures for readability-lxml alone
(the generic fallback) are printed, split into paragraphs by the same block walker.

Run: .venv/bin/python benchmarks/extraction_quality.py
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from spiders.extract import decode_body, extract_document  # noqa: E402
from spiders.htmltext import paragraphs, parse_html  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "corpus"


def _readability_only(html: str) -> list[str]:
    from readability import Document

    root = parse_html("<html><body>" + Document(html).summary(html_partial=True) + "</body></html>")
    return paragraphs(root.find("body"))


def _score(got: list[str], want: list[str]) -> tuple[float, float]:
    hit = sum((Counter(got) & Counter(want)).values())
    return (hit / len(got) if got else 0.0), (hit / len(want) if want else 0.0)


def main() -> None:
    pages = json.loads((CORPUS / "pages.json").read_text(encoding="utf-8"))
    rows = []
    print(f"{'page':52} {'paras':>5} {'P':>5} {'R':>5} {'ms':>6} {'title':>5} | {'readab. P':>9} {'R':>5}")
    for name, info in sorted(pages.items()):
        want = [x for x in (CORPUS / "expected" / (name.rsplit(".", 1)[0] + ".txt")).read_text(
            encoding="utf-8").split("\n") if x.strip()]
        html, _ = decode_body((CORPUS / name).read_bytes(), None)
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            doc = extract_document(html, info["url"])
            times.append((time.perf_counter() - t0) * 1000)
        p, r = _score(doc.paragraphs, want)
        rp, rr = _score(_readability_only(html), want)
        ok = "ok" if doc.title == info["title"] else "DIFF"
        rows.append((p, r, rp, rr, statistics.median(times)))
        print(f"{name:52} {len(want):5d} {p:5.2f} {r:5.2f} {statistics.median(times):6.1f} {ok:>5} | {rp:9.2f} {rr:5.2f}")
    mp, mr, mrp, mrr, mt = (statistics.mean(c) for c in zip(*rows))
    print(f"{'mean':52} {'':5} {mp:5.2f} {mr:5.2f} {mt:6.1f} {'':5} | {mrp:9.2f} {mrr:5.2f}")


if __name__ == "__main__":
    main()
