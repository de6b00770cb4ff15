"""Schema migrations (Alembic), run from inside the installed package: users never need an alembic.ini.

- A new, empty database is created by running every migration (never ``create_all``), so a fresh database and an
  upgraded one have the same schema.
- A database made by ``create_all`` before migrations existed (policywatch tables, no ``alembic_version``) is
  stamped with the first revision, whose schema it has.
- Every schema change runs inside one transaction that holds a lock (``BEGIN IMMEDIATE`` on SQLite, an advisory
  lock on PostgreSQL), so two processes starting on the same new database do not both create it.

For developers, after changing ``storage/models.py``::

    python -m storage.migrate revision -m "add document.published_at"

writes the next numbered revision under ``storage/migrations/versions/`` by comparing the models with a scratch
SQLite database at head (pass ``--url`` to compare against PostgreSQL). Read it before committing: autogenerate
does not see VARCHAR length changes, and a new NOT NULL column needs a ``server_default``.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, pool
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from . import models  # noqa: F401  (registers the tables on SQLModel.metadata)

BASELINE = "0001"  # the revision a pre-migration (create_all) database is stamped with
_PG_LOCK_KEY = 0x706F6C77  # 'polw': the advisory lock every migration holds on PostgreSQL
_MARKER_TABLES = ("portal", "document")  # their presence means "this database already has policywatch tables"


def _script_location() -> str:
    return str(resources.files("storage") / "migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations; ``connection`` is used by env.py when given."""
    cfg = Config()
    cfg.set_main_option("script_location", _script_location())
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """The newest revision this policywatch knows."""
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"migrations have {len(heads)} heads ({', '.join(heads)}); merge them")
    return heads[0]


def known_revisions() -> set[str]:
    return {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def _current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def current(engine: Engine) -> str | None:
    """The revision the database is at, or None for an unversioned (empty or pre-migration) database."""
    with engine.connect() as conn:
        return _current(conn)


def _has_tables(conn: Connection) -> bool:
    names = set(inspect(conn).get_table_names())
    return any(t in names for t in _MARKER_TABLES)


@contextlib.contextmanager
def _exclusive(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that no other migrating process can enter; committed on success."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # pysqlite does not open a transaction before DDL by itself; BEGIN IMMEDIATE makes the DDL
            # transactional and takes the write lock (other processes wait for it through busy_timeout).
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the schema to ``revision`` (default: head). An empty database is created from the migrations; a
    pre-migration one is stamped with the baseline first. Returns (revision before, revision after)."""
    with _exclusive(engine) as conn:
        before = _current(conn)
        cfg = alembic_config(conn)
        if before is None and _has_tables(conn):
            command.stamp(cfg, BASELINE)
        command.upgrade(cfg, revision)
        return before, _current(conn)


def downgrade(engine: Engine, revision: str) -> tuple[str | None, str | None]:
    """Step the schema back to ``revision`` ("base" drops every table). Returns (before, after)."""
    with _exclusive(engine) as conn:
        before = _current(conn)
        command.downgrade(alembic_config(conn), revision)
        return before, _current(conn)


def stamp_or_upgrade_new(engine: Engine) -> str:
    """Prepare a database for use without changing an existing schema.

    Returns what it did: ``"created"`` (an empty database, built by running every migration), ``"stamped"``
    (policywatch tables from before migrations existed, marked as the baseline revision) or ``"versioned"``
    (already under migrations; left alone even if behind — see :func:`check`)."""
    with _exclusive(engine) as conn:
        if _current(conn) is not None:
            return "versioned"
        cfg = alembic_config(conn)
        if _has_tables(conn):
            command.stamp(cfg, BASELINE)
            return "stamped"
        command.upgrade(cfg, "head")
        return "created"


def check(engine: Engine) -> str | None:
    """None when the database schema is what this policywatch needs, otherwise one line saying what to do."""
    at, want = current(engine), head()
    if at == want:
        return None
    if at is None:
        return f"database schema is not versioned, this policywatch needs {want}: run 'policywatch db upgrade'"
    if at not in known_revisions():
        return (f"database schema is at {at}, which this policywatch (schema {want}) does not know: "
                "it was upgraded by a newer policywatch; upgrade policywatch")
    return f"database schema is at {at}, this policywatch needs {want}: run 'policywatch db upgrade'"


def schema_diff(engine: Engine) -> list[Any]:
    """Alembic autogenerate's differences between the database and the SQLModel models ([] when they agree)."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": conn.dialect.name == "sqlite"})
        return list(compare_metadata(ctx, SQLModel.metadata))


# --- developer tool --------------------------------------------------------------------------------------------
def _next_rev_id() -> str:
    numbers = [int(r) for r in known_revisions() if r.isdigit()]
    return f"{max(numbers, default=0) + 1:04d}"


def make_revision(message: str, *, url: str | None = None) -> Path:
    """Autogenerate the next numbered revision from the models against a database at head (a scratch SQLite file
    unless ``url`` is given). Returns the new file's path."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(url or f"sqlite:///{Path(tmp) / 'scratch.db'}", poolclass=pool.NullPool)
        try:
            if known_revisions():
                upgrade(engine)
            with engine.begin() as conn:
                script = command.revision(alembic_config(conn), message=message, autogenerate=True, rev_id=_next_rev_id())
        finally:
            engine.dispose()
    assert script is not None and not isinstance(script, list)
    return Path(script.path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m storage.migrate", description="policywatch schema migrations (developers)")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("revision", help="autogenerate the next revision from storage/models.py")
    r.add_argument("-m", "--message", required=True)
    r.add_argument("--url", help="compare against this database at head instead of a scratch SQLite file")
    args = p.parse_args(argv)
    path = make_revision(args.message, url=args.url)
    print(f"wrote {path}; read it before committing (server_default on new NOT NULL columns, VARCHAR lengths)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
