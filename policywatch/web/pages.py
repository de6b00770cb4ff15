"""HTML pages: changes, portals, documents, search, the feed list and the API overview. Diff and review pages
live in ``review``."""
from __future__ import annotations

from datetime import date, timedelta

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import HTMLResponse

from storage import queries, repo

from ..commitments import ensure as commitment_rows
from . import labels
from .marks import mark_commitments, snippet
from .site import PER_PAGE, Site, page_number, pager, query

router = APIRouter()


def site_of(request: Request) -> Site:
    return request.app.state.site


def _day(raw: str | None) -> date | None:
    """A 'YYYY-MM-DD' form field, or None when empty or not a date (a filter never errors out)."""
    try:
        return date.fromisoformat(raw.strip()) if raw and raw.strip() else None
    except ValueError:
        return None


def change_items(rows: list[queries.ChangeRow]) -> list[dict]:
    """Template-ready change rows."""
    return [
        {
            "id": r.change.id,
            "kind": r.change.kind,
            "events": [e for e in (r.change.events or []) if e in ("target_changed", "deadline_changed")],
            "baseline": r.change.baseline,
            "detected_at": r.change.detected_at,
            "portal": r.portal.name,
            "document": r.document,
            "line": labels.change_line(r.change.kind, r.change.summary, r.change.ops, r.change.targets),
            "more": max(0, len([x for x in (r.change.summary or "").splitlines() if x.strip()]) - 1),
        }
        for r in rows
    ]


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
@router.get("/changes", response_class=HTMLResponse, include_in_schema=False)
def changes_page(request: Request, portal: str | None = None, kind: str | None = None, since: str | None = None,
                 until: str | None = None, q: str | None = None, page: str | None = None):
    site = site_of(request)
    number = page_number(page)
    since_day, until_day = _day(since), _day(until)
    kind = kind if kind in labels.KIND_LABELS else None
    q = (q or "").strip() or None
    with site.session() as s:
        portals = repo.list_portals(session=s)
        portal_row = next((p for p in portals if p.name == portal), None)
        rows, total = queries.list_changes(
            session=s,
            portal_id=portal_row.id if portal_row else None,
            kind=kind,
            since=labels.day_start_utc(since_day) if since_day else None,
            until=labels.day_start_utc(until_day + timedelta(days=1)) if until_day else None,
            keyword=q,
            limit=PER_PAGE,
            offset=(number - 1) * PER_PAGE,
        )
        items = change_items(rows)
    filtered = bool(portal_row or kind or since_day or until_day or q)
    return site.render(
        request, "changes.html", nav="changes", items=items, pager=pager(request, page=number, total=total),
        portals=[p.name for p in portals], kinds=labels.FILTER_KINDS,
        form={"portal": portal_row.name if portal_row else "", "kind": kind or "",
              "since": since_day.isoformat() if since_day else "", "until": until_day.isoformat() if until_day else "",
              "q": q or ""},
        filtered=filtered, feed_url=("/feeds/portals/" + portal_row.name + ".atom") if portal_row else "/feeds/changes.atom",
    )


@router.get("/portals", response_class=HTMLResponse, include_in_schema=False)
def portals_page(request: Request):
    site = site_of(request)
    now = site.now()
    with site.session() as s:
        health = queries.portal_health(session=s)
    rows = []
    for h in health:
        p = h.portal
        if p.failures_in_row:
            state, state_label = "bad", f"连续失败 {p.failures_in_row} 次"
        elif p.last_success_at is None:
            state, state_label = "idle", "尚未成功抓取"
        else:
            state, state_label = "ok", "正常"
        rows.append({
            "name": p.name, "state": state, "state_label": state_label,
            "last_success": labels.relative_age(p.last_success_at, now), "last_success_at": p.last_success_at,
            "failures": p.failures_in_row, "documents": h.documents,
            "last_change": labels.relative_age(h.last_change_at, now) if h.last_change_at else "—",
            "last_change_at": h.last_change_at, "last_error": p.last_error,
        })
    return site.render(request, "portals.html", nav="portals", rows=rows)


@router.get("/portals/{name}", response_class=HTMLResponse, include_in_schema=False)
def portal_page(request: Request, name: str, page: str | None = None):
    site = site_of(request)
    number = page_number(page)
    with site.session() as s:
        portal = repo.get_portal(session=s, name=name)
        if portal is None:
            raise HTTPException(404, f"没有名为“{name}”的门户")
        docs, total = queries.list_documents(session=s, portal_id=portal.id, limit=PER_PAGE, offset=(number - 1) * PER_PAGE)
        changes, _ = queries.list_changes(session=s, portal_id=portal.id, limit=10)
        errors = queries.recent_fetch_errors(session=s, portal_id=portal.id, limit=10)
        items = change_items(changes)
    return site.render(
        request, "portal.html", nav="portals", portal=portal, docs=[d for d, _p in docs], changes=items,
        errors=errors, pager=pager(request, page=number, total=total), now=site.now(),
    )


