"""The config-driven portal spider.

One cycle for one portal:
  1. read each start URL's list page (yields ``ListingPage``) and follow its pagination up to ``max_pages``,
     stopping at the first list page that brings no link unknown before (so a steady-state cycle reads about
     one list page);
  2. fetch every same-site linked document that is not in ``known``;
  3. re-fetch the documents in ``recheck`` with If-None-Match / If-Modified-Since from their KnownDocument;
     a 304 (or an unchanged ETag) yields ``NotModified``;
  4. each fetched document is decoded, passed through the quality gate and extracted into a ``DocumentPage``.
Every failure (DNS, refused connection, timeout, 4xx/5xx, challenge, empty/binary/non-HTML/too-large body,
extraction error) becomes a ``FetchFailure`` whose reason names the URL. Callbacks never raise.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Iterator

import scrapy
from scrapy.http import Request, Response

from spiders.charset import decode_body
from spiders.errors import ExtractError
from spiders.extract import extract_document
from spiders.gate import classify_failure
from spiders.items import DocumentPage, FetchFailure, ListingPage, NotModified
from spiders.listing import extract_links, next_pages
from spiders.settings import crawler_settings, portal_settings
from spiders.urls import same_site

logger = logging.getLogger(__name__)

__all__ = ["PortalSpec", "KnownDocument", "PortalSpider", "crawler_settings"]

# Error statuses are handled by the callbacks (3xx stay with the redirect middleware).
_HANDLED_STATUSES = [304] + list(range(400, 600))
_TEXT_TYPES = ("html", "xml", "text/plain", "json", "javascript")


@dataclass
class PortalSpec:
    """One portal (one column or list) as configured; built by the wiring from config."""

    name: str
    start_urls: list[str]
    family: str | None = None
    link_selector: str | None = None
    body_selector: str | None = None
    title_selector: str | None = None
    max_pages: int = 3
    pagination: str | None = None
    delay: float = 1.0
    concurrency: int = 1
    obey_robots: bool = True
    max_bytes: int = 20_000_000
    timeout: float = 30.0


@dataclass
class KnownDocument:
    """What the store knows about a document URL: validators of the last good capture and its body size."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    last_length: int | None = None


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _headers(response: Response) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, values in response.headers.items():
        name = key.decode("latin-1").lower() if isinstance(key, bytes) else str(key).lower()
        out[name] = ", ".join(v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in values)
    return out


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class PortalSpider(scrapy.Spider):
    """Reads a portal's list pages and fetches new and due documents (see the module docstring)."""

    name = "portal"

    def __init__(self, spec: PortalSpec, known: dict[str, KnownDocument] | None = None,
                 recheck: set[str] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.spec = spec
        self.known: dict[str, KnownDocument] = dict(known or {})
        self.recheck: set[str] = set(recheck or ())
        self.start_urls = list(spec.start_urls)
        self._seen_links: set[str] = set()  # document links seen on list pages this cycle
        self._requested: set[str] = set()  # document URLs already scheduled this cycle
        self._list_urls: set[str] = set()
        self._list_titles: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> "PortalSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        if not crawler.settings.frozen:
            crawler.settings.setdict(portal_settings(spider.spec), priority="spider")
        return spider

    # ---- requests -------------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Request]:
        for url in self.spec.start_urls:
            request = self._list_request(url, page=0)
            if request is not None:
                yield request
        for url in sorted(self.recheck):
            yield self._document_request(url)

    def _list_request(self, url: str, page: int) -> Request | None:
        if url in self._list_urls:
            return None
        self._list_urls.add(url)
        return Request(url, callback=self.parse_list, errback=self.on_error, dont_filter=True,
                       meta={"stage": "list", "page": page, "handle_httpstatus_list": _HANDLED_STATUSES})

    def _document_request(self, url: str) -> Request:
        self._requested.add(url)
        headers: dict[str, str] = {}
        known = self.known.get(url)
        if url in self.recheck and known is not None:
            if known.etag:
                headers["If-None-Match"] = known.etag
            if known.last_modified:
                headers["If-Modified-Since"] = known.last_modified
        return Request(url, callback=self.parse_document, errback=self.on_error, headers=headers,
                       dont_filter=True,
                       meta={"stage": "document", "doc_url": url, "handle_httpstatus_list": _HANDLED_STATUSES})

    # ---- callbacks ------------------------------------------------------------------------------------

    def _failure(self, url: str, stage: str, reason: str, kind: str = "error",
                 status: int | None = None) -> FetchFailure:
        return FetchFailure(portal=self.spec.name, url=url, stage=stage, reason=_one_line(f"{reason}: {url}"),
                            fetched_at=_now(), status=status, kind=kind)

    def _decoded(self, response: Response, url: str, stage: str,
                 previous_len: int | None) -> tuple[str, str] | FetchFailure:
        """(text, encoding) of a usable answer, or the FetchFailure that describes why it is not usable."""
        status = response.status
        headers = response.headers
        body = response.body or b""
        if status >= 400:
            text = ""
            try:
                text = decode_body(body, _headers(response).get("content-type"))[0] if body else ""
            except ExtractError:
                pass
            kind, reason = classify_failure(status, headers, text, None, url=url) or ("error", f"HTTP {status}")
            return self._failure(url, stage, reason, kind, status)
        if not same_site(response.url, url):
            return self._failure(url, stage, f"redirected off-site to {response.url}", "error", status)
        if not body.strip():
            return self._failure(url, stage, f"empty body (HTTP {status})", "empty", status)
        content_type = _headers(response).get("content-type", "")
        if content_type and not any(t in content_type.lower() for t in _TEXT_TYPES):
            return self._failure(url, stage, f"not an HTML page ({content_type.split(';')[0].strip()})",
                                 "not_html", status)
        try:
            text, encoding = decode_body(body, content_type or None)
        except ExtractError as exc:
            return self._failure(url, stage, str(exc), "not_html", status)
        verdict = classify_failure(status, headers, text, previous_len, url=url, body_len=len(body))
        if verdict is not None:
            kind, reason = verdict
            return self._failure(url, stage, reason, kind, status)
        return text, encoding

    def parse_list(self, response: Response) -> Iterator[Any]:
        url = response.request.url if response.request is not None else response.url
        page = int(response.meta.get("page", 0))
        try:
            yield from self._parse_list(response, url, page)
        except Exception as exc:  # noqa: BLE001 - never raise out of a callback
            logger.exception("list page %s", url)
            yield self._failure(url, "list", f"internal error {type(exc).__name__}: {exc}")

    def _parse_list(self, response: Response, url: str, page: int) -> Iterator[Any]:
        decoded = self._decoded(response, url, "list", None)
        if isinstance(decoded, FetchFailure):
            yield decoded
            return
        text, _ = decoded
        links = extract_links(text, response.url, link_selector=self.spec.link_selector, family=self.spec.family)
        new = 0
        for link, title in links:
            if link not in self.known and link not in self._seen_links:
                new += 1
            self._seen_links.add(link)
            if title and link not in self._list_titles:
                self._list_titles[link] = title
        yield ListingPage(portal=self.spec.name, url=url, page=page, links=links, fetched_at=_now(),
                          new_links=new)
        for link, _title in links:
            if link not in self.known and link not in self._requested:
                yield self._document_request(link)
        if new and page + 1 < self.spec.max_pages:
            for candidate in next_pages(text, response.url, pagination=self.spec.pagination,
                                        family=self.spec.family):
                if candidate not in self._list_urls:
                    request = self._list_request(candidate, page + 1)
                    if request is not None:
                        yield request
                    break

    def parse_document(self, response: Response) -> Iterator[Any]:
        url = response.meta.get("doc_url") or response.url
        try:
            yield from self._parse_document(response, url)
        except Exception as exc:  # noqa: BLE001 - never raise out of a callback
            logger.exception("document %s", url)
            yield self._failure(url, "document", f"internal error {type(exc).__name__}: {exc}")

    def _parse_document(self, response: Response, url: str) -> Iterator[Any]:
        headers = _headers(response)
        known = self.known.get(url)
        if response.status == 304:
            yield NotModified(portal=self.spec.name, url=url, fetched_at=_now(), headers=headers)
            return
        if known is not None and url in self.recheck and response.status == 200:
            same_etag = bool(known.etag) and headers.get("etag") == known.etag
            same_date = (not known.etag and bool(known.last_modified)
                         and headers.get("last-modified") == known.last_modified)
            if same_etag or same_date:
                yield NotModified(portal=self.spec.name, url=url, fetched_at=_now(), headers=headers)
                return
        decoded = self._decoded(response, url, "document", known.last_length if known else None)
        if isinstance(decoded, FetchFailure):
            yield decoded
            return
        text, encoding = decoded
        try:
            extracted = extract_document(text, response.url, body_selector=self.spec.body_selector,
                                         family=self.spec.family, title_selector=self.spec.title_selector)
        except Exception as exc:  # noqa: BLE001 - any extraction problem is a failure of this page only
            yield self._failure(url, "document", f"extraction error ({type(exc).__name__}: {exc})", "error",
                                response.status)
            return
        yield DocumentPage(
            portal=self.spec.name, url=url, final_url=response.url, status=response.status, headers=headers,
            body=response.body, encoding=encoding, title=extracted.title, paragraphs=extracted.paragraphs,
            fetched_at=_now(), metadata=extracted.metadata, attachments=extracted.attachments,
            list_title=self._list_titles.get(url))

    def on_error(self, failure: Any) -> Iterator[Any]:
        """Errback: turn download errors into FetchFailure items (never raises)."""
        request = getattr(failure, "request", None)
        meta = request.meta if request is not None else {}
        url = meta.get("doc_url") or (request.url if request is not None else "?")
        stage = meta.get("stage", "document")
        try:
            kind, reason, status = _describe(failure, self.spec.timeout)
        except Exception as exc:  # noqa: BLE001
            kind, reason, status = "error", f"{type(exc).__name__}", None
        yield self._failure(url, stage, reason, kind, status)


def _describe(failure: Any, timeout: float) -> tuple[str, str, int | None]:
    """(kind, reason, status) for a download error."""
    from scrapy.exceptions import IgnoreRequest
    from scrapy.spidermiddlewares.httperror import HttpError

    exc = failure.value
    names = {cls.__name__ for cls in type(exc).__mro__}
    if isinstance(exc, HttpError):
        status = exc.response.status
        return ("not_found" if status in (404, 410) else "error"), f"HTTP {status}", status
    if names & {"DNSLookupError", "CannotResolveHostError"}:
        return "error", "DNS lookup failed", None
    if names & {"TimeoutError", "TCPTimedOutError", "DownloadTimeoutError", "UserTimeoutError"}:
        return "error", f"timeout after {timeout:g}s", None
    if names & {"ConnectionRefusedError", "DownloadConnectionRefusedError"}:
        return "error", "connection refused", None
    if "DownloadCancelledError" in names or "CancelledError" in names:
        sizes = re.search(r"(\d+) bytes.*?max size \((\d+)\)", str(exc))
        if sizes:
            return "too_large", f"body of {sizes.group(1)} bytes exceeds the {sizes.group(2)}-byte cap", None
        return "too_large", _one_line(f"download cancelled ({exc})", 200), None
    if isinstance(exc, IgnoreRequest):
        reason = str(exc) or "request ignored"
        return "error", ("forbidden by robots.txt" if "robots" in reason.lower() else reason), None
    if names & {"ConnectionLost", "ConnectionDone", "ResponseDataLossError", "ResponseFailed"}:
        return "error", "connection lost", None
    return "error", _one_line(f"{type(exc).__name__}: {exc}", 200), None
