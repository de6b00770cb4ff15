"""`policywatch export --format json`: the whole database as one object (a contract; see README "Export")."""
from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

import storage
from notifier.send import mask_url
from storage import repo

from .commitments import ensure as ensure_commitments

META_KEYS = ("doc_number", "issuer", "written", "published")


def _iso(dt) -> str | None:
    return dt.isoformat() if dt else None


def export_json(engine: Engine) -> dict[str, Any]:
    with storage.session(engine) as s:
        documents = []
        for doc, portal in repo.all_documents(session=s):
            versions = repo.versions_of(session=s, document_id=doc.id)
            latest_meta = (versions[-1].meta or {}) if versions else {}
            documents.append(
                {
                    "portal": portal.name,
                    "url": doc.url,
                    "title": doc.title,
                    "status": doc.status,
                    **{k: latest_meta.get(k) for k in META_KEYS},
                    "first_seen_at": _iso(doc.first_seen_at),
                    "last_checked_at": _iso(doc.last_checked_at),
                    "versions": [
                        {
                            "seq": v.seq,
                            "fetched_at": _iso(v.fetched_at),
                            "content_hash": v.exact_hash,
                            "semantic_hash": v.semantic_hash,
                            "title": v.title,
                            "raw_sha256": v.raw_sha256,
                            **{k: (v.meta or {}).get(k) for k in META_KEYS},
                            "paragraphs": repo.paragraphs_of(session=s, version=v),
                            "commitments": ensure_commitments(s, v),
                        }
                        for v in versions
                    ],
                }
            )
        portals = {p.id: p.name for p in repo.list_portals(session=s)}
        urls = {d.id: d.url for d, _p in repo.all_documents(session=s)}
        changes = [
            {
                "id": c.id,
                "portal": portals.get(c.portal_id),
                "document_url": urls.get(c.document_id),
                "kind": c.kind,
                "from_seq": c.from_seq,
                "to_seq": c.to_seq,
                "detected_at": _iso(c.detected_at),
                "baseline": c.baseline,
                "events": c.events or [c.kind],
                "summary": c.summary,
                "paragraphs": c.ops or [],
                "targets": c.targets or [],
            }
            for c in repo.all_changes(session=s)
        ]
        deliveries = []
        for d in repo.list_deliveries(session=s):
            ids = repo.delivery_change_ids(session=s, delivery_id=d.id)
            deliveries.append(
                {
                    "id": d.id,
                    "change_id": ids[0] if len(ids) == 1 else None,
                    "change_ids": ids,
                    "kind": (d.note or {}).get("kind", "digest" if d.dedup_key.startswith("digest:") else "change"),
                    "subscription": d.subscription,
                    "url": mask_url(d.url),
                    "status": d.status,
                    "attempts": d.attempts,
                    "sent_at": _iso(d.sent_at),
                    "last_error": d.last_error,
                }
            )
        health = [
            {"name": p.name, "last_polled_at": _iso(p.last_polled_at), "last_success_at": _iso(p.last_success_at),
             "failures_in_row": p.failures_in_row, "last_error": p.last_error}
            for p in repo.list_portals(session=s)
        ]
        s.commit()  # commitments extracted on the way are kept
    return {"portals": health, "documents": documents, "changes": changes, "deliveries": deliveries}
