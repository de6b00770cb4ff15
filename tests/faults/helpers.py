"""Running the real CLI in the background (to kill it, limit it, or measure it) and looking into its SQLite
database from the outside, the way an operator would after a crash."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_PRIVATE_ENV = ("POLICYWATCH_DATABASE_URL", "POLICYWATCH_TOKEN", "POLICYWATCH_CONFIG")


@dataclass
class Finished:
    returncode: int
    stdout: str
    stderr: str
    max_rss_mb: float  # peak resident set size of the process, from wait4's rusage
    seconds: float


class Cli:
    """``python -m policywatch ARGS`` started in the background; stdout/stderr are read as they come (pipes, so a
    file-size limit on the process does not apply to them)."""

    def __init__(self, *args: str, preexec_fn: Callable[[], None] | None = None, env: dict | None = None,
                 cwd: Path | None = None) -> None:
        full_env = {k: v for k, v in os.environ.items() if k not in _PRIVATE_ENV} | (env or {})
        self.started = time.monotonic()
        self.popen = subprocess.Popen([sys.executable, "-m", "policywatch", *args], env=full_env, cwd=cwd,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=preexec_fn)
        self._out: list[bytes] = []
        self._err: list[bytes] = []
        self._readers = [threading.Thread(target=self._drain, args=(self.popen.stdout, self._out), daemon=True),
                         threading.Thread(target=self._drain, args=(self.popen.stderr, self._err), daemon=True)]
        for r in self._readers:
            r.start()

    @staticmethod
    def _drain(stream, into: list[bytes]) -> None:
        for chunk in iter(lambda: stream.read1(65536), b""):
            into.append(chunk)

    @property
    def stderr_so_far(self) -> str:
        return b"".join(self._err).decode("utf-8", "replace")

    def running(self) -> bool:
        return self.popen.returncode is None and self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL: no handler, no cleanup, no flush."""
        if self.popen.returncode is None:
            os.kill(self.popen.pid, signal.SIGKILL)

    def finish(self, timeout: float) -> Finished:
        """Wait (at most ``timeout`` s, then kill and fail) and return the outcome with the peak RSS."""
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(self.popen.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                os.kill(self.popen.pid, signal.SIGKILL)
                os.wait4(self.popen.pid, 0)
                raise AssertionError(f"policywatch did not finish within {timeout} s; stderr so far:\n"
                                     f"{self.stderr_so_far[-3000:]}")
            time.sleep(0.05)
        seconds = time.monotonic() - self.started
        self.popen.returncode = os.waitstatus_to_exitcode(status)
        for r in self._readers:
            r.join(timeout=10)
        return Finished(
            returncode=self.popen.returncode,
            stdout=b"".join(self._out).decode("utf-8", "replace"),
            stderr=b"".join(self._err).decode("utf-8", "replace"),
            max_rss_mb=usage.ru_maxrss / 1024,  # kilobytes on Linux
            seconds=seconds,
        )


def cli(*args: str, timeout: float = 180, **kw) -> Finished:
    return Cli(*args, **kw).finish(timeout)


def wait_until(condition: Callable[[], bool], *, timeout: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr[-4000:]


# --- the database seen from outside ------------------------------------------------------------------------------
def connect(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(db, timeout=30)
    conn.row_factory = sqlite3.Row
    return conn


def scalar(db: Path | str, sql: str, *params) -> int:
    """One number from the database (a SQLite file or a database URL); 0 when the table does not exist yet (a
    run killed before creating it)."""
    if isinstance(db, str):
        from sqlalchemy import create_engine, exc, text

        engine = create_engine(db)
        try:
            with engine.connect() as c:
                return c.execute(text(sql), dict(enumerate(params))).scalar_one()
        except exc.ProgrammingError as e:  # PostgreSQL: relation does not exist
            if "does not exist" in str(e):
                return 0
            raise
        finally:
            engine.dispose()
    conn = connect(db)
    try:
        return conn.execute(sql, params).fetchone()[0]
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return 0
        raise
    finally:
        conn.close()


def integrity(db: Path) -> str:
    conn = connect(db)
    try:
        return "; ".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


def _url(db: Path | str) -> str:
    return db if isinstance(db, str) else f"sqlite:///{db}"


def consistency_problems(db: Path | str) -> list[str]:
    """Everything that would make the history untrustworthy: broken references, versions without their
    paragraphs or raw body, gaps or duplicates in a document's version sequence, changes pointing at versions
    that do not exist, outbox rows in an unknown state. ``db``: a SQLite file or a database URL."""
    from sqlalchemy import create_engine, text

    from storage.models import CHUNK_BITS, unpack_ids, unpack_texts

    problems: list[str] = []
    engine = create_engine(_url(db))
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                problems += [f"foreign key: {tuple(r)}" for r in conn.execute(text("PRAGMA foreign_key_check"))]
            paragraph_ids: set[int] = set()
            for chunk_id, data in conn.execute(text("SELECT id, data FROM paragraphchunk")):
                try:
                    count = len(unpack_texts(data))
                except Exception as exc:  # noqa: BLE001  (whatever a torn write left)
                    problems.append(f"paragraph chunk {chunk_id}: unreadable ({exc})")
                    continue
                paragraph_ids.update(chunk_id << CHUNK_BITS | j for j in range(count))
            blobs = dict(conn.execute(text("SELECT sha256, base_sha256 FROM blob")).all())
            problems += [f"blob {b}: base {base} missing" for b, base in blobs.items() if base and base not in blobs]
            seqs: dict[int, list[int]] = {}
            for v in conn.execute(text("SELECT id, document_id, seq, paragraph_runs, raw_sha256 FROM version "
                                       "ORDER BY seq")).mappings():
                ids = unpack_ids(v["paragraph_runs"])
                missing = [i for i in ids if i not in paragraph_ids]
                if missing:
                    problems.append(f"version {v['id']}: paragraphs {missing[:5]} missing")
                if v["raw_sha256"] is None or v["raw_sha256"] not in blobs:
                    problems.append(f"version {v['id']}: raw body {v['raw_sha256']} missing")
                seqs.setdefault(v["document_id"], []).append(v["seq"])
            for d in conn.execute(text("SELECT id, url, latest_seq FROM document")).mappings():
                got = seqs.get(d["id"], [])
                if not got:
                    problems.append(f"document {d['url']}: no version")
                elif got != list(range(1, len(got) + 1)) or d["latest_seq"] != got[-1]:
                    problems.append(f"document {d['url']}: version seqs {got}, latest_seq {d['latest_seq']}")
            for c in conn.execute(text("SELECT id, document_id, from_seq, to_seq FROM change "
                                       "WHERE document_id IS NOT NULL")).mappings():
                for seq in (c["from_seq"], c["to_seq"]):
                    if seq is not None and seq not in seqs.get(c["document_id"], []):
                        problems.append(f"change {c['id']}: version {seq} of document {c['document_id']} missing")
            for d in conn.execute(text("SELECT id, status FROM delivery")).mappings():
                if d["status"] not in ("collecting", "pending", "sending", "sent", "failed"):
                    problems.append(f"delivery {d['id']}: status {d['status']!r}")
    finally:
        engine.dispose()
    return problems


def unreadable_raw_bodies(db: Path | str) -> list[str]:
    """Versions whose raw body cannot be read back byte for byte (checked against its SHA-256 address)."""
    import hashlib

    from sqlmodel import select

    import storage
    from storage import Version, repo

    engine = storage.make_engine(_url(db))
    bad = []
    try:
        with storage.session(engine) as s:
            for v in s.exec(select(Version)):
                try:
                    data = repo.read_blob(session=s, sha256=v.raw_sha256) if v.raw_sha256 else None
                except Exception as exc:  # noqa: BLE001 - any failure to read is what we report
                    bad.append(f"version {v.id}: {type(exc).__name__}: {exc}")
                    continue
                if data is None or hashlib.sha256(data).hexdigest() != v.raw_sha256:
                    bad.append(f"version {v.id}: raw body does not match its address {v.raw_sha256}")
    finally:
        engine.dispose()
    return bad


def assert_sound(db: Path) -> None:
    """The SQLite file is intact and the history it holds is complete and readable."""
    assert integrity(db) == "ok"
    assert consistency_problems(db) == []
    assert unreadable_raw_bodies(db) == []


# --- ways to take the disk away from a process -------------------------------------------------------------------
def without_root_file_powers() -> None:
    """preexec_fn: as root, drop the capabilities that ignore file permissions (DAC override, DAC read search,
    fowner), so that a chmod'ed read-only file or directory is read-only for this process too. Does nothing for
    other users, for whom permissions apply anyway."""
    if os.geteuid() != 0:
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop = 24
    for cap in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        if libc.prctl(pr_capbset_drop, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def file_size_limit(limit: int) -> Callable[[], None]:
    """preexec_fn: no file may grow beyond ``limit`` bytes (a full disk, as far as the process can tell). Python
    ignores SIGXFSZ, so writes fail with EFBIG instead of killing the process."""
    import resource

    def preexec() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return preexec
