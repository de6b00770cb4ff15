"""Misbehaving servers on 127.0.0.1 for the fault tests.

- ``SlowPortal``: the demo PortalServer (ETag, 304) whose document pages answer after a delay, so a cycle is
  still crawling when the test kills it.
- ``SlowWebhook``: a webhook that records each POST as soon as it has read it, then keeps the first ``hang``
  requests waiting (until ``release()`` or shutdown) before answering 200 — a send in flight, or a channel that
  never answers.
- ``HostilePortal``: a column whose document pages behave normally until ``hostile`` is switched on; then each
  page misbehaves in its own way (dropped connection, redirect loop, 50 MB body, endless chunked body, binary
  data as text/html, lying or missing charsets, 10,000-level nesting, tag soup, an answer slower than the
  download timeout).
"""
from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from policywatch.demo.server import PortalServer

from . import pages


class SlowPortal(PortalServer):
    """PortalServer whose document pages (paths containing ``marker``) answer after ``delay`` seconds and, after
    ``hold(n)``, stop answering after the next ``n`` of them until ``release()``: a crawl that is certainly still
    running, with exactly the first ``n`` documents delivered, when the test kills it."""

    def __init__(self, site: dict[str, bytes], *, delay: float = 0.0, marker: str = "/t2024") -> None:
        super().__init__(site)
        self.delay = delay
        self.marker = marker
        self.held = threading.Event()  # set once a request is being held back
        self._hold_after: int | None = None
        self._answered = 0
        self._gate = threading.Event()
        self._count_lock = threading.Lock()

    def hold(self, after: int) -> None:
        with self._count_lock:
            self._hold_after, self._answered = after, 0
            self._gate.clear()
            self.held.clear()

    def release(self) -> None:
        with self._count_lock:
            self._hold_after = None
        self._gate.set()

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        if self.marker in h.path:
            time.sleep(self.delay)
            with self._count_lock:
                held = self._hold_after is not None and self._answered >= self._hold_after
                self._answered += 1
            if held:
                self.held.set()
                self._gate.wait(timeout=120)
        super()._handle(h)

    def __exit__(self, *exc) -> None:
        self.release()
        super().__exit__(*exc)


