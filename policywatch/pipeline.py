"""Crawl in a child process while this one stores what it fetches.

``policywatch run`` forks a ``CrawlProcess`` first, before it reads its config, imports storage or opens the
database. The child imports Scrapy and the spiders while the parent does those and works out what to crawl; the
parent then hands the child the crawl plan (``crawl``) and stores every item the child sends back, in order,
through a bounded queue. A cycle's three CPU-heavy parts (Scrapy, reading each document page, storing each
version) are shared between the two processes: the parent stores, Scrapy runs in the child, and pages are read
where there is room. While the parent keeps up, the spider hands it pages unread (``hand_over``,
spiders/rawpage.py); when it falls behind, the spider reads them itself, and the child also works out the
fingerprints of each page it sends (``FingerprintedPage``), which storing would otherwise compute in the parent.
While the crawl is ahead, the parent commits items in batches of up to ``BATCH`` (see ``Ingestor``); when it has
caught up, it commits at once. What reaches the database is what a one-process crawl (``run_cycle`` without a
``CrawlProcess``, used off Linux and for distributed cycles) writes.

Failures: the child dies with the parent (PR_SET_PDEATHSIG on Linux, and it checks its parent every second anyway),
so a killed run leaves nothing crawling. The child runs in its own session: a stop signal (SIGINT, SIGTERM) reaches
the parent, which passes it on once as SIGINT, and Scrapy stops the crawl gracefully; the parent stores what was
fetched, and the cycle does not count as done (its portals stay due, a first crawl records no baseline yet). A child
that dies on its own (the OOM killer) ends the crawl early: the run says so in one line, exits 1, and leaves the
portals unpolled, so the next run fetches what was missed.

This module imports nothing heavy at load time: ``fork`` is called before storage and Scrapy are imported.
"""
from __future__ import annotations

import ctypes
import fcntl
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
from typing import TYPE_CHECKING, Any, Callable

from .logs import current_level, setup_logging

if TYPE_CHECKING:  # not at run time: this module is loaded before storage, so that the fork comes first
    from .ingest import Ingestor

log = logging.getLogger("policywatch")

QUEUE_ITEMS = 64  # items in flight to the parent (a page is ~100 KB); the crawl waits when the parent falls behind
# items per transaction while the crawl is ahead of storage: a transaction per document rewrote the same index pages
# for each, and first crawls were slower in alternating one-off runs
BATCH = 32
# objects allocated between two collections of the youngest generation while storing (Python's default: 700): as
# in the crawl process (spiders/runner.py), fewer collections walk the short-lived objects of each page fewer times
YOUNG_OBJECTS = 3000
PIPE_BYTES = 1 << 20  # the item pipe's buffer (see _widen): several pages
_POLL_S = 1.0
_PR_SET_PDEATHSIG = 1


@dataclass
class _Plan:
    jobs: list[tuple[Any, dict[str, Any], set[str]]]  # (PortalSpec, known documents, URLs to re-check) per portal
    settings: dict[str, Any]
    log_level: str  # the run's (the child is forked before the run has read its config and set its logging up)


@dataclass
class FingerprintedPage:
    """A DocumentPage sent with the fingerprints of its paragraphs (``diffing.fingerprints``), worked out by the
    crawl process while the parent is behind: storing it then skips that step."""

    page: Any  # spiders.items.DocumentPage
    fingerprints: tuple[str, str]  # (exact, semantic)


@dataclass
class _End:
    """The child's last message: the crawl ended (``stopped``: cut short by a stop signal; ``error``: why it could
    not run at all)."""

    stopped: bool = False
    error: str | None = None


