"""Shared fixtures: real local HTTP servers and a helper that runs the real CLI in a subprocess."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from policywatch.demo.server import PortalServer, WebhookRecorder

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    """Run `python -m policywatch ARGS` as a user would; returns the completed process (text mode)."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("POLICYWATCH_DATABASE_URL", None) if env is None or "POLICYWATCH_DATABASE_URL" not in env else None
    return subprocess.run(
        [sys.executable, "-m", "policywatch", *args], cwd=cwd, env=full_env, capture_output=True, text=True,
        timeout=timeout, check=False,
    )


def export(config: Path) -> dict:
    proc = run_cli("--config", str(config), "export")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def stored_texts(session) -> list[str]:
    """Every paragraph text in the database, as many times as it is stored."""
    from sqlmodel import select

    from storage import ParagraphChunk
    from storage.models import unpack_texts

    return [t for data in session.exec(select(ParagraphChunk.data)) for t in unpack_texts(data) if t]


def write_config(path: Path, *, db: Path | str, portals: list[dict], subscriptions: list[dict] = (), extra: str = "") -> Path:
    """A config file; ``db`` is a SQLite file path or a full database URL."""
    def val(v):
        return json.dumps(v, ensure_ascii=False)

    url = db if isinstance(db, str) and "://" in db else f"sqlite:///{db}"
    lines = [f'database_url = "{url}"', 'base_url = "http://127.0.0.1:8080"', extra]
    for p in portals:
        lines.append("[[portals]]")
        lines += [f"{k} = {val(v)}" for k, v in p.items()]
    for s in subscriptions:
        lines.append("[[subscriptions]]")
        lines += [f"{k} = {val(v)}" for k, v in s.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def portal_server():
    servers = []

    def start(pages: dict[str, bytes], **kw) -> PortalServer:
        server = PortalServer(pages, **kw).__enter__()
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.__exit__(None, None, None)


@pytest.fixture
def webhook():
    with WebhookRecorder() as hook:
        yield hook


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    from .services import Postgres

    server = Postgres(tmp_path_factory.mktemp("postgres"))
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh, empty database of each supported kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pw.db'}"
    return request.getfixturevalue("postgres").new_database()
