"""Store crawl results in a second process while the spiders go on fetching in this one.

A big cycle (a portal's first crawl, a forced re-check) is CPU-bound in three parts of similar size: Scrapy, reading
each document page (decoding, quality gate, extraction) and storing each version (fingerprints, rows).
``IngestPipeline`` handles a cycle's first items in this process — a steady cycle, which fetches a list page and a
few due documents, never pays for a second process — and once ``ingest_worker_after`` (config, default 20)
document pages have arrived it starts one worker process and hands it every later item, in order, through a
bounded queue; a portal's first crawl forks the worker before Scrapy starts. The worker runs the same ``Ingestor``,
so what reaches the database is what in-process ingestion would write; while it is behind the crawl, it commits
items in batches of up to ``WORKER_BATCH`` (see ``Ingestor``). At the end of the crawl the parent waits for it to
drain and adopts its per-portal counts. Reading pages is shared: while the worker keeps up, the spider hands it
pages unread (``hand_over``, spiders/rawpage.py); when it falls behind, the spider reads them itself.

Failures: the worker dies with the process that started it (PR_SET_PDEATHSIG on Linux, and it checks its parent
every second anyway), so a killed run leaves nobody writing to the database; it ignores SIGINT/SIGTERM, which
stop the crawl in the parent, and stops when the parent has handed over the last item. A worker that dies on its
own (the OOM killer) loses the items it had not committed (at most a batch, and the queue): the run says so in one
line, exits 1, and leaves the portals unpolled, so the next run fetches what was lost.
"""
from __future__ import annotations

import ctypes
import gc
import logging
import multiprocessing
import os
import queue
import resource
import signal
import sys
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

import storage
from spiders.items import DocumentPage, RawPage

from .config import Config
from .ingest import Ingestor, PortalRun
from .logs import current_level, setup_logging

log = logging.getLogger("policywatch")

QUEUE_ITEMS = 64  # pages in flight to the worker (~100 KB each); the crawl waits when the worker falls behind
# items per transaction in the worker while it is behind the crawl (see Ingestor): a transaction per document rewrote
# the same index pages for each, and first crawls were slower in alternating one-off runs
WORKER_BATCH = 32
_POLL_S = 1.0
_PR_SET_PDEATHSIG = 1


@dataclass
class _Start:
    database_url: str
    config: Config
    portals: dict[str, PortalRun]
    run_id: int
    storage_errors: int
    log_level: str
    parent_pid: int


@dataclass
class _Result:
    portals: dict[str, PortalRun]
    storage_errors: int


