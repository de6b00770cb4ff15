"""Storage behaviour on real SQLite and PostgreSQL: content addressing, versions, the outbox's state machine."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

import storage
from storage import Blob, Paragraph, repo

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def engine(database_url):
    engine = storage.make_engine(database_url)
    storage.init_db(engine)
    yield engine
    engine.dispose()


def _doc(s):
    portal = repo.get_or_create_portal(session=s, name="p", now=NOW)
    return repo.create_document(session=s, portal_id=portal.id, url="http://127.0.0.1/a.html", title="方案", now=NOW)


def test_versions_share_paragraphs_and_raw_bodies(engine):
    with storage.session(engine) as s:
        doc = _doc(s)
        paras = ["一、总体要求", "到2020年底，能耗比2015年下降23%以上。", "二、主要任务"]
        v1 = repo.add_version(session=s, document=doc, fetched_at=NOW, title="方案", paragraphs=paras,
                              exact_hash="a", semantic_hash="a", raw="<p>同一页面</p>".encode())
        edited = [paras[0], "到2020年底，能耗比2015年下降20%以上。", paras[2]]
        v2 = repo.add_version(session=s, document=doc, fetched_at=NOW + timedelta(hours=1), title="方案",
                              paragraphs=edited, exact_hash="b", semantic_hash="b", raw="<p>同一页面</p>".encode())
        s.commit()
        assert (v1.seq, v2.seq) == (1, 2)
        assert repo.paragraphs_of(session=s, version=v2) == edited
        assert repo.paragraphs_of(session=s, version=v1) == paras
        # one new paragraph row for the edit; one blob for two identical bodies
        assert len(s.exec(select(Paragraph)).all()) == 4
        assert len(s.exec(select(Blob)).all()) == 1
        assert repo.read_blob(session=s, sha256=v1.raw_sha256) == "<p>同一页面</p>".encode()
        assert repo.latest_version(session=s, document_id=doc.id).seq == 2


def test_version_sequence_is_unique_per_document(engine):
    with storage.session(engine) as s:
        doc = _doc(s)
        repo.add_version(session=s, document=doc, fetched_at=NOW, title="t", paragraphs=["a"], exact_hash="a",
                         semantic_hash="a")
        s.commit()
        doc.latest_seq = 0  # a second writer that read a stale sequence number
        with pytest.raises(IntegrityError):
            repo.add_version(session=s, document=doc, fetched_at=NOW, title="t", paragraphs=["b"], exact_hash="b",
                             semantic_hash="b")
            s.commit()


def test_outbox_claim_retry_and_no_resend(engine):
    with storage.session(engine) as s:
        doc = _doc(s)
        change = repo.add_change(session=s, portal_id=doc.portal_id, document_id=doc.id, kind="new", detected_at=NOW)
        d = repo.enqueue_delivery(session=s, subscription="ops", url="json://127.0.0.1/h", dedup_key=f"change:{change.id}",
                                  change_ids=[change.id], now=NOW)
        again = repo.enqueue_delivery(session=s, subscription="ops", url="json://127.0.0.1/h",
                                      dedup_key=f"change:{change.id}", change_ids=[change.id], now=NOW)
        s.commit()
        assert again is None  # one delivery per change, subscription and URL
        assert repo.claim_delivery(session=s, delivery_id=d.id, now=NOW)
        s.commit()
        assert not repo.claim_delivery(session=s, delivery_id=d.id, now=NOW)  # already in flight
        s.commit()
        row = repo.finish_delivery(session=s, delivery_id=d.id, ok=False, error="HTTP 500", now=NOW, max_attempts=3,
                                   backoff=timedelta(minutes=1))
        s.commit()
        assert row.status == "pending" and row.next_attempt_at == NOW + timedelta(minutes=1)
        assert repo.due_deliveries(session=s, now=NOW) == []
        assert [x.id for x in repo.due_deliveries(session=s, now=NOW, ignore_backoff=True)] == [d.id]
        assert repo.claim_delivery(session=s, delivery_id=d.id, now=NOW)
        row = repo.finish_delivery(session=s, delivery_id=d.id, ok=True, error=None, now=NOW, max_attempts=3,
                                   backoff=timedelta(minutes=1))
        s.commit()
        assert row.status == "sent" and row.attempts == 2
        assert repo.due_deliveries(session=s, now=NOW + timedelta(days=1), ignore_backoff=True) == []


def test_orphaned_claim_is_released_and_failures_stop_at_the_limit(engine):
    with storage.session(engine) as s:
        doc = _doc(s)
        change = repo.add_change(session=s, portal_id=doc.portal_id, document_id=doc.id, kind="new", detected_at=NOW)
        d = repo.enqueue_delivery(session=s, subscription="ops", url="json://x", dedup_key="k", change_ids=[change.id], now=NOW)
        s.commit()
        assert repo.claim_delivery(session=s, delivery_id=d.id, now=NOW)
        s.commit()
        # the process died here; the next run (holding the lock) releases the row
        assert repo.release_orphaned_deliveries(session=s) == 1
        s.commit()
        for attempt in range(2):
            assert repo.claim_delivery(session=s, delivery_id=d.id, now=NOW)
            row = repo.finish_delivery(session=s, delivery_id=d.id, ok=False, error="timeout", now=NOW, max_attempts=3,
                                       backoff=timedelta(seconds=1))
            s.commit()
        assert row.status == "failed" and row.attempts == 3 and row.last_error == "timeout"


def test_digest_collects_changes_then_opens(engine):
    with storage.session(engine) as s:
        doc = _doc(s)
        ids = [repo.add_change(session=s, portal_id=doc.portal_id, document_id=doc.id, kind="revised", detected_at=NOW).id
               for _ in range(3)]
        for cid in ids:
            repo.add_to_digest(session=s, subscription="daily", url="json://x", dedup_key="digest:1", change_id=cid, now=NOW)
        s.commit()
        assert repo.due_deliveries(session=s, now=NOW) == []
        assert repo.close_digests(session=s, now=NOW) == 1
        s.commit()
        (d,) = repo.due_deliveries(session=s, now=NOW)
        assert repo.delivery_change_ids(session=s, delivery_id=d.id) == sorted(ids)
