"""The access token and `policywatch serve` as a user runs it (a real process on 127.0.0.1)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from policywatch.web.app import create_app
from policywatch.web.cli import is_loopback

from ..conftest import write_config
from ..services import free_port

TOKEN = "s3cret-token"

# Runs the real CLI entry point; adds `serve` with add_serve_parser if the main parser does not have it yet.
CLI = """
import argparse, sys
from policywatch import cli
from policywatch.web.cli import add_serve_parser
build = cli.build_parser
def with_serve():
    parser = build()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if "serve" not in sub.choices:
        add_serve_parser(sub)
    return parser
cli.build_parser = with_serve
sys.exit(cli.main(sys.argv[1:]))
"""


def serve(config: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    full_env = {k: v for k, v in os.environ.items() if k not in ("POLICYWATCH_TOKEN", "POLICYWATCH_DATABASE_URL")}
    full_env.update(env or {})
    return subprocess.Popen([sys.executable, "-c", CLI, "--config", str(config), "serve", *args], env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(url: str, proc: subprocess.Popen, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited {proc.returncode}: {proc.stderr.read()}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("server did not start")


@pytest.fixture
def config_file(tmp_path):
    return write_config(tmp_path / "policywatch.toml", db=tmp_path / "pw.db", portals=[])


def test_with_a_token_every_request_needs_it(filled, config):
    engine, ids = filled
    with TestClient(create_app(engine=engine, config=config, token=TOKEN)) as client:
        page = client.get(f"/changes/{ids['revised']}")
        assert page.status_code == 401 and "需要访问令牌" in page.text and 'name="token"' in page.text
        assert page.headers["content-security-policy"]
        api = client.get("/api/changes")
        assert api.status_code == 401 and api.headers["www-authenticate"] == "Bearer"
        assert client.get("/api/changes", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/api/changes", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        assert client.get("/feeds/changes.atom?token=nope").status_code == 401
        assert client.get("/feeds/changes.atom?token=" + TOKEN).status_code == 200
        assert client.get("/static/style.css").status_code == 200  # nothing private there
    with TestClient(create_app(engine=engine, config=config, token=TOKEN)) as client:
        # a browser: the first visit with ?token= sets a cookie, then plain links work
        first = client.get(f"/changes/{ids['revised']}?token={TOKEN}")
        assert first.status_code == 200 and "policywatch_token" in first.headers["set-cookie"]
        assert "httponly" in first.headers["set-cookie"].lower()
        assert client.get("/portals").status_code == 200
        assert f"token={TOKEN}" not in client.get("/changes?token=" + TOKEN + "&kind=revised").text  # not echoed in links


def test_loopback_detection():
    assert is_loopback("127.0.0.1") and is_loopback("127.1.2.3") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("192.168.1.10")
    assert not is_loopback("example.org")


def test_serve_refuses_a_public_address_without_a_token(config_file):
    proc = serve(config_file, "--host", "0.0.0.0", "--port", str(free_port()))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("policywatch: error: refusing to serve on 0.0.0.0 without an access token")


def test_serve_answers_on_loopback_with_the_token_from_the_environment(config_file):
    port = free_port()
    proc = serve(config_file, "--port", str(port), env={"POLICYWATCH_TOKEN": TOKEN})
    try:
        wait_for(f"http://127.0.0.1:{port}/static/style.css", proc)
        assert httpx.get(f"http://127.0.0.1:{port}/api/documents").status_code == 401
        ok = httpx.get(f"http://127.0.0.1:{port}/api/documents", headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200 and ok.json()["total"] == 0
        front = httpx.get(f"http://127.0.0.1:{port}/?token={TOKEN}")
        assert front.status_code == 200 and "最近变更" in front.text
        assert "script-src 'self'" in front.headers["content-security-policy"]
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert proc.returncode in (0, -15)
