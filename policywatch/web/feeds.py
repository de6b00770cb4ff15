"""Atom feeds of changes: all, per portal, per subscription (the config's subscription filters, as notifications
use them). Baseline records (a portal's first crawl) are not changes a reader wants and are left out."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timezone

from fastapi import APIRouter, HTTPException, Request
from markupsafe import Markup
from starlette.responses import Response

from notifier.events import KINDS, Event
from notifier.subscriptions import Subscription, matches
from storage import queries, repo

from . import labels
from .marks import spans_html
from .pages import site_of
from .site import Site

router = APIRouter()
ATOM = "http://www.w3.org/2005/Atom"
ENTRIES = 50
#: Changed paragraphs quoted in an entry's content.
PARAGRAPHS = 5
#: A subscription feed scans at most this many recent changes to find its entries.
SCAN_LIMIT = 2000


def _entry_html(row: queries.ChangeRow) -> str:
    c = row.change
    parts = [Markup("<p><strong>{}</strong>：{}</p>").format(labels.kind_label(c.kind),
             labels.change_line(c.kind, c.summary, c.ops, c.targets))]
    lines = [x for x in (c.summary or "").splitlines() if x.strip()][1:]
    if lines:
        parts.append(Markup("<ul>{}</ul>").format(Markup("").join(Markup("<li>{}</li>").format(x) for x in lines)))
    counted = labels.ops_count_line(c.ops)
    if counted:
        parts.append(Markup("<p>{}</p>").format(counted))
    for op in (c.ops or [])[:PARAGRAPHS]:
        spans = op.get("spans") or [["insert" if op.get("op") == "insert" else "delete" if op.get("op") == "delete"
                                     else "equal", op.get("new") if op.get("new") is not None else op.get("old") or ""]]
        parts.append(Markup("<p>{}</p>").format(spans_html(spans, "both")))
    if len(c.ops or []) > PARAGRAPHS:
        parts.append(Markup("<p>……另有 {} 处变化</p>").format(len(c.ops or []) - PARAGRAPHS))
    if row.document is not None:
        parts.append(Markup("<p>原文：{}</p>").format(row.document.url))
    return str(Markup("").join(parts))


def atom(*, title: str, self_url: str, site_url: str, rows: list[queries.ChangeRow], base_url: str) -> bytes:
    """An Atom 1.0 document for ``rows`` (newest first). Text goes through ElementTree, which escapes it."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = title
    ET.SubElement(feed, f"{{{ATOM}}}id").text = self_url
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url, type="application/atom+xml")
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", href=site_url, type="text/html")
    newest = max((labels.as_utc(r.change.detected_at) for r in rows), default=None) or datetime(2000, 1, 1, tzinfo=timezone.utc)
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = newest.isoformat()
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "policywatch"
    for row in rows:
        c = row.change
        link = f"{base_url}/changes/{c.id}"
        doc_title = row.document.title if row.document is not None else row.portal.name
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}title").text = f"【{labels.kind_label(c.kind)}】{doc_title}"
        ET.SubElement(entry, f"{{{ATOM}}}id").text = link
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=link, type="text/html")
        when = labels.as_utc(c.detected_at).isoformat()  # type: ignore[union-attr]
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = when
        ET.SubElement(entry, f"{{{ATOM}}}published").text = when
        ET.SubElement(entry, f"{{{ATOM}}}category", term=c.kind, label=labels.kind_label(c.kind))
        ET.SubElement(entry, f"{{{ATOM}}}category", term=f"portal:{row.portal.name}", label=row.portal.name)
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = labels.change_line(c.kind, c.summary, c.ops, c.targets)
        ET.SubElement(entry, f"{{{ATOM}}}content", type="html").text = _entry_html(row)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8", xml_declaration=False)


def _response(site: Site, request: Request, *, title: str, site_path: str, rows: list[queries.ChangeRow]) -> Response:
    body = atom(title=title, self_url=site.base_url + request.url.path, site_url=site.base_url + site_path, rows=rows,
                base_url=site.base_url)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@router.get("/feeds/changes.atom", include_in_schema=False)
def all_changes(request: Request):
    site = site_of(request)
    with site.session() as s:
        rows, _ = queries.list_changes(session=s, include_baseline=False, limit=ENTRIES)
    return _response(site, request, title="policywatch：全部变更", site_path="/changes", rows=rows)


@router.get("/feeds/portals/{name}.atom", include_in_schema=False)
def portal_changes(request: Request, name: str):
    site = site_of(request)
    with site.session() as s:
        portal = repo.get_portal(session=s, name=name)
        if portal is None:
            raise HTTPException(404, f"没有名为“{name}”的门户")
        rows, _ = queries.list_changes(session=s, portal_id=portal.id, include_baseline=False, limit=ENTRIES)
    return _response(site, request, title=f"policywatch：{name} 的变更", site_path=f"/portals/{name}", rows=rows)


def _subscription(site: Site, name: str) -> Subscription:
    for sub in getattr(site.config, "subscriptions", []):
        if sub.name == name:
            return Subscription(name=sub.name, urls=tuple(sub.urls), portals=tuple(sub.portals),
                                events=tuple(sub.events), keywords=tuple(sub.keywords), mode=sub.mode)
    raise HTTPException(404, f"配置中没有名为“{name}”的订阅")


def _event(row: queries.ChangeRow, text: str) -> Event | None:
    c = row.change
    if c.kind not in KINDS:
        return None
    return Event(
        kind=c.kind, portal=row.portal.name, title=row.document.title if row.document else row.portal.name,
        url=row.document.url if row.document else "", review_url=None, detected_at=c.detected_at,
        tags=frozenset(c.events or [c.kind]), text=text, change_id=c.id,
    )


@router.get("/feeds/subscriptions/{name}.atom", include_in_schema=False)
def subscription_changes(request: Request, name: str):
    """The changes this subscription would be notified of, newest first."""
    site = site_of(request)
    sub = _subscription(site, name)
    picked: list[queries.ChangeRow] = []
    with site.session() as s:
        before: int | None = None
        scanned = 0
        while len(picked) < ENTRIES and scanned < SCAN_LIMIT:
            rows, _ = queries.list_changes(session=s, include_baseline=False, before_id=before, limit=200)
            if not rows:
                break
            for row in rows:
                text = ""
                if sub.keywords and row.document is not None and row.change.to_seq is not None:
                    version = repo.get_version(session=s, document_id=row.document.id, seq=row.change.to_seq)  # type: ignore[arg-type]
                    text = "\n".join(repo.paragraphs_of(session=s, version=version)) if version else ""
                event = _event(row, text)
                if event is not None and matches(sub, event):
                    picked.append(row)
                    if len(picked) >= ENTRIES:
                        break
            scanned += len(rows)
            before = min(r.change.id for r in rows)  # type: ignore[type-var]
    picked.sort(key=lambda r: (labels.as_utc(r.change.detected_at), r.change.id), reverse=True)
    return _response(site, request, title=f"policywatch：订阅“{name}”", site_path="/feeds", rows=picked)

