"""``policywatch run`` crawls in a child process forked when it starts and stores what the child sends in its own
(policywatch/pipeline.py). The tests check what a user would see: the same documents, versions and messages as a
one-process crawl; a crawl process killed mid-crawl costs one error line and exit 1, and the next run stores what
was missed, once; a run killed with -9 takes its crawl process with it (nothing goes on fetching for nobody)."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from pathlib import Path

from policywatch.demo.server import WebhookRecorder

from ..conftest import write_config
from . import pages
from .helpers import Cli, cli, consistency_problems, integrity, no_traceback, scalar, unreadable_raw_bodies, wait_until
from .scenarios import scenario
from .servers import SlowPortal

DOCS = list(range(12))
HOLD_AFTER = 6  # the server answers this many documents, then holds the next one until released


def _config(tmp_path: Path, server, hook) -> Path:
    return write_config(tmp_path / "policywatch.toml", db=tmp_path / "pw.db",
                        portals=[pages.portal_config(server.base)],
                        subscriptions=[{"name": "ops", "urls": [hook.url("hook")]}])


def _crawl_processes(pid: int) -> list[int]:
    """Child processes of ``pid`` that multiprocessing started (not its resource tracker, should it run one)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            if b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes():
                out.append(int(child))
    return out


def _gone(pid: int) -> bool:
    """The process no longer runs (exited, possibly not yet reaped by whoever adopted it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


def _start_held(server: SlowPortal, config: Path, db: Path) -> tuple[Cli, int]:
    """Start a run and wait until the server holds a document back and everything answered before it is stored;
    the run and its crawl process's pid."""
    server.hold(after=HOLD_AFTER)
    run = Cli("--config", str(config), "run")
    wait_until(lambda: server.held.is_set() or not run.running(), timeout=90, what="the crawl to reach the hold")
    wait_until(lambda: scalar(db, "SELECT count(*) FROM version") >= HOLD_AFTER or not run.running(), timeout=60,
               what="the answered documents to be stored")
    assert run.running(), run.finish(5).stderr
    (crawler,) = _crawl_processes(run.popen.pid)
    return run, crawler


def _soundness(db: Path) -> list[str]:
    return [p for p in [integrity(db)] if p != "ok"] + consistency_problems(db) + unreadable_raw_bodies(db)


def _outcome(config: Path, db: Path, hook) -> dict:
    exported = cli("--config", str(config), "export")
    return {"problems": _soundness(db), "data": json.loads(exported.stdout), "messages": list(hook.messages)}


def _rerun(config: Path, db: Path, hook) -> dict:
    """Run again (the server no longer holding anything back), then the outcome."""
    return {"rerun": cli("--config", str(config), "run")} | _outcome(config, db, hook)


def _assert_rerun_recorded_the_baseline_once(got: dict) -> None:
    """The rerun completed the first crawl: every document stored once, one summary of them all."""
    assert got["rerun"].returncode == 0, got["rerun"].stderr
    assert got["problems"] == []
    versions = {d["title"]: d["versions"] for d in got["data"]["documents"]}
    assert sorted(versions) == sorted(pages.title(n) for n in DOCS)
    assert all(len(v) == 1 for v in versions.values())
    (summary,) = got["messages"]
    assert f"收录 {len(DOCS)} 份文件" in summary["message"], summary


@scenario(seconds=20)
def crawl_process_killed(tmp_path) -> dict:
    db = tmp_path / "pw.db"
    with SlowPortal(pages.site(DOCS)) as server, WebhookRecorder() as hook:
        config = _config(tmp_path, server, hook)
        run, crawler = _start_held(server, config, db)
        os.kill(crawler, signal.SIGKILL)
        time.sleep(0.5)
        server.release()
        out = {"run": run.finish(60), "stored": scalar(db, "SELECT count(*) FROM document"),
               "messages_after_kill": list(hook.messages)}
        out |= _rerun(config, db, hook)
    return out


