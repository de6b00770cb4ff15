"""The JSON API (read-only, paginated), described by the OpenAPI document at /api/openapi.json.

Every list answers ``{"items": [...], "total": N, "limit": L, "offset": O, "next": URL-or-null}``; field names follow
the export contract (``doc_number``, ``issuer``, ``written``, ``published``, ``paragraphs``, ``targets``)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Generic, TypeVar

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from diffing.targets import extract_commitments
from storage import Change, Document, Portal, Version, queries, repo

from ..commitments import to_rows
from . import labels
from .pages import site_of

router = APIRouter(prefix="/api", tags=["policywatch"])
META_KEYS = ("doc_number", "issuer", "written", "published")
T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="items matching the query, over all pages")
    limit: int
    offset: int
    next: str | None = Field(description="URL of the next page, or null on the last one")


class DocumentOut(BaseModel):
    id: int
    portal: str
    url: str
    title: str
    status: str
    latest_seq: int = Field(description="number of the newest version (versions count from 1)")
    first_seen_at: datetime
    last_checked_at: datetime | None
    last_changed_at: datetime | None
    doc_number: str | None = Field(None, description="文号 of the newest version")
    issuer: str | None = Field(None, description="发文机关")
    written: str | None = Field(None, description="成文日期")
    published: str | None = Field(None, description="发布日期")
    review_url: str


class VersionOut(BaseModel):
    seq: int
    fetched_at: datetime
    title: str
    content_hash: str
    semantic_hash: str
    final_url: str | None
    meta: dict[str, Any]
    commitments: list[dict[str, Any]]
    attachments: list[dict[str, Any]]
    paragraphs: list[str] | None = Field(None, description="the text, one item per paragraph (with include_text=true)")


class ChangeOut(BaseModel):
    id: int
    portal: str
    document_id: int | None
    document_url: str | None
    title: str | None
    kind: str
    events: list[str]
    from_seq: int | None
    to_seq: int | None
    detected_at: datetime
    baseline: bool
    summary: str
    line: str = Field(description="what changed, in one Chinese line")
    targets: list[dict[str, Any]]
    paragraphs: list[dict[str, Any]] | None = Field(None, description="paragraph ops (with include_ops=true)")
    review_url: str


class CommitmentOut(BaseModel):
    document_id: int
    document_title: str
    seq: int
    kind: str | None
    metric: str | None
    relation: str | None = None
    value: float | None = None
    unit: str | None = None
    qualifier: str | None = None
    baseline: str | None = None
    deadline: str | None = None
    deadline_text: str | None = None
    quote: str | None = None
    paragraph: int | None = None


def _next(request: Request, *, offset: int, limit: int, total: int) -> str | None:
    if offset + limit >= total:
        return None
    params = dict(request.query_params)
    params.pop("token", None)
    params["offset"] = str(offset + limit)
    params["limit"] = str(limit)
    return str(request.url.replace_query_params(**params))


def _document(site, doc: Document, portal: Portal, meta: dict[str, Any] | None) -> DocumentOut:
    meta = meta or {}
    return DocumentOut(
        id=doc.id, portal=portal.name, url=doc.url, title=doc.title, status=doc.status, latest_seq=doc.latest_seq,  # type: ignore[arg-type]
        first_seen_at=labels.as_utc(doc.first_seen_at), last_checked_at=labels.as_utc(doc.last_checked_at),  # type: ignore[arg-type]
        last_changed_at=labels.as_utc(doc.last_changed_at), **{k: meta.get(k) for k in META_KEYS},
        review_url=f"{site.base_url}/documents/{doc.id}",
    )


def _change(site, row: queries.ChangeRow, *, include_ops: bool) -> ChangeOut:
    c: Change = row.change
    return ChangeOut(
        id=c.id, portal=row.portal.name, document_id=c.document_id,  # type: ignore[arg-type]
        document_url=row.document.url if row.document else None, title=row.document.title if row.document else None,
        kind=c.kind, events=list(c.events or [c.kind]), from_seq=c.from_seq, to_seq=c.to_seq,
        detected_at=labels.as_utc(c.detected_at), baseline=c.baseline, summary=c.summary,  # type: ignore[arg-type]
        line=labels.change_line(c.kind, c.summary, c.ops, c.targets), targets=list(c.targets or []),
        paragraphs=list(c.ops or []) if include_ops else None, review_url=f"{site.base_url}/changes/{c.id}",
    )


def _version(v: Version, paragraphs: list[str] | None, stored: list[dict[str, Any]] | None) -> VersionOut:
    """``stored``: the version's stored commitments (None: not stored; extracted here when the text is given)."""
    return VersionOut(
        seq=v.seq, fetched_at=labels.as_utc(v.fetched_at), title=v.title, content_hash=v.exact_hash,  # type: ignore[arg-type]
        semantic_hash=v.semantic_hash, final_url=v.final_url, meta=dict(v.meta or {}),
        commitments=(list(stored) if stored is not None
                     else to_rows(extract_commitments(paragraphs)) if paragraphs is not None else []),
        attachments=list(v.attachments or []), paragraphs=paragraphs,
    )


Limit = Query(50, ge=1, le=500, description="items per page")
Offset = Query(0, ge=0, description="items to skip")


