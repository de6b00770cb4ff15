"""Schema migrations on real SQLite and PostgreSQL: a migrated database is exactly the models, upgrades keep data,
pre-migration databases are adopted, and two processes starting on one new database do not collide."""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone

import pytest
from sqlalchemy import inspect, text
from sqlmodel import SQLModel, select

import storage
from storage import Portal, migrate

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
    SQLModel.metadata.create_all(engine)  # as policywatch did before migrations existed
    with storage.session(engine) as s:
        s.add(Portal(name="p", created_at=NOW))
        s.commit()
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
