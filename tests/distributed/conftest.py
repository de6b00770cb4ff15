"""Fixtures for the distributed tests: one Redis and one PostgreSQL server for the session (a fresh Redis database
number and a fresh PostgreSQL database per test), a slow local portal, and worker processes that behave like
`policywatch run --distributed` on separate hosts."""
from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from policywatch.demo.server import PortalServer

from ..conftest import ROOT
from ..services import Redis, unavailable

_DB_NUMBERS = itertools.count(1)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    try:
        import redis  # noqa: F401
        import scrapy_redis  # noqa: F401
    except ImportError:
        unavailable("the redis and scrapy-redis packages are not installed (pip install '.[distributed]')")
    server = Redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server) -> str:
    """A Redis database of its own (numbers 1..15) for one test, emptied first."""
    import redis

    url = redis_server.url.rsplit("/", 1)[0] + f"/{next(_DB_NUMBERS) % 15 + 1}"
    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def pg_url(postgres) -> str:
    return postgres.new_database()


class SlowPortal(PortalServer):
    """PortalServer that takes ``delay`` seconds per request, so that two workers both get work."""

    def __init__(self, pages: dict[str, bytes], *, delay: float) -> None:
        super().__init__(pages)
        self.delay = delay

    def _handle(self, h) -> None:
        time.sleep(self.delay)
        super()._handle(h)

    def paths(self, since: int = 0) -> list[str]:
        return [path for _method, path, _status in self.requests[since:]]


def write_config(path: Path, *, database_url: str, start_url: str, hook_url: str, concurrency: int = 2) -> Path:
    """Portal "gen"; subscription "ops" (immediate, to HOOK/hook) and "weekly" (a digest per run, to HOOK/digest)."""
    lines = [
        f"database_url = {json.dumps(database_url)}",
        'base_url = "http://127.0.0.1:8080"',
        "[[portals]]",
        'name = "gen"',
        f"start_urls = [{json.dumps(start_url)}]",
        "delay = 0",
        f"concurrency = {concurrency}",
        "[[subscriptions]]",
        'name = "ops"',
        f"urls = [{json.dumps(hook_url + '/hook')}]",
        "[[subscriptions]]",  # one digest per run: held until the worker that fills it is done crawling
        'name = "weekly"',
        f"urls = [{json.dumps(hook_url + '/digest')}]",
        'mode = "digest"',
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def init_database(database_url: str):
    """Create the schema once (as an operator's first run would), so the workers start on a ready database;
    returns an engine on it for reading what the workers stored."""
    import storage
    from storage import migrate

    engine = storage.make_engine(database_url)
    migrate.stamp_or_upgrade_new(engine)
    return engine


def exported(engine) -> dict:
    """What `policywatch export` prints, read in this process (the same function)."""
    from policywatch.export import export_json

    return json.loads(json.dumps(export_json(engine), ensure_ascii=False))


class Worker:
    """`policywatch -v run --distributed URL --progress` as a separate host would run it: its own runtime dir (so
    the per-host run lock does not stop it) and its stderr in a file that can be read while it runs."""

    _ids = itertools.count(1)

    def __init__(self, tmp_path: Path, config: Path, redis_url: str, *extra: str) -> None:
        n = next(self._ids)
        self.host = tmp_path / f"host{n}"
        self.host.mkdir(mode=0o700)
        self.host.chmod(0o700)  # platformdirs ignores a runtime dir that others can read
        self.log_path = self.host / "stderr.log"
        env = {**os.environ, "XDG_RUNTIME_DIR": str(self.host)}
        env.pop("POLICYWATCH_DATABASE_URL", None)
        self._log = open(self.log_path, "w", encoding="utf-8")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "policywatch", "-v", "--config", str(config), "run", "--distributed", redis_url,
             "--progress", *extra],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._log,
        )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait(self, timeout: float = 90) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        self.proc.kill()  # SIGKILL
        self.proc.wait(timeout=10)
        self._log.close()

    def new_documents(self) -> int:
        """The 'new N' of this worker's --progress summary line."""
        line = next(line for line in self.log().splitlines() if line.startswith("gen: "))
        return int(line.split("new ", 1)[1].split(",", 1)[0])


def wait_until(predicate, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
