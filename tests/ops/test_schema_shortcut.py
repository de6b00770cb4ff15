"""Commands open an up-to-date database without Alembic (storage.migrate.at_head); that shortcut must never hide a
schema that needs creating, stamping or upgrading, and must agree with Alembic about the newest revision."""
from __future__ import annotations

import pytest
from sqlalchemy import text

import storage
from policywatch.cli import CliError
from policywatch.ops import open_engine
from storage import migrate


@pytest.fixture
def engine(database_url):
    engine = storage.make_engine(database_url)
    yield engine
    engine.dispose()


def test_the_newest_revision_read_from_the_files_is_alembics():
    assert migrate.head_from_files() == migrate.head()


def test_only_a_database_at_the_newest_revision_takes_the_shortcut(engine):
    assert migrate.at_head(engine) is False  # new and empty: the migrations must create it
    migrate.upgrade(engine, migrate.BASELINE)
    assert migrate.at_head(engine) is (migrate.BASELINE == migrate.head())
    migrate.upgrade(engine)
    assert migrate.at_head(engine) is True
    with engine.begin() as conn:  # as left by a newer policywatch
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    assert migrate.at_head(engine) is False
    with engine.begin() as conn:  # two rows (branches): Alembic decides
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": migrate.head()})
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES ('other')"))
    assert migrate.at_head(engine) is False
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    assert migrate.at_head(engine) is False  # policywatch tables without a version: stamped by the full path


def test_open_engine_still_creates_stamps_and_refuses_what_the_shortcut_does_not_cover(tmp_path):
    url = f"sqlite:///{tmp_path / 'pw.db'}"
    open_engine(url).dispose()  # created by the migrations
    engine = storage.make_engine(url)
    assert migrate.current(engine) == migrate.head()
    migrate.downgrade(engine, migrate.BASELINE)
    with engine.begin() as conn:  # the tables of a database from before migrations, without a version
        conn.execute(text("DROP TABLE alembic_version"))
    engine.dispose()
    with pytest.raises(CliError, match="run 'policywatch db upgrade'"):
        open_engine(url)  # stamped with the baseline, which is older than this policywatch
    engine = storage.make_engine(url)
    assert migrate.current(engine) == migrate.BASELINE
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(CliError, match="9999.*upgrade policywatch"):
        open_engine(url)

