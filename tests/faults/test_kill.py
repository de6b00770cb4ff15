"""kill -9 in the middle of a crawl and in the middle of a delivery, then run again: the database is intact, no
document, version or notification is lost, nothing is stored or sent twice (beyond the one resend the README
allows for a message that was in flight)."""
from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest

from policywatch.demo.server import PortalServer, WebhookRecorder

from ..conftest import export, write_config
from . import pages
from .helpers import (Cli, assert_sound, cli, consistency_problems, integrity, no_traceback, scalar,
                      unreadable_raw_bodies, wait_until)
from .scenarios import scenario
from .servers import SlowPortal, SlowWebhook

FIRST = list(range(8))  # documents of the first state
REVISED = [0, 1, 2, 3]  # edited in the second state (a target value moves)
ADDED = [8, 9, 10, 11]  # published in the second state
SECOND = FIRST + ADDED


def _config(tmp_path, server, hook):
    return write_config(tmp_path / "policywatch.toml", db=tmp_path / "pw.db", portals=[pages.portal_config(server.base)],
                        subscriptions=[{"name": "ops", "urls": [hook.url("hook")]}])


def _kill_mid_crawl(run: Cli, server: SlowPortal, stored: Callable[[], bool] | None = None) -> None:
    """SIGKILL ``run`` once the server holds back its next document and ``stored()`` says the ones before it
    are in the database (or, without ``stored``, a second later)."""
    wait_until(lambda: server.held.is_set() or not run.running(), timeout=90, what="the crawl to reach the hold")
    if stored is None:
        time.sleep(1.0)
    else:
        wait_until(lambda: stored() or not run.running(), timeout=60, what="the answered documents to be stored")
    assert run.running(), run.finish(5).stderr
    run.kill()
    assert run.finish(10).returncode == -9
    server.release()


def _mentions(message: dict, text: str) -> bool:
    return text in message.get("title", "") + "\n" + message.get("message", "")


