"""Engines and sessions. SQLite gets WAL, foreign keys and a busy timeout on every connection."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from . import models  # noqa: F401  (registers the tables on SQLModel.metadata)


class StorageError(Exception):
    """A database problem a user can act on (bad URL, unreachable server, locked or full database)."""


def display_url(url: str) -> str:
    """A database URL fit for messages: the password hidden, the host and the file path kept."""
    try:
        # "***" -> "****": the same mask as notification URLs
        return make_url(url).render_as_string(hide_password=True).replace(":***@", ":****@")
    except Exception:
        return "(unparseable database URL)"


def _compact_json(value: Any) -> str:
    """JSON columns as written: no spaces, Chinese as UTF-8 rather than 6-byte \\u escapes."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine for a SQLAlchemy URL (``sqlite:///path`` or ``postgresql+psycopg://...``)."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy.exc.ArgumentError
        raise StorageError(f"database_url {url!r} is not a valid SQLAlchemy URL") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30}, json_serializer=_compact_json)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - exercised by every sqlite test
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, echo=echo, pool_pre_ping=True, json_serializer=_compact_json)
    raise StorageError(f"database_url {url!r}: only sqlite and postgresql are supported")


def init_db(engine: Engine) -> None:
    """Prepare a database: an empty one is built by running the migrations (so every database, new or upgraded,
    has the same schema); an existing one is left as it is (see storage.migrate.check)."""
    from .migrate import stamp_or_upgrade_new

    stamp_or_upgrade_new(engine)


def session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)