@router.get("/documents", response_model=Page[DocumentOut], summary="Monitored documents, most recently changed first")
def documents(request: Request, portal: str | None = None, limit: int = Limit, offset: int = Offset):
    site = site_of(request)
    with site.session() as s:
        portal_id = None
        if portal:
            p = repo.get_portal(session=s, name=portal)
            if p is None:
                raise HTTPException(404, f"no portal named {portal!r}")
            portal_id = p.id
        rows, total = queries.list_documents(session=s, portal_id=portal_id, limit=limit, offset=offset)
        latest = {d.id: v for d, v in queries.latest_versions(session=s, document_ids=[d.id for d, _p in rows])}
        items = [_document(site, d, p, latest[d.id].meta if d.id in latest else None) for d, p in rows]
    return Page[DocumentOut](items=items, total=total, limit=limit, offset=offset,
                             next=_next(request, offset=offset, limit=limit, total=total))


@router.get("/documents/{document_id}", response_model=DocumentOut, summary="One document")
def document(request: Request, document_id: int):
    site = site_of(request)
    with site.session() as s:
        doc = queries.get_document_by_id(session=s, document_id=document_id)
        if doc is None:
            raise HTTPException(404, "no such document")
        portal = queries.get_portal_by_id(session=s, portal_id=doc.portal_id)
        latest = repo.latest_version(session=s, document_id=document_id)
        return _document(site, doc, portal, latest.meta if latest else None)  # type: ignore[arg-type]


@router.get("/documents/{document_id}/versions", response_model=Page[VersionOut],
            summary="Versions of a document, oldest first")
def versions(request: Request, document_id: int, include_text: bool = False, limit: int = Limit, offset: int = Offset):
    site = site_of(request)
    with site.session() as s:
        if queries.get_document_by_id(session=s, document_id=document_id) is None:
            raise HTTPException(404, "no such document")
        all_versions = repo.versions_of(session=s, document_id=document_id)
        chosen = all_versions[offset: offset + limit]
        items = [_version(v, repo.paragraphs_of(session=s, version=v) if include_text else None,
                          repo.version_commitments(session=s, version=v)) for v in chosen]
    total = len(all_versions)
    return Page[VersionOut](items=items, total=total, limit=limit, offset=offset,
                            next=_next(request, offset=offset, limit=limit, total=total))


@router.get("/changes", response_model=Page[ChangeOut], summary="Changes, newest first")
def changes(
    request: Request,
    portal: str | None = None,
    kind: str | None = Query(None, description="new, revised, formatting, reverted, withdrawn, target_changed, "
                             "deadline_changed or error"),
    since: date | None = Query(None, description="first day (Beijing time), inclusive"),
    until: date | None = Query(None, description="last day (Beijing time), inclusive"),
    q: str | None = Query(None, description="keyword in the title, URL or summary"),
    document_id: int | None = None,
    include_baseline: bool = True,
    include_ops: bool = False,
    limit: int = Limit,
    offset: int = Offset,
):
    site = site_of(request)
    with site.session() as s:
        portal_id = None
        if portal:
            p = repo.get_portal(session=s, name=portal)
            if p is None:
                raise HTTPException(404, f"no portal named {portal!r}")
            portal_id = p.id
        rows, total = queries.list_changes(
            session=s, portal_id=portal_id, kind=kind or None, keyword=q or None, document_id=document_id,
            since=labels.day_start_utc(since) if since else None,
            until=labels.day_start_utc(until + timedelta(days=1)) if until else None,
            include_baseline=include_baseline, limit=limit, offset=offset,
        )
        items = [_change(site, r, include_ops=include_ops) for r in rows]
    return Page[ChangeOut](items=items, total=total, limit=limit, offset=offset,
                           next=_next(request, offset=offset, limit=limit, total=total))


@router.get("/changes/{change_id}", response_model=ChangeOut, summary="One change, with its paragraph ops")
def change(request: Request, change_id: int):
    site = site_of(request)
    with site.session() as s:
        c = queries.get_change(session=s, change_id=change_id)
        if c is None:
            raise HTTPException(404, "no such change")
        portal = queries.get_portal_by_id(session=s, portal_id=c.portal_id)
        doc = queries.get_document_by_id(session=s, document_id=c.document_id) if c.document_id else None
        return _change(site, queries.ChangeRow(c, doc, portal), include_ops=True)  # type: ignore[arg-type]


@router.get("/commitments", response_model=Page[CommitmentOut],
            summary="Targets and deadlines in the newest version of each document")
def commitments(
    request: Request,
    document_id: int | None = None,
    kind: str | None = Query(None, description="target, deadline or threshold"),
    limit: int = Limit,
    offset: int = Offset,
):
    site = site_of(request)
    with site.session() as s:
        latest = queries.latest_commitments(session=s, document_id=document_id)
    chosen = [(doc_id, title, seq, c) for doc_id, title, seq, items in latest for c in items
              if not kind or c.get("kind") == kind]
    names = [k for k in CommitmentOut.model_fields if k not in ("document_id", "document_title", "seq")]
    items = []
    for doc_id, title, seq, c in chosen[offset: offset + limit]:
        values = {k: c.get(k) for k in names}
        if not isinstance(values.get("value"), (int, float, type(None))):
            values["value"] = None
        items.append(CommitmentOut(document_id=doc_id, document_title=title, seq=seq, **values))
    total = len(chosen)
    return Page[CommitmentOut](items=items, total=total, limit=limit, offset=offset,
                               next=_next(request, offset=offset, limit=limit, total=total))
