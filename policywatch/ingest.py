"""Turn crawl results into stored versions, changes and outbox rows.

Each document is handled in one transaction: its version, its change and the deliveries that change triggers are
committed together or not at all, so an interrupted run leaves no half-written version and loses no notification.
"""
from __future__ import annotations

import hashlib
import logging
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Iterator

from sqlalchemy.engine import Engine

import storage
from notifier.events import Event
from notifier.subscriptions import Subscription, matches
from spiders.items import DocumentPage, FetchFailure, ListingPage, NotModified, RawPage
from storage import repo

from .config import Config
from .events import event_tags, review_url
from .commitments import from_rows, to_rows
from .pipeline import FingerprintedPage
from .schedule import next_daily, parse_date

log = logging.getLogger("policywatch")


@dataclass
class PortalRun:
    """What one cycle saw of one portal."""

    name: str
    portal_id: int
    baseline: bool  # first successful cycle of this portal: record, do not alert per document
    list_pages_ok: int = 0
    list_failures: list[str] = field(default_factory=list)
    document_failures: list[str] = field(default_factory=list)
    new: int = 0
    revised: int = 0
    unchanged: int = 0
    not_modified: int = 0
    formatting: int = 0
    change_ids: list[int] = field(default_factory=list)
    linked: set[str] = field(default_factory=set)

    @property
    def failed(self) -> bool:
        return bool(self.list_failures) and self.list_pages_ok == 0

    def copy(self) -> PortalRun:
        """A copy whose lists and sets are its own (the tallies as they are now)."""
        return replace(self, list_failures=list(self.list_failures), document_failures=list(self.document_failures),
                       change_ids=list(self.change_ids), linked=set(self.linked))


def subscriptions_of(config: Config) -> list[Subscription]:
    return [
        Subscription(
            name=s.name, urls=tuple(s.urls), portals=tuple(s.portals), events=tuple(s.events),
            keywords=tuple(s.keywords), mode=s.mode,
        )
        for s in config.subscriptions
    ]


def run_digest_key(mode: str, run_id: int) -> str:
    """The outbox key of a subscription's per-run digest (the distributed cycle holds these until it is done)."""
    return f"digest:{mode}:{run_id}"


def _with(paragraph_hash: str, signature: str) -> str:
    """A version fingerprint: the text's, extended by the attachments' when there are any."""
    return hashlib.sha256(f"{paragraph_hash}|{signature}".encode()).hexdigest() if signature else paragraph_hash


def attachment_rows(s, page: DocumentPage, prev) -> list[dict]:
    """The attachments as stored on a version: hash, size, type, error, and their text as paragraph ids. An
    attachment that could not be fetched this time keeps the hash it had: unknown is not changed."""
    known = {a["url"]: a for a in ((prev.attachments or []) if prev is not None else [])}
    rows = []
    for a in page.attachments:
        row = {"url": a.url, "name": a.name, "file_type": getattr(a, "file_type", None), "sha256": a.sha256,
               "size": a.size, "error": a.error}
        before = known.get(a.url) or {}
        if a.sha256 is None and before:
            row.update({k: before.get(k) for k in ("sha256", "size", "text_ids")})
        elif a.text:  # as extracted now; the lines the previous version's copy had are not stored again
            lines = [line.strip() for line in a.text.splitlines() if line.strip()]
            known_lines = repo.known_paragraphs(session=s, ids=before.get("text_ids") or [])
            row["text_ids"] = repo.put_paragraphs(session=s, texts=lines, known=known_lines)
        rows.append(row)
    return rows


def attachment_signature(rows: list[dict]) -> str:
    return ";".join(sorted(f"{r['url']}={r.get('sha256') or ''}" for r in rows))


def attachment_changes(old: list[dict], new: list[dict]) -> list[str]:
    """Alert lines for attachments added, removed or replaced between two versions."""
    before = {a["url"]: a for a in old}
    after = {a["url"]: a for a in new}
    lines = [f"新增附件：{a['name']}" for url, a in after.items() if url not in before]
    lines += [f"附件已更新：{a['name']}" for url, a in after.items()
              if url in before and a.get("sha256") and before[url].get("sha256") != a.get("sha256")]
    lines += [f"删除附件：{a['name']}" for url, a in before.items() if url not in after]
    return lines


def _read(page: RawPage) -> DocumentPage | FetchFailure:
    """A page the spider handed over unread, read here as the spider would have (imported on first use: the
    reading code is not needed before the crawl starts)."""
    from spiders.rawpage import finish

    return finish(page)


