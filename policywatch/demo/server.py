"""Small HTTP servers on 127.0.0.1 for the demo (and the tests): a static portal whose pages can be swapped,
and a webhook endpoint that records what Apprise's json:// delivers."""
from __future__ import annotations

import hashlib
import json
import mimetypes
import threading
from collections.abc import Callable
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server(ThreadingHTTPServer):
    # a web server's listen backlog (Python's default of 5 dropped some of a crawl's first concurrent connection
    # attempts, and each of those clients waited a second before trying again)
    request_queue_size = 128


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # keep the terminal clean
        pass


class PortalServer:
    """Serves ``pages`` (path → bytes). Sends ETag/Last-Modified and answers conditional requests with 304.
    Every request is logged as (method, path, status) in ``requests``."""

    def __init__(self, pages: dict[str, bytes], *, content_type: str = "text/html; charset=utf-8") -> None:
        self.pages = dict(pages)
        self.content_type = content_type
        self.overrides: dict[str, tuple[int, bytes, dict[str, str]]] = {}  # path -> (status, body, headers)
        self.requests: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(_Quiet):
            def do_GET(self) -> None:  # noqa: N802
                server._handle(self)

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def set_pages(self, pages: dict[str, bytes]) -> None:
        with self._lock:
            self.pages = dict(pages)

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("?", 1)[0]
        with self._lock:
            override = self.overrides.get(path)
            body = self.pages.get(path)
        if override is not None:
            status, payload, headers = override
            self._send(h, status, payload, headers)
            return
        if body is None:
            self._send(h, 404, "<html><body>页面不存在</body></html>".encode(), {})
            return
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if h.headers.get("If-None-Match") == etag:
            self._send(h, 304, b"", {"ETag": etag})
            return
        headers = {"ETag": etag, "Last-Modified": formatdate(usegmt=True)}
        kind = mimetypes.guess_type(path)[0]
        if kind and not kind.startswith("text/html"):
            headers["Content-Type"] = kind
        self._send(h, 200, body, headers)

    def _send(self, h: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]) -> None:
        with self._lock:
            self.requests.append((h.command, h.path, status))
        h.send_response(status)
        if status != 304:
            h.send_header("Content-Type", headers.pop("Content-Type", self.content_type) if headers else self.content_type)
            h.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            h.send_header(k, v)
        h.end_headers()
        if status != 304:
            h.wfile.write(body)

    def __enter__(self) -> "PortalServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class WebhookRecorder:
    """Records JSON POSTs (Apprise json:// payloads: version, title, message, type). ``fail_next`` answers 500 that
    many times first; ``on_message`` is called for each recorded message."""

    def __init__(self, on_message: Callable[[dict], None] | None = None) -> None:
        self.messages: list[dict] = []
        self.attempts = 0
        self.fail_next = 0
        self.on_message = on_message
        recorder = self

        class Handler(_Quiet):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                recorder.attempts += 1
                if recorder.fail_next > 0:
                    recorder.fail_next -= 1
                    status = 500
                else:
                    status = 200
                    try:
                        payload = json.loads(raw.decode("utf-8"))
                    except ValueError:
                        payload = {"raw": raw.decode("utf-8", "replace")}
                    payload["_path"] = self.path
                    recorder.messages.append(payload)
                    if recorder.on_message:
                        recorder.on_message(payload)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str = "hook") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def __enter__(self) -> "WebhookRecorder":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