class _Server:
    """A threaded HTTP server on a free 127.0.0.1 port, started and stopped as a context manager."""

    handler: type[BaseHTTPRequestHandler]

    def _serve(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()
        self.httpd.shutdown()
        self.httpd.server_close()

    def close(self) -> None:  # pragma: no cover - overridden
        pass


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass


class SlowWebhook(_Server):
    """Records every POSTed JSON payload in ``messages`` the moment it is read; the first ``hang`` requests then
    wait (until ``release()``) before answering 200. ``received`` is set on the first POST."""

    def __init__(self, *, hang: float = 1) -> None:
        self.hang = hang
        self.messages: list[dict] = []
        self.received = threading.Event()
        self._release = threading.Event()
        self._lock = threading.Lock()
        hook = self

        class Handler(_Quiet):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with hook._lock:
                    try:
                        payload = json.loads(raw.decode("utf-8"))
                    except ValueError:
                        payload = {"raw": raw.decode("utf-8", "replace")}
                    payload["_path"] = self.path
                    hook.messages.append(payload)
                    waits = len(hook.messages) <= hook.hang
                hook.received.set()
                if waits:
                    hook._release.wait(timeout=120)
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:  # the client is gone (killed, or gave up)
                    self.close_connection = True

        self._serve(Handler)

    def url(self, path: str = "hook", *, query: str = "") -> str:
        return f"json://127.0.0.1:{self.port}/{path}" + (f"?{query}" if query else "")

    def release(self) -> None:
        self._release.set()

    def close(self) -> None:
        self._release.set()


# --- the hostile column ------------------------------------------------------------------------------------------
Behaviour = Callable[[BaseHTTPRequestHandler], None]


def _answer(h: BaseHTTPRequestHandler, body: bytes, content_type: str, status: int = 200,
            headers: dict[str, str] | None = None) -> None:
    h.send_response(status)
    h.send_header("Content-Type", content_type)
    h.send_header("Content-Length", str(len(body)))
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.end_headers()
    h.wfile.write(body)


def _page(text: str, content_type: str = "text/html; charset=utf-8", encoding: str = "utf-8") -> Behaviour:
    body = text.encode(encoding)
    return lambda h: _answer(h, body, content_type)


def _drop(h: BaseHTTPRequestHandler) -> None:
    """Read the request, then close the connection without a word."""
    h.close_connection = True


def _cut(full: bytes) -> Behaviour:
    """Announce the whole body, send half of it, hang up."""

    def behave(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(len(full)))
        h.end_headers()
        h.wfile.write(full[: len(full) // 2])
        h.wfile.flush()
        h.close_connection = True

    return behave


def _redirect_to(location: str) -> Behaviour:
    def behave(h: BaseHTTPRequestHandler) -> None:
        h.send_response(302)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()

    return behave


_FILLER = ("<p>" + "填充内容，" * 200 + "</p>\n").encode("utf-8")


def _stream(h: BaseHTTPRequestHandler, *, limit: int, chunked: bool, give_up_after: float = 120.0) -> None:
    """Write filler HTML until ``limit`` bytes, the client hangs up, or ``give_up_after`` seconds."""
    started = time.monotonic()
    sent = 0
    try:
        while sent < limit and time.monotonic() - started < give_up_after:
            piece = _FILLER * 16
            if chunked:
                h.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            else:
                piece = piece[: limit - sent]
                h.wfile.write(piece)
            sent += len(piece)
    except OSError:
        pass
    h.close_connection = True


def _huge(size: int) -> Behaviour:
    def behave(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(size))
        h.end_headers()
        h.wfile.write(b"<html><body><div class='TRS_Editor'>")
        _stream(h, limit=size, chunked=False)

    return behave


def _endless(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    _stream(h, limit=1 << 40, chunked=True)


def _slow(seconds: float, then: Behaviour) -> Behaviour:
    def behave(h: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        try:
            then(h)
        except OSError:
            h.close_connection = True

    return behave


def deep_markup(num: int, depth: int = 10_000) -> str:
    """Document ``num``'s own text, nested ``depth`` <div>s deep inside the article container."""
    inner = "\n".join(f"<p>{p}</p>" for p in pages.paragraphs(num))
    return pages.article(num, body="<div>" * depth + inner + "</div>" * depth)


def tag_soup(num: int) -> str:
    """Document ``num``'s own text in markup a browser shows the same: no closing tags for p/div, upper-case and
    unquoted attributes, a stray closing tag, an unknown tag, no </body></html>."""
    paras = "".join(f"<P CLASS=MsoNormal>{p}" for p in pages.paragraphs(num))
    t = pages.title(num)
    return (f"<html><head><meta charset=utf-8><title>{t} - 示例市人民政府</title>"
            f"<meta name=ArticleTitle content=\"{t}\"></head>"
            f"<body><div class=header><a href=/>首页</a></span>"
            f"<h1 class=title>{t}</h1><DIV class=TRS_Editor><o:p></o:p>{paras}</font>"
            f"<div class=footer>主办：示例市人民政府办公室 网站标识码：4108000001")


HOSTILE_KINDS = (
    "dropped", "cut", "redirect_loop", "huge", "endless", "binary_png", "binary_noise", "deep", "tag_soup",
    "gbk_labelled_utf8", "gbk_unlabelled", "utf8_labelled_gb2312",
)
#: kinds whose hostile answer carries the document's unchanged text in a lying or missing charset: the right
#: outcome is a correct extraction, so no error and no change.
CHARSET_KINDS = ("gbk_labelled_utf8", "gbk_unlabelled", "utf8_labelled_gb2312")
#: kinds whose hostile answer carries the document's unchanged text in odd markup: the right outcome is the same
#: text (no change) or a one-line error, never a change.
MARKUP_KINDS = ("deep", "tag_soup")


class HostilePortal(_Server):
    """One column; document ``i`` is ``kinds[i]``. Until ``hostile`` is set every page is a normal UTF-8 page
    (no ETag/Last-Modified, so a forced re-check always downloads). ``served`` counts answers per path."""

    def __init__(self, kinds: tuple[str, ...] = HOSTILE_KINDS, *, slow_seconds: float = 0.0) -> None:
        self.kinds = kinds
        self.nums = list(range(len(kinds)))
        self.hostile = False
        self.served: dict[str, int] = {}
        self._lock = threading.Lock()
        self.normal: dict[str, Behaviour] = {f"{pages.COLUMN}index.html": _page(pages.list_page(self.nums))}
        self.bad: dict[str, Behaviour] = {}
        for num, kind in zip(self.nums, kinds):
            path = pages.doc_path(num)
            self.normal[path] = _page(pages.article(num))
            self.bad[path] = self._behaviour(kind, num, path, slow_seconds)
        portal = self

        class Handler(_Quiet):
            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?", 1)[0]
                with portal._lock:
                    portal.served[path] = portal.served.get(path, 0) + 1
                    behave = (portal.bad.get(path) if portal.hostile else None) or portal.normal.get(path)
                if path == "/robots.txt":
                    _answer(self, b"User-agent: *\nAllow: /\n", "text/plain")
                elif behave is None:
                    _answer(self, "<html><body>页面不存在</body></html>".encode(), "text/html; charset=utf-8", 404)
                else:
                    try:
                        behave(self)
                    except OSError:
                        self.close_connection = True

        self._serve(Handler)

    def _behaviour(self, kind: str, num: int, path: str, slow_seconds: float) -> Behaviour:
        own = pages.article(num)
        if kind == "dropped":
            return _drop
        if kind == "cut":
            return _cut(own.encode("utf-8"))
        if kind == "redirect_loop":
            other = path.replace(".html", "_b.html")
            self.bad[other] = _redirect_to(path)
            return _redirect_to(other)
        if kind == "huge":
            return _huge(50_000_000)
        if kind == "endless":
            return _endless
        if kind == "binary_png":
            png = b"\x89PNG\r\n\x1a\n" + random.Random(num).randbytes(len(own.encode()))
            return lambda h: _answer(h, png, "text/html; charset=utf-8")
        if kind == "binary_noise":
            noise = random.Random(num).randbytes(len(own.encode()))
            return lambda h: _answer(h, noise, "text/html; charset=utf-8")
        if kind == "deep":
            return _page(deep_markup(num))
        if kind == "tag_soup":
            return _page(tag_soup(num))
        if kind == "gbk_labelled_utf8":  # header and <meta> both say UTF-8; the bytes are GBK
            return _page(own, "text/html; charset=utf-8", encoding="gbk")
        if kind == "gbk_unlabelled":  # GBK bytes, no charset in the header nor in the page
            return _page(own.replace('<meta charset="utf-8">', ""), "text/html", encoding="gbk")
        if kind == "utf8_labelled_gb2312":  # a stale label: header and <meta> say GB2312, the bytes are UTF-8
            return _page(own.replace('<meta charset="utf-8">', '<meta charset="gb2312">'), "text/html; charset=gb2312")
        if kind == "slow":
            return _slow(slow_seconds, _page(own))
        raise ValueError(kind)

    def url(self, num: int) -> str:
        return self.base + pages.doc_path(num)
