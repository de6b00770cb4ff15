"""SQLModel tables. Every timestamp is timezone-aware UTC.

Layout of a document's history:
- ``Document``: one monitored URL of one portal.
- ``Version``: one distinct state of its main text. Paragraph texts are stored once each in ``Paragraph`` and a
  version lists their ids, so a version that changes one paragraph costs one new paragraph row plus a short list.
- ``Blob``: raw response bodies, content-addressed by SHA-256 and zlib-compressed; identical bodies are stored once.
- ``Change``: the difference between two versions (or a new document), with its paragraph ops and target changes.
- ``Delivery`` (+ ``DeliveryChange``): the durable outbox, one row per subscription and Apprise URL.
"""
from __future__ import annotations

import json
import zlib
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

JSONType = JSON().with_variant(JSONB(), "postgresql")


def pack_json(rows: Any) -> bytes | None:
    """Compact zlib-compressed JSON for derived or bulky columns (None stays None)."""
    if rows is None:
        return None
    return zlib.compress(json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode(), 9)


def unpack_json(data: bytes | None) -> Any:
    return None if data is None else json.loads(zlib.decompress(data))


def _packed_column() -> Any:
    return Field(default=None, sa_column=Column(LargeBinary, nullable=True))


def _json_column(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(JSONType, nullable=nullable))


class Portal(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=200)
    created_at: datetime
    last_polled_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    failures_in_row: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    baseline_done: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})


class Document(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    portal_id: int = Field(foreign_key="portal.id", index=True)
    url: str = Field(index=True, unique=True, max_length=2000)
    title: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    first_seen_at: datetime
    last_checked_at: datetime | None = None
    last_changed_at: datetime | None = None
    published_at: datetime | None = None  # from the page's metadata (发布日期) or URL date; drives the re-check schedule
    etag: str | None = Field(default=None, max_length=500)
    last_modified: str | None = Field(default=None, max_length=200)
    last_length: int | None = None
    status: str = Field(default="active", max_length=20, sa_column_kwargs={"server_default": "active"})
    missing_checks: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    latest_seq: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class Blob(SQLModel, table=True):
    sha256: str = Field(primary_key=True, max_length=64)
    size: int
    codec: str = Field(default="zlib", max_length=40)  # "zlib", or "skel-zlib:<charset>" (see repo.put_raw)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # a skeleton compressed against an earlier skeleton of the same document (zlib preset dictionary)
    base_sha256: str | None = Field(default=None, foreign_key="blob.sha256", max_length=64)
    depth: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class Paragraph(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(index=True, unique=True, max_length=64)
    text: str = Field(sa_column=Column(Text, nullable=False))


class Version(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("document_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document.id", index=True)
    seq: int
    fetched_at: datetime
    title: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    exact_hash: str = Field(max_length=64)
    semantic_hash: str = Field(max_length=64, index=True)
    paragraph_ids: list[int] = _json_column()
    raw_sha256: str | None = Field(default=None, foreign_key="blob.sha256", max_length=64)
    final_url: str | None = Field(default=None, max_length=2000)
    encoding: str | None = Field(default=None, max_length=40)
    headers: dict[str, str] | None = _json_column(nullable=True)
    meta: dict[str, str] | None = _json_column(nullable=True)
    # Derived data (re-extractable from the paragraphs), so stored compact: zlib-compressed JSON; NULL = not yet
    # extracted. Read and write it through the ``commitments`` property.
    commitments_z: bytes | None = _packed_column()
    attachments: list[dict[str, Any]] | None = _json_column(nullable=True)

    @property
    def commitments(self) -> list[dict[str, Any]] | None:
        return unpack_json(self.commitments_z)

    @commitments.setter
    def commitments(self, rows: list[dict[str, Any]] | None) -> None:
        self.commitments_z = pack_json(rows)


class Change(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    portal_id: int = Field(foreign_key="portal.id", index=True)
    document_id: int | None = Field(default=None, foreign_key="document.id", index=True)
    kind: str = Field(max_length=20, index=True)
    from_seq: int | None = None
    to_seq: int | None = None
    detected_at: datetime = Field(index=True)
    baseline: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # paragraph ops (with old and new text and inline spans) and target changes: bulky, written once, read whole,
    # so stored as compressed JSON; read and write them through the ``ops`` and ``targets`` properties
    ops_z: bytes | None = _packed_column()
    targets_z: bytes | None = _packed_column()
    events: list[str] | None = _json_column(nullable=True)

    @property
    def ops(self) -> list[dict[str, Any]] | None:
        return unpack_json(self.ops_z)

    @ops.setter
    def ops(self, rows: list[dict[str, Any]] | None) -> None:
        self.ops_z = pack_json(rows)

    @property
    def targets(self) -> list[dict[str, Any]] | None:
        return unpack_json(self.targets_z)

    @targets.setter
    def targets(self, rows: list[dict[str, Any]] | None) -> None:
        self.targets_z = pack_json(rows)


class Delivery(SQLModel, table=True):
    """One message to one Apprise URL of one subscription. Rows are the outbox: written in the same transaction
    as the change they carry, worked by the sender, never sent again once ``status == 'sent'``."""

    __table_args__ = (UniqueConstraint("dedup_key", "subscription", "url"),)

    id: int | None = Field(default=None, primary_key=True)
    subscription: str = Field(max_length=200, index=True)
    url: str = Field(sa_column=Column(Text, nullable=False))
    dedup_key: str = Field(max_length=200)  # "change:<id>", "digest:<run>", ... — one delivery per key, subscription, URL
    status: str = Field(default="pending", max_length=20, index=True)  # collecting | pending | sending | sent | failed
    attempts: int = Field(default=0)
    created_at: datetime
    next_attempt_at: datetime
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    note: dict[str, Any] | None = _json_column(nullable=True)  # for messages not tied to a change (error, baseline)


class DeliveryChange(SQLModel, table=True):
    delivery_id: int = Field(foreign_key="delivery.id", primary_key=True)
    change_id: int = Field(foreign_key="change.id", primary_key=True, index=True)


class FetchError(SQLModel, table=True):
    """A failed capture: never a version. Kept for portal health and the status page."""

    id: int | None = Field(default=None, primary_key=True)
    portal_id: int = Field(foreign_key="portal.id", index=True)
    url: str = Field(sa_column=Column(Text, nullable=False))
    stage: str = Field(max_length=20)
    kind: str = Field(max_length=20)
    status: int | None = None
    reason: str = Field(sa_column=Column(Text, nullable=False))
    fetched_at: datetime


class Run(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime
    finished_at: datetime | None = None
    ok: bool | None = None
    stats: dict[str, Any] | None = _json_column(nullable=True)
