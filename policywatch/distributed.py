"""`policywatch run --distributed redis://…`: several workers (cron on several hosts) share each portal's cycle.

Every worker is an ordinary ``policywatch run`` on the same PostgreSQL database and the same Redis:

- A portal's cycle is named by the portal's ``last_polled_at`` as the database holds it when the worker plans
  (its *slot*): workers that start while a cycle runs join it; the worker that finishes it moves the slot.
- In a cycle exactly one worker (SET NX) queues the start pages and the due re-checks; every worker takes list and
  document requests from the shared scrapy-redis queue, and the shared dupefilter lets each URL be fetched once per
  cycle (see ``spiders.distributed``).
- Each worker stores what it fetches through the normal Ingestor, each item under a PostgreSQL advisory lock on the
  document URL and retried on a unique-key race or deadlock with another worker, so a document never gets two
  versions for one content.
- The last worker out of a cycle finishes it (portal health, baseline summary, error alert) under a row lock, and
  only if the slot has not moved: once per cycle whatever the timing. Per-run digests are held until their worker
  has finished crawling, so another worker's outbox pass cannot send them half-filled; the outbox is worked under a
  cluster-wide advisory lock, so no worker re-queues a message another is sending.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import col

import storage
from spiders.items import DocumentPage, FetchFailure, ListingPage, NotModified
from spiders.spec import KnownDocument, PortalSpec
from storage import Delivery, Run, repo

from .config import Config
from .ingest import Ingestor, PortalRun, run_digest_key
from .run import CycleReport, close_run, crawl_plan, finish_portals, spec_of
from .schedule import portal_due

log = logging.getLogger("policywatch")

RETRIES = 4  # attempts per item when another worker's transaction got in the way
_RETRYABLE = {"23505", "40P01", "40001"}  # unique_violation, deadlock_detected, serialization_failure
DIGEST_HOLD = timedelta(hours=6)  # a dead worker's per-run digest is sent after this instead of never


@dataclass
class SharedPortal:
    """A portal this worker crawls in a shared cycle."""

    name: str
    portal_id: int
    slot: datetime | None  # portal.last_polled_at when planned: names the cycle
    spec: PortalSpec
    known: dict[str, KnownDocument]
    recheck: set[str]
    cycle: Any = None  # spiders.distributed.CrawlCycle
    leftover: set[str] = field(default_factory=set)  # links of earlier cycles never stored (seeder only)


def worker_id() -> str:
    """host:pid:random — unique among the workers of a cycle."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def connect_redis(url: str) -> Any:
    """A redis-py client for ``url`` after a PING; a one-line CliError if the package or the server is missing."""
    from notifier.send import mask_url

    from .cli import CliError

    try:
        import redis
    except ImportError:
        raise CliError("--distributed needs the redis and scrapy-redis packages: pip install 'policywatch[distributed]'",
                       2) from None
    try:
        client = redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10, health_check_interval=30)
        client.ping()
    except ValueError as exc:
        raise CliError(f"--distributed {mask_url(url)}: {exc}", 2) from None
    except redis.RedisError as exc:
        raise CliError(f"redis {mask_url(url)}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", 1) from None
    return client


def slot_tag(slot: datetime | None) -> str:
    """Names a portal's cycle: its last_polled_at when the cycle began, as every worker reads it."""
    return "never" if slot is None else slot.strftime("%Y%m%dT%H%M%S%f")


def portal_key(database: str, portal_id: int) -> str:
    """The Redis key prefix of a portal: the same on every worker of one database."""
    return f"policywatch:{database}:portal{portal_id}"


