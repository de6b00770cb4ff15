"""paragraph texts stored compressed, a chunk at a time

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 08:00:00

The ``paragraph`` table (one row, one SHA-256 and one index entry per distinct text, uncompressed) becomes
``paragraphchunk``. Paragraph ids do not change: the paragraphs with ids ``c << CHUNK_BITS`` to
``((c + 1) << CHUNK_BITS) - 1`` become chunk ``c`` (a missing id is an empty text nothing refers to), so versions,
attachments and raw-body skeletons, which all refer to paragraphs by id, stay as they are.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import CHUNK_BITS, CHUNK_SIZE, pack_texts, unpack_ids, unpack_texts

revision: str = '0002'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 200  # chunks written per INSERT


def _copied_chunks(conn: sa.Connection) -> Iterator[dict]:
    """The rows of ``paragraphchunk`` that hold the rows of ``paragraph``, ids unchanged."""
    current: int | None = None
    texts: list[str] = []
    rows = conn.execute(sa.text("SELECT id, text FROM paragraph ORDER BY id").execution_options(yield_per=5000))
    for pid, text in rows:  # streamed (a server-side cursor on PostgreSQL), not read whole
        if pid >> CHUNK_BITS != current:
            if current is not None:
                yield {"id": current, "data": pack_texts(texts)}
            current, texts = pid >> CHUNK_BITS, []
        texts.extend([""] * ((pid & (CHUNK_SIZE - 1)) - len(texts)))
        texts.append(text)
    if current is not None:
        yield {"id": current, "data": pack_texts(texts)}


def _continue_ids(conn: sa.Connection, table: str) -> None:
    """After rows were copied in with their ids: new rows of ``table`` get ids after them (PostgreSQL's sequence;
    SQLite takes the largest id in use by itself)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) "
                             f"FROM {table}"))


def upgrade() -> None:
    chunks = op.create_table(
        'paragraphchunk',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sqlite_autoincrement=True,
    )
    conn = op.get_bind()
    batch: list[dict] = []
    for row in _copied_chunks(conn):
        batch.append(row)
        if len(batch) == _BATCH:
            conn.execute(chunks.insert(), batch)
            batch.clear()
    if batch:
        conn.execute(chunks.insert(), batch)
    _continue_ids(conn, 'paragraphchunk')
    with op.batch_alter_table('paragraph', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paragraph_sha256'))
    op.drop_table('paragraph')


def _referenced(conn: sa.Connection) -> set[int]:
    """The paragraph ids versions list, in their text or an attachment's."""
    ids: set[int] = set()
    rows = conn.execute(sa.text("SELECT paragraph_runs, attachments FROM version").execution_options(yield_per=1000))
    for runs, attachments in rows:
        ids.update(unpack_ids(runs))
        if isinstance(attachments, str):  # SQLite returns the JSON text
            attachments = json.loads(attachments)
        for a in attachments or []:
            if isinstance(a, dict):
                ids.update(a.get("text_ids") or [])
    return ids


def downgrade() -> None:
    """Back to one row per distinct text, ids kept. Since 0002 a text can be stored more than once (each version
    stores the paragraphs its predecessor did not have, so a reverted paragraph or boilerplate shared by two
    documents is stored again); the older schema cannot hold that without renumbering, so such a database is
    refused with the way out."""
    paragraphs = op.create_table(
        'paragraph',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.LargeBinary(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    conn = op.get_bind()
    referenced = _referenced(conn)
    seen: dict[bytes, int] = {}
    rows = conn.execute(sa.text("SELECT id, data FROM paragraphchunk ORDER BY id").execution_options(yield_per=200))
    for chunk_id, data in rows:
        batch = []
        for j, text in enumerate(unpack_texts(data)):
            pid = chunk_id << CHUNK_BITS | j
            if not text and pid not in referenced:  # a gap left by the copy in upgrade()
                continue
            digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
            if digest in seen:
                raise RuntimeError(
                    f"cannot downgrade below 0002: paragraphs {seen[digest]} and {pid} hold the same text, which the "
                    "older schema stores once; restore a backup taken before the upgrade instead")
            seen[digest] = pid
            batch.append({"id": pid, "sha256": digest, "text": text})
        if batch:
            conn.execute(paragraphs.insert(), batch)
    _continue_ids(conn, 'paragraph')
    with op.batch_alter_table('paragraph', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paragraph_sha256'), ['sha256'], unique=True)
    op.drop_table('paragraphchunk')
