"""Schema migrations on real SQLite and PostgreSQL: a migrated database is exactly the models, upgrades keep data,
pre-migration databases are adopted, and two processes starting on one new database do not collide."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import datetime, timezone

import pytest
from sqlalchemy import inspect, text
from sqlmodel import SQLModel, select

import storage
from storage import Document, Portal, migrate, queries, repo
from storage.models import pack_ids

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)
DRIFT = ("storage/models.py and the migrations disagree — write a migration:\n"
         "    python -m storage.migrate revision -m 'what changed'\n"
         "then read the new file in storage/migrations/versions/. Differences: {}")


@pytest.fixture
def engine(database_url):
    engine = storage.make_engine(database_url)
    yield engine
    engine.dispose()


def _tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_new_database_is_built_by_migrations_and_equals_the_models(engine):
    assert migrate.stamp_or_upgrade_new(engine) == "created"
    assert migrate.current(engine) == migrate.head()
    assert migrate.check(engine) is None
    assert _tables(engine) == set(SQLModel.metadata.tables)
    assert migrate.schema_diff(engine) == [], DRIFT.format(migrate.schema_diff(engine))
    # a second start leaves a versioned database alone
    assert migrate.stamp_or_upgrade_new(engine) == "versioned"


def test_every_revision_downgrades_and_upgrades_again_keeping_earlier_data(engine):
    migrate.upgrade(engine, migrate.BASELINE)
    with engine.begin() as conn:  # a row written by the oldest schema, with the columns it had
        conn.execute(text("INSERT INTO portal (name, created_at) VALUES ('旧门户', :t)"), {"t": NOW})
    before, after = migrate.upgrade(engine)
    assert (before, after) == (migrate.BASELINE, migrate.head())
    with storage.session(engine) as s:
        portal = s.exec(select(Portal)).one()
        assert portal.name == "旧门户" and portal.failures_in_row == 0 and portal.baseline_done is False
    assert migrate.schema_diff(engine) == [], DRIFT.format(migrate.schema_diff(engine))

    assert migrate.downgrade(engine, "base") == (migrate.head(), None)
    assert _tables(engine) == set()
    assert migrate.upgrade(engine) == (None, migrate.head())
    assert migrate.schema_diff(engine) == []


def test_database_made_before_migrations_is_stamped_not_recreated(engine):
    migrate.upgrade(engine, migrate.BASELINE)  # the schema create_all made before migrations existed...
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))  # ...without a version
        conn.execute(text("INSERT INTO portal (name, created_at) VALUES ('p', :t)"), {"t": NOW})
    assert migrate.current(engine) is None
    assert migrate.stamp_or_upgrade_new(engine) == "stamped"
    assert migrate.current(engine) == migrate.BASELINE
    migrate.upgrade(engine)
    assert migrate.check(engine) is None
    with storage.session(engine) as s:
        assert [p.name for p in s.exec(select(Portal))] == ["p"]


def test_check_names_the_command_to_run(engine):
    migrate.upgrade(engine)
    migrate.downgrade(engine, "base")
    message = migrate.check(engine)
    assert message is not None and "policywatch db upgrade" in message
    migrate.upgrade(engine)
    with engine.begin() as conn:  # as left by a newer policywatch
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    message = migrate.check(engine)
    assert message is not None and "9999" in message and "upgrade policywatch" in message


CREATE = "import sys, storage; from storage import migrate; print(migrate.stamp_or_upgrade_new(storage.make_engine(sys.argv[1])))"


def test_two_processes_starting_on_one_new_database_create_it_once(database_url):
    procs = [subprocess.Popen([sys.executable, "-c", CREATE, database_url], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in results]
    assert sorted(out.strip() for out, _ in results) == ["created", "versioned"]
    engine = storage.make_engine(database_url)
    try:
        assert migrate.check(engine) is None
    finally:
        engine.dispose()


# paragraphs as revision 0001 stored them: one row each, ids anywhere (across the later chunks' boundaries)
OLD_PARAGRAPHS = {1: "一、总体要求", 2: "到2020年底，全市单位工业增加值能耗比2015年下降23%以上。", 1023: "二、主要任务",
                  1024: "（一）推进产业结构调整。", 3000: "三、保障措施"}


def test_upgrading_to_paragraph_chunks_keeps_every_text_under_its_id(engine):
    migrate.upgrade(engine, "0001")
    order = [1, 2, 1023, 1024, 3000]
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO portal (id, name, created_at) VALUES (1, 'p', :t)"), {"t": NOW})
        conn.execute(text("INSERT INTO document (id, portal_id, url, title, first_seen_at, latest_seq) "
                          "VALUES (1, 1, 'http://127.0.0.1/a.html', '方案', :t, 1)"), {"t": NOW})
        for pid, para in OLD_PARAGRAPHS.items():
            conn.execute(text("INSERT INTO paragraph (id, sha256, text) VALUES (:id, :h, :text)"),
                         {"id": pid, "h": hashlib.sha256(para.encode()).digest(), "text": para})
        conn.execute(text("INSERT INTO version (document_id, seq, fetched_at, title, exact_hash, semantic_hash, "
                          "paragraph_runs) VALUES (1, 1, :t, '方案', :h, :h, :runs)"),
                     {"t": NOW, "h": b"\x01" * 32, "runs": pack_ids(order)})
    migrate.upgrade(engine)
    assert migrate.schema_diff(engine) == [], DRIFT.format(migrate.schema_diff(engine))
    expected = [OLD_PARAGRAPHS[i] for i in order]
    with storage.session(engine) as s:
        old = repo.latest_version(session=s, document_id=1)
        assert repo.paragraphs_of(session=s, version=old) == expected
        edited = [*expected[:1], "到2020年底，全市单位工业增加值能耗比2015年下降20%以上。", *expected[2:]]
        new = repo.add_version(session=s, document=s.get(Document, 1), fetched_at=NOW, title="方案",
                               paragraphs=edited, exact_hash="b", semantic_hash="b")
        s.commit()
        assert repo.paragraphs_of(session=s, version=new) == edited
        assert repo.paragraphs_of(session=s, version=old) == expected  # new chunks never take a copied one's id
        assert [h.document.url for h in queries.search_text(session=s, q="下降23%")] == ["http://127.0.0.1/a.html"]
    migrate.downgrade(engine, "0001")  # and back: one row per text, the same ids
    with engine.begin() as conn:
        rows = dict(conn.execute(text("SELECT id, text FROM paragraph")).all())
    assert {i: rows[i] for i in OLD_PARAGRAPHS} == OLD_PARAGRAPHS and len(rows) == len(OLD_PARAGRAPHS) + 1


def test_a_database_holding_a_text_twice_refuses_the_downgrade_and_stays_as_it_was(engine):
    migrate.upgrade(engine)
    shared = "本通知自印发之日起施行。"  # boilerplate two documents share: stored by each since 0002
    with storage.session(engine) as s:
        portal = repo.get_or_create_portal(session=s, name="p", now=NOW)
        for n in (1, 2):
            doc = repo.create_document(session=s, portal_id=portal.id, url=f"http://127.0.0.1/{n}.html", title="t",
                                       now=NOW)
            repo.add_version(session=s, document=doc, fetched_at=NOW, title="t", paragraphs=[f"第{n}号通知", shared],
                             exact_hash=str(n), semantic_hash=str(n))
        s.commit()
    with pytest.raises(RuntimeError, match="restore a backup"):
        migrate.downgrade(engine, "0001")
    assert migrate.current(engine) == migrate.head()
    assert migrate.schema_diff(engine) == []  # nothing of the attempt is left behind
    with storage.session(engine) as s:
        documents = s.exec(select(Document).order_by(Document.id)).all()
        assert [repo.paragraphs_of(session=s, version=repo.latest_version(session=s, document_id=d.id))
                for d in documents] == [["第1号通知", shared], ["第2号通知", shared]]
