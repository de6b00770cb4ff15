"""One polling cycle: crawl the due portals, store versions and changes, then work the outbox."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy.engine import Engine
from sqlmodel import select

import storage
from notifier.events import Event
from notifier.subscriptions import matches
from spiders.spec import KnownDocument, PortalSpec
from storage import Portal, Run, repo

from .commitments import backfill as backfill_commitments
from .config import Config, PortalConfig
from .ingest import Ingestor, PortalRun, subscriptions_of
from .outbox import OutboxReport, work_outbox_locked
from .pipeline import BATCH, CrawlProcess, run_spiders
from .schedule import document_due, portal_due

log = logging.getLogger("policywatch")


@dataclass
class CycleReport:
    portals: list[PortalRun] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    outbox: OutboxReport = field(default_factory=OutboxReport)
    storage_errors: int = 0
    crawl_ended: bool = True  # False when the crawl did not run to its end (its process died, or it was stopped)

    @property
    def ok(self) -> bool:
        return (
            not any(p.failed or p.document_failures for p in self.portals)
            and not self.outbox.errors
            and not self.storage_errors
            and self.crawl_ended
        )


def spec_of(p: PortalConfig) -> PortalSpec:
    return PortalSpec(
        name=p.name, start_urls=list(p.start_urls), family=p.family, link_selector=p.link_selector,
        body_selector=p.body_selector, title_selector=p.title_selector, max_pages=p.max_pages,
        pagination={"index_0based": "trs_index"}.get(p.pagination or "", p.pagination), delay=p.delay,
        concurrency=p.concurrency, obey_robots=p.obey_robots, max_requests=p.max_requests,
        max_attachment_bytes=p.max_attachment_bytes, max_bytes=p.max_bytes, timeout=p.timeout,
    )


def crawl(jobs: list[tuple[PortalSpec, dict[str, KnownDocument], set[str]]], ingestor: Ingestor, config: Config,
          crawler: CrawlProcess | None = None) -> bool:
    """Run the spiders for all due portals: in ``crawler``, a child process forked when the run started, while this
    process stores what it fetches (policywatch/pipeline.py), or else here (Scrapy's reactor runs once per
    process). False when the crawl did not run to its end (the child died, or a stop signal cut it short): the cycle
    must then not count as done, or a first crawl would record a baseline without the documents it did not reach."""
    settings = {"LOG_LEVEL": config.log_level}
    if crawler is not None:
        return crawler.crawl(jobs, ingestor, settings)
    return run_spiders(jobs, on_item=ingestor.safe_handle, settings=settings)


def crawl_plan(s, *, portal_id: int, interval_s: float, force: bool, now: datetime
               ) -> tuple[dict[str, KnownDocument], set[str]]:
    """What the spider of one portal needs: every known document (validators, size, attachment hashes) and the
    URLs due for a re-check (all active ones with ``force``)."""
    docs = repo.portal_documents(session=s, portal_id=portal_id)
    attachments = repo.latest_attachments(session=s, portal_id=portal_id)
    known = {
        d.url: KnownDocument(
            url=d.url, etag=d.etag, last_modified=d.last_modified, last_length=d.last_length,
            attachments={a["url"]: a["sha256"] for a in attachments.get(d.id, []) if a.get("sha256")},
        )
        for d in docs
    }
    recheck = {
        d.url for d in docs
        if d.status == "active" and (force or document_due(d, portal_interval_s=interval_s, now=now))
    }
    return known, recheck


def run_cycle(
    engine: Engine, config: Config, *, force: bool = False, only: list[str] | None = None, deliver: bool = True,
    distributed: str | None = None, crawler: CrawlProcess | None = None,
) -> CycleReport:
    """One cycle (module docstring). ``crawler``: a CrawlProcess forked at the start of the run, which crawls while
    this process stores; without one, everything happens in this process."""
    if distributed:  # a Redis URL: share each portal's cycle with other workers (policywatch/distributed.py)
        from .distributed import run_distributed_cycle

        return run_distributed_cycle(engine, config, redis_url=distributed, force=force, only=only, deliver=deliver)
    now = datetime.now(timezone.utc)
    report = CycleReport()
    selected = [config.portal(n) for n in only] if only else list(config.portals)
    jobs = []
    runs: dict[str, PortalRun] = {}
    with storage.session(engine) as s:
        run_row = Run(started_at=now)
        s.add(run_row)
        for pc in selected:
            portal = repo.get_or_create_portal(session=s, name=pc.name, now=now)
            if not force and not only and not portal_due(portal.last_polled_at, pc.interval, now):
                report.skipped.append(pc.name)
                continue
            known, recheck = crawl_plan(s, portal_id=portal.id, interval_s=pc.interval, force=force, now=now)
            runs[pc.name] = PortalRun(name=pc.name, portal_id=portal.id, baseline=not portal.baseline_done)
            jobs.append((spec_of(pc), known, recheck))
        s.commit()
        run_id = run_row.id
    # items from a crawl process are committed in batches while the crawl is ahead (policywatch/pipeline.py)
    ingestor = Ingestor(engine=engine, config=config, portals=runs, run_id=run_id,
                        batch=BATCH if crawler is not None else 1)
    complete = crawl(jobs, ingestor, config, crawler) if jobs else True
    report.portals = list(runs.values())
    report.storage_errors = ingestor.storage_errors
    report.crawl_ended = complete
    if complete:  # otherwise the portals stay due, and the next run fetches again what was lost
        finish_portals(engine, config, runs, now=now)
    return close_run(engine, config, report, run_id=run_id, deliver=deliver)


def close_run(engine: Engine, config: Config, report: CycleReport, *, run_id: int, deliver: bool,
              roles: dict[str, str] | None = None, extra: dict | None = None) -> CycleReport:
    """The end of every cycle: work the outbox, spend the commitment backfill budget, record the Run row's outcome
    and per-portal counts (``roles``: each portal's role in a distributed cycle; ``extra``: more stats keys)."""
    if deliver:
        report.outbox = work_outbox_locked(engine, config)
    backfill_commitments(engine, budget_s=config.backfill_seconds)
    with storage.session(engine) as s:
        row = s.get(Run, run_id)
        row.finished_at = datetime.now(timezone.utc)
        row.ok = report.ok
        row.stats = {
            p.name: {"new": p.new, "revised": p.revised, "unchanged": p.unchanged, "not_modified": p.not_modified,
                     "failed": p.failed, "errors": len(p.list_failures) + len(p.document_failures)}
            | ({"role": roles.get(p.name)} if roles is not None else {})
            for p in report.portals
        } | {"_outbox": {"sent": report.outbox.sent, "retrying": report.outbox.retrying, "failed": report.outbox.failed}
             } | (extra or {})
        s.add(row)
        s.commit()
    return report


def finish_portals(engine: Engine, config: Config, runs: dict[str, PortalRun], *, now: datetime,
                   expect_polled: dict[str, datetime | None] | None = None) -> list[str]:
    """Update portal health; send the baseline summary after a first good cycle and one error after N bad ones.

    With ``expect_polled`` (portal name -> last_polled_at when its cycle began; distributed workers) each portal
    row is locked and finished only if that value has not moved since, so a shared cycle is finished once.
    Returns the names of the portals it finished."""
    subs = subscriptions_of(config)
    finished: list[str] = []
    with storage.session(engine) as s:
        for run in runs.values():
            if expect_polled is None:
                portal = s.get(Portal, run.portal_id)
            else:
                portal = s.exec(select(Portal).where(Portal.id == run.portal_id).with_for_update()).one()
                if portal.last_polled_at != expect_polled.get(run.name):
                    continue  # another worker finished this cycle
            portal.last_polled_at = now
            pc = config.portal(run.name)
            if run.failed:
                portal.failures_in_row += 1
                portal.last_error = run.list_failures[0]
                if portal.failures_in_row == config.error_after_failures:
                    detail = f"连续 {portal.failures_in_row} 次抓取失败：{run.list_failures[0]}"
                    _notify_portal(s, subs, kind="error", portal=run.name, url=pc.start_urls[0], detail=detail,
                                   dedup_key=f"error:{run.portal_id}:{now.isoformat()}", change_ids=[], now=now)
            else:
                portal.failures_in_row = 0
                portal.last_success_at = now
                portal.last_error = run.document_failures[0] if run.document_failures else None
                if not portal.baseline_done:
                    portal.baseline_done = True
                    # every document of the baseline, including those an interrupted earlier first cycle stored
                    baseline_ids = [c.id for c in repo.changes_since(session=s, portal_id=run.portal_id) if c.baseline]
                    titles = []
                    for cid in baseline_ids[:5]:
                        ch = s.get(storage.Change, cid)
                        doc = s.get(storage.Document, ch.document_id) if ch and ch.document_id else None
                        if doc is not None:
                            titles.append(f"· {doc.title}")
                    detail = f"已建立基线：收录 {len(baseline_ids)} 份文件，此后只通知新文件和修订。"
                    if titles:
                        detail += "\n" + "\n".join(titles)
                        if len(baseline_ids) > len(titles):
                            detail += f"\n……等 {len(baseline_ids)} 份"
                    _notify_portal(s, subs, kind="baseline", portal=run.name, url=pc.start_urls[0], detail=detail,
                                   dedup_key=f"baseline:{run.portal_id}", change_ids=baseline_ids, now=now)
            s.add(portal)
            finished.append(run.name)
        s.commit()
    return finished


def _notify_portal(s, subs, *, kind, portal, url, detail, dedup_key, change_ids, now) -> None:
    tags = frozenset(["error"] if kind == "error" else ["new"])
    event = Event(kind=kind, portal=portal, title=portal, url=url, review_url=None, detected_at=now, tags=tags,
                  detail=detail)
    for sub in subs:
        if not matches(sub, event):  # portal summaries and errors are not filtered by keywords
            continue
        for u in sub.urls:
            repo.enqueue_delivery(session=s, subscription=sub.name, url=u, dedup_key=dedup_key, change_ids=change_ids,
                                  now=now, note={"kind": kind, "portal": portal, "url": url, "detail": detail})
