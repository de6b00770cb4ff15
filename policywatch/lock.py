"""A per-database lock so that overlapping cron runs never work the same database at once."""
from __future__ import annotations

import fcntl
import hashlib
import os
import time
from pathlib import Path

import platformdirs


class RunLock:
    def __init__(self, path: Path, *, wait: bool = False, timeout: float = 3600.0) -> None:
        self.path = path
        self.wait = wait
        self.timeout = timeout
        self.acquired = False
        self._fd: int | None = None

    @classmethod
    def for_database(cls, database_url: str, *, wait: bool = False) -> "RunLock":
        if database_url.startswith("sqlite:///") and database_url != "sqlite:///:memory:":
            path = Path(database_url.removeprefix("sqlite:///") + ".lock")
        else:
            digest = hashlib.sha256(database_url.encode()).hexdigest()[:16]
            path = Path(platformdirs.user_runtime_dir("policywatch", ensure_exists=True)) / f"run-{digest}.lock"
        return cls(path, wait=wait)

    def __enter__(self) -> "RunLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.acquired = True
                os.ftruncate(self._fd, 0)
                os.write(self._fd, f"{os.getpid()}\n".encode())
                return self
            except BlockingIOError:
                if not self.wait or time.monotonic() > deadline:
                    return self
                time.sleep(0.5)

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            if self.acquired:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        self.acquired = False
