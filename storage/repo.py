"""Keyword-only persistence functions. Each takes the session; callers own the transaction (commit/rollback),
so a document's version, change and deliveries are written together or not at all."""
from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, update
from sqlmodel import Session, col, select

from .models import Blob, Change, Delivery, DeliveryChange, Document, FetchError, Paragraph, Portal, Version


# --- portals and documents -------------------------------------------------------------------------------------
def get_or_create_portal(*, session: Session, name: str, now: datetime) -> Portal:
    portal = session.exec(select(Portal).where(Portal.name == name)).first()
    if portal is None:
        portal = Portal(name=name, created_at=now)
        session.add(portal)
        session.flush()
    return portal


def get_portal(*, session: Session, name: str) -> Portal | None:
    return session.exec(select(Portal).where(Portal.name == name)).first()


def list_portals(*, session: Session) -> list[Portal]:
    return list(session.exec(select(Portal).order_by(Portal.name)))


def portal_documents(*, session: Session, portal_id: int) -> list[Document]:
    return list(session.exec(select(Document).where(Document.portal_id == portal_id).order_by(Document.id)))


def get_document(*, session: Session, url: str) -> Document | None:
    return session.exec(select(Document).where(Document.url == url)).first()


def create_document(*, session: Session, portal_id: int, url: str, title: str, now: datetime) -> Document:
    doc = Document(portal_id=portal_id, url=url, title=title, first_seen_at=now)
    session.add(doc)
    session.flush()
    return doc


# --- content-addressed blobs and paragraphs --------------------------------------------------------------------
def put_blob(*, session: Session, data: bytes) -> str:
    """Store raw bytes once (zlib-compressed), return their SHA-256."""
    digest = hashlib.sha256(data).hexdigest()
    if session.get(Blob, digest) is None:
        session.add(Blob(sha256=digest, size=len(data), codec="zlib", data=zlib.compress(data, 6)))
        session.flush()
    return digest


SKEL_PREFIX = "skel-zlib:"
_MARK = "\x00"


def _skeleton(text: str, paragraphs: Sequence[tuple[int, str]]) -> str | None:
    """The page text with each paragraph's first occurrence (in order) replaced by NUL<id>NUL; None if unusable."""
    if _MARK in text:
        return None
    pieces: list[str] = []
    cursor = 0
    for pid, para in paragraphs:
        if len(para) < 8:  # short texts (headings, 一、) are cheaper left in place
            continue
        at = text.find(para, cursor)
        if at < 0:
            continue
        pieces += [text[cursor:at], f"{_MARK}{pid}{_MARK}"]
        cursor = at + len(para)
    pieces.append(text[cursor:])
    return "".join(pieces)


def _unskeleton(session: Session, skeleton: str) -> str:
    parts = skeleton.split(_MARK)
    ids = [int(p) for p in parts[1::2]]
    texts: dict[int, str] = {}
    for i in range(0, len(ids), 500):
        for pid, text in session.exec(select(Paragraph.id, Paragraph.text).where(col(Paragraph.id).in_(ids[i : i + 500]))):
            texts[pid] = text
    parts[1::2] = [texts[i] for i in ids]
    return "".join(parts)


MAX_DELTA_DEPTH = 32


def _skeleton_bytes(session: Session, blob: Blob) -> bytes:
    """The uncompressed skeleton of a skel blob, following its base chain."""
    if blob.base_sha256 is None:
        return zlib.decompress(blob.data)
    base = session.get(Blob, blob.base_sha256)
    assert base is not None, f"blob {blob.sha256} lost its base {blob.base_sha256}"
    d = zlib.decompressobj(zdict=_skeleton_bytes(session, base)[-32768:])
    return d.decompress(blob.data) + d.flush()


def skeleton_paragraph_ids(*, session: Session, blob: Blob) -> set[int]:
    """The paragraph ids a skeleton blob refers to (empty for a plain blob); gc keeps those paragraphs."""
    if not blob.codec.startswith(SKEL_PREFIX):
        return set()
    return {int(p) for p in _skeleton_bytes(session, blob).decode("utf-8").split(_MARK)[1::2]}


