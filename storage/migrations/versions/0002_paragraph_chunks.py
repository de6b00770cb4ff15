"""paragraph texts stored compressed, a chunk at a time

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 08:00:00

The ``paragraph`` table (one row, one SHA-256 and one index entry per distinct text, uncompressed) becomes
``paragraphchunk``. Paragraph ids do not change: the paragraphs with ids ``c << CHUNK_BITS`` to
``(c + 1) << CHUNK_BITS) - 1`` become chunk ``c`` (a missing id is an empty text nothing refers to), so versions,
attachments and raw-body skeletons, which all refer to paragraphs by id, stay as they are.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import CHUNK_BITS, CHUNK_SIZE, pack_texts, unpack_texts

revision: str = '0002'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 200  # chunks written per INSERT


def _copied_chunks(conn: sa.Connection) -> Iterator[dict]:
    """The rows of ``paragraphchunk`` that hold the rows of ``paragraph``, ids unchanged."""
    current: int | None = None
    texts: list[str] = []
    for pid, text in conn.execute(sa.text("SELECT id, text FROM paragraph ORDER BY id")).yield_per(5000):
        if pid >> CHUNK_BITS != current:
            if current is not None:
                yield {"id": current, "data": pack_texts(texts)}
            current, texts = pid >> CHUNK_BITS, []
        texts.extend([""] * ((pid & (CHUNK_SIZE - 1)) - len(texts)))
        texts.append(text)
    if current is not None:
        yield {"id": current, "data": pack_texts(texts)}


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
    if conn.dialect.name == "postgresql":  # new chunks after the copied ones
        conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('paragraphchunk', 'id'), "
                             "coalesce(max(id), 0) + 1, false) FROM paragraphchunk"))
    with op.batch_alter_table('paragraph', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paragraph_sha256'))
    op.drop_table('paragraph')


def downgrade() -> None:
    paragraphs = op.create_table(
        'paragraph',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.LargeBinary(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    conn = op.get_bind()
    seen: dict[bytes, int] = {}
    for chunk_id, data in conn.execute(sa.text("SELECT id, data FROM paragraphchunk ORDER BY id")).yield_per(200):
        rows = []
        for j, text in enumerate(unpack_texts(data)):
            pid = chunk_id << CHUNK_BITS | j
            digest = hashlib.sha256(text.encode("utf-8")).digest()
            if not text:  # a gap left by the copy in upgrade(): nothing refers to it
                continue
            if digest in seen:
                raise RuntimeError(
                    f"cannot downgrade below 0002: paragraphs {seen[digest]} and {pid} hold the same text, which the "
                    "older schema stores once; restore a backup taken before the upgrade instead")
            seen[digest] = pid
            rows.append({"id": pid, "sha256": digest, "text": text})
        if rows:
            conn.execute(paragraphs.insert(), rows)
    with op.batch_alter_table('paragraph', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paragraph_sha256'), ['sha256'], unique=True)
    op.drop_table('paragraphchunk')
