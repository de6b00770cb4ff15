"""Local endpoints for delivery tests: a recording webhook and a dead port."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class HookServer:
    """A webhook on 127.0.0.1 that records requests and can misbehave on demand."""

    port: int = 0
    requests: list[Recorded] = field(default_factory=list)
    fail_next: int = 0  # answer HTTP 500 to this many requests
    hang: bool = False  # accept, read, never answer (until teardown)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook", scheme: str = "json", userinfo: str = "") -> str:
        at = f"{userinfo}@" if userinfo else ""
        return f"{scheme}://{at}127.0.0.1:{self.port}{path}"


def _handler(state: HookServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            with state.lock:
                state.requests.append(Recorded(self.command, self.path, dict(self.headers), body))
                failing = state.fail_next > 0
                if failing:
                    state.fail_next -= 1
            if state.hang:
                state.release.wait(30)
                return
            self.send_response(500 if failing else 200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"ok": false}' if failing else b'{"ok": true}')

        def do_CONNECT(self) -> None:  # used as an HTTPS proxy: refuse the tunnel
            with state.lock:
                state.requests.append(Recorded("CONNECT", self.path, dict(self.headers), b""))
            self.send_response(502)
            self.end_headers()

        do_POST = do_GET = do_PUT = _handle

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def hook() -> Iterator[HookServer]:
    state = HookServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def dead_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
