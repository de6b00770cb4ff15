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

Every command opens its database through :func:`at_head` first: when the ``alembic_version`` row already names
the newest revision (read from the files under ``versions/`` without importing Alembic), there is nothing to
create, stamp or check, and Alembic (a sixth of a second of CPU to import) is never loaded. Anything else takes
the full path below, so upgrades, stamping and the one-line schema errors are unchanged.
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import re
import sys
import tempfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, inspect, pool
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

from . import models  # noqa: F401  (registers the tables on SQLModel.metadata)

if TYPE_CHECKING:  # Alembic is imported inside the functions that use it (see at_head)
    from alembic.config import Config

BASELINE = "0001"  # the revision a pre-migration (create_all) database is stamped with
_PG_LOCK_KEY = 0x706F6C77  # 'polw': the advisory lock every migration holds on PostgreSQL
_MARKER_TABLES = ("portal", "document")  # their presence means "this database already has policywatch tables"


def _script_location() -> str:
    return str(resources.files("storage") / "migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations; ``connection`` is used by env.py when given."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", _script_location())
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """The newest revision this policywatch knows."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"migrations have {len(heads)} heads ({', '.join(heads)}); merge them")
    return heads[0]


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


# a revision file's own ids, as Alembic's template writes them: ``revision: str = '0002'``
_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


def _ids(value: Any) -> tuple[str, ...] | None:
    """A revision id or a tuple/list of them as a tuple; None for anything else."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (tuple, list)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


def head_from_files() -> str | None:
    """The newest revision, read from the revision files' ``revision``/``down_revision`` lines without importing
    Alembic; None when that is not certain (a file without both lines as literals, several heads, no files), in
    which case only :func:`head` can tell. When it is not None it equals :func:`head` (tests/ops check it)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    versions = Path(_script_location()) / "versions"
    # the files Alembic loads: every *.py in versions/ but __init__.py and editor lock files (".#name.py")
    for path in sorted(versions.glob("*.py")):
        if path.name.startswith((".#", "__init__")):
            continue
        try:
            found = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found["down_revision"])
        except (OSError, UnicodeDecodeError, KeyError, ValueError, SyntaxError):
            return None
        own, down_ids = _ids(revision), (() if down is None else _ids(down))
        if own is None or len(own) != 1 or down_ids is None:
            return None
        revisions.add(own[0])
        parents.update(down_ids)
    heads = revisions - parents
    return next(iter(heads)) if len(heads) == 1 else None


def at_head(engine: Engine) -> bool:
    """True when the database is certainly at this policywatch's newest revision: its ``alembic_version`` table
    holds exactly that one revision. Then neither :func:`stamp_or_upgrade_new` nor :func:`check` has anything to
    do. False when that is not certain (no such table, another revision, several rows, an unreadable revision
    file): ask Alembic. Connection errors propagate, as they would from the first query of any other function."""
    want = head_from_files()
    if want is None:
        return False
    with engine.connect() as conn:
        try:
            rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
        except DBAPIError:  # no alembic_version table: a new or pre-migration database
            return False
    return [row[0] for row in rows] == [want]


def _current(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

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
    from alembic import command

    with _exclusive(engine) as conn:
        before = _current(conn)
        cfg = alembic_config(conn)
        if before is None and _has_tables(conn):
            command.stamp(cfg, BASELINE)
        command.upgrade(cfg, revision)
        return before, _current(conn)


def downgrade(engine: Engine, revision: str) -> tuple[str | None, str | None]:
    """Step the schema back to ``revision`` ("base" drops every table). Returns (before, after)."""
    from alembic import command

    with _exclusive(engine) as conn:
        before = _current(conn)
        command.downgrade(alembic_config(conn), revision)
        return before, _current(conn)


def stamp_or_upgrade_new(engine: Engine) -> str:
    """Prepare a database for use without changing an existing schema.

    Returns what it did: ``"created"`` (an empty database, built by running every migration), ``"stamped"``
    (policywatch tables from before migrations existed, marked as the baseline revision) or ``"versioned"``
    (already under migrations; left alone even if behind — see :func:`check`)."""
    from alembic import command

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
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

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
    from alembic import command

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
