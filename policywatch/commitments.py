"""Commitments (targets and deadlines) of stored versions.

A baseline crawl stores hundreds of documents nobody has been alerted about yet; extracting their commitments
there would triple the first crawl's CPU time for nothing an alert needs. So a baseline version is stored without
commitments (no ``CommitmentCache`` row for it: "not extracted yet"), and the commitments are extracted on first
need (a revision, the review pages, export, `targets`) or by the time-boxed backfill at the end of each cycle. Only
a document's newest version keeps its commitments; an older version's are extracted again when asked for.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

import storage
from storage import CommitmentCache, Document, Version, repo

if TYPE_CHECKING:  # diffing.targets (0.15 s of CPU to import) is loaded when commitments are first extracted or read
    from diffing.targets import Commitment


def to_rows(commitments: list[Commitment]) -> list[dict[str, Any]]:
    return [c.to_json() | {"paragraph": c.paragraph} for c in commitments]


def from_rows(rows: list[dict[str, Any]]) -> list[Commitment]:
    from diffing.targets import Commitment

    fields = Commitment.__dataclass_fields__
    return [Commitment(**{k: r.get(k) for k in fields if k in r}) for r in rows]


def ensure(session: Session, version: Version, paragraphs: list[str] | None = None) -> list[dict[str, Any]]:
    """The version's commitments, extracting them first if that was deferred; kept if it is the document's newest
    version (caller commits). ``paragraphs``: the version's, when the caller has read them already (stored
    commitments need only the paragraphs they quote)."""
    rows = repo.version_commitments(session=session, version=version, paragraphs=paragraphs)
    if rows is not None:
        return rows
    if paragraphs is None:
        paragraphs = repo.paragraphs_of(session=session, version=version)
    from diffing.targets import extract_commitments

    rows = to_rows(extract_commitments(paragraphs))
    repo.store_commitments(session=session, version=version, rows=rows, paragraphs=paragraphs)
    return rows


def backfill(engine: Engine, *, budget_s: float) -> int:
    """Extract deferred commitments of documents' latest versions, newest first, until the time budget is spent
    (older versions' commitments are a cache dropped on purpose; see storage.repo.store_commitments). Returns how
    many."""
    done = 0
    deadline = time.monotonic() + budget_s
    pending = (
        select(Version)
        .join(Document, (col(Document.id) == col(Version.document_id)) & (col(Document.latest_seq) == col(Version.seq)))
        .outerjoin(CommitmentCache, (col(CommitmentCache.document_id) == col(Version.document_id))
                   & (col(CommitmentCache.seq) == col(Version.seq)))
        .where(col(CommitmentCache.document_id).is_(None))
        .order_by(col(Version.id).desc())
        .limit(20)
    )
    with storage.session(engine) as s:
        while time.monotonic() < deadline:
            batch = s.exec(pending).all()
            if not batch:
                break
            for v in batch:
                ensure(s, v)
                done += 1
                if time.monotonic() >= deadline:
                    break
            s.commit()
    return done
