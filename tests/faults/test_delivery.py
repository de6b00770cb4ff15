"""Channels that fail: one answers 500 twice and then works, one reads every request and never answers. Worked
across runs with `deliver --now` until the first is sent once and the second is given up after
max_delivery_attempts, each failure reported as one line that names the subscription and the masked URL."""
from __future__ import annotations

import json

import pytest

from policywatch.demo.server import PortalServer, WebhookRecorder

from ..conftest import write_config
from . import pages
from .helpers import cli, no_traceback
from .scenarios import scenario
from .servers import SlowWebhook

ATTEMPTS = 3
SECRET = "S3cretPass99"


@scenario(seconds=22)
def failing_channels(tmp_path) -> dict:
    with PortalServer(pages.site([0, 1])) as server, WebhookRecorder() as flaky, SlowWebhook(hang=float("inf")) as silent:
        flaky.fail_next = ATTEMPTS - 1
        # rto/cto: Apprise's own read/connect timeouts, so one attempt at the silent endpoint takes ~2 s
        silent_url = f"json://user:{SECRET}@127.0.0.1:{silent.port}/hang?rto=2&cto=2"
        config = write_config(
            tmp_path / "policywatch.toml", db=tmp_path / "pw.db", portals=[pages.portal_config(server.base)],
            subscriptions=[{"name": "flaky-ops", "urls": [flaky.url("flaky")]},
                           {"name": "silent-ops", "urls": [silent_url]}],
            extra=f"max_delivery_attempts = {ATTEMPTS}",
        )
        runs = [cli("--config", str(config), "run", timeout=120)]
        attempts_after_run = (flaky.attempts, len(silent.messages))
        for _ in range(ATTEMPTS - 1):
            runs.append(cli("--config", str(config), "deliver", "--now", timeout=120))
        listed = cli("--config", str(config), "deliveries", "--json")
        idle = cli("--config", str(config), "deliver", "--now", timeout=120)
        return {"runs": runs, "listed": listed, "idle": idle, "flaky": flaky, "silent": silent,
                "silent_port": silent.port, "attempts_after_run": attempts_after_run}


@pytest.fixture(scope="module")
def worked(scenarios):
    return scenarios(failing_channels)


def _rows(worked) -> dict[str, dict]:
    return {r["subscription"]: r for r in json.loads(worked["listed"].stdout)}


def test_a_channel_failing_twice_is_delivered_once_on_the_third_attempt(worked):
    assert worked["attempts_after_run"][0] == 1  # the run itself made the first attempt
    row = _rows(worked)["flaky-ops"]
    assert (row["status"], row["attempts"]) == ("sent", ATTEMPTS)
    assert worked["flaky"].attempts == ATTEMPTS
    assert len(worked["flaky"].messages) == 1
    assert "基线" in worked["flaky"].messages[0]["title"] + worked["flaky"].messages[0]["message"]


def test_a_channel_that_never_answers_is_retried_then_failed_with_a_masked_one_line_error(worked):
    row = _rows(worked)["silent-ops"]
    assert (row["status"], row["attempts"]) == ("failed", ATTEMPTS)
    assert len(worked["silent"].messages) == ATTEMPTS  # every attempt reached it; none after the last
    masked = f"json://user:****@127.0.0.1:{worked['silent_port']}/hang"
    for n, run in enumerate(worked["runs"], start=1):
        assert run.returncode == 1, run.stderr
        no_traceback(run.stderr)
        assert run.seconds < 90, f"attempt {n} took {run.seconds:.0f} s"  # bounded, not a speed figure
        lines = [line for line in run.stderr.splitlines() if "silent-ops" in line]
        assert len(lines) == 1, run.stderr
        assert masked in lines[0] and f"{n}/{ATTEMPTS}" in lines[0], lines[0]
        assert SECRET not in run.stderr + run.stdout
    assert masked in row["url"] and SECRET not in worked["listed"].stdout
    assert worked["listed"].returncode == 1  # `deliveries` exits 1 while a delivery has failed


def test_nothing_is_sent_again_once_sent_or_failed(worked):
    idle = worked["idle"]
    assert idle.returncode == 0, idle.stderr
    assert worked["flaky"].attempts == ATTEMPTS
    assert len(worked["silent"].messages) == ATTEMPTS
