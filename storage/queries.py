"""Read-only queries for the review pages, feeds and API. Keyword-only, session first, like ``repo``; nothing here
writes. Every list query returns ``(rows, total)`` so callers can paginate; limits are the caller's to bound.

Timestamps passed in are compared as given (timezone-aware UTC, like the writers store them).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, func, or_
from sqlmodel import Session, col, select

from . import repo
from .models import (
    CHUNK_BITS,
    Change,
    CommitmentCache,
    Document,
    FetchError,
    ParagraphChunk,
    Portal,
    Version,
    find_in_texts,
    unpack_ids,
)

#: A text search looks at most at this many matching paragraphs.
MAX_TEXT_HITS = 5000
_DOCUMENTS_AT_ONCE = 200  # latest_commitments reads this many documents' paragraphs at a time


@dataclass(frozen=True)
class ChangeRow:
    """A change with the document (None for portal-level changes) and portal it belongs to."""

    change: Change
    document: Document | None
    portal: Portal


@dataclass(frozen=True)
class PortalHealth:
    portal: Portal
    documents: int
    last_change_at: datetime | None
    last_error_at: datetime | None


@dataclass(frozen=True)
class TextHit:
    """A document whose text matched a search, with the newest matching version and its first matching paragraph."""

    document: Document
    portal: Portal
    seq: int
    paragraph_index: int
    paragraph: str
    in_latest: bool


# --- single rows ---------------------------------------------------------------------------------------------------
def get_change(*, session: Session, change_id: int) -> Change | None:
    return session.get(Change, change_id)


def get_document_by_id(*, session: Session, document_id: int) -> Document | None:
    return session.get(Document, document_id)


def get_portal_by_id(*, session: Session, portal_id: int) -> Portal | None:
    return session.get(Portal, portal_id)


def change_for_versions(*, session: Session, document_id: int, to_seq: int) -> Change | None:
    """The change that produced version ``to_seq`` of a document (the newest one if several)."""
    q = select(Change).where(Change.document_id == document_id, Change.to_seq == to_seq)
    return session.exec(q.order_by(col(Change.id).desc())).first()


# --- changes -------------------------------------------------------------------------------------------------------
def _change_filters(
    q, *, portal_id: int | None, kind: str | None, since: datetime | None, until: datetime | None,
    keyword: str | None, document_id: int | None, include_baseline: bool,
):
    if portal_id is not None:
        q = q.where(Change.portal_id == portal_id)
    if document_id is not None:
        q = q.where(Change.document_id == document_id)
    if kind:
        # events is a JSON list of ASCII tags; its text form contains '"tag"' on SQLite and PostgreSQL alike
        q = q.where(or_(Change.kind == kind, cast(Change.events, Text).contains(f'"{kind}"', autoescape=True)))
    if since is not None:
        q = q.where(Change.detected_at >= since)
    if until is not None:
        q = q.where(Change.detected_at < until)
    if keyword:
        q = q.where(
            or_(
                col(Document.title).contains(keyword, autoescape=True),
                col(Document.url).contains(keyword, autoescape=True),
                col(Change.summary).contains(keyword, autoescape=True),
            )
        )
    if not include_baseline:
        q = q.where(col(Change.baseline).is_(False))
    return q


def list_changes(
    *,
    session: Session,
    portal_id: int | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    keyword: str | None = None,
    document_id: int | None = None,
    include_baseline: bool = True,
    before_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ChangeRow], int]:
    """Changes newest first (by detection time, then id) with their document and portal, and the total matching.

    ``kind`` matches the change's own kind or any of its event tags (``target_changed``, ``deadline_changed``);
    ``keyword`` matches the document title or URL or the change summary; ``until`` is exclusive.
    ``before_id`` keeps only changes with a smaller id (for scanning feeds in batches)."""
    filters = dict(portal_id=portal_id, kind=kind, since=since, until=until, keyword=keyword,
                   document_id=document_id, include_baseline=include_baseline)
    base = (
        select(Change, Document, Portal)
        .join(Portal, col(Portal.id) == col(Change.portal_id))
        .outerjoin(Document, col(Document.id) == col(Change.document_id))
    )
    q = _change_filters(base, **filters)
    if before_id is not None:
        q = q.where(col(Change.id) < before_id)
    q = q.order_by(col(Change.detected_at).desc(), col(Change.id).desc()).limit(limit).offset(offset)
    rows = [ChangeRow(c, d, p) for c, d, p in session.exec(q)]
    count_q = (
        select(func.count())
        .select_from(Change)
        .join(Portal, col(Portal.id) == col(Change.portal_id))
        .outerjoin(Document, col(Document.id) == col(Change.document_id))
    )
    count_q = _change_filters(count_q, **filters)
    if before_id is not None:
        count_q = count_q.where(col(Change.id) < before_id)
    total = session.exec(count_q).one()
    return rows, int(total)


def changes_of_document(*, session: Session, document_id: int) -> list[Change]:
    """All changes of a document, oldest first."""
    q = select(Change).where(Change.document_id == document_id).order_by(col(Change.detected_at), col(Change.id))
    return list(session.exec(q))


# --- portals -------------------------------------------------------------------------------------------------------
def portal_health(*, session: Session) -> list[PortalHealth]:
    """Every portal by name, with its document count, newest change and newest fetch error."""
    docs = dict(session.exec(select(Document.portal_id, func.count()).group_by(Document.portal_id)).all())
    last_change = dict(
        session.exec(select(Change.portal_id, func.max(Change.detected_at)).group_by(Change.portal_id)).all()
    )
    last_error = dict(
        session.exec(select(FetchError.portal_id, func.max(FetchError.fetched_at)).group_by(FetchError.portal_id)).all()
    )
    portals = session.exec(select(Portal).order_by(Portal.name)).all()
    return [
        PortalHealth(p, int(docs.get(p.id, 0)), last_change.get(p.id), last_error.get(p.id)) for p in portals
    ]


def recent_fetch_errors(*, session: Session, portal_id: int, limit: int = 20) -> list[FetchError]:
    q = select(FetchError).where(FetchError.portal_id == portal_id)
    return list(session.exec(q.order_by(col(FetchError.fetched_at).desc(), col(FetchError.id).desc()).limit(limit)))


# --- documents -----------------------------------------------------------------------------------------------------
def list_documents(
    *, session: Session, portal_id: int | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[tuple[Document, Portal]], int]:
    """Documents, most recently changed first, with their portal."""
    q = select(Document, Portal).join(Portal, col(Portal.id) == col(Document.portal_id))
    count_q = select(func.count()).select_from(Document)
    if portal_id is not None:
        q = q.where(Document.portal_id == portal_id)
        count_q = count_q.where(Document.portal_id == portal_id)
    q = q.order_by(col(Document.last_changed_at).desc(), col(Document.id).desc()).limit(limit).offset(offset)
    return [(d, p) for d, p in session.exec(q)], int(session.exec(count_q).one())


def latest_versions(
    *, session: Session, document_ids: Sequence[int] | None = None
) -> list[tuple[Document, Version]]:
    """The newest version of each document (of the given ones, or all), by document id."""
    q = (
        select(Document, Version)
        .join(Version, (col(Version.document_id) == col(Document.id)) & (col(Version.seq) == col(Document.latest_seq)))
        .order_by(col(Document.id))
    )
    if document_ids is not None:
        q = q.where(col(Document.id).in_(list(document_ids)))
    rows = [(d, v) for d, v in session.exec(q)]
    repo.resolve_versions(session=session, versions=[v for _d, v in rows])
    return rows


def latest_commitments(
    *, session: Session, document_id: int | None = None
) -> list[tuple[int, str, int, list[dict[str, Any]]]]:
    """(document id, title, newest version's seq, its commitments) for every document (or one), by document id.
    Commitments not extracted yet come back as an empty list (see policywatch.commitments). They are stored
    against the paragraphs they quote, which are read a few hundred documents at a time."""
    q = (
        select(Document.id, Document.title, Document.latest_seq, CommitmentCache.data, Version.paragraph_runs)
        .join(Version, (col(Version.document_id) == col(Document.id)) & (col(Version.seq) == col(Document.latest_seq)))
        .outerjoin(CommitmentCache, (col(CommitmentCache.document_id) == col(Document.id))
                   & (col(CommitmentCache.seq) == col(Document.latest_seq)))
        .order_by(col(Document.id))
    )
    if document_id is not None:
        q = q.where(col(Document.id) == document_id)
    rows = session.exec(q).all()
    out = []
    for start in range(0, len(rows), _DOCUMENTS_AT_ONCE):
        batch = rows[start : start + _DOCUMENTS_AT_ONCE]
        stored = [(data, unpack_ids(runs)) for _i, _t, _seq, data, runs in batch if data is not None]
        unpacked = iter(repo.read_commitments(session=session, stored=stored))
        out += [(i, t, seq, list(next(unpacked) or []) if data is not None else [])
                for i, t, seq, data, _runs in batch]
    return out


# --- search --------------------------------------------------------------------------------------------------------
def search_titles(*, session: Session, q: str, limit: int = 50) -> list[tuple[Document, Portal]]:
    """Documents whose current title, or the title of any of their versions, contains ``q``."""
    older = select(Version.document_id).where(col(Version.title).contains(q, autoescape=True))
    query = (
        select(Document, Portal)
        .join(Portal, col(Portal.id) == col(Document.portal_id))
        .where(or_(col(Document.title).contains(q, autoescape=True), col(Document.id).in_(older)))
        .order_by(col(Document.last_changed_at).desc(), col(Document.id).desc())
        .limit(limit)
    )
    return [(d, p) for d, p in session.exec(query)]


def search_text(*, session: Session, q: str, limit: int = 50) -> list[TextHit]:
    """Documents with a paragraph containing ``q`` in any version, newest matching version first per document.
    Latin letters A–Z match in either case.

    Paragraph texts are stored compressed, a chunk of them at a time, and shared by versions: the match reads the
    chunks, newest first, until it has ``MAX_TEXT_HITS`` paragraphs (``find_in_texts``), and the versions that list
    a matching paragraph are found from their id lists."""
    hits: dict[int, str] = {}
    chunks = session.exec(select(ParagraphChunk.id, ParagraphChunk.data).order_by(col(ParagraphChunk.id).desc())
                          .execution_options(yield_per=200))
    for chunk_id, data in chunks:
        for j, text in find_in_texts(data, q):
            hits[chunk_id << CHUNK_BITS | j] = text
        if len(hits) >= MAX_TEXT_HITS:
            break
    chunks.close()
    if not hits:
        return []
    wanted = set(hits)
    best: dict[int, tuple[int, int, int]] = {}  # document id -> (seq, paragraph index, paragraph id)
    rows = session.exec(select(Version.document_id, Version.seq, Version.paragraph_runs).order_by(col(Version.id)))
    for document_id, seq, runs in rows:
        if document_id in best and best[document_id][0] >= seq:
            continue
        for index, pid in enumerate(unpack_ids(runs)):
            if pid in wanted:
                best[document_id] = (seq, index, pid)
                break
    if not best:
        return []
    docs = session.exec(
        select(Document, Portal)
        .join(Portal, col(Portal.id) == col(Document.portal_id))
        .where(col(Document.id).in_(list(best)))
    ).all()
    out = [
        TextHit(d, p, best[d.id][0], best[d.id][1], hits[best[d.id][2]], best[d.id][0] == d.latest_seq)  # type: ignore[index]
        for d, p in docs
    ]
    out.sort(key=lambda h: (not h.in_latest, -(h.document.last_changed_at or h.document.first_seen_at).timestamp()))
    return out[:limit]
