"""Storage cost of history: bytes added to the database per extra version when one paragraph changes.

Stores a 30–60 KB synthetic policy page (benchmarks/portalgen.py), then 100 revisions of it, each editing one
paragraph (and the page's view counter, as real portals do), through the real ingest path (policywatch.ingest →
storage). Prints the database size growth per version, and how much of it is the changed text itself; what a
document's first version adds (the first document, then each of 20 more new documents of the same portal: a proxy
for a whole crawl's size); and the CPU time of ``Ingestor.document`` (process time, yet noisy on a busy machine),
also per new document of a portal's first crawl (500 generated pages stored as one baseline cycle does, in a
database of their own). Then how much of a page its main text is, as UTF-8 and as stored (compressed), on the
synthetic portal bench_crawl.py crawls and on the real government pages of tests/data/corpus: most of what
policywatch stores per document is that text, and urlwatch stores the whole page.

Rerun: .venv/bin/python benchmarks/bench_storage.py [--versions 100] [--documents 20] [--crawl 500] [--tables]
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import portalgen  # noqa: E402

import storage  # noqa: E402
from policywatch.config import Config, config_from_dict  # noqa: E402
from policywatch.ingest import Ingestor, PortalRun  # noqa: E402
from spiders.charset import decode_body  # noqa: E402
from spiders.extract import extract_document  # noqa: E402
from spiders.items import DocumentPage  # noqa: E402
from storage import repo  # noqa: E402
from storage.models import pack_texts  # noqa: E402


def db_bytes(path: Path) -> int:
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    used = con.execute("SELECT (page_count - freelist_count) * page_size FROM pragma_page_count, pragma_freelist_count,"
                       " pragma_page_size").fetchone()[0]
    con.close()
    return used


def page_item(html_text: str, url: str, etag: str, fetched_at: datetime) -> DocumentPage:
    """A generated page as the spider yields it."""
    raw = html_text.encode("utf-8")
    text, encoding = decode_body(raw, "text/html; charset=utf-8")
    page = extract_document(text, url, family="trs")
    return DocumentPage(portal="bench", url=url, final_url=url, status=200, headers={"etag": etag}, body=raw,
                        encoding=encoding, title=page.title, paragraphs=page.paragraphs, fetched_at=fetched_at,
                        metadata=page.metadata)


def first_crawl_cpu(documents: int, config: Config, t0: datetime) -> float:
    """CPU seconds per document of ``Ingestor.document`` while a portal's first (baseline) cycle stores
    ``documents`` new generated pages, in a fresh database. The pages are extracted before the clock starts."""
    work = Path(tempfile.mkdtemp(prefix="pw-bench-crawl-"))
    engine = storage.make_engine(f"sqlite:///{work / 'pw.db'}")
    storage.init_db(engine)
    with storage.session(engine) as s:
        portal_id = repo.get_or_create_portal(session=s, name="bench", now=t0).id
        s.commit()
    gen = portalgen.Portal(documents, "trs")
    items = [page_item(gen.document_html(doc), "http://127.0.0.1" + gen.doc_path(doc), f'"{doc}"', t0)
             for doc in range(1, documents + 1)]
    run = PortalRun(name="bench", portal_id=portal_id, baseline=True)
    ingestor = Ingestor(engine=engine, config=config, portals={"bench": run}, run_id=1)
    started = time.process_time()
    for item in items:
        ingestor.document(item)
    return (time.process_time() - started) / documents


CORPUS = HERE.parent / "tests" / "data" / "corpus"


def synthetic_pages(count: int) -> list[tuple[bytes, str | None, str | None]]:
    """(body, content type, family) of the first ``count`` documents bench_crawl.py's portal serves."""
    gen = portalgen.Portal(count, "trs")
    return [(gen.document_html(i).encode("utf-8"), "text/html; charset=utf-8", "trs") for i in range(1, count + 1)]


def corpus_pages() -> list[tuple[bytes, str | None, str | None]]:
    """The real government pages of the test corpus (article and list pages of several CMS families)."""
    return [((CORPUS / name).read_bytes(), "text/html", None) for name in sorted(json.loads(
        (CORPUS / "pages.json").read_text(encoding="utf-8")))]


