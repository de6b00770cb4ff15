"""Hostile servers. Every document of a column is fine in the first cycle and misbehaves in the second (dropped
connection, half a body, redirect loop, 50 MB body, endless chunked body, binary data as text/html, lying or
missing charsets, 10,000-level nesting, tag soup). The second cycle stays within bounded time and memory; each
broken page is one error line naming its URL; pages whose text is still there (charset and markup cases) read
correctly; and no document gets a second version, a change or a notification."""
from __future__ import annotations

import pytest

from policywatch.demo.server import WebhookRecorder

from ..conftest import export, write_config
from . import pages
from .helpers import Cli, cli, no_traceback
from .scenarios import scenario
from .servers import CHARSET_KINDS, HOSTILE_KINDS, MARKUP_KINDS, HostilePortal

MAX_SECONDS = 90  # generous: the cycle must end, not be fast
MAX_RSS_MB = 400

# kind -> a word the error line must contain to say what went wrong
ERROR_WORDS = {
    "dropped": "connection", "cut": "connection", "redirect_loop": "redirect", "huge": "byte", "endless": "byte",
    "binary_png": "binary", "binary_noise": "binary",
}
assert set(ERROR_WORDS) | set(CHARSET_KINDS) | set(MARKUP_KINDS) == set(HOSTILE_KINDS)


def _config(tmp_path, server, hook, **extra):
    return write_config(tmp_path / "policywatch.toml", db=tmp_path / "pw.db",
                        portals=[pages.portal_config(server.base, concurrency=8, **extra)],
                        subscriptions=[{"name": "ops", "urls": [hook.url("hook")]}])


@scenario(seconds=14)
def hostile_cycle(tmp_path) -> dict:
    with HostilePortal() as server, WebhookRecorder() as hook:
        config = _config(tmp_path, server, hook)
        first = cli("--config", str(config), "run")
        baseline_messages = len(hook.messages)
        server.hostile = True
        second = Cli("--config", str(config), "run", "--force").finish(timeout=300)
        data = export(config)
        return {"server": server, "first": first, "second": second, "data": data,
                "alerts": hook.messages[baseline_messages:]}


@pytest.fixture(scope="module")
def hostile(scenarios):
    return scenarios(hostile_cycle)


def _url(hostile, kind: str) -> str:
    return hostile["server"].url(HOSTILE_KINDS.index(kind))


def test_first_cycle_reads_every_page(hostile):
    assert hostile["first"].returncode == 0, hostile["first"].stderr
    assert len(hostile["data"]["documents"]) == len(HOSTILE_KINDS)


def test_hostile_cycle_ends_in_bounded_time_and_memory_with_exit_1(hostile):
    second = hostile["second"]
    assert second.returncode == 1, second.stderr
    no_traceback(second.stderr)
    assert second.seconds < MAX_SECONDS, f"{second.seconds:.0f} s"
    assert second.max_rss_mb < MAX_RSS_MB, f"peak RSS {second.max_rss_mb:.0f} MB"
    # every document was asked for again (none skipped as if the server had said "unchanged")
    for kind in HOSTILE_KINDS:
        assert hostile["server"].served[pages.doc_path(HOSTILE_KINDS.index(kind))] >= 2, kind




@pytest.mark.parametrize("kind", list(ERROR_WORDS))
def test_broken_page_is_one_plain_error_line_naming_its_url(hostile, kind):
    url = _url(hostile, kind)
    lines = [line for line in hostile["second"].stderr.splitlines() if url in line]
    assert len(lines) == 1, hostile["second"].stderr
    (line,) = lines
    assert line.startswith("policywatch: ERROR: portal faults: "), line
    assert ERROR_WORDS[kind] in line.lower(), line
    assert "<" not in line, line  # no Python object reprs


@pytest.mark.parametrize("kind", CHARSET_KINDS)
def test_lying_or_missing_charset_still_reads_the_same_text(hostile, kind):
    url = _url(hostile, kind)
    assert url not in hostile["second"].stderr
    (doc,) = [d for d in hostile["data"]["documents"] if d["url"] == url]
    assert [v["paragraphs"] for v in doc["versions"]] == [pages.paragraphs(HOSTILE_KINDS.index(kind))]


@pytest.mark.parametrize("kind", list(HOSTILE_KINDS))
def test_hostile_page_makes_no_version_no_change_and_no_alert(hostile, kind):
    url = _url(hostile, kind)
    (doc,) = [d for d in hostile["data"]["documents"] if d["url"] == url]
    assert len(doc["versions"]) == 1
    assert [c for c in hostile["data"]["changes"] if c["document_url"] == url and not c["baseline"]] == []
    title = pages.title(HOSTILE_KINDS.index(kind))
    assert [m for m in hostile["alerts"] if title in m["title"] + m["message"]] == []


@pytest.mark.slow(reason="the 30 s download timeout cannot be lowered from the config, and Scrapy tries 3 times")
def test_answer_slower_than_the_download_timeout_is_one_error_line_and_no_change(tmp_path):
    with HostilePortal(("slow", "tag_soup"), slow_seconds=45) as server, WebhookRecorder() as hook:
        config = _config(tmp_path, server, hook)
        assert cli("--config", str(config), "run").returncode == 0
        server.hostile = True
        second = Cli("--config", str(config), "run", "--force").finish(timeout=400)
        data = export(config)
    assert second.returncode == 1, second.stderr
    no_traceback(second.stderr)
    assert second.seconds < 300
    lines = [line for line in second.stderr.splitlines() if server.url(0) in line]
    assert len(lines) == 1 and "timeout" in lines[0], second.stderr
    assert all(len(d["versions"]) == 1 for d in data["documents"])
    assert [c for c in data["changes"] if not c["baseline"]] == []