class Ingestor:
    """Stores what the spiders yield. One instance per cycle; not thread-safe (Scrapy calls it from one thread).

    Each item is stored in one transaction, committed with it. With ``batch`` > 1 (storing what a crawl process sends as
    fast as it comes, policywatch/pipeline.py) up to that many items share a transaction, which ``commit`` ends
    (``safe_handle`` calls it when the batch is full): far fewer writes to the database file. What a user sees is
    the same: an item that fails is rolled back alone, since the batch is then rolled back and its items stored
    again one by one; the items' log lines are written when they are committed; and a process killed mid-batch
    leaves only whole items behind, like one killed between two."""

    def __init__(self, *, engine: Engine, config: Config, portals: dict[str, PortalRun], run_id: int,
                 batch: int = 1) -> None:
        self.engine = engine
        self.config = config
        self.portals = portals
        self.run_id = run_id
        self.subscriptions = subscriptions_of(config)
        self.storage_errors = 0
        self.batch = batch
        self._held: Any = None  # the session of the batch's transaction, while one is open
        self._held_items: list[object] = []
        self._tallies: dict[str, PortalRun] = {}  # the portals' tallies before the batch
        self._lines: list[tuple[int, str, tuple]] = []  # the batch's log lines, written once it is committed

    def warm_up(self) -> None:
        """Load now what storing the first page would load (diffing and its target rules, OpenCC's dictionaries,
        page reading): the run does this while its crawl process sets the crawl up."""
        import diffing.targets  # noqa: F401
        import spiders.rawpage  # noqa: F401
        from diffing.normalize import to_simplified

        to_simplified("繁體")

    # -- dispatch ------------------------------------------------------------------------------------------------
    def safe_handle(self, item: object) -> None:
        """handle(), but a storage failure is logged and counted instead of stopping the crawl. The failed item's
        transaction was rolled back, so nothing half-written remains; the document is fetched again next cycle."""
        if self.batch <= 1:
            self._store_alone(item)
            return
        if isinstance(item, RawPage):  # read once: a batch that fails is stored again from its items
            item = _read(item)
        if self._held is None:
            self._held = storage.session(self.engine)
            self._tallies = {name: run.copy() for name, run in self.portals.items()}
        self._held_items.append(item)
        try:
            self.handle(item)
        except Exception:  # noqa: BLE001 - stored again alone below, where the failure is reported
            self._store_held_alone()
            return
        if len(self._held_items) >= self.batch:
            self.commit()

    def commit(self) -> None:
        """Commit the open batch, if any (see the class docstring)."""
        if self._held is None:
            return
        try:
            self._held.commit()
        except Exception:  # noqa: BLE001 - e.g. a full disk: each item is tried (and reported) on its own
            self._store_held_alone()
            return
        self._held.close()
        self._held, self._held_items = None, []
        for level, msg, args in self._lines:
            log.log(level, msg, *args)
        self._lines.clear()

    def _store_held_alone(self) -> None:
        """Roll the batch back and store its items one by one, from the tallies they started from."""
        items, self._held_items = self._held_items, []
        try:
            self._held.rollback()
            self._held.close()
        except Exception:  # noqa: BLE001 - the connection is gone; the items are stored on a new one
            log.debug("rolling back a batch failed", exc_info=True)
        self._held = None
        self._lines.clear()
        for name, run in self._tallies.items():
            vars(self.portals[name]).update(vars(run))
        for item in items:
            self._store_alone(item)

    def _store_alone(self, item: object) -> None:
        try:
            self.handle(item)
        except Exception as exc:
            self.storage_errors += 1
            log.error("storing %s %s failed: %s", type(item).__name__, getattr(item, "url", "?"),
                      str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            log.debug("storage failure", exc_info=True)

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        """The session an item's writes go to: the open batch's, or its own, committed when the block ends."""
        if self._held is not None:
            yield self._held
            return
        with storage.session(self.engine) as s:
            yield s
            s.commit()

    def _log(self, level: int, msg: str, *args: object) -> None:
        """Log a line about a stored item: now, or when its batch is committed."""
        if self._held is not None:
            self._lines.append((level, msg, args))
        else:
            log.log(level, msg, *args)

    def handle(self, item: object) -> None:
        if isinstance(item, RawPage):  # a page the spider left unread: read it here, as the spider would have
            item = _read(item)
        if isinstance(item, FingerprintedPage):
            self.document(item.page, fingerprinted=item.fingerprints)
        elif isinstance(item, DocumentPage):
            self.document(item)
        elif isinstance(item, NotModified):
            self.not_modified(item)
        elif isinstance(item, FetchFailure):
            self.failure(item)
        elif isinstance(item, ListingPage):
            self.listing(item)
        else:  # pragma: no cover - a programming error, not bad input
            raise TypeError(f"unexpected item {type(item).__name__}")

    # -- items ---------------------------------------------------------------------------------------------------
    def listing(self, item: ListingPage) -> None:
        run = self.portals[item.portal]
        run.list_pages_ok += 1
        run.linked.update(url for url, _title in item.links)

    def failure(self, item: FetchFailure) -> None:
        run = self.portals[item.portal]
        line = f"portal {item.portal}: " + (item.reason if item.url in item.reason else f"{item.url}: {item.reason}")
        if item.kind == "budget":  # the rest is fetched next cycle: worth knowing, not a failure
            self._log(logging.WARNING, line)
            return
        with self._transaction() as s:
            repo.record_fetch_error(
                session=s, portal_id=run.portal_id, url=item.url, stage=item.stage, kind=item.kind,
                reason=item.reason, status=item.status, fetched_at=item.fetched_at,
            )
            doc = repo.get_document(session=s, url=item.url) if item.stage == "document" else None
            if doc is not None and item.kind == "not_found":
                # a known document that is gone: count it, and after `withdraw_after` checks while missing from
                # its list, record it as withdrawn (once) instead of reporting an error every cycle
                self._log(logging.WARNING, line)
                doc.last_checked_at = item.fetched_at
                doc.missing_checks += 1
                if (doc.missing_checks >= self.config.withdraw_after and doc.status != "withdrawn"
                        and doc.url not in run.linked):
                    self._withdrawn(s, run, doc, item)
                s.add(doc)
                return
            if doc is not None:
                doc.last_checked_at = item.fetched_at
                s.add(doc)
        (run.list_failures if item.stage == "list" else run.document_failures).append(line)
        self._log(logging.ERROR, line)

    def _withdrawn(self, s, run: PortalRun, doc, item: FetchFailure) -> None:
        doc.status = "withdrawn"
        summary = f"文件已撤下：连续 {doc.missing_checks} 次检查无法访问，且不再出现在列表中（{item.reason}）"
        change = repo.add_change(
            session=s, portal_id=run.portal_id, document_id=doc.id, kind="withdrawn", from_seq=doc.latest_seq or None,
            detected_at=item.fetched_at, events=["withdrawn"], summary=summary, baseline=run.baseline,
        )
        run.change_ids.append(change.id)  # type: ignore[arg-type]
        if not run.baseline:
            event = Event(kind="withdrawn", portal=item.portal, title=doc.title, url=doc.url,
                          review_url=review_url(self.config.base_url, change.id), detected_at=item.fetched_at,
                          tags=frozenset({"withdrawn"}), detail=summary, change_id=change.id)
            self._enqueue(s, event, change.id)  # type: ignore[arg-type]
        self._log(logging.WARNING, "portal %s: %s withdrawn after %d checks", item.portal, doc.url, doc.missing_checks)

    def not_modified(self, item: NotModified) -> None:
        run = self.portals[item.portal]
        run.not_modified += 1
        with self._transaction() as s:
            repo.update_document(session=s, url=item.url,
                                 values={"last_checked_at": item.fetched_at, "missing_checks": 0})

    def document(self, page: DocumentPage, *, fingerprinted: tuple[str, str] | None = None) -> None:
        """Store a fetched page: its next version if its text (or an attachment) changed. ``fingerprinted``: the
        paragraphs' fingerprints, when the crawl process worked them out already."""
        # imported on first use: a steady cycle, which stores no page, does without (0.15 s of CPU per run)
        from diffing import fingerprints

        run = self.portals[page.portal]
        title = (page.title or page.list_title or page.url).strip()
        fetched = {  # the document row's columns this fetch sets
            "title": title, "last_checked_at": page.fetched_at, "etag": page.headers.get("etag"),
            "last_modified": page.headers.get("last-modified"), "last_length": len(page.body), "missing_checks": 0,
            "status": "active",
        }
        published = parse_date(page.metadata.get("published"))
        if published is not None:
            fetched["published_at"] = published
        with self._transaction() as s:
            doc = repo.save_document(session=s, portal_id=run.portal_id, url=page.url, now=page.fetched_at,
                                     values=fetched, likely_new=run.baseline)
            prev = repo.latest_version(session=s, document_id=doc.id) if doc.latest_seq else None
            attachments = attachment_rows(s, page, prev)
            signature = attachment_signature(attachments)
            exact, semantic = (_with(h, signature) for h in (fingerprinted or fingerprints(page.paragraphs)))
            stored = None
            if prev is None or prev.exact_hash != exact:
                stored = self._version(s, run, page, doc, prev, title, attachments, exact, semantic)
        if stored is None:
            run.unchanged += 1
            return
        kind, change_id, seq = stored
        run.change_ids.append(change_id)
        if kind == "new":
            run.new += 1
        elif kind == "formatting":
            run.formatting += 1
        else:
            run.revised += 1
        self._log(logging.INFO, "%s: %s %s (v%d)", page.portal, kind, page.url, seq)

    def _version(self, s, run: PortalRun, page: DocumentPage, doc, prev, title: str, attachments: list[dict],
                 exact: str, semantic: str) -> tuple[str, int, int]:
        """Store a page whose text differs from the previous version's (``prev``, None for a new document) as the
        document's next version, with its change and the deliveries it triggers; (kind, change id, version seq)."""
        from diffing import diff_paragraphs, ops_to_json
        from diffing.targets import compare_commitments, extract_commitments
        from diffing.targets import summary_lines as target_summary_lines

        # a baseline version's commitments are extracted later, on first need (see policywatch/commitments.py)
        commitments = None if run.baseline else extract_commitments(page.paragraphs)
        old_paragraphs = repo.paragraphs_of(session=s, version=prev) if prev is not None else []
        # the previous version's cached commitments, read before add_version drops that cache
        old_rows = (repo.version_commitments(session=s, version=prev, paragraphs=old_paragraphs)
                    if prev is not None else None)
        version = repo.add_version(
            session=s, document=doc, fetched_at=page.fetched_at, title=title, paragraphs=page.paragraphs,
            exact_hash=exact, semantic_hash=semantic, raw=page.body, final_url=page.final_url,
            encoding=page.encoding, headers=page.headers, meta=page.metadata or None,
            commitments=None if commitments is None else to_rows(commitments),
            attachments=attachments or None, previous_paragraphs=old_paragraphs,
        )
        ops: list[dict] = []
        target_changes: list = []
        summary_lines: list[str] = []
        if prev is None:
            kind = "new"
        else:
            if prev.semantic_hash == semantic:
                kind = "formatting"
            else:
                earlier = [v for v in repo.versions_of(session=s, document_id=doc.id) if v.seq < prev.seq]
                back_to = next((v.seq for v in reversed(earlier) if v.semantic_hash == semantic), None)
                kind = "reverted" if back_to is not None else "revised"
                if back_to is not None:
                    summary_lines.append(f"回到第{back_to}版")
            ops = ops_to_json(diff_paragraphs(old_paragraphs, page.paragraphs))
            if kind == "revised":
                old_commitments = (from_rows(old_rows) if old_rows is not None
                                   else extract_commitments(old_paragraphs))
                target_changes = compare_commitments(old_commitments, commitments or [])
                summary_lines = (target_summary_lines(target_changes) + summary_lines
                                 + attachment_changes(prev.attachments or [], attachments))
        tags = event_tags(kind, [t.change for t in target_changes])
        change = repo.add_change(
            session=s, portal_id=run.portal_id, document_id=doc.id, kind=kind,
            from_seq=prev.seq if prev else None, to_seq=version.seq, detected_at=page.fetched_at, ops=ops,
            targets=[t.to_json() for t in target_changes], events=sorted(tags), summary="\n".join(summary_lines),
            baseline=run.baseline,
        )
        if not run.baseline:
            event = Event(
                kind=kind, portal=page.portal, title=title, url=page.url,
                review_url=review_url(self.config.base_url, change.id), detected_at=page.fetched_at,
                tags=frozenset(tags), text="\n".join(page.paragraphs), change_id=change.id,
            )
            self._enqueue(s, event, change.id)  # type: ignore[arg-type]
        return kind, change.id, version.seq  # type: ignore[return-value]

    def _enqueue(self, s, event: Event, change_id: int) -> None:
        for sub in self.subscriptions:
            if not matches(sub, event):
                continue
            for url in sub.urls:
                if sub.mode == "immediate":
                    repo.enqueue_delivery(
                        session=s, subscription=sub.name, url=url, dedup_key=f"change:{change_id}",
                        change_ids=[change_id], now=event.detected_at,
                    )
                elif sub.daily_at is not None:
                    send_at = next_daily(sub.daily_at, after=event.detected_at, tz=self.config.zone)
                    repo.add_to_digest(
                        session=s, subscription=sub.name, url=url, dedup_key=f"digest:{sub.mode}:{send_at.isoformat()}",
                        change_id=change_id, now=event.detected_at, send_at=send_at,
                    )
                else:  # one digest per subscription per run, sent at the end of the run
                    repo.add_to_digest(
                        session=s, subscription=sub.name, url=url, dedup_key=run_digest_key(sub.mode, self.run_id),
                        change_id=change_id, now=event.detected_at,
                    )