@scenario(seconds=30)
def two_killed_cycles(tmp_path) -> dict:
    """Two cycles, each SIGKILLed mid-crawl and run again to the end: the first (baseline) cycle after three
    documents were stored, the second (four revisions, four new documents) half-way through its documents."""
    db = tmp_path / "pw.db"
    out: dict = {"db": db}
    with SlowPortal(pages.site(FIRST)) as server, WebhookRecorder() as hook:
        config = _config(tmp_path, server, hook)
        server.hold(after=3)
        _kill_mid_crawl(Cli("--config", str(config), "run"), server,
                        stored=lambda: scalar(db, "SELECT count(*) FROM version") >= 3)
        out["first_kill"] = {"stored": scalar(db, "SELECT count(*) FROM document"), "messages": list(hook.messages),
                             "problems": soundness(db)}
        out["first_rerun"] = cli("--config", str(config), "run")
        out["baseline_messages"] = list(hook.messages)

        server.set_pages(pages.site(SECOND, revised={n: 1 for n in REVISED}))
        server.hold(after=len(SECOND) // 2)
        _kill_mid_crawl(Cli("--config", str(config), "run", "--force"), server)
        out["second_kill"] = {"messages": list(hook.messages), "problems": soundness(db),
                              "changes": scalar(db, "SELECT count(*) FROM change WHERE baseline = 0")}
        out["second_rerun"] = cli("--config", str(config), "run", "--force")
        out["data"] = export(config)
        out["messages"] = list(hook.messages)
    return out


@pytest.fixture(scope="module")
def killed_twice(scenarios):
    return scenarios(two_killed_cycles)


def soundness(db) -> list[str]:
    return [p for p in [integrity(db)] if p != "ok"] + consistency_problems(db) + unreadable_raw_bodies(db)


def test_kill_during_first_cycle_loses_no_document(killed_twice):
    assert killed_twice["first_kill"]["stored"] == 3  # the documents the server had answered
    assert killed_twice["first_kill"]["problems"] == []
    assert killed_twice["first_kill"]["messages"] == []  # the baseline summary waits for the end of the cycle
    rerun = killed_twice["first_rerun"]
    assert rerun.returncode == 0, rerun.stderr
    no_traceback(rerun.stderr)
    first_versions = {d["title"]: d["versions"][0] for d in killed_twice["data"]["documents"]}
    for n in FIRST:
        assert first_versions[pages.title(n)]["paragraphs"] == pages.paragraphs(n)
        assert first_versions[pages.title(n)]["seq"] == 1
    # one baseline summary, no per-document alerts for a baseline
    assert len(killed_twice["baseline_messages"]) == 1
    assert sorted(c["document_url"] for c in killed_twice["data"]["changes"] if c["baseline"]) == sorted(
        d["url"] for d in killed_twice["data"]["documents"] if d["title"] in {pages.title(n) for n in FIRST})


def test_baseline_summary_after_a_killed_first_cycle_counts_every_document(killed_twice):
    (summary,) = killed_twice["baseline_messages"]
    assert _mentions(summary, f"收录 {len(FIRST)} 份文件"), summary


def test_kill_during_a_revision_cycle_then_rerun_notifies_each_change_once(killed_twice):
    assert killed_twice["second_kill"]["problems"] == []
    assert 0 < killed_twice["second_kill"]["changes"] < len(REVISED) + len(ADDED)  # killed half-way
    # deliveries are worked after the crawl: nothing new was sent before the kill
    assert killed_twice["second_kill"]["messages"] == killed_twice["baseline_messages"]
    rerun = killed_twice["second_rerun"]
    assert rerun.returncode == 0, rerun.stderr
    no_traceback(rerun.stderr)
    assert_sound(killed_twice["db"])
    data = killed_twice["data"]

    versions = {d["title"]: d["versions"] for d in data["documents"]}
    assert sorted(versions) == sorted(pages.title(n) for n in SECOND)
    for n in SECOND:
        expected = [pages.paragraphs(n)] + ([pages.paragraphs(n, revision=1)] if n in REVISED else [])
        assert [v["paragraphs"] for v in versions[pages.title(n)]] == expected, n

    fresh = [c for c in data["changes"] if not c["baseline"]]
    by_url = {d["url"]: d["title"] for d in data["documents"]}
    assert sorted((c["kind"], by_url[c["document_url"]]) for c in fresh) == sorted(
        [("revised", pages.title(n)) for n in REVISED] + [("new", pages.title(n)) for n in ADDED])

    alerts = killed_twice["messages"][len(killed_twice["baseline_messages"]):]
    assert len(alerts) == len(REVISED) + len(ADDED)
    for n in REVISED + ADDED:
        assert sum(_mentions(m, pages.title(n)) for m in alerts) == 1, pages.title(n)
    assert all(d["status"] == "sent" and d["attempts"] == 1 for d in data["deliveries"])


@scenario(seconds=15, postgres=True)
def killed_on_postgresql(tmp_path, database_url) -> dict:
    """The first cycle killed mid-crawl and run again, on PostgreSQL."""
    env = {"POLICYWATCH_DATABASE_URL": database_url}
    with SlowPortal(pages.site(FIRST)) as server, WebhookRecorder() as hook:
        config = _config(tmp_path, server, hook)
        server.hold(after=3)
        _kill_mid_crawl(Cli("--config", str(config), "run", env=env), server,
                        stored=lambda: scalar(database_url, "SELECT count(*) FROM version") >= 3)
        out = {"stored": scalar(database_url, "SELECT count(*) FROM document"),
               "problems": consistency_problems(database_url) + unreadable_raw_bodies(database_url)}
        out["rerun"] = cli("--config", str(config), "run", env=env)
        out["after"] = consistency_problems(database_url) + unreadable_raw_bodies(database_url)
        exported = cli("--config", str(config), "export", env=env)
        out["data"] = json.loads(exported.stdout) if exported.returncode == 0 else exported.stderr
        out["messages"] = list(hook.messages)
    return out


@pytest.mark.postgres
def test_kill_during_first_cycle_on_postgresql_loses_nothing(scenarios):
    got = scenarios(killed_on_postgresql)
    assert got["stored"] == 3 and got["problems"] == []
    assert got["rerun"].returncode == 0, got["rerun"].stderr
    assert got["after"] == []
    docs = {d["title"]: d["versions"] for d in got["data"]["documents"]}
    assert sorted(docs) == sorted(pages.title(n) for n in FIRST)
    for n in FIRST:
        assert [v["paragraphs"] for v in docs[pages.title(n)]] == [pages.paragraphs(n)]
    (summary,) = got["messages"]
    assert _mentions(summary, f"收录 {len(FIRST)} 份文件"), summary


@scenario(seconds=12)
def kill_in_flight(tmp_path) -> dict:
    """A run killed while the webhook holds its message unanswered; then `deliver --now`."""
    db = tmp_path / "pw.db"
    with PortalServer(pages.site([0, 1])) as server, SlowWebhook(hang=1) as hook:
        config = _config(tmp_path, server, hook)
        run = Cli("--config", str(config), "run")
        wait_until(lambda: hook.received.is_set() or not run.running(), timeout=60, what="the send")
        assert run.running(), run.finish(5).stderr
        run.kill()  # the endpoint has the request and has not answered yet
        killed = run.finish(10)
        hook.release()
        out = {"killed": killed, "problems": soundness(db),
               "sending": scalar(db, "SELECT count(*) FROM delivery WHERE status = 'sending'")}
        out["again"] = cli("--config", str(config), "deliver", "--now")
        out["listed"] = cli("--config", str(config), "deliveries", "--json")
        out["messages"] = list(hook.messages)
    return out


def test_kill_while_a_message_is_in_flight_then_deliver_sends_it(scenarios):
    got = scenarios(kill_in_flight)
    assert got["killed"].returncode == -9
    assert got["problems"] == []
    assert got["sending"] == 1  # the kill left the claim behind
    again = got["again"]
    assert again.returncode == 0, again.stderr
    no_traceback(again.stderr)
    assert got["listed"].returncode == 0, got["listed"].stderr
    rows = json.loads(got["listed"].stdout)
    assert [(r["status"], r["attempts"]) for r in rows] == [("sent", 2)]
    # the message arrived; the copy the endpoint read before the kill is the one duplicate allowed
    assert 1 <= len(got["messages"]) <= 2
    assert len({(m.get("title"), m.get("message")) for m in got["messages"]}) == 1
    assert _mentions(got["messages"][-1], "基线")
