"""storage.queries on SQLite and PostgreSQL: the same answers from both."""
from __future__ import annotations

from datetime import timedelta

import pytest

import storage
from storage import queries

from .fill import T0, fill


@pytest.fixture
def db(database_url):
    engine = storage.make_engine(database_url)
    storage.init_db(engine)
    ids = fill(engine)
    yield engine, ids
    engine.dispose()


def test_list_changes_filters_and_counts(db):
    engine, ids = db
    with storage.session(engine) as s:
        rows, total = queries.list_changes(session=s, limit=3)
        assert total == 8 and [r.change.id for r in rows] == [ids["error"], ids["withdrawn"], ids["formatting"]]
        assert rows[0].document is None and rows[0].portal.name == "zhengzhou-zcwj"
        # event tags live in a JSON list: the filter must work on both backends
        rows, total = queries.list_changes(session=s, kind="deadline_changed")
        assert total == 1 and rows[0].change.id == ids["revised"]
        rows, total = queries.list_changes(session=s, kind="target_changed")
        assert {r.change.id for r in rows} == {ids["revised"], ids["hostile_change"]}
        _rows, total = queries.list_changes(session=s, kind="new", include_baseline=False)
        assert total == 2
        rows, total = queries.list_changes(session=s, since=T0 + timedelta(days=9), until=T0 + timedelta(days=10))
        assert [r.change.id for r in rows] == [ids["revised"]]
        rows, _ = queries.list_changes(session=s, keyword="<script>")  # a title; not a LIKE pattern
        assert {r.change.id for r in rows} == {ids["hostile_change"], ids["hostile_change"] - 1}
        assert queries.list_changes(session=s, keyword="能%下降")[1] == 0  # '%' is literal (would match 能耗下降)
        rows, _ = queries.list_changes(session=s, document_id=ids["plan"])
        assert [r.change.id for r in rows] == [ids["formatting"], ids["revised"], ids["new"]]
        assert [c.id for c in queries.changes_of_document(session=s, document_id=ids["plan"])] == [
            ids["new"], ids["revised"], ids["formatting"]]
        assert queries.change_for_versions(session=s, document_id=ids["plan"], to_seq=2).id == ids["revised"]


def test_portal_health_documents_and_latest_versions(db):
    engine, ids = db
    with storage.session(engine) as s:
        health = {h.portal.name: h for h in queries.portal_health(session=s)}
        assert health["jiaozuo-zcwj"].documents == 2 and health["zhengzhou-zcwj"].documents == 0
        assert health["zhengzhou-zcwj"].last_error_at is not None and health["henan-zcwj"].last_error_at is None
        assert health["zhengzhou-zcwj"].last_change_at is not None
        docs, total = queries.list_documents(session=s, limit=1)
        assert total == 3 and len(docs) == 1
        latest = queries.latest_versions(session=s)
        assert {d.id: v.seq for d, v in latest} == {ids["plan"]: 3, ids["notice"]: 1, ids["hostile"]: 2}
        assert len(queries.recent_fetch_errors(session=s, portal_id=health["zhengzhou-zcwj"].portal.id)) == 1


def test_search_titles_and_text(db):
    engine, ids = db
    with storage.session(engine) as s:
        assert [d.id for d, _p in queries.search_titles(session=s, q="工作方案")] == [ids["plan"]]
        hits = queries.search_text(session=s, q="超低排放")
        assert [(h.document.id, h.seq, h.in_latest) for h in hits] == [(ids["plan"], 3, True)]
        assert "超低排放" in hits[0].paragraph and hits[0].paragraph_index == 5
        old = queries.search_text(session=s, q="2020年年底前全面淘汰")
        assert [(h.document.id, h.seq, h.in_latest) for h in old] == [(ids["plan"], 1, False)]
        assert queries.search_text(session=s, q="下_23") == []  # '_' is literal (would match 下降23)
        assert queries.search_text(session=s, q="2%5") == []