def test_a_killed_crawl_process_costs_one_error_line_and_the_next_run_stores_the_rest_once(scenarios):
    got = scenarios(crawl_process_killed)
    run = got["run"]
    assert run.returncode == 1
    no_traceback(run.stderr)
    assert [line for line in run.stderr.splitlines() if "ERROR" in line] == [
        line for line in run.stderr.splitlines() if "crawl process" in line and "killed by signal 9" in line]
    assert HOLD_AFTER <= got["stored"] < len(DOCS)
    assert got["messages_after_kill"] == []  # no baseline summary for a cycle that did not finish

    _assert_rerun_recorded_the_baseline_once(got)
    versions = {d["title"]: d["versions"] for d in got["data"]["documents"]}
    for n in DOCS:
        assert [v["paragraphs"] for v in versions[pages.title(n)]] == [pages.paragraphs(n)], n


@scenario(seconds=20)
def run_killed(tmp_path) -> dict:
    db = tmp_path / "pw.db"
    with SlowPortal(pages.site(DOCS)) as server, WebhookRecorder() as hook:
        config = _config(tmp_path, server, hook)
        run, crawler = _start_held(server, config, db)
        run.kill()
        killed = run.finish(10)
        deadline = time.monotonic() + 5
        while not _gone(crawler) and time.monotonic() < deadline:
            time.sleep(0.05)
        out = {"killed": killed, "crawl_gone": _gone(crawler), "after_kill": _soundness(db)}
        server.release()
        out |= _rerun(config, db, hook)
    return out


def test_a_killed_run_takes_its_crawl_process_with_it_and_the_rerun_completes(scenarios):
    got = scenarios(run_killed)
    assert got["killed"].returncode == -9
    assert got["crawl_gone"]
    assert got["after_kill"] == []
    assert got["rerun"].returncode == 0, got["rerun"].stderr
    assert got["problems"] == []
    versions = {d["title"]: d["versions"] for d in got["data"]["documents"]}
    assert sorted(versions) == sorted(pages.title(n) for n in DOCS)
    assert all(len(v) == 1 for v in versions.values())
    assert len(got["messages"]) == 1


def _big_pages(site: dict[str, bytes]) -> dict[str, bytes]:
    """The document pages padded to about 150 KB (a long comment): more than a pipe holds, so that the crawl
    process is in the middle of sending a page whenever the run is not reading."""
    pad = b"<!-- " + b"x" * 150_000 + b" --></body>"
    return {path: body.replace(b"</body>", pad) if "/t2024" in path else body for path, body in site.items()}


@scenario(seconds=20)
def crawl_process_killed_mid_item(tmp_path) -> dict:
    db = tmp_path / "pw.db"
    with SlowPortal(_big_pages(pages.site(DOCS))) as server, WebhookRecorder() as hook:
        config = _config(tmp_path, server, hook)
        server.hold(after=1)
        run = Cli("--config", str(config), "run")
        wait_until(lambda: scalar(db, "SELECT count(*) FROM version") >= 1 or not run.running(), timeout=90,
                   what="the first document to be stored")
        (crawler,) = _crawl_processes(run.popen.pid)
        blocker = sqlite3.connect(db, timeout=30)
        blocker.execute("BEGIN IMMEDIATE")  # the run's next write waits for this transaction
        server.release()
        fetched = lambda: sum("/t2024" in path for _method, path, _status in server.requests)  # noqa: E731
        wait_until(lambda: fetched() == len(DOCS) or not run.running(), timeout=60, what="every document to be fetched")
        time.sleep(1.0)  # the crawl process has read the pages and is stuck sending them to the waiting run
        os.kill(crawler, signal.SIGKILL)
        time.sleep(0.3)
        blocker.rollback()
        blocker.close()
        out = {"run": run.finish(60), "messages_after_kill": list(hook.messages)}
        out |= _rerun(config, db, hook)
    return out