def _lock_key(name: str) -> int:
    """A signed 64-bit advisory-lock key for a document URL."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


def _retryable(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", None)
    return isinstance(exc, DBAPIError) and getattr(orig, "sqlstate", None) in _RETRYABLE


class SharedIngestor(Ingestor):
    """The Ingestor for a worker among others: per-document advisory lock, retry on races, held digests."""

    def __init__(self, *, hold_until: datetime, **kw: Any) -> None:
        super().__init__(**kw)
        self.hold_until = hold_until
        self._locks = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self.retried = 0

    def close(self) -> None:
        self._locks.close()

    @contextlib.contextmanager
    def _document_lock(self, url: str) -> Iterator[None]:
        key = _lock_key(url)
        self._locks.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
        try:
            yield
        finally:
            self._locks.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})

    def handle(self, item: object) -> None:
        """Ingestor.handle under the item's document lock; a transaction that lost a race with another worker
        (unique key, deadlock) was rolled back whole and is run again, seeing what the other committed."""
        if not isinstance(item, (DocumentPage, NotModified, FetchFailure)):
            super().handle(item)
            return
        for attempt in range(1, RETRIES + 1):
            try:
                with self._document_lock(item.url):
                    super().handle(item)
                return
            except DBAPIError as exc:
                if attempt == RETRIES or not _retryable(exc):
                    raise
                self.retried += 1
                log.info("storing %s raced with another worker (%s); retrying", item.url, exc.orig.sqlstate)
                time.sleep(0.05 * attempt)

    def _run_digest_keys(self) -> list[str]:
        return [run_digest_key(sub.mode, self.run_id) for sub in self.subscriptions
                if sub.mode != "immediate" and getattr(sub, "daily_at", None) is None]

    def _enqueue(self, s, event, change_id: int) -> None:
        super()._enqueue(s, event, change_id)
        keys = self._run_digest_keys()
        if keys:  # this run's digest waits for release_digests(), not for the next outbox pass of any worker
            s.exec(update(Delivery).where(col(Delivery.dedup_key).in_(keys), col(Delivery.status) == "collecting")
                   .values(next_attempt_at=self.hold_until))

    def release_digests(self) -> None:
        keys = self._run_digest_keys()
        if not keys:
            return
        with storage.session(self.engine) as s:
            s.exec(update(Delivery).where(col(Delivery.dedup_key).in_(keys), col(Delivery.status) == "collecting")
                   .values(next_attempt_at=datetime.now(timezone.utc)))
            s.commit()


class CycleRecorder:
    """on_item for the crawl: stores the item, then adds what it changed in the worker's PortalRun to the cycle's
    shared tallies (list pages read, failure lines) for whoever finishes the cycle."""

    def __init__(self, ingestor: SharedIngestor, shared: dict[str, SharedPortal]) -> None:
        self.ingestor = ingestor
        self.shared = shared

    def __call__(self, item: object) -> None:
        name = getattr(item, "portal", None)
        run = self.ingestor.portals.get(name) if name else None
        if run is None:
            self.ingestor.safe_handle(item)
            return
        ok, lists, docs = run.list_pages_ok, len(run.list_failures), len(run.document_failures)
        self.ingestor.safe_handle(item)
        if isinstance(item, ListingPage):
            self.shared[name].cycle.note_urls("linked", [url for url, _title in item.links])
        elif isinstance(item, FetchFailure) and item.stage == "document":
            self.shared[name].cycle.note_urls("failed", [item.url])
        self.shared[name].cycle.tally(
            {"list_pages_ok": run.list_pages_ok - ok, "document_failures": len(run.document_failures) - docs},
            {"list_failures": run.list_failures[lists:], "document_failures": run.document_failures[docs:]},
        )


def _plan(engine: Engine, config: Config, *, now: datetime, force: bool, only: list[str] | None,
          report: CycleReport) -> tuple[int, dict[str, SharedPortal], dict[str, PortalRun]]:
    """The due portals with what the spiders need, and this worker's Run row; retried if another worker created
    the same portal row at the same moment."""
    selected = [config.portal(n) for n in only] if only else list(config.portals)
    for attempt in range(1, RETRIES + 1):
        shared: dict[str, SharedPortal] = {}
        runs: dict[str, PortalRun] = {}
        skipped: list[str] = []
        try:
            with storage.session(engine) as s:
                run_row = Run(started_at=now)
                s.add(run_row)
                for pc in selected:
                    portal = repo.get_or_create_portal(session=s, name=pc.name, now=now)
                    if not force and not only and not portal_due(portal.last_polled_at, pc.interval, now):
                        skipped.append(pc.name)
                        continue
                    known, recheck = crawl_plan(s, portal_id=portal.id, interval_s=pc.interval, force=force, now=now)
                    shared[pc.name] = SharedPortal(name=pc.name, portal_id=portal.id, slot=portal.last_polled_at,
                                                   spec=spec_of(pc), known=known, recheck=recheck)
                    runs[pc.name] = PortalRun(name=pc.name, portal_id=portal.id, baseline=not portal.baseline_done)
                s.commit()
                report.skipped.extend(skipped)
                return run_row.id, shared, runs
        except DBAPIError as exc:
            if attempt == RETRIES or not _retryable(exc):
                raise
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


def _merged_run(sp: SharedPortal, baseline: bool) -> PortalRun:
    """The whole cycle as the finishing worker reports it: what every worker tallied (list pages read, failure
    lines). finish_portals reads a baseline's documents from the database, whichever worker stored them."""
    counters, notes = sp.cycle.tallies()
    return PortalRun(name=sp.name, portal_id=sp.portal_id, baseline=baseline,
                     list_pages_ok=counters.get("list_pages_ok", 0), list_failures=notes["list_failures"],
                     document_failures=notes["document_failures"])


