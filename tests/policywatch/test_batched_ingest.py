"""While a crawl is ahead of storage, its items are committed in batches (policywatch/ingest.py). What a user sees must
not depend on that: a document the database refuses fails alone, with one error line, and leaves nothing behind; the
documents stored before and after it in the same batch are all kept, counted once and logged once. The refusal comes
from the real database (a trigger), on SQLite and on PostgreSQL."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from sqlalchemy import text

import storage
from policywatch.config import config_from_dict
from policywatch.ingest import Ingestor, PortalRun
from spiders.items import DocumentPage
from storage import migrate, repo

from ..faults.helpers import consistency_problems

BROKEN = "http://127.0.0.1/zcwj/t20240105_broken.html"

# refuse the version row of the document at BROKEN: the document's row, paragraphs and raw body are written by then
_TRIGGERS = {
    "sqlite": ["""CREATE TRIGGER refuse_broken BEFORE INSERT ON version
                  WHEN (SELECT url FROM document WHERE id = NEW.document_id) LIKE '%broken%'
                  BEGIN SELECT RAISE(ABORT, 'version refused by the test trigger'); END"""],
    "postgresql": ["""CREATE FUNCTION refuse_broken() RETURNS trigger AS $$
                      BEGIN
                        IF (SELECT url FROM document WHERE id = NEW.document_id) LIKE '%broken%' THEN
                          RAISE EXCEPTION 'version refused by the test trigger';
                        END IF;
                        RETURN NEW;
                      END $$ LANGUAGE plpgsql""",
                   """CREATE TRIGGER refuse_broken BEFORE INSERT ON version
                      FOR EACH ROW EXECUTE FUNCTION refuse_broken()"""],
}


def _page(n: int, url: str) -> DocumentPage:
    texts = [f"关于印发第{n}号工作方案的通知", f"到2025年年底前，单位工业增加值能耗比2020年下降{10 + n}%以上。",
             "各县（市、区）人民政府，市人民政府各部门："]
    body = "".join(f"<p>{t}</p>" for t in texts).encode("utf-8")
    return DocumentPage(portal="gen", url=url, final_url=url, status=200, headers={}, body=body, encoding="utf-8",
                        title=texts[0], paragraphs=texts, fetched_at=datetime.now(timezone.utc))


def _ingestor(engine) -> tuple[PortalRun, Ingestor]:
    """A fresh database's portal "gen" (past its baseline) and a run's Ingestor for it, committing in batches of 4."""
    migrate.stamp_or_upgrade_new(engine)
    now = datetime.now(timezone.utc)
    with storage.session(engine) as s:
        portal_id = repo.get_or_create_portal(session=s, name="gen", now=now).id
        run_row = storage.Run(started_at=now)
        s.add(run_row)
        s.commit()
    config = config_from_dict({"portals": [{"name": "gen", "start_urls": ["http://127.0.0.1/zcwj/index.html"]}]})
    run = PortalRun(name="gen", portal_id=portal_id, baseline=False)
    return run, Ingestor(engine=engine, config=config, portals={"gen": run}, run_id=run_row.id, batch=4)


def test_a_document_refused_inside_a_batch_fails_alone_and_the_rest_is_kept_once(database_url, caplog):
    engine = storage.make_engine(database_url)
    run, ingestor = _ingestor(engine)
    with engine.begin() as conn:
        for statement in _TRIGGERS[engine.dialect.name]:
            conn.execute(text(statement))
    urls = [f"http://127.0.0.1/zcwj/t2024010{n}_{n}.html" for n in range(7)]
    urls[5] = BROKEN  # the second item of the second batch: the first batch is committed, the second is not yet
    caplog.set_level(logging.INFO, logger="policywatch")

    for n, url in enumerate(urls):
        ingestor.safe_handle(_page(n, url))
    ingestor.commit()

    good = [u for u in urls if u != BROKEN]
    with engine.connect() as conn:
        stored = {url: seqs for url, seqs in conn.execute(text(
            "SELECT d.url, count(v.id) FROM document d LEFT JOIN version v ON v.document_id = d.id GROUP BY d.url"))}
        change_ids = sorted(row[0] for row in conn.execute(text("SELECT id FROM change")))
    assert stored == {url: 1 for url in good}  # the refused document left no row, not even its document row
    assert (run.new, run.revised, ingestor.storage_errors) == (len(good), 0, 1)
    assert sorted(run.change_ids) == change_ids  # every counted change exists, once
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and BROKEN in errors[0] and "refused by the test trigger" in errors[0], errors
    stored_lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO and ": new " in r.getMessage()]
    assert sorted(stored_lines) == sorted(f"gen: new {u} (v1)" for u in good)  # logged once each, the replayed too
    assert consistency_problems(database_url) == []
    engine.dispose()


def test_pages_the_crawl_process_fingerprinted_are_compared_like_the_others(database_url):
    """While the run is behind, the crawl process sends pages with their fingerprints (policywatch/pipeline.py): such
    a page must be found unchanged or revised exactly as a page the run fingerprints itself."""
    from diffing import fingerprints
    from policywatch.pipeline import FingerprintedPage

    engine = storage.make_engine(database_url)
    run, ingestor = _ingestor(engine)
    urls = [f"http://127.0.0.1/zcwj/t2024010{n}_{n}.html" for n in range(3)]

    def counted(n: int, url: str) -> DocumentPage:  # a view counter: the exact and semantic fingerprints differ
        page = _page(n, url)
        page.paragraphs = [*page.paragraphs, "浏览次数：3"]
        return page

    def fingerprinted(page: DocumentPage) -> FingerprintedPage:
        return FingerprintedPage(page, fingerprints(page.paragraphs))

    ingestor.safe_handle(counted(1, urls[0]))  # the run fingerprints these two itself
    ingestor.safe_handle(counted(2, urls[1]))
    ingestor.safe_handle(fingerprinted(counted(3, urls[2])))  # and the crawl process this one
    ingestor.commit()
    assert (run.new, run.unchanged, run.revised) == (3, 0, 0)

    ingestor.safe_handle(fingerprinted(counted(1, urls[0])))  # the same text again
    ingestor.safe_handle(fingerprinted(counted(5, urls[1])))  # 下降12% -> 下降15%
    ingestor.safe_handle(counted(3, urls[2]))
    ingestor.commit()
    assert (run.new, run.unchanged, run.revised) == (3, 2, 1)
    with engine.connect() as conn:
        versions = dict(conn.execute(text(
            "SELECT d.url, count(v.id) FROM document d JOIN version v ON v.document_id = d.id GROUP BY d.url")).all())
        summary = conn.execute(text("SELECT summary FROM change WHERE kind = 'revised'")).scalar_one()
    assert versions == {urls[0]: 1, urls[1]: 2, urls[2]: 1}
    assert "12%" in summary and "15%" in summary, summary
    engine.dispose()