class IngestPipeline:
    """Feeds crawl items to ``ingestor``: in this process first, then to a worker process (see module docstring).

    ``handle`` is the crawl's item callback; ``close`` must be called after the crawl (it waits for the worker).
    ``lost`` is True when the worker died before storing everything it was given."""

    def __init__(self, ingestor: Ingestor) -> None:
        self.ingestor = ingestor
        # a worker costs about 1 s of CPU to start (a fresh interpreter importing storage and diffing)
        self.offload_after = ingestor.config.ingest_worker_after
        self.pages = 0
        self.items = 0  # handed to the worker
        self.unread = 0  # of which document pages the spider left unread
        self.lost = False
        self._proc: Any = None
        self._items: Any = None
        self._results: Any = None

    def handle(self, item: object) -> None:
        if self.lost:
            return  # the worker died: what is left of this cycle is fetched again next run
        if self._proc is not None:
            self._put(item)
            self.items += 1
            self.unread += isinstance(item, RawPage)
            return
        self.ingestor.safe_handle(item)
        if isinstance(item, (DocumentPage, RawPage)):
            self.pages += 1
            if self.pages >= self.offload_after:
                self.start()

    def hand_over(self) -> bool:
        """Asked by the spider before it reads a document page: True when the worker should read it instead (see
        spiders/rawpage.py). The worker gets pages unread while its queue is less than half full and the crawl
        reads them itself otherwise, which shares the CPU-heavy part between the two processes as they keep up."""
        return self._proc is not None and not self.lost and self._items.qsize() < QUEUE_ITEMS // 2

    def close(self) -> None:
        """Hand over the end marker, wait until the worker has stored everything, adopt its counts."""
        if self._proc is None:
            return
        if not self.lost:
            self._put(None)
        result = None
        while not self.lost:
            try:
                result = self._results.get(timeout=_POLL_S)
                break
            except queue.Empty:
                if not self._proc.is_alive():
                    try:
                        result = self._results.get(timeout=_POLL_S)
                    except queue.Empty:
                        self._died()
                    break
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        self._proc.join()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        own = resource.getrusage(resource.RUSAGE_SELF)
        worker_cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        log.debug("ingest worker done: %d items (%d pages read there), %.1f s CPU (the crawling process so far: "
                  "%.1f s CPU)", self.items, self.unread, worker_cpu, own.ru_utime + own.ru_stime)
        if result is not None:
            self.ingestor.portals.update(result.portals)  # the same dict object the cycle reads afterwards
            self.ingestor.storage_errors = result.storage_errors
        self._proc = None

    # -- parent side -------------------------------------------------------------------------------------------------
    def start(self, *, fork: bool = False) -> None:
        """Start the worker (if offloading is on and it is not running yet). Called after ``ingest_worker_after``
        document pages, or at once for a cycle known to be big, so that the worker's start-up overlaps the crawl's.

        ``fork``: copy this process instead of starting a fresh interpreter, which saves the worker the second of CPU
        it spends importing storage and diffing. Only for a start before the crawl: then this process has no other
        thread and no socket a copy would hold open (else the worker is spawned anyway). The engine's pooled
        connections are closed first, so that the copy inherits none (the worker opens its own)."""
        if self._proc is not None or self.lost or not self.offload_after or not sys.platform.startswith("linux"):
            return
        fork = fork and threading.active_count() == 1
        engine: Engine = self.ingestor.engine
        if fork:
            engine.dispose()
        # spawn: a fresh interpreter, with no inherited connections or reactor
        ctx = multiprocessing.get_context("fork" if fork else "spawn")
        self._items = ctx.Queue(QUEUE_ITEMS)
        self._results = ctx.Queue()
        start = _Start(
            database_url=engine.url.render_as_string(hide_password=False), config=self.ingestor.config,
            portals=self.ingestor.portals, run_id=self.ingestor.run_id, storage_errors=self.ingestor.storage_errors,
            log_level=current_level(), parent_pid=os.getpid(),
        )
        self._proc = ctx.Process(target=_worker_main, args=(start, self._items, self._results),
                                 name="policywatch-ingest", daemon=True)
        self._proc.start()
        log.debug("ingest worker %s (pid %d) after %d document pages", "forked" if fork else "started",
                  self._proc.pid, self.pages)

    def _put(self, item: object) -> None:
        while True:
            try:
                self._items.put(item, timeout=_POLL_S)
                return
            except queue.Full:
                if not self._proc.is_alive():
                    self._died()
                    return

    def _died(self) -> None:
        self.lost = True
        self.ingestor.storage_errors += 1
        code = self._proc.exitcode
        how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited with code {code}"
        log.error("the ingest worker (pid %d) %s before storing everything; pages of this cycle it had not stored "
                  "will be fetched again next run", self._proc.pid, how)


# -- worker side ---------------------------------------------------------------------------------------------------
def _die_with_parent(parent_pid: int) -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux; the getppid check below still applies
        pass
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def _worker_main(start: _Start, items: Any, results: Any) -> None:
    _die_with_parent(start.parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a stop signal ends the crawl in the parent, which then
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # hands over the end marker: nothing fetched is dropped
    setup_logging(start.log_level)
    engine = storage.make_engine(start.database_url)
    ingestor = Ingestor(engine=engine, config=start.config, portals=start.portals, run_id=start.run_id,
                        batch=WORKER_BATCH)
    ingestor.storage_errors = start.storage_errors
    ingestor.warm_up()  # the first pages arrive only once Scrapy has started in the parent
    gc.freeze()  # what exists now lives until the end: the worker's full collections need not walk it again
    while True:
        try:
            item = items.get(timeout=_POLL_S)
        except queue.Empty:
            if os.getppid() != start.parent_pid:
                os._exit(1)
            continue
        if item is None:
            break
        ingestor.safe_handle(item)
        if items.empty():  # caught up with the crawl: nothing is gained by holding what is stored
            ingestor.commit()
    ingestor.commit()
    results.put(_Result(portals=ingestor.portals, storage_errors=ingestor.storage_errors))
    engine.dispose()