def _keep_leftover(engine: Engine, sp: SharedPortal) -> None:
    """Links read this cycle that no worker stored nor saw fail (lost with a dead worker, or over the budget) are
    queued by the next cycle's seeder, even if they are on a list page that cycle does not read."""
    linked = sp.cycle.urls("linked")
    if not linked:
        return
    with storage.session(engine) as s:
        stored = {d.url for d in repo.portal_documents(session=s, portal_id=sp.portal_id)}
    lost = linked - stored - sp.cycle.urls("failed")
    if lost:
        sp.cycle.keep_leftover(lost)
        log.warning("portal %s: %d linked document(s) were not fetched this cycle (a worker stopped, or the request "
                    "budget ran out); the next cycle fetches them", sp.name, len(lost))


def _database_name(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT current_database()")).scalar())


def run_distributed_cycle(engine: Engine, config: Config, *, redis_url: str, force: bool = False,
                          only: list[str] | None = None, deliver: bool = True, timing: Any = None) -> CycleReport:
    """One worker's part of the shared cycles of the due portals (see the module docstring); returns what this
    worker did (its own counts; the finishing worker also updates portal health for everyone)."""
    from .cli import CliError

    if engine.dialect.name != "postgresql":
        raise CliError("--distributed needs a PostgreSQL database_url that every worker shares", 2)
    client = connect_redis(redis_url)
    from spiders.distributed import CrawlCycle, DistributedPortalSpider
    from spiders.runner import run_cycle as crawl_cycle

    now = datetime.now(timezone.utc)
    report = CycleReport()
    run_id, shared, runs = _plan(engine, config, now=now, force=force, only=only, report=report)
    database = _database_name(engine)
    me = worker_id()
    for name in list(shared):
        sp = shared[name]
        sp.cycle = CrawlCycle(client, portal_key(database, sp.portal_id), slot_tag(sp.slot), me, timing)
        role = sp.cycle.join(now.isoformat())
        if role == "finished":
            log.info("portal %s: this cycle was finished by another worker", name)
            report.skipped.append(name)
            del shared[name], runs[name]
        elif role == "seeder":
            sp.leftover = sp.cycle.leftover() - sp.known.keys()
    roles = {name: sp.cycle.role for name, sp in shared.items()}
    log.info("worker %s: %s", me, ", ".join(f"{n} ({r})" for n, r in roles.items()) or "nothing due")

    ingestor = SharedIngestor(engine=engine, config=config, portals=runs, run_id=run_id, hold_until=now + DIGEST_HOLD)
    try:
        if shared:
            crawl_cycle(
                [sp.spec for sp in shared.values()],
                known={n: sp.known for n, sp in shared.items()}, recheck={n: sp.recheck for n, sp in shared.items()},
                on_item=CycleRecorder(ingestor, shared), settings={"LOG_LEVEL": config.log_level},
                install_root_handler=False, spider_cls=DistributedPortalSpider,
                spider_kwargs={n: {"cycle": sp.cycle, "seeder": sp.cycle.role == "seeder", "leftover": sp.leftover}
                               for n, sp in shared.items()},
            )
        ingestor.release_digests()
    finally:
        ingestor.close()
    report.portals = list(runs.values())
    report.storage_errors = ingestor.storage_errors

    for name, sp in shared.items():
        if not sp.cycle.last_out():
            continue
        merged = _merged_run(sp, runs[name].baseline)
        if not sp.cycle.seeded() and not merged.list_pages_ok and not merged.list_failures:
            log.warning("portal %s: the worker that was to start this cycle stopped first; the next run starts it",
                        name)
            sp.cycle.reopen()
            continue
        started = sp.cycle.started()
        _keep_leftover(engine, sp)
        if finish_portals(engine, config, {name: merged}, now=datetime.fromisoformat(started) if started else now,
                          expect_polled={name: sp.slot}):
            log.info("portal %s: this worker finished the shared cycle", name)
        sp.cycle.mark_finished()

    return close_run(engine, config, report, run_id=run_id, deliver=deliver, roles=roles, extra={"_worker": me})
