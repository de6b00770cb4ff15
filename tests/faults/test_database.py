"""The database taken away: a read-only disk, a full disk, a write lock held by another process. Each gives a
clear error line and a non-zero exit, leaves the file intact, and the next normal run stores everything the
failed ones could not."""
from __future__ import annotations

import sqlite3
import time

import pytest

from policywatch.demo.server import PortalServer, WebhookRecorder
from policywatch.ops import open_engine

from ..conftest import export, write_config
from . import pages
from .helpers import (Cli, assert_sound, cli, consistency_problems, file_size_limit, integrity, no_traceback,
                      wait_until, without_root_file_powers)
from .scenarios import scenario

REVISED, ADDED = 0, 3


def _lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


@scenario(seconds=35)
def held_lock(tmp_path) -> dict:
    """Runs that meet SQLite's write lock held by another process for longer than they wait (30 s): one from
    its start, one from the moment it holds the run lock (past startup, about to write its first row)."""
    state = {}
    with PortalServer(pages.site([0])) as server:
        for when in ("start", "mid_run"):
            db = tmp_path / when / "pw.db"
            open_engine(f"sqlite:///{db}").dispose()  # an existing, current database, made as the CLI makes one
            config = write_config(tmp_path / when / "policywatch.toml", db=db,
                                  portals=[pages.portal_config(server.base)])
            holder = sqlite3.connect(db, isolation_level=None, timeout=30)
            if when == "start":
                holder.execute("BEGIN EXCLUSIVE")
            run = Cli("--config", str(config), "run")
            if when == "mid_run":
                run_lock = db.with_name("pw.db.lock")
                wait_until(lambda: not run.running() or (run_lock.exists() and run_lock.read_text().strip()
                                                         == str(run.popen.pid)), timeout=60, what="the run lock")
                holder.execute("BEGIN EXCLUSIVE")
            state[when] = {"run": run, "holder": holder, "db": db}
        for s in state.values():
            try:
                s["result"] = s["run"].finish(timeout=150)
            finally:
                s["run"].kill()
                s["holder"].execute("ROLLBACK")
                s["holder"].close()
    return state


@pytest.fixture(scope="module")
def locked(scenarios):
    return scenarios(held_lock)


@scenario(seconds=20)
def disk_faults(tmp_path) -> dict:
    """A baseline cycle; then the portal changes (a revision, a new document) and the next cycles meet a
    read-only disk and a full disk; then a normal cycle that first waits out a short lock."""
    db = tmp_path / "pw.db"
    out: dict = {"db": db}
    with PortalServer(pages.site([0, 1, 2])) as server, WebhookRecorder() as hook:
        config = write_config(tmp_path / "policywatch.toml", db=db, portals=[pages.portal_config(server.base)],
                              subscriptions=[{"name": "ops", "urls": [hook.url("hook")]}])
        out["first"] = cli("--config", str(config), "run")
        out["baseline_messages"] = len(hook.messages)
        server.set_pages(pages.site([0, 1, 2, ADDED], revised={REVISED: 1}))

        files = [db, *(p for p in tmp_path.iterdir() if p.name.startswith("pw.db"))]
        modes = {p: p.stat().st_mode for p in files + [tmp_path]}
        for p in files:
            p.chmod(0o444)
        tmp_path.chmod(0o555)
        try:
            out["read_only"] = cli("--config", str(config), "run", "--force", preexec_fn=without_root_file_powers)
        finally:
            for p, mode in modes.items():
                p.chmod(mode)
        out["read_only_sound"] = (integrity(db), consistency_problems(db))

        out["full"] = cli("--config", str(config), "run", "--force", preexec_fn=file_size_limit(64 * 1024))
        out["full_sound"] = (integrity(db), consistency_problems(db))

        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        later = Cli("--config", str(config), "run", "--force")
        time.sleep(2)  # the run is up and waiting for the lock by now (or soon: either way it must wait)
        holder.execute("ROLLBACK")
        holder.close()
        out["later"] = later.finish(timeout=120)
        out["data"] = export(config)
        out["messages"] = list(hook.messages)
    return out


@pytest.fixture(scope="module")
def faulted(scenarios):
    return scenarios(disk_faults)


def test_read_only_database_is_one_clear_line_and_exit_1(faulted):
    assert faulted["first"].returncode == 0, faulted["first"].stderr
    ro = faulted["read_only"]
    assert ro.returncode == 1, ro.stderr
    no_traceback(ro.stderr)
    (line,) = _lines(ro.stderr)
    assert line.startswith("policywatch: error: database ") and "readonly" in line.replace("-", ""), line
    assert faulted["read_only_sound"] == ("ok", [])


def test_read_only_database_error_names_the_file(faulted):
    (line,) = _lines(faulted["read_only"].stderr)
    assert str(faulted["db"]) in line, line


def test_full_disk_fails_each_document_on_one_line_and_corrupts_nothing(faulted):
    full = faulted["full"]
    assert full.returncode == 1, full.stderr
    no_traceback(full.stderr)
    lines = _lines(full.stderr)
    assert lines and all(line.startswith("policywatch: ") for line in lines), full.stderr
    assert faulted["full_sound"] == ("ok", [])


def test_next_normal_run_waits_out_a_short_lock_and_stores_what_the_failed_runs_could_not(faulted):
    later = faulted["later"]
    assert later.returncode == 0, later.stderr
    assert_sound(faulted["db"])
    data = faulted["data"]
    versions = {d["title"]: [v["paragraphs"] for v in d["versions"]] for d in data["documents"]}
    assert versions == {
        pages.title(0): [pages.paragraphs(0), pages.paragraphs(0, revision=1)],
        pages.title(1): [pages.paragraphs(1)],
        pages.title(2): [pages.paragraphs(2)],
        pages.title(ADDED): [pages.paragraphs(ADDED)],
    }
    fresh = sorted((c["kind"], c["document_url"]) for c in data["changes"] if not c["baseline"])
    by_title = {d["title"]: d["url"] for d in data["documents"]}
    assert fresh == sorted([("revised", by_title[pages.title(REVISED)]), ("new", by_title[pages.title(ADDED)])])
    alerts = faulted["messages"][faulted["baseline_messages"]:]
    for n in (REVISED, ADDED):
        assert sum(pages.title(n) in m["title"] + m["message"] for m in alerts) == 1, (n, alerts)
    assert len(alerts) == 2
    assert all(d["status"] == "sent" for d in data["deliveries"])


def test_run_meeting_a_held_write_lock_at_startup_fails_in_one_line_and_leaves_the_file_intact(locked):
    result = locked["start"]["result"]
    assert result.returncode == 1, result.stderr
    no_traceback(result.stderr)
    (line,) = _lines(result.stderr)
    assert line.startswith("policywatch: error: ") and "locked" in line, line
    assert_sound(locked["start"]["db"])


def test_run_meeting_a_held_write_lock_mid_run_fails_and_leaves_the_file_intact(locked):
    result = locked["mid_run"]["result"]
    assert result.returncode not in (0, -9), result.stderr
    assert_sound(locked["mid_run"]["db"])


def test_run_meeting_a_held_write_lock_mid_run_says_so_in_one_line(locked):
    result = locked["mid_run"]["result"]
    no_traceback(result.stderr)
    (line,) = _lines(result.stderr)
    assert line.startswith("policywatch: error: ") and "locked" in line, line
