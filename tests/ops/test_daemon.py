"""`policywatch daemon` as a real process: it sleeps while nothing is due, runs a cycle in a child process when a
portal is due, and stops cleanly (exit 0) on SIGTERM/SIGINT — also in the middle of a cycle."""
from __future__ import annotations

import signal
import time
from datetime import datetime, timezone

from sqlmodel import select

import storage
from policywatch.demo.site import COLUMN, site
from policywatch.lock import RunLock
from storage import Portal, Run, migrate, repo

from ..conftest import write_config
from .procs import Proc, alive, slow_down, wait_until


def _setup(tmp_path, server, *, polled_now: bool):
    db = tmp_path / "pw.db"
    config = write_config(tmp_path / "policywatch.toml", db=db, portals=[
        {"name": "sample", "start_urls": [f"{server.base}{COLUMN}index.html"], "delay": 0, "max_pages": 3,
         "interval": "1h"}])
    engine = storage.make_engine(f"sqlite:///{db}")
    migrate.stamp_or_upgrade_new(engine)
    if polled_now:
        with storage.session(engine) as s:
            portal = repo.get_or_create_portal(session=s, name="sample", now=datetime.now(timezone.utc))
            portal.last_polled_at = datetime.now(timezone.utc)
            s.add(portal)
            s.commit()
    return config, engine


def test_idle_daemon_stops_at_once_on_sigterm(tmp_path, portal_server):
    server = portal_server(site(1))
    config, engine = _setup(tmp_path, server, polled_now=True)
    daemon = Proc("--config", str(config), "-v", "daemon", "--tick", "0.5")
    try:
        daemon.wait_for_line(r"daemon: watching 1 portal")
        time.sleep(0.8)  # at least one wake-up: still nothing due
        started = time.monotonic()
        daemon.popen.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=10) == 0, daemon.lines
        assert time.monotonic() - started < 5
    finally:
        daemon.stop()
        engine.dispose()
    assert server.requests == []  # the portal was not due: no cycle ran
    assert not any("run started" in line for line in daemon.lines)


def test_sigterm_mid_cycle_lets_the_cycle_finish_then_exits_0(tmp_path, portal_server):
    server = portal_server(site(1))
    slow_down(server, 0.3)
    config, engine = _setup(tmp_path, server, polled_now=False)  # never polled: due at once
    daemon = Proc("--config", str(config), "-v", "daemon", "--tick", "1", "--grace", "60")
    try:
        child = int(daemon.wait_for_line(r"daemon: run started \(pid (\d+)\)").group(1))
        wait_until(lambda: len(server.requests) > 0, what="the cycle to reach the portal")
        daemon.popen.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=60) == 0, daemon.lines
        assert not alive(child)  # the child was waited for, not left behind
        with storage.session(engine) as s:
            runs = s.exec(select(Run)).all()
            portal = s.exec(select(Portal)).one()
        assert len(runs) == 1 and runs[0].finished_at is not None  # the cycle was closed properly, not killed
        # ...but a crawl cut short does not count as a cycle done: the portal stays due (and without a baseline)
        assert portal.last_polled_at is None and not portal.baseline_done
        assert not any("killing it" in line for line in daemon.lines)
    finally:
        daemon.stop()
        engine.dispose()


def test_a_cycle_that_cannot_start_is_retried_with_growing_gaps_not_in_a_loop(tmp_path, portal_server):
    server = portal_server(site(1))
    config, engine = _setup(tmp_path, server, polled_now=False)
    with RunLock.for_database(f"sqlite:///{tmp_path / 'pw.db'}") as lock:  # as if a long cron run were working
        assert lock.acquired
        daemon = Proc("--config", str(config), "-v", "daemon", "--tick", "1", "--min-gap", "0.25")
        try:
            daemon.wait_for_line(r"next try in 0\.5 s")
            daemon.wait_for_line(r"next try in 1 s")
            daemon.popen.send_signal(signal.SIGINT)
            assert daemon.wait(timeout=20) == 0, daemon.lines
        finally:
            daemon.stop()
            engine.dispose()
    starts = [line for line in daemon.lines if "run started" in line]
    assert 2 <= len(starts) <= 3, daemon.lines
    assert sum("another policywatch run holds" in line for line in daemon.lines) == len(starts)
    assert server.requests == []