def put_raw(
    *, session: Session, data: bytes, encoding: str | None, paragraphs: Sequence[tuple[int, str]],
    base: str | None = None,
) -> str:
    """Store a raw response body once, content-addressed by the SHA-256 of its bytes.

    The main text is already stored paragraph by paragraph, so the body is kept as a "skeleton": the decoded page
    with each stored paragraph replaced by a reference, zlib-compressed — about a quarter of compressing the whole
    page. It is used only when rebuilding it gives back the exact bytes (checked here); otherwise plain zlib.
    With ``base`` (the previous version's body), the skeleton is compressed with the base's skeleton as zlib's
    preset dictionary, so a revision's page template costs a few hundred bytes; chains stop at MAX_DELTA_DEPTH.
    """
    digest = hashlib.sha256(data).hexdigest()
    if session.get(Blob, digest) is not None:
        return digest
    codec, payload = "zlib", data
    if encoding:
        try:
            text = data.decode(encoding)
            skeleton = _skeleton(text, paragraphs) if text.encode(encoding) == data else None
        except (LookupError, UnicodeError):
            skeleton = None
        if skeleton is not None and skeleton != text:
            by_id = dict(paragraphs)
            rebuilt = "".join(by_id[int(p)] if i % 2 else p for i, p in enumerate(skeleton.split(_MARK)))
            if rebuilt.encode(encoding) == data:
                codec, payload = SKEL_PREFIX + encoding, skeleton.encode("utf-8")
    base_blob = session.get(Blob, base) if base and codec != "zlib" else None
    if base_blob is not None and base_blob.codec.startswith(SKEL_PREFIX) and base_blob.depth < MAX_DELTA_DEPTH:
        c = zlib.compressobj(6, zdict=_skeleton_bytes(session, base_blob)[-32768:])
        blob = Blob(sha256=digest, size=len(data), codec=codec, data=c.compress(payload) + c.flush(),
                    base_sha256=base_blob.sha256, depth=base_blob.depth + 1)
    else:
        blob = Blob(sha256=digest, size=len(data), codec=codec, data=zlib.compress(payload, 6))
    session.add(blob)
    session.flush()
    return digest


def read_blob(*, session: Session, sha256: str) -> bytes | None:
    blob = session.get(Blob, sha256)
    if blob is None:
        return None
    if blob.codec == "zlib":
        return zlib.decompress(blob.data)
    if blob.codec.startswith(SKEL_PREFIX):
        encoding = blob.codec[len(SKEL_PREFIX) :]
        return _unskeleton(session, _skeleton_bytes(session, blob).decode("utf-8")).encode(encoding)
    return bytes(blob.data)


def put_paragraphs(*, session: Session, texts: Sequence[str]) -> list[int]:
    """Store each distinct paragraph text once; return the ids in the given order."""
    hashes = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
    wanted = list(dict.fromkeys(hashes))
    known: dict[str, int] = {}
    for i in range(0, len(wanted), 500):
        rows = session.exec(select(Paragraph.sha256, Paragraph.id).where(col(Paragraph.sha256).in_(wanted[i : i + 500])))
        known.update({h: pid for h, pid in rows})
    missing = {h: t for h, t in zip(hashes, texts) if h not in known}
    if missing:  # one INSERT ... RETURNING for all new paragraphs (SQLite >= 3.35 and PostgreSQL)
        session.flush()
        rows = session.execute(
            insert(Paragraph).returning(Paragraph.sha256, Paragraph.id),  # type: ignore[arg-type]
            [{"sha256": h, "text": t} for h, t in missing.items()],
        )
        known.update({h: pid for h, pid in rows})
    return [known[h] for h in hashes]


def paragraphs_of(*, session: Session, version: Version) -> list[str]:
    ids = list(version.paragraph_ids or [])
    if not ids:
        return []
    texts: dict[int, str] = {}
    distinct = list(set(ids))
    for i in range(0, len(distinct), 500):
        for pid, text in session.exec(select(Paragraph.id, Paragraph.text).where(col(Paragraph.id).in_(distinct[i : i + 500]))):
            texts[pid] = text
    return [texts[i] for i in ids]


# --- versions and changes --------------------------------------------------------------------------------------
def latest_version(*, session: Session, document_id: int) -> Version | None:
    return session.exec(
        select(Version).where(Version.document_id == document_id).order_by(col(Version.seq).desc())
    ).first()


def latest_attachments(*, session: Session, portal_id: int) -> dict[int, list[dict[str, Any]]]:
    """document id -> the attachments of its latest version, for the documents of a portal that have any."""
    q = (
        select(Version.document_id, Version.attachments)
        .join(Document, (col(Document.id) == col(Version.document_id)) & (col(Document.latest_seq) == col(Version.seq)))
        .where(col(Document.portal_id) == portal_id, col(Version.attachments).is_not(None))
    )
    return {doc_id: list(rows or []) for doc_id, rows in session.exec(q)}