def test_a_crawl_process_killed_while_sending_a_page_does_not_hang_the_run(scenarios):
    """The run reads a page the crawl process was killed in the middle of sending: the read ends (it does not wait
    for the rest forever), and the run reports the death in one line, stores nothing half-read and exits 1."""
    got = scenarios(crawl_process_killed_mid_item)
    run = got["run"]
    assert run.returncode == 1, run.stderr
    no_traceback(run.stderr)
    errors = [line for line in run.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1 and "crawl process" in errors[0] and "killed by signal 9" in errors[0], errors
    assert got["messages_after_kill"] == []
    _assert_rerun_recorded_the_baseline_once(got)


@scenario(seconds=20)
def run_stopped(tmp_path) -> dict:
    db = tmp_path / "pw.db"
    with SlowPortal(pages.site(DOCS)) as server, WebhookRecorder() as hook:
        config = _config(tmp_path, server, hook)
        run, crawler = _start_held(server, config, db)
        run.popen.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        server.release()
        out = {"run": run.finish(60), "crawl_gone": _gone(crawler),
               "stored": scalar(db, "SELECT count(*) FROM document"),
               "messages_after_stop": list(hook.messages), "after_stop": _soundness(db)}
        out |= _rerun(config, db, hook)
    return out


def test_a_stopped_run_stores_what_it_fetched_and_the_next_run_completes_the_baseline(scenarios):
    """SIGTERM (systemd stopping the service, say) in the middle of a first crawl: the run passes it on to its crawl
    process, stores what was fetched and exits 1; it records no baseline, so the rerun crawls the portal again and
    sends one summary of all its documents, not alerts for the ones the stopped run did not reach."""
    got = scenarios(run_stopped)
    run = got["run"]
    assert run.returncode == 1
    no_traceback(run.stderr)
    assert any("SIGTERM received: stopping the crawl" in line for line in run.stderr.splitlines()), run.stderr
    assert "ERROR" not in run.stderr
    assert got["crawl_gone"]
    assert got["stored"] >= HOLD_AFTER  # and what was in flight when the signal came (Scrapy lets it finish)
    assert got["after_stop"] == []
    assert got["messages_after_stop"] == []
    _assert_rerun_recorded_the_baseline_once(got)


@scenario(seconds=15)
def through_the_crawl_process(tmp_path) -> dict:
    """A first cycle and a revision cycle, each crawled in a child process."""
    db = tmp_path / "pw.db"
    second = DOCS + [20, 21, 22]
    revised = [1, 5, 9]
    with SlowPortal(pages.site(DOCS)) as server, WebhookRecorder() as hook:
        config = _config(tmp_path, server, hook)
        out = {"first": cli("--config", str(config), "run", "--progress")}
        server.set_pages(pages.site(second, revised={n: 1 for n in revised}))
        out["second"] = cli("--config", str(config), "run", "--force", "--progress")
        out |= _outcome(config, db, hook)
    out["second_docs"], out["revised"] = second, revised
    return out


def test_pages_from_the_crawl_process_are_counted_diffed_and_notified_once(scenarios):
    got = scenarios(through_the_crawl_process)
    first, second = got["first"], got["second"]
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert f"new {len(DOCS)}, revised 0" in first.stderr
    assert "new 3, revised 3" in second.stderr
    assert got["problems"] == []
    data = got["data"]
    by_url = {d["url"]: d["title"] for d in data["documents"]}
    fresh = sorted((c["kind"], by_url[c["document_url"]]) for c in data["changes"] if not c["baseline"])
    assert fresh == sorted([("new", pages.title(n)) for n in (20, 21, 22)]
                           + [("revised", pages.title(n)) for n in got["revised"]])
    revised_change = next(c for c in data["changes"] if c["kind"] == "revised")
    assert "target_changed" in revised_change["events"]
    alerts = got["messages"][1:]  # after the baseline summary
    assert len(alerts) == 6
    for n in got["revised"] + [20, 21, 22]:
        assert sum(pages.title(n) in m["title"] + m["message"] for m in alerts) == 1, pages.title(n)