def text_share(pages: list[tuple[bytes, str | None, str | None]]) -> tuple[int, int, int]:
    """Page bytes, main-text bytes (UTF-8) and main-text bytes as stored (pack_texts), summed over ``pages``."""
    page_bytes = text_bytes = stored = 0
    for body, content_type, family in pages:
        text, _encoding = decode_body(body, content_type)
        paragraphs = extract_document(text, "http://127.0.0.1/a.html", family=family).paragraphs
        page_bytes += len(body)
        text_bytes += len("\n".join(paragraphs).encode("utf-8"))
        stored += len(pack_texts(paragraphs))
    return page_bytes, text_bytes, stored


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--versions", type=int, default=100)
    ap.add_argument("--documents", type=int, default=20, help="new documents stored after the revisions, to "
                    "measure the size of a document's first version (default 20)")
    ap.add_argument("--crawl", type=int, default=500, help="new documents of a portal's first crawl to time "
                    "(default 500)")
    ap.add_argument("--tables", action="store_true", help="also print the size of each table and index")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pw-bench-storage-"))
    engine = storage.make_engine(f"sqlite:///{work / 'pw.db'}")
    storage.init_db(engine)
    config = config_from_dict({})
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with storage.session(engine) as s:
        portal_id = repo.get_or_create_portal(session=s, name="bench", now=t0).id
        s.commit()
    empty = db_bytes(work / "pw.db")
    cpu: list[float] = []
    gen = portalgen.Portal(10, "trs")
    url = "http://127.0.0.1/zwgk/zcwj/202101/t20210101_100007.html"

    def store(n: int, baseline: bool, doc: int = 7) -> tuple[int, int]:
        gen.revision[doc] = n
        html_text = gen.document_html(doc).replace("浏览次数：<span>", f"浏览次数：<span>{1000 + n}")
        doc_url = url if doc == 7 else "http://127.0.0.1" + gen.doc_path(doc)
        item = page_item(html_text, doc_url, f'"{n}"', t0 + timedelta(hours=n))
        run = PortalRun(name="bench", portal_id=portal_id, baseline=baseline)
        ingestor = Ingestor(engine=engine, config=config, portals={"bench": run}, run_id=n)
        started = time.process_time()
        ingestor.document(item)
        cpu.append(time.process_time() - started)
        return len(item.body), len("".join(item.paragraphs).encode("utf-8"))

    raw_len, text_len = store(0, baseline=True)
    start = db_bytes(work / "pw.db")
    changed_text = 0
    previous = None
    for n in range(1, args.versions + 1):
        store(n, baseline=False)
        with storage.session(engine) as s:
            doc = repo.get_document(session=s, url=url)
            v = repo.latest_version(session=s, document_id=doc.id)
            paragraphs = repo.paragraphs_of(session=s, version=v)
        if previous is not None:
            changed_text += sum(len(p.encode("utf-8")) for p in set(paragraphs) - set(previous))
        previous = paragraphs
    end = db_bytes(work / "pw.db")
    if args.tables:  # after the revisions, before the other documents
        con = sqlite3.connect(work / "pw.db")
        for name, size in con.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 8"):
            print(f"  {name:32} {size / 1000:8.1f} KB")
    baseline_cpu = len(cpu)
    for doc in range(100, 100 + args.documents):
        store(0, baseline=True, doc=doc)
    per_document = (db_bytes(work / "pw.db") - end) / max(1, args.documents)
    with storage.session(engine) as s:
        versions = len(repo.versions_of(session=s, document_id=repo.get_document(session=s, url=url).id))
    per_version = (end - start) / args.versions
    per_text = changed_text / max(1, args.versions - 1)
    print(f"storage benchmark — one {raw_len / 1000:.0f} KB page ({text_len / 1000:.0f} KB of text), "
          f"{args.versions} revisions of one paragraph each (plus a changed view counter)")
    print(f"versions stored: {versions}")
    print(f"database after the first version: {start / 1000:.1f} KB; after {args.versions} more: {end / 1000:.1f} KB")
    print(f"the first version (new document) added {(start - empty) / 1000:.1f} KB to the empty database "
          f"({empty / 1000:.1f} KB); {args.documents} more new documents {per_document / 1000:.1f} KB each")
    print(f"per extra version: {per_version:.0f} bytes, of which the changed paragraph text ≈ {per_text:.0f} bytes "
          f"→ overhead ≈ {per_version - per_text:.0f} bytes per version")
    print(f"CPU (process time) in Ingestor.document: first version {cpu[0] * 1000:.1f} ms, "
          f"revisions {sum(cpu[1:baseline_cpu]) / max(1, baseline_cpu - 1) * 1000:.1f} ms each, new documents "
          f"{sum(cpu[baseline_cpu:]) / max(1, len(cpu) - baseline_cpu) * 1000:.1f} ms each")
    for label, pages in (("synthetic portal (bench_crawl's pages)", synthetic_pages(200)),
                         ("real pages in tests/data/corpus", corpus_pages())):
        page_bytes, text_bytes, stored = text_share(pages)
        print(f"main text of {len(pages)} {label}: {text_bytes / page_bytes:.0%} of the page bytes as UTF-8, "
              f"{stored / page_bytes:.1%} as stored ({page_bytes / 1e6:.2f} MB of pages)")
    for name in ("001_287681968311ce01.txt", "003_8a6274789109dfc5.txt"):  # real plans, as stored paragraphs
        lines = [line.strip() for line in (portalgen.DATA / name).read_text("utf-8").splitlines() if line.strip()]
        utf8 = "\n".join(lines).encode("utf-8")
        print(f"text of {name}: {len(utf8) / 1000:.1f} KB as UTF-8, {len(zlib.compress(utf8, 6)) / 1000:.1f} KB "
              f"zlib-compressed, {len(pack_texts(lines)) / 1000:.1f} KB as stored (storage.models.pack_texts)")
    if args.crawl:
        print(f"CPU (process time) in Ingestor.document for a portal's first crawl: "
              f"{first_crawl_cpu(args.crawl, config, t0) * 1000:.2f} ms per new document ({args.crawl} documents)")
    options = {"--versions": (args.versions, 100), "--documents": (args.documents, 20), "--crawl": (args.crawl, 500)}
    print("rerun: .venv/bin/python benchmarks/bench_storage.py"
          + "".join(f" {name} {value}" for name, (value, default) in options.items() if value != default))
    return 0


if __name__ == "__main__":
    sys.exit(main())