def versions_of(*, session: Session, document_id: int) -> list[Version]:
    return list(session.exec(select(Version).where(Version.document_id == document_id).order_by(Version.seq)))


def get_version(*, session: Session, document_id: int, seq: int) -> Version | None:
    return session.exec(select(Version).where(Version.document_id == document_id, Version.seq == seq)).first()


def add_version(
    *,
    session: Session,
    document: Document,
    fetched_at: datetime,
    title: str,
    paragraphs: Sequence[str],
    exact_hash: str,
    semantic_hash: str,
    raw: bytes | None = None,
    final_url: str | None = None,
    encoding: str | None = None,
    headers: dict[str, str] | None = None,
    meta: dict[str, str] | None = None,
    commitments: list[dict[str, Any]] | None = None,
    attachments: list[dict[str, Any]] | None = None,
) -> Version:
    seq = document.latest_seq + 1
    previous = latest_version(session=session, document_id=document.id) if document.latest_seq else None  # type: ignore[arg-type]
    paragraph_ids = put_paragraphs(session=session, texts=paragraphs)
    version = Version(
        document_id=document.id,  # type: ignore[arg-type]
        seq=seq,
        fetched_at=fetched_at,
        title=title,
        exact_hash=exact_hash,
        semantic_hash=semantic_hash,
        paragraph_ids=paragraph_ids,
        raw_sha256=(
            put_raw(session=session, data=raw, encoding=encoding, paragraphs=list(zip(paragraph_ids, paragraphs)),
                    base=previous.raw_sha256 if previous else None)
            if raw is not None else None
        ),
        final_url=final_url,
        encoding=encoding,
        headers=headers,
        meta=meta,
        attachments=attachments,
    )
    version.commitments = commitments
    if previous is not None and previous.commitments_z is not None:
        previous.commitments = None  # a derived cache: kept for the latest version only, re-extracted on demand
        session.add(previous)
    session.add(version)
    document.latest_seq = seq
    document.last_changed_at = fetched_at
    session.add(document)
    session.flush()
    return version


def add_change(
    *,
    session: Session,
    portal_id: int,
    kind: str,
    detected_at: datetime,
    document_id: int | None = None,
    from_seq: int | None = None,
    to_seq: int | None = None,
    ops: list[dict[str, Any]] | None = None,
    targets: list[dict[str, Any]] | None = None,
    events: list[str] | None = None,
    summary: str = "",
    baseline: bool = False,
) -> Change:
    change = Change(
        portal_id=portal_id, document_id=document_id, kind=kind, from_seq=from_seq, to_seq=to_seq,
        detected_at=detected_at, events=events or [kind], summary=summary, baseline=baseline,
    )
    change.ops = ops or []
    change.targets = targets or []
    session.add(change)
    session.flush()
    return change


def changes_since(*, session: Session, since_id: int = 0, portal_id: int | None = None) -> list[Change]:
    q = select(Change).where(Change.id > since_id)
    if portal_id is not None:
        q = q.where(Change.portal_id == portal_id)
    return list(session.exec(q.order_by(Change.id)))


def record_fetch_error(
    *, session: Session, portal_id: int, url: str, stage: str, kind: str, reason: str, status: int | None,
    fetched_at: datetime,
) -> FetchError:
    row = FetchError(portal_id=portal_id, url=url, stage=stage, kind=kind, reason=reason, status=status, fetched_at=fetched_at)
    session.add(row)
    session.flush()
    return row


# --- the outbox ------------------------------------------------------------------------------------------------
def enqueue_delivery(
    *, session: Session, subscription: str, url: str, dedup_key: str, change_ids: Iterable[int], now: datetime,
    note: dict[str, Any] | None = None,
) -> Delivery | None:
    """Add one outbox row unless one with the same key, subscription and URL exists. Returns the new row or None."""
    exists = session.exec(
        select(Delivery.id).where(
            Delivery.dedup_key == dedup_key, Delivery.subscription == subscription, Delivery.url == url
        )
    ).first()
    if exists is not None:
        return None
    delivery = Delivery(
        subscription=subscription, url=url, dedup_key=dedup_key, created_at=now, next_attempt_at=now, note=note
    )
    session.add(delivery)
    session.flush()
    for cid in dict.fromkeys(change_ids):
        session.add(DeliveryChange(delivery_id=delivery.id, change_id=cid))  # type: ignore[arg-type]
    session.flush()
    return delivery


