"""Throw-away PostgreSQL and Redis servers on 127.0.0.1 for the tests, started from the system packages.

Without the packages the tests that need them are skipped, except when POLICYWATCH_REQUIRE_SERVICES=1 (CI), where a
missing service is a failure.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REQUIRED = os.environ.get("POLICYWATCH_REQUIRE_SERVICES") == "1"


def unavailable(reason: str):
    if REQUIRED:
        pytest.fail(f"{reason} (POLICYWATCH_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


class Postgres:
    def __init__(self, base: Path) -> None:
        initdbs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not initdbs:
            unavailable("PostgreSQL is not installed (apt-get install postgresql)")
        self.bin = Path(initdbs[-1]).parent
        # pytest's temp dirs are private to their owner; the server runs as 'postgres' when we are root
        self.base = Path(tempfile.mkdtemp(prefix="policywatch-pg-"))
        self.data = self.base / "pgdata"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres")
        subprocess.run(_as_postgres([str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                                     "-E", "UTF8", "--locale=C"]), check=True, capture_output=True)
        opts = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.data} -c fsync=off -c full_page_writes=off"
        subprocess.run(_as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", opts, "-w", "-l",
                                     str(self.data / "log"), "start"]), check=True, capture_output=True)
        self._dbs = 0

    def new_database(self) -> str:
        import psycopg

        self._dbs += 1
        name = f"pw{self._dbs}_{os.getpid()}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        subprocess.run(_as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]),
                       check=False, capture_output=True)
        shutil.rmtree(self.base, ignore_errors=True)


class Redis:
    def __init__(self, base: Path) -> None:
        exe = shutil.which("redis-server")
        if not exe:
            unavailable("Redis is not installed (apt-get install redis-server)")
        self.port = free_port()
        base.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen([exe, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                                      "--appendonly", "no", "--dir", str(base)], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
