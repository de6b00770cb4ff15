"""Helpers for tests that drive real policywatch processes: a background process whose stderr lines are
collected as they come, and a portal server that answers slowly so a cycle is still running when we act."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from policywatch.demo.server import PortalServer


class Proc:
    """``python -m policywatch ARGS`` in the background; ``lines`` fills with its stderr as it runs."""

    def __init__(self, *args: str, cwd: Path | None = None) -> None:
        env = {k: v for k, v in os.environ.items() if k != "POLICYWATCH_DATABASE_URL"}
        self.popen = subprocess.Popen([sys.executable, "-m", "policywatch", *args], cwd=cwd, env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stderr is not None
        for line in self.popen.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for_line(self, pattern: str, timeout: float = 30.0) -> re.Match:
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while time.monotonic() < deadline:
            for line in list(self.lines):
                m = rx.search(line)
                if m:
                    return m
            if self.popen.poll() is not None:
                self._reader.join(timeout=2)
                break
            time.sleep(0.05)
        raise AssertionError(f"no stderr line matching {pattern!r}; got: {self.lines}")

    def wait(self, timeout: float) -> int:
        rc = self.popen.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return rc

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(timeout=10)


def wait_until(condition: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def slow_down(server: PortalServer, seconds: float) -> Callable[[float], None]:
    """Delay every response of ``server`` by ``seconds``; returns a setter to change the delay later."""
    delay = [seconds]
    original = server._handle

    def handle(h) -> None:
        time.sleep(delay[0])
        original(h)

    server._handle = handle  # type: ignore[method-assign]
    return lambda s: delay.__setitem__(0, s)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
