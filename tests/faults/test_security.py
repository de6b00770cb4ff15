"""Security pass through the CLI: secrets inside Apprise URLs (a password, a token in the path) and in the
database URL never reach any output; SQL metacharacters in a document's URL, title and text and LIKE wildcards in
a keyword or a search are plain text; the review server refuses to listen beyond loopback without a token (before
binding) and, with a token, refuses requests without it."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from policywatch.demo.server import PortalServer, WebhookRecorder

from ..conftest import write_config
from ..services import free_port
from . import pages
from .helpers import Cli, cli, no_traceback
from .scenarios import scenario

HOOK_PASSWORD = "HookPassw0rd42"
PATH_TOKEN = "abcdefghijklmnopqrstuvwx123456"
DEAD_PASSWORD = "DeadPassw0rd77"
DB_PASSWORD = "DbSecr3t55"
SECRETS = (HOOK_PASSWORD, PATH_TOKEN, DEAD_PASSWORD)
SERVE_TOKEN = "serve-T0ken-8841"

INJECTION = "'; DROP TABLE document;--"
INJECTED, LITERAL, LOOKALIKE = 1, 2, 3  # document numbers
KEYWORD = "100%_"  # LIKE would read % and _ as wildcards; "1000吨" would then match too


def _site(nums: list[int]) -> dict[str, bytes]:
    titles = {INJECTED: f"关于{INJECTION}的通知", LITERAL: "关于达标率100%_以上的通知", LOOKALIKE: "关于削减1000吨排放的通知"}
    paths = {INJECTED: f"{pages.COLUMN}202401/t20240102_1001{INJECTION.replace(' ', '%20')}.html"}
    texts = {
        INJECTED: [f"本通知的标题含有 {INJECTION} 字样。", "到2025年，全市单位工业增加值能耗比2020年下降13.5%以上。"],
        LITERAL: ["各单位达标率100%_以上的，予以通报表扬。"],
        LOOKALIKE: ["到2025年削减化学需氧量1000吨。"],
    }
    out = {f"{pages.COLUMN}index.html": pages.list_page(nums, titles=titles, paths=paths)}
    for n in nums:
        out[paths.get(n, pages.doc_path(n)).replace("%20", " ")] = pages.article(n, heading=titles.get(n), text=texts.get(n))
    return {p: t.encode("utf-8") for p, t in out.items()}


class _Portal(PortalServer):
    """PortalServer that looks paths up percent-decoded (the injection URL has spaces)."""

    def _handle(self, h) -> None:
        from urllib.parse import unquote

        h.path = unquote(h.path)
        super()._handle(h)


@scenario(seconds=18)
def secrets_and_injection(tmp_path) -> dict:
    db = tmp_path / "pw.db"
    with _Portal(_site([0, INJECTED])) as server, WebhookRecorder() as hook:
        live = f"json://hookuser:{HOOK_PASSWORD}@127.0.0.1:{hook.port}/hook/{PATH_TOKEN}"
        dead = f"json://hookuser:{DEAD_PASSWORD}@127.0.0.1:{free_port()}/dead"
        subs = [{"name": "secret-ops", "urls": [live, dead]},
                {"name": "keyword-ops", "urls": [hook.url("keyword")], "keywords": [KEYWORD]}]
        portal = [pages.portal_config(server.base)]
        config = write_config(tmp_path / "policywatch.toml", db=db, portals=portal, subscriptions=subs)
        debug = write_config(tmp_path / "debug.toml", db=db, portals=portal, subscriptions=subs, extra='log_level = "DEBUG"')
        out = {"config": config, "hook": hook, "dead": dead}
        out["first"] = cli("--config", str(config), "--verbose", "run")
        server.set_pages(_site([0, INJECTED, LITERAL, LOOKALIKE]))
        out["second"] = cli("--config", str(debug), "run", "--force")  # log_level DEBUG: library logs shown too
        # read-only commands, side by side
        reads = {
            "export": ("--config", str(config), "export"),
            "deliveries": ("--config", str(config), "deliveries"),
            "subscriptions": ("--config", str(config), "subscriptions"),
            "status": ("--config", str(config), "status"),
            "notify": ("--config", str(config), "notify", "test", "secret-ops"),
        }
        running = {name: Cli(*args) for name, args in reads.items()}
        running["db_url"] = Cli("--config", str(config), "export", env={
            "POLICYWATCH_DATABASE_URL": f"postgresql+psycopg://pw:{DB_PASSWORD}@127.0.0.1:{free_port()}/pw"})
        out |= {name: c.finish(timeout=120) for name, c in running.items()}
        out["data"] = json.loads(out["export"].stdout)
        out["injected_url"] = next(d["url"] for d in out["data"]["documents"] if INJECTION in d["title"])
        out["targets"] = cli("--config", str(config), "targets", out["injected_url"])
        out["messages"] = list(hook.messages)
        return out


@pytest.fixture(scope="module")
def world(scenarios):
    return scenarios(secrets_and_injection)


OUTPUTS = ("first", "second", "export", "deliveries", "subscriptions", "status", "notify", "db_url", "targets")


@pytest.mark.parametrize("name", OUTPUTS)
def test_no_secret_reaches_any_output(world, name):
    result = world[name]
    no_traceback(result.stderr)
    for secret in SECRETS + (DB_PASSWORD,):
        assert secret not in result.stdout and secret not in result.stderr, (name, secret)


def test_debug_log_level_shows_library_logs(world):
    assert len(world["second"].stderr.splitlines()) > 50  # so the secret check above looked at a real DEBUG log


def test_outputs_still_say_which_channel_failed(world):
    masked_dead = world["dead"].replace(DEAD_PASSWORD, "****")
    for name in ("first", "second"):
        assert world[name].returncode == 1
        lines = [line for line in world[name].stderr.splitlines() if masked_dead in line and "ERROR" in line]
        assert lines and all("secret-ops" in line for line in lines), world[name].stderr
    assert masked_dead in world["deliveries"].stdout
    assert world["db_url"].returncode == 1
    (line,) = world["db_url"].stderr.strip().splitlines()
    assert line.startswith("policywatch: error: database postgresql+psycopg://pw:****@127.0.0.1:"), line


def test_sql_metacharacters_in_url_title_and_text_are_plain_text(world):
    docs = {d["title"]: d for d in world["data"]["documents"]}
    injected = docs[f"关于{INJECTION}的通知"]
    assert "DROP%20TABLE" in injected["url"] or "DROP TABLE" in injected["url"]
    assert injected["versions"][0]["paragraphs"][0] == f"本通知的标题含有 {INJECTION} 字样。"
    assert len(docs) == 4  # the table is still there, with everything in it
    assert world["targets"].returncode == 0, world["targets"].stderr
    assert "13.5%" in world["targets"].stdout


def test_keyword_with_like_wildcards_matches_only_literally(world):
    to_keyword = [m for m in world["messages"] if m["_path"] == "/keyword" and "基线" not in m["title"]]
    assert len(to_keyword) == 1, to_keyword
    assert "100%_" in to_keyword[0]["title"] + to_keyword[0]["message"]


def test_review_server_refuses_a_public_address_without_a_token_before_binding(world):
    with socket.socket() as held:  # were it to bind, 0.0.0.0 on this port would fail with 'address in use'
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        refused = cli("--config", str(world["config"]), "serve", "--host", "0.0.0.0", "--port", str(port), timeout=60)
    assert refused.returncode == 2, refused.stderr
    (line,) = refused.stderr.strip().splitlines()
    assert line.startswith("policywatch: error: refusing to serve on 0.0.0.0"), line


def test_review_server_with_a_token_refuses_requests_without_it(world):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYWATCH_")}
    proc = subprocess.Popen([sys.executable, "-m", "policywatch", "--config", str(world["config"]), "serve", "--host",
                             "127.0.0.1", "--port", str(port), "--token", SERVE_TOKEN], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stderr.read()
            try:
                httpx.get(base + "/static/style.css", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.1)
        title = "关于达标率100%_以上的通知"
        for path in ("/", "/documents", "/api/documents", "/search?q=100", "/feeds/changes.atom"):
            for headers in ({}, {"Authorization": "Bearer wrong-token"}):
                r = httpx.get(base + path, headers=headers, timeout=10)
                assert r.status_code == 401, (path, headers, r.status_code)
                assert title not in r.text and "示例市关于推进" not in r.text
        auth = {"Authorization": f"Bearer {SERVE_TOKEN}"}
        listed = httpx.get(base + "/api/documents", headers=auth, timeout=10)
        assert listed.status_code == 200 and title in listed.text
        found = httpx.get(base + "/search", params={"q": KEYWORD}, headers=auth, timeout=10)
        assert found.status_code == 200 and title in found.text and "1000吨" not in found.text
        found = httpx.get(base + "/search", params={"q": INJECTION}, headers=auth, timeout=10)
        assert found.status_code == 200 and "DROP TABLE" in found.text
        for secret in SECRETS:
            assert secret not in listed.text + found.text
        assert httpx.get(base + "/api/documents", headers=auth, timeout=10).json()["total"] == 4
    finally:
        proc.terminate()
        proc.wait(timeout=20)