@router.get("/documents", response_class=HTMLResponse, include_in_schema=False)
def documents_page(request: Request, page: str | None = None):
    site = site_of(request)
    number = page_number(page)
    with site.session() as s:
        docs, total = queries.list_documents(session=s, limit=PER_PAGE, offset=(number - 1) * PER_PAGE)
    return site.render(request, "documents.html", nav="documents", docs=docs,
                       pager=pager(request, page=number, total=total))


def document_context(site: Site, document_id: int, seq: int | None) -> dict:
    """Everything the document page shows for version ``seq`` (default: the newest)."""
    with site.session() as s:
        doc = queries.get_document_by_id(session=s, document_id=document_id)
        if doc is None:
            raise HTTPException(404, "没有这份文件")
        portal = queries.get_portal_by_id(session=s, portal_id=doc.portal_id)
        versions = repo.versions_of(session=s, document_id=doc.id)  # type: ignore[arg-type]
        version = next((v for v in versions if v.seq == seq), None) if seq is not None else (versions[-1] if versions else None)
        if seq is not None and version is None:
            raise HTTPException(404, f"这份文件没有第 {seq} 版")
        paragraphs = repo.paragraphs_of(session=s, version=version) if version else []
        commitments = commitment_rows(s, version, paragraphs) if version else []
        s.commit()
        changes = queries.changes_of_document(session=s, document_id=doc.id)  # type: ignore[arg-type]
    by_seq = {c.to_seq: c for c in changes if c.to_seq is not None}
    timeline = [
        {"version": v, "change": by_seq.get(v.seq),
         "line": labels.change_line(by_seq[v.seq].kind, by_seq[v.seq].summary, by_seq[v.seq].ops, by_seq[v.seq].targets)
         if v.seq in by_seq else ""}
        for v in reversed(versions)
    ]
    meta = (version.meta or {}) if version else {}
    return {
        "doc": doc, "portal": portal, "version": version, "versions": versions, "latest": versions[-1] if versions else None,
        "paragraphs": mark_commitments(paragraphs, commitments), "commitments": commitments,
        "meta": meta, "attachments": (version.attachments or []) if version else [], "timeline": timeline,
        "withdrawn": [c for c in changes if c.kind == "withdrawn"],
    }


@router.get("/documents/{document_id}", response_class=HTMLResponse, include_in_schema=False)
def document_page(request: Request, document_id: int, v: str | None = None):
    site = site_of(request)
    seq = int(v) if v and v.isdigit() else None
    context = document_context(site, document_id, seq)
    return site.render(request, "document.html", nav="documents", banner=None, **context)


@router.get("/search", response_class=HTMLResponse, include_in_schema=False)
def search_page(request: Request, q: str | None = None):
    site = site_of(request)
    q = (q or "").strip()
    titles: list = []
    texts: list = []
    if q:
        with site.session() as s:
            titles = queries.search_titles(session=s, q=q, limit=50)
            hits = queries.search_text(session=s, q=q, limit=50)
        seen = {d.id for d, _p in titles}
        texts = [{"hit": h, "snippet": snippet(h.paragraph, q)} for h in hits if h.document.id not in seen]
        title_hits = {h.document.id: h for h in hits}
        titles = [{"doc": d, "portal": p, "hit": title_hits.get(d.id),
                   "snippet": snippet(title_hits[d.id].paragraph, q) if d.id in title_hits else None}
                  for d, p in titles]
    return site.render(request, "search.html", nav="search", q=q, titles=titles, texts=texts)


@router.get("/feeds", response_class=HTMLResponse, include_in_schema=False)
def feeds_page(request: Request):
    site = site_of(request)
    with site.session() as s:
        portals = [p.name for p in repo.list_portals(session=s)]
    subscriptions = [sub.name for sub in getattr(site.config, "subscriptions", [])]
    return site.render(request, "feeds.html", nav="feeds", portals=portals, subscriptions=subscriptions,
                       base=site.base_url, token_needed=bool(site.token))


@router.get("/api", response_class=HTMLResponse, include_in_schema=False)
def api_page(request: Request):
    site = site_of(request)
    return site.render(request, "api.html", nav="api", base=site.base_url, query=query)
