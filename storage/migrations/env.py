"""Alembic environment for policywatch's schema.

Normally run by ``storage.migrate``, which passes an open connection (inside a transaction it owns) in
``config.attributes["connection"]``. Without one (the alembic CLI), the database URL is taken from
``-x url=...``, the ``sqlalchemy.url`` option, or ``POLICYWATCH_DATABASE_URL``.
"""
from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine, pool
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.models import HexDigest

config = context.config
target_metadata = SQLModel.metadata


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Migrations do not import the models: a HexDigest column is written as the binary column it is."""
    if type_ == "type" and isinstance(obj, HexDigest):
        return "sa.LargeBinary()"
    return False


def _options(dialect_name: str) -> dict:
    # SQLite cannot ALTER most things: batch mode copies the table instead.
    return {"target_metadata": target_metadata, "render_as_batch": dialect_name == "sqlite", "compare_type": True,
            "render_item": _render_item}


def _url() -> str:
    url = (context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
           or os.environ.get("POLICYWATCH_DATABASE_URL"))
    if not url:
        raise RuntimeError("no database URL: pass -x url=... or set POLICYWATCH_DATABASE_URL")
    return url


def run_offline() -> None:
    url = _url()
    context.configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"},
                      **_options(url.split(":", 1)[0].split("+", 1)[0]))
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, **_options(connection.dialect.name))
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        context.configure(connection=conn, **_options(conn.dialect.name))
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