def add_to_digest(
    *, session: Session, subscription: str, url: str, dedup_key: str, change_id: int, now: datetime,
    send_at: datetime | None = None,
) -> Delivery:
    """Add a change to the subscription's open digest (status 'collecting', sent from ``send_at`` on — default
    ``now``, i.e. at the end of this run), creating it if needed."""
    delivery = session.exec(
        select(Delivery).where(
            Delivery.dedup_key == dedup_key, Delivery.subscription == subscription, Delivery.url == url
        )
    ).first()
    if delivery is None:
        delivery = Delivery(
            subscription=subscription, url=url, dedup_key=dedup_key, created_at=now, next_attempt_at=send_at or now,
            status="collecting",
        )
        session.add(delivery)
        session.flush()
    if session.get(DeliveryChange, (delivery.id, change_id)) is None:
        session.add(DeliveryChange(delivery_id=delivery.id, change_id=change_id))  # type: ignore[arg-type]
        session.flush()
    return delivery


def close_digests(*, session: Session, now: datetime) -> int:
    """Make collecting digests whose send time has come sendable."""
    stmt = update(Delivery).where(col(Delivery.status) == "collecting", col(Delivery.next_attempt_at) <= now)
    result = session.exec(stmt.values(status="pending"))  # type: ignore[call-overload]
    return result.rowcount or 0


def release_orphaned_deliveries(*, session: Session) -> int:
    """Put rows left in 'sending' by a process that died back to 'pending' (call only while holding the run lock)."""
    result = session.exec(  # type: ignore[call-overload]
        update(Delivery).where(col(Delivery.status) == "sending").values(status="pending")
    )
    return result.rowcount or 0


def due_deliveries(*, session: Session, now: datetime, ignore_backoff: bool = False) -> list[Delivery]:
    q = select(Delivery).where(Delivery.status == "pending")
    if not ignore_backoff:
        q = q.where(Delivery.next_attempt_at <= now)
    return list(session.exec(q.order_by(Delivery.id)))


def claim_delivery(*, session: Session, delivery_id: int, now: datetime) -> bool:
    """Atomically move a pending row to 'sending' and count the attempt. False if someone else claimed it."""
    result = session.exec(  # type: ignore[call-overload]
        update(Delivery)
        .where(col(Delivery.id) == delivery_id, col(Delivery.status) == "pending")
        .values(status="sending", claimed_at=now, attempts=Delivery.attempts + 1)
    )
    return (result.rowcount or 0) == 1


def finish_delivery(
    *, session: Session, delivery_id: int, ok: bool, error: str | None, now: datetime, max_attempts: int,
    backoff: timedelta,
) -> Delivery:
    delivery = session.get(Delivery, delivery_id)
    assert delivery is not None
    session.refresh(delivery)
    if ok:
        delivery.status, delivery.sent_at, delivery.last_error = "sent", now, None
    elif delivery.attempts >= max_attempts:
        delivery.status, delivery.last_error = "failed", error
    else:
        delivery.status, delivery.last_error = "pending", error
        delivery.next_attempt_at = now + backoff * (2 ** max(0, delivery.attempts - 1))
    session.add(delivery)
    session.flush()
    return delivery


def delivery_change_ids(*, session: Session, delivery_id: int) -> list[int]:
    rows = session.exec(
        select(DeliveryChange.change_id).where(DeliveryChange.delivery_id == delivery_id).order_by(DeliveryChange.change_id)
    )
    return list(rows)


def list_deliveries(*, session: Session, status: str | None = None) -> list[Delivery]:
    q = select(Delivery)
    if status:
        q = q.where(Delivery.status == status)
    return list(session.exec(q.order_by(Delivery.id)))


def outbox_depth(*, session: Session) -> int:
    return session.exec(select(func.count()).select_from(Delivery).where(col(Delivery.status).in_(["pending", "sending"]))).one()


# --- export ----------------------------------------------------------------------------------------------------
def all_documents(*, session: Session) -> list[tuple[Document, Portal]]:
    q = select(Document, Portal).where(Document.portal_id == Portal.id).order_by(Document.id)
    return list(session.exec(q))


def all_changes(*, session: Session) -> list[Change]:
    return list(session.exec(select(Change).order_by(Change.id)))
