"""The review pages: a change (the link in every notification), the diff of any two versions, and the plain text
of a version for download."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from starlette.responses import HTMLResponse, PlainTextResponse

from diffing import diff_paragraphs
from storage import Change, queries, repo

from . import labels
from .diffview import build_view
from .pages import document_context, site_of
from .site import Site

router = APIRouter()


def target_lines(summary: str, targets: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    """The target/deadline lines shown above a diff, each with a css class: the change's own summary lines (one per
    target change, written when it was detected), else lines made from the stored target changes."""
    targets = list(targets or [])
    lines = [x.strip() for x in (summary or "").splitlines() if x.strip()]
    out = []
    for k, t in enumerate(targets):
        text = lines[k] if k < len(lines) else labels.target_line(t)
        cls = "deadline" if t.get("change") == "deadline_changed" else "target"
        out.append({"cls": cls, "text": text})
    for extra in lines[len(targets):]:
        out.append({"cls": "note", "text": extra})
    return out


def _commitments(rows: list[dict[str, Any]] | None, paragraphs: list[str]) -> list[Any]:
    """A version's commitments as ``Commitment``s: rebuilt from the stored ones (``rows``: what was extracted when
    the version was stored, and no extraction cost), else extracted now."""
    from diffing.targets import extract_commitments

    from ..commitments import from_rows

    return extract_commitments(paragraphs) if rows is None else from_rows(rows)


def _computed_targets(
    old_rows: list[dict[str, Any]] | None, new_rows: list[dict[str, Any]] | None, old: list[str], new: list[str],
) -> tuple[list[dict[str, str]], bool]:
    """Target changes between two arbitrary versions, if the targets module is installed."""
    try:
        from diffing.targets import compare_commitments
    except ImportError:
        return [], False
    changes = compare_commitments(_commitments(old_rows, old), _commitments(new_rows, new))
    return target_lines("\n".join(c.summary_zh() for c in changes), [c.to_json() for c in changes]), True


def _diff_response(
    request: Request, site: Site, *, document_id: int, from_seq: int, to_seq: int, change: Change | None,
    view: str, full: bool,
) -> HTMLResponse:
    with site.session() as s:
        doc = queries.get_document_by_id(session=s, document_id=document_id)
        if doc is None:
            raise HTTPException(404, "没有这份文件")
        portal = queries.get_portal_by_id(session=s, portal_id=doc.portal_id)
        versions = repo.versions_of(session=s, document_id=document_id)
        old_v = next((v for v in versions if v.seq == from_seq), None)
        new_v = next((v for v in versions if v.seq == to_seq), None)
        if old_v is None or new_v is None:
            raise HTTPException(404, f"这份文件没有第 {from_seq if old_v is None else to_seq} 版")
        old = repo.paragraphs_of(session=s, version=old_v)
        new = repo.paragraphs_of(session=s, version=new_v)
        old_rows = repo.version_commitments(session=s, version=old_v, paragraphs=old)
        new_rows = repo.version_commitments(session=s, version=new_v, paragraphs=new)
        stored = change
        if stored is None and to_seq == from_seq + 1:
            found = queries.change_for_versions(session=s, document_id=document_id, to_seq=to_seq)
            stored = found if found is not None and found.from_seq == from_seq else None
    if change is not None and change.ops is not None:
        ops: list = list(change.ops)
    else:
        ops = diff_paragraphs(old, new)
    if stored is not None:
        lines, targets_known = target_lines(stored.summary, stored.targets), True
    else:
        lines, targets_known = _computed_targets(old_rows, new_rows, old, new)
    dv = build_view(old, new, ops, full=full)
    path = f"/changes/{change.id}" if change is not None else f"/documents/{document_id}/diff"
    base_query = "" if change is not None else f"?from={from_seq}&to={to_seq}"
    sep = "&" if base_query else "?"
    links = {
        "permalink": site.base_url + path + base_query,
        "side": path + base_query + (f"{sep}full=1" if full else ""),
        "inline": path + base_query + f"{sep}view=inline" + ("&full=1" if full else ""),
        "full": path + base_query + (f"{sep}view=inline&full=1" if view == "inline" else f"{sep}full=1"),
        "folded": path + base_query + (f"{sep}view=inline" if view == "inline" else ""),
    }
    return site.render(
        request, "diff.html", nav="changes", doc=doc, portal=portal, old_v=old_v, new_v=new_v, versions=versions,
        dv=dv, lines=lines, targets_known=targets_known, change=change, stored=stored, view=view, full=full,
        links=links,
    )


@router.get("/documents/{document_id}/diff", response_class=HTMLResponse, include_in_schema=False)
def diff_page(request: Request, document_id: int, view: str = "side", full: str | None = None):
    """``?from=N&to=M`` (``from`` is a Python keyword, so read from the query directly)."""
    site = site_of(request)
    params = request.query_params
    try:
        from_seq, to_seq = int(params.get("from", "")), int(params.get("to", ""))
    except ValueError:
        raise HTTPException(400, "请用 ?from=版本号&to=版本号 指定要比较的两个版本") from None
    return _diff_response(request, site, document_id=document_id, from_seq=from_seq, to_seq=to_seq, change=None,
                          view="inline" if view == "inline" else "side", full=bool(full))


@router.get("/changes/{change_id}", response_class=HTMLResponse, include_in_schema=False)
def change_page(request: Request, change_id: int, view: str = "side", full: str | None = None):
    """The review link of a notification: the diff for a revision, the document for a new one, a notice for a
    withdrawn document or a portal-level event."""
    site = site_of(request)
    with site.session() as s:
        change = queries.get_change(session=s, change_id=change_id)
        if change is None:
            raise HTTPException(404, f"没有编号为 {change_id} 的变更")
        portal = queries.get_portal_by_id(session=s, portal_id=change.portal_id)
    if change.document_id is None:
        return site.render(request, "event.html", nav="changes", change=change, portal=portal,
                           line=labels.change_line(change.kind, change.summary, change.ops, change.targets))
    if change.from_seq is not None and change.to_seq is not None:
        return _diff_response(request, site, document_id=change.document_id, from_seq=change.from_seq,
                              to_seq=change.to_seq, change=change, view="inline" if view == "inline" else "side",
                              full=bool(full))
    context = document_context(site, change.document_id, change.to_seq)
    return site.render(request, "document.html", nav="changes", banner=change, **context)


@router.get("/documents/{document_id}/versions/{seq}.txt", include_in_schema=False)
def version_text(request: Request, document_id: int, seq: int):
    """The paragraphs of one version as published, one per line, as a UTF-8 download."""
    site = site_of(request)
    with site.session() as s:
        version = repo.get_version(session=s, document_id=document_id, seq=seq)
        if version is None:
            raise HTTPException(404, f"这份文件没有第 {seq} 版")
        text = "\n".join(repo.paragraphs_of(session=s, version=version)) + "\n"
    filename = f"document-{document_id}-v{seq}.txt"
    return PlainTextResponse(
        text, media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"},
    )
