"""`policywatch daemon`: stay in the foreground and run a cycle whenever a portal is due.

Each cycle is a child process (``python -m policywatch --config FILE run``) because Scrapy's reactor can run only
once per process. Between cycles the daemon sleeps until the next portal is due, waking at least every ``tick``
seconds to re-read the config. When only notifications are due (a retry whose backoff has passed) it runs
``deliver`` instead.

SIGTERM or SIGINT: the daemon sends the running child one SIGINT (the child is in its own session, so a
terminal's Ctrl-C does not reach it twice). SIGINT rather than SIGTERM because it stops every phase of a cycle
cleanly: Scrapy finishes the requests in flight and the cycle records its results; elsewhere Python unwinds
(transactions roll back, the lock is released). The daemon waits for the child and exits 0. A child still
running ``grace`` seconds later is killed; the outbox's claim/commit design makes that safe. A second signal is
passed on too (Scrapy then stops at once).

When a cycle leaves the same work due (it crashed, the config is broken, another run held the lock), the next
try waits ``min_gap`` seconds, doubling with each such cycle in a row up to an hour.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported inside the functions, so that building the CLI parser stays fast
    from sqlalchemy.engine import Engine

    from .config import Config

log = logging.getLogger("policywatch")


@dataclass(frozen=True)
class Due:
    """What is due now, and how long until something is."""

    portals: tuple[str, ...]
    deliveries: bool
    wait_s: float  # 0 when something is due now


def next_due(engine: Engine, config: Config, now: datetime) -> Due:
    """The configured portals due at ``now`` (by ``last_polled_at`` + ``interval``, as ``run`` decides), whether a
    pending delivery is due, and the seconds until the earliest of these otherwise."""
    from sqlalchemy import func
    from sqlmodel import col, select

    import storage
    from storage import Delivery, repo

    from .schedule import SLACK

    with storage.session(engine) as s:
        polled = {p.name: p.last_polled_at for p in repo.list_portals(session=s)}
        next_delivery = s.exec(
            select(func.min(Delivery.next_attempt_at)).where(col(Delivery.status).in_(["pending", "collecting"]))
        ).one()
    due, waits = [], []
    for pc in config.portals:
        last = polled.get(pc.name)
        at = now if last is None else last + timedelta(seconds=pc.interval * (1 - SLACK))
        if at <= now:
            due.append(pc.name)
        waits.append((at - now).total_seconds())
    deliveries = next_delivery is not None and next_delivery <= now
    if next_delivery is not None:
        waits.append((next_delivery - now).total_seconds())
    wait = 0.0 if (due or deliveries) else max(0.0, min(waits, default=float("inf")))
    return Due(portals=tuple(due), deliveries=deliveries, wait_s=wait)


class Daemon:
    def __init__(self, config_path: Path, *, tick: float = 60.0, min_gap: float = 30.0, grace: float = 120.0,
                 verbose: bool = False) -> None:
        self.config_path = config_path.resolve()
        self.tick = tick
        self.min_gap = min_gap
        self.grace = grace
        self.verbose = verbose
        self.stop_requested: float | None = None  # monotonic time of the first stop signal
        self.failures = 0  # cycles in a row that left the same work due
        self._config_error: str | None = None
        self._wake = threading.Event()
        self._child: subprocess.Popen | None = None

    # signals ---------------------------------------------------------------------------------------------------
    def _on_signal(self, signum: int, _frame) -> None:
        if self.stop_requested is None:
            self.stop_requested = time.monotonic()
            log.info("daemon: %s received; stopping after the current cycle", signal.Signals(signum).name)
        child = self._child
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGINT)
        self._wake.set()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)

    # children --------------------------------------------------------------------------------------------------
    def _command(self, action: str) -> list[str]:
        cmd = [sys.executable, "-m", "policywatch", "--config", str(self.config_path)]
        return cmd + (["-v"] if self.verbose else []) + [action]

    def run_child(self, action: str) -> int:
        """Run one ``policywatch ACTION`` to the end (or until killed after the grace period); its exit status."""
        child = subprocess.Popen(self._command(action), start_new_session=True)
        self._child = child
        if self.stop_requested is not None:  # the signal came while the child was being started
            child.send_signal(signal.SIGINT)
        log.info("daemon: %s started (pid %d)", action, child.pid)
        try:
            while True:
                try:
                    rc = child.wait(timeout=0.5)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if self.stop_requested is not None and time.monotonic() - self.stop_requested > self.grace:
                    log.warning("daemon: %s (pid %d) still running %.0f s after the stop signal; killing it",
                                action, child.pid, self.grace)
                    child.kill()
        finally:
            self._child = None
        log.info("daemon: %s finished (status %d)", action, rc)
        return rc

    def gap(self) -> float:
        """Least seconds between the end of one child and the start of the next."""
        return min(self.min_gap * 2 ** self.failures, max(self.min_gap, 3600.0))

    def sleep(self, seconds: float) -> None:
        if seconds > 0 and self.stop_requested is None:
            self._wake.wait(seconds)
            self._wake.clear()

    # the loop --------------------------------------------------------------------------------------------------
    def _reload(self, current: Config) -> Config:
        from .config import ConfigError, load_config

        try:
            config = load_config(self.config_path)
        except ConfigError as exc:
            if str(exc) != self._config_error:  # say it once, not every tick
                log.error("daemon: %s; keeping the previous config", exc)
                self._config_error = str(exc)
            return current
        self._config_error = None
        return config

    def loop(self, engine: Engine, config: Config) -> int:
        last_cycle_end: float | None = None
        log.info("daemon: watching %d portal(s) of %s (pid %d)", len(config.portals), self.config_path, os.getpid())
        while self.stop_requested is None:
            config = self._reload(config)
            try:
                due = next_due(engine, config, datetime.now(timezone.utc))
            except Exception as exc:  # database briefly unreachable: try again on the next tick
                log.error("daemon: cannot read the schedule: %s", str(exc).splitlines()[0])
                self.sleep(self.tick)
                continue
            if due.wait_s > 0:
                self.sleep(min(due.wait_s, self.tick))
                continue
            if last_cycle_end is not None and time.monotonic() - last_cycle_end < self.gap():
                # something is still due right after a cycle (another run held the lock, or the cycle crashed)
                self.sleep(min(self.gap() - (time.monotonic() - last_cycle_end), self.tick))
                continue
            action = "run" if due.portals else "deliver"
            rc = self.run_child(action)
            last_cycle_end = time.monotonic()
            if self.stop_requested is not None:
                break
            try:
                after = next_due(engine, config, datetime.now(timezone.utc))
            except Exception:
                after = due
            stuck = bool(set(after.portals) & set(due.portals)) if due.portals else after.deliveries
            self.failures = self.failures + 1 if stuck else 0
            if stuck:
                log.error("daemon: %s (status %d) left %s due; next try in %g s", action, rc,
                          ", ".join(after.portals) or "deliveries", self.gap())
        log.info("daemon: stopped")
        return 0


def cmd_daemon(args) -> int:
    from .cli import _config_path, _load
    from .ops import open_engine

    config = _load(args)
    engine = open_engine(config.resolved_database_url())
    daemon = Daemon(_config_path(args), tick=args.tick, min_gap=args.min_gap, grace=args.grace, verbose=args.verbose)
    daemon.install_signal_handlers()
    try:
        return daemon.loop(engine, config)
    finally:
        engine.dispose()


def add_daemon_parser(subparsers) -> None:
    c = subparsers.add_parser("daemon", help="run in the foreground, polling each portal when it is due "
                              "(an alternative to cron; stops cleanly on SIGTERM/SIGINT)")
    c.add_argument("--tick", type=float, default=60.0, metavar="SECONDS",
                   help="wake at least this often to re-read the config (default 60)")
    c.add_argument("--min-gap", type=float, default=30.0, metavar="SECONDS",
                   help="least time between the end of a cycle and the start of the next (default 30)")
    c.add_argument("--grace", type=float, default=120.0, metavar="SECONDS",
                   help="after a stop signal, kill a cycle still running this long (default 120)")
    c.set_defaults(func=cmd_daemon)
