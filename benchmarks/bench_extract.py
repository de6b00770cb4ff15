"""CPU cost per document page of the spider's per-response work: PortalSpider._decoded (charset decoding and the
quality gate) plus spiders.extract.extract_document, measured with time.process_time (CPU, not wall time).

Page sets: (a) portalgen TRS pages, (b) portalgen Hanweb pages (30-60 KB, the pages bench_crawl.py serves, with
the portal's family configured as bench_crawl does), (c) the real pages in tests/data/corpus (family detected).
Each page set is processed ``--rounds`` times after one warm-up pass; the figures are the per-page medians of
the round with the lowest median total (other processes on the machine only ever add CPU time), split into the
_decoded part (decode + gate) and the extract_document part, plus the median over all rounds.

Run: .venv/bin/python benchmarks/bench_extract.py [--pages 200] [--rounds 5]
"""
from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from portalgen import Portal  # noqa: E402
from scrapy.http import HtmlResponse, Request  # noqa: E402

from spiders.extract import extract_document  # noqa: E402
from spiders.items import FetchFailure  # noqa: E402
from spiders.portal import PortalSpec, PortalSpider  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "corpus"
BASE = "http://127.0.0.1:8000"


def _response(url: str, body: bytes, content_type: str) -> HtmlResponse:
    return HtmlResponse(url=url, status=200, body=body, headers={"Content-Type": content_type}, request=Request(url))


def portalgen_pages(shape: str, count: int) -> list[tuple[str, HtmlResponse]]:
    portal = Portal(count, shape)
    out = []
    for i in range(1, count + 1):
        url = BASE + portal.doc_path(i)
        out.append((url, _response(url, portal.document_html(i).encode("utf-8"), "text/html; charset=utf-8")))
    return out


def corpus_pages() -> list[tuple[str, HtmlResponse]]:
    pages = json.loads((CORPUS / "pages.json").read_text(encoding="utf-8"))
    return [(info["url"], _response(info["url"], (CORPUS / name).read_bytes(), "text/html"))
            for name, info in sorted(pages.items())]


def measure(spider: PortalSpider, pages: list[tuple[str, HtmlResponse]], family: str | None,
            rounds: int) -> list[tuple[list[float], list[float]]]:
    """Per round, the per-page CPU seconds of _decoded and of extract_document."""
    out: list[tuple[list[float], list[float]]] = []
    for r in range(rounds + 1):  # round 0 warms caches (compiled selectors, lazy imports)
        decode_t: list[float] = []
        extract_t: list[float] = []
        for url, resp in pages:
            t0 = time.process_time()
            decoded = spider._decoded(resp, url, "document", None)
            t1 = time.process_time()
            if isinstance(decoded, FetchFailure):
                raise SystemExit(f"gate rejected {url}: {decoded.reason}")
            extract_document(decoded[0], resp.url, family=family)
            t2 = time.process_time()
            decode_t.append(t1 - t0)
            extract_t.append(t2 - t1)
        if r:
            out.append((decode_t, extract_t))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=200, help="portalgen pages per shape")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    spider = PortalSpider(spec=PortalSpec(name="bench", start_urls=[BASE + "/col/index.html"]))
    sets = [(f"(a) portalgen TRS, {args.pages} pages", portalgen_pages("trs", args.pages), "trs"),
            (f"(b) portalgen Hanweb, {args.pages} pages", portalgen_pages("hanweb", args.pages), "hanweb")]
    corpus = corpus_pages()
    sets.append((f"(c) real corpus, {len(corpus)} pages", corpus, None))
    print("CPU ms per document page: medians over the pages, from the round with the lowest median total")
    print("(the machine's other load only ever adds CPU time); last column: median over all rounds")
    print(f"{'page set':36} {'KB/page':>7} {'_decoded':>9} {'extract':>8} {'total':>8} {'all rounds':>10}")
    for label, pages, family in sets:
        gc.collect()
        runs = measure(spider, pages, family, args.rounds)
        per_round = []
        for dec, ext in runs:
            per_round.append((statistics.median(dec), statistics.median(ext),
                              statistics.median([a + b for a, b in zip(dec, ext)])))
        dec_ms, ext_ms, tot_ms = min(per_round, key=lambda row: row[2])
        everything = statistics.median([a + b for dec, ext in runs for a, b in zip(dec, ext)])
        size = sum(len(resp.body) for _, resp in pages) / len(pages)
        print(f"{label:36} {size / 1024:7.1f} {dec_ms * 1000:9.2f} {ext_ms * 1000:8.2f} {tot_ms * 1000:8.2f} "
              f"{everything * 1000:10.2f}")
    print(f"rerun: .venv/bin/python benchmarks/bench_extract.py --pages {args.pages} --rounds {args.rounds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