class CrawlProcess:
    """A forked child that waits for a crawl plan, runs Scrapy on it and sends the items back (module docstring).

    ``fork()`` returns None where forking is not safe or possible (not Linux, or this process has other threads);
    the caller then crawls in its own process. Every CrawlProcess must end with ``crawl`` or ``cancel``."""

    def __init__(self, proc: Any, plans: Any, items: Any) -> None:
        self._proc = proc
        self._plans = plans
        self._items = items
        self._done = False
        self.pid: int = proc.pid

    @classmethod
    def fork(cls) -> CrawlProcess | None:
        if not sys.platform.startswith("linux") or threading.active_count() != 1:
            return None
        ctx = multiprocessing.get_context("fork")
        reader, writer = ctx.Pipe(duplex=False)
        items = ctx.Queue(QUEUE_ITEMS)
        _widen(items._reader.fileno())
        proc = ctx.Process(target=_child_main, args=(reader, items, os.getpid()), name="policywatch-crawl", daemon=True)
        proc.start()
        reader.close()
        # This process only reads the queue. Closing its copy of the queue's write end means the child's death ends
        # the pipe: a message it was killed in the middle of writing is then an error here (OSError "got end of
        # file during message"), not a read that waits for the rest forever.
        items._writer.close()
        return cls(proc, writer, items)

    def cancel(self) -> None:
        """No crawl after all (the lock is taken, nothing is due, or the run failed before crawling). The child has
        fetched nothing and holds nothing: it is killed rather than waited for while it is still importing Scrapy."""
        if self._done:
            return
        self._done = True
        self._proc.kill()
        self._proc.join()

    def crawl(self, jobs: list[tuple[Any, dict[str, Any], set[str]]], ingestor: Ingestor,
              settings: dict[str, Any]) -> bool:
        """Crawl ``jobs`` in the child and store each item with ``ingestor`` (made with ``batch=BATCH``) as it
        comes; True when the crawl ran to its end, False when it did not (the child died, or a stop signal ended
        the crawl early): what the child sent is stored; the portals stay due and the next run crawls them again."""
        self._done = True
        handlers = {sig: signal.signal(sig, self._pass_on) for sig in (signal.SIGINT, signal.SIGTERM)}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        items = 0
        end: _End | None = None  # stays None when the child dies before its end marker
        thresholds = gc.get_threshold()
        try:
            try:
                self._plans.send(_Plan(jobs=jobs, settings=settings, log_level=current_level()))
            except OSError:  # the child is gone already: reported below like a death during the crawl
                log.debug("the crawl process is gone before its plan was sent", exc_info=True)
            ingestor.warm_up()  # while the child sets the crawl up
            gc.freeze()  # what exists now lives until the end: the collections during the crawl need not walk it
            gc.set_threshold(YOUNG_OBJECTS, *thresholds[1:])
            gone = False
            while True:
                try:
                    item = self._items.get(timeout=_POLL_S)
                except queue.Empty:
                    ingestor.commit()
                    if gone:  # dead, and nothing came for a second since (the pipe's end below is the usual sign)
                        break
                    gone = not self._proc.is_alive()
                    continue
                except (EOFError, OSError):  # the pipe ended: the child died, possibly in the middle of an item
                    break
                if isinstance(item, _End):
                    end = item
                    break
                ingestor.safe_handle(item)
                items += 1
                if self._items.empty():  # caught up with the crawl: nothing is gained by holding what is stored
                    ingestor.commit()
            ingestor.commit()
        finally:
            gc.set_threshold(*thresholds)
            for sig, old in handlers.items():
                signal.signal(sig, old)
        self._proc.join()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        own = resource.getrusage(resource.RUSAGE_SELF)
        log.debug("crawl process done: %d items, %.1f s CPU (this process: %.1f s CPU)", items,
                  after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, own.ru_utime + own.ru_stime)
        if end is None:
            code = self._proc.exitcode
            how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited with code {code}"
            log.error("the crawl process (pid %d) %s before the crawl ended; what it had not fetched will be fetched "
                      "next run", self.pid, how)
            return False
        if end.error:
            log.error("the crawl could not run: %s", end.error)
            return False
        return not end.stopped

    def _pass_on(self, signum: int, _frame: Any) -> None:
        log.warning("%s received: stopping the crawl; what was fetched is stored, and the next run crawls these "
                    "portals again", signal.Signals(signum).name)
        try:
            os.kill(self.pid, signal.SIGINT)
        except ProcessLookupError:
            pass


def run_spiders(jobs: list[tuple[Any, dict[str, Any], set[str]]], *, on_item: Callable[[object], None],
                settings: dict[str, Any], hand_over: Callable[[], bool] | None = None) -> bool:
    """Crawl ``jobs`` ((PortalSpec, known documents, URLs to re-check) per portal) in this process, each item to
    ``on_item``; True when every crawl ran to its end (spiders/runner.py)."""
    from spiders.runner import run_cycle

    return run_cycle([spec for spec, _, _ in jobs], known={spec.name: known for spec, known, _ in jobs},
                     recheck={spec.name: recheck for spec, _, recheck in jobs}, on_item=on_item, settings=settings,
                     install_root_handler=False,
                     spider_kwargs={spec.name: {"hand_over": hand_over} for spec, _, _ in jobs} if hand_over else None)


def _widen(fd: int) -> None:
    """Give the item pipe PIPE_BYTES of buffer instead of the usual 64 KB, which held less than one page: the child
    then wrote each page in several pieces, and each piece woke the other process. A limit the kernel sets lower
    (/proc/sys/fs/pipe-max-size) leaves the pipe as it was."""
    try:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except OSError:
        log.debug("could not widen the item pipe", exc_info=True)


# -- child side ----------------------------------------------------------------------------------------------------
def _die_with_parent(parent_pid: int) -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux; the getppid checks below still apply
        pass
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def _child_main(plans: Any, items: Any, parent_pid: int) -> None:
    _die_with_parent(parent_pid)
    os.setsid()  # a terminal's Ctrl-C reaches the parent only, which passes it on once
    code = 1
    try:
        from spiders.items import DocumentPage
        from spiders.runner import warm_up

        warm_up()  # what setting the crawl up would load, while the parent opens the database
        while not plans.poll(_POLL_S):
            if os.getppid() != parent_pid:
                os._exit(1)
        plan = plans.recv()
        setup_logging(plan.log_level)

        def behind() -> bool:
            """The parent has half a queue or more still to store."""
            return items.qsize() >= QUEUE_ITEMS // 2

        def put(item: object) -> None:
            if isinstance(item, DocumentPage) and behind():
                from diffing import fingerprints

                try:
                    item = FingerprintedPage(item, fingerprints(item.paragraphs))
                except Exception:  # noqa: BLE001 - the page goes as it is; the parent then meets the same error
                    log.debug("fingerprinting %s failed", item.url, exc_info=True)
            while True:
                try:
                    items.put(item, timeout=_POLL_S)
                    return
                except queue.Full:
                    if os.getppid() != parent_pid:
                        os._exit(1)

        code = 0
        try:
            ended = run_spiders(plan.jobs, on_item=put, settings=plan.settings,
                                hand_over=lambda: not behind())
            put(_End(stopped=not ended))
        except Exception as exc:  # noqa: BLE001 - reported by the parent in one line
            log.debug("crawl failed", exc_info=True)
            put(_End(error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
            code = 1
        items.close()
        items.join_thread()  # everything put is in the pipe
    except BaseException:  # noqa: BLE001 - the parent reports a child that ended without its end marker
        log.debug("crawl process failed", exc_info=True)
        code = 1
    finally:
        logging.shutdown()
        # no interpreter teardown: the parent is waiting, and nothing here needs a last garbage collection
        os._exit(code)
