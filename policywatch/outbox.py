"""Work the durable outbox: claim a row, build its message, send it through Apprise, record the result.

A row is claimed (status 'sending', attempt counted) and committed before the send; the result is committed right
after. A process killed between the two leaves the row in 'sending'; the next run (holding the run lock) puts it
back to 'pending', so that message may be sent once more — never lost, and never re-sent after a recorded success.
"""
from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import text
from sqlalchemy.engine import Engine

import storage
from notifier.events import Event, ParagraphChange
from notifier.redaction import mask_url
from storage import Change, Document, Portal, repo

from .commitments import ensure as ensure_commitments
from .commitments import from_rows
from .config import Config
from .events import review_url

log = logging.getLogger("policywatch")


@dataclass
class OutboxReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def event_for_change(s, change: Change, base_url: str | None) -> Event:
    portal = s.get(Portal, change.portal_id)
    doc = s.get(Document, change.document_id) if change.document_id else None
    paragraphs = tuple(
        ParagraphChange(op=o["op"], old=o.get("old"), new=o.get("new"), spans=tuple(tuple(x) for x in o.get("spans", [])))
        for o in (change.ops or [])
    )
    headlines = tuple(line for line in (change.summary or "").splitlines() if line and not line.startswith("回到第"))
    detail = "\n".join(line for line in (change.summary or "").splitlines() if line.startswith("回到第"))
    if change.kind == "new" and doc is not None:
        version = repo.get_version(session=s, document_id=doc.id, seq=change.to_seq) if change.to_seq else None
        if version is not None:
            headlines = new_document_headlines(ensure_commitments(s, version))
            detail = excerpt(repo.paragraphs_of(session=s, version=version))
    return Event(
        kind=change.kind, portal=portal.name if portal else "?", title=doc.title if doc else (portal.name if portal else ""),
        url=doc.url if doc else "", review_url=review_url(base_url, change.id), detected_at=change.detected_at,
        tags=frozenset(change.events or [change.kind]), headlines=headlines, paragraphs=paragraphs, detail=detail,
        change_id=change.id,
    )


NEW_DOC_HEADLINES = 5
EXCERPT_CHARS = 160


def new_document_headlines(commitments: list[dict]) -> tuple[str, ...]:
    """The first targets of a new document, as "目标：… 下降3%以上（2021年底）" lines."""
    lines = []
    for c in from_rows(commitments):
        if c.kind != "target":
            continue
        when = c.when_zh()
        lines.append(f"目标：{c.metric} {c.amount_zh()}" + (f"（{when}）" if when else ""))
    if len(lines) > NEW_DOC_HEADLINES:
        lines = lines[:NEW_DOC_HEADLINES] + [f"……共 {len(lines)} 项目标"]
    return tuple(lines)


def excerpt(paragraphs: list[str]) -> str:
    """The opening of a document's text, cut at a sentence end near EXCERPT_CHARS."""
    text = "".join(p for p in paragraphs[:6])
    if len(text) <= EXCERPT_CHARS:
        return text
    cut = max(text.rfind(ch, 0, EXCERPT_CHARS) for ch in "。；！？")
    return (text[: cut + 1] if cut > EXCERPT_CHARS // 2 else text[:EXCERPT_CHARS] + "……")


def events_for_delivery(s, delivery, base_url: str | None) -> list[Event]:
    note = delivery.note or {}
    if note.get("kind") in ("error", "baseline"):
        return [
            Event(
                kind=note["kind"], portal=note.get("portal", ""), title=note.get("title", note.get("portal", "")),
                url=note.get("url", ""), review_url=(base_url.rstrip("/") + "/") if base_url else None,
                detected_at=delivery.created_at, tags=frozenset([note["kind"]]), detail=note.get("detail", ""),
            )
        ]
    events = []
    for cid in repo.delivery_change_ids(session=s, delivery_id=delivery.id):
        change = s.get(Change, cid)
        if change is not None:
            events.append(event_for_change(s, change, base_url))
    return events


OUTBOX_LOCK = 0x706F6C78  # 'polx': PostgreSQL advisory lock key of the outbox (the migrations use 'polw')
OUTBOX_WAIT_S = 300.0


@contextlib.contextmanager
def outbox_lock(engine: Engine, *, wait_s: float = OUTBOX_WAIT_S) -> Iterator[bool]:
    """On PostgreSQL, hold the cluster-wide outbox lock (an advisory lock, released if the process dies), so that
    workers on several hosts never work the outbox at once (one would put another's in-flight rows back to
    'pending'). Yields False if another process kept it for ``wait_s``. On SQLite the per-file run lock suffices."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        deadline = time.monotonic() + wait_s
        while True:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": OUTBOX_LOCK}).scalar())
            if got or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        try:
            yield got
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": OUTBOX_LOCK})


def work_outbox_locked(engine: Engine, config: Config, *, ignore_backoff: bool = False) -> OutboxReport:
    """work_outbox under outbox_lock; when another process keeps the outbox busy, nothing is sent this time."""
    with outbox_lock(engine) as got:
        if got:
            return work_outbox(engine, config, ignore_backoff=ignore_backoff)
    log.warning("outbox: another process kept it busy for %.0fs; its messages go out on a later run", OUTBOX_WAIT_S)
    return OutboxReport()


def work_outbox(engine: Engine, config: Config, *, ignore_backoff: bool = False, now: datetime | None = None) -> OutboxReport:
    """Send every due delivery once. Call only while holding the run lock."""
    report = OutboxReport()
    with storage.session(engine) as s:
        released = repo.release_orphaned_deliveries(session=s)
        repo.close_digests(session=s, now=now or datetime.now(timezone.utc))
        s.commit()
        if released:
            log.warning("outbox: %d delivery(ies) interrupted by an earlier run will be retried", released)
        due = repo.due_deliveries(session=s, now=now or datetime.now(timezone.utc), ignore_backoff=ignore_backoff)
        for delivery in due:
            started = datetime.now(timezone.utc)
            if not repo.claim_delivery(session=s, delivery_id=delivery.id, now=started):
                s.rollback()
                continue
            s.commit()
            events = events_for_delivery(s, delivery, config.base_url)
            if not events:
                result_ok, error = False, "nothing to send: its changes are gone"
            else:
                # imported on the first delivery: most runs send nothing and need neither (Apprise costs ~0.1 s)
                from notifier.message import build_message
                from notifier.send import send

                message = build_message(events, url=delivery.url)
                result = send(delivery.url, message)
                result_ok, error = result.ok, result.error
            finished = repo.finish_delivery(
                session=s, delivery_id=delivery.id, ok=result_ok, error=error, now=datetime.now(timezone.utc),
                max_attempts=config.max_delivery_attempts, backoff=timedelta(seconds=config.delivery_backoff),
            )
            s.commit()
            if finished.status == "sent":
                report.sent += 1
            else:
                line = (
                    f"subscription {delivery.subscription}: delivery {delivery.id} to {mask_url(delivery.url)} "
                    f"failed (attempt {finished.attempts}/{config.max_delivery_attempts}): {error}"
                )
                report.errors.append(line)
                log.error(line)
                if finished.status == "failed":
                    report.failed += 1
                else:
                    report.retrying += 1
    return report
