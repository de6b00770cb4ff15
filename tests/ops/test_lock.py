"""Two real `policywatch run` processes on one database: never both at once."""
from __future__ import annotations

from sqlmodel import select

import storage
from policywatch.demo.site import COLUMN, site
from storage import Run

from ..conftest import run_cli, write_config
from .procs import Proc, slow_down, wait_until


def test_a_second_run_exits_at_once_or_waits_its_turn(tmp_path, portal_server):
    server = portal_server(site(1))
    set_delay = slow_down(server, 1.0)  # the first cycle is still crawling when the second starts
    db = tmp_path / "pw.db"
    config = write_config(tmp_path / "policywatch.toml", db=db, portals=[
        {"name": "sample", "start_urls": [f"{server.base}{COLUMN}index.html"], "delay": 0, "max_pages": 3}])

    first = Proc("--config", str(config), "run", "--no-deliver")
    try:
        wait_until(lambda: len(server.requests) > 0 or first.popen.poll() is not None, what="the first run to crawl")
        assert first.popen.poll() is None, first.lines

        second = run_cli("--config", str(config), "run", "--no-deliver")
        assert second.returncode == 0, second.stderr
        assert "another policywatch run holds" in second.stderr
        assert first.popen.poll() is None  # the second did not wait for the first

        waiter = Proc("--config", str(config), "run", "--no-deliver", "--wait")
        set_delay(0)
        assert first.wait(timeout=120) == 0, first.lines
        assert waiter.wait(timeout=120) == 0, waiter.lines
    finally:
        first.stop()

    engine = storage.make_engine(f"sqlite:///{db}")
    try:
        with storage.session(engine) as s:
            runs = s.exec(select(Run).order_by(Run.id)).all()
    finally:
        engine.dispose()
    assert len(runs) == 2  # the run that found the lock taken did not start a cycle
    assert all(r.finished_at is not None for r in runs)
    assert runs[1].started_at >= runs[0].finished_at  # the waiting run began after the first had finished
