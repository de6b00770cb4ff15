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


def test_a_document_refused_inside_a_batch_fails_alone_and_the_rest_is_kept_once(database_url, caplog):
    engine = storage.make_engine(database_url)
    migrate.stamp_or_upgrade_new(engine)
    with engine.begin() as conn:
        for statement in _TRIGGERS[engine.dialect.name]:
            conn.execute(text(statement))
    now = datetime.now(timezone.utc)
    with storage.session(engine) as s:
        portal_id = repo.get_or_create_portal(session=s, name="gen", now=now).id
        run_row = storage.Run(started_at=now)
        s.add(run_row)
        s.commit()
        run_id = run_row.id
    config = config_from_dict({"portals": [{"name": "gen", "start_urls": ["http://127.0.0.1/zcwj/index.html"]}]})
    run = PortalRun(name="gen", portal_id=portal_id, baseline=False)
    ingestor = Ingestor(engine=engine, config=config, portals={"gen": run}, run_id=run_id, batch=4)
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
