"""The config-driven portal spider.

One cycle for one portal:
  1. read each start URL's list page (yields ``ListingPage``) and follow its pagination up to ``max_pages``,
     stopping at the first list page that brings no link unknown before (so a steady-state cycle reads about
     one list page); documents are identified by URL, so known documents pushed down to later list pages
     by new arrivals are never fetched again as new;
  2. fetch every same-site linked document that is not in ``known``;
  3. once those are done (the spider is idle), re-fetch the documents in ``recheck`` with If-None-Match /
     If-Modified-Since from their KnownDocument; a 304 (or an unchanged ETag) yields ``NotModified`` and
     nothing is parsed;
  4. each fetched document is decoded, passed through the quality gate and extracted; its same-site
     attachments are fetched (size cap ``max_attachment_bytes``, hashed, PDF/DOCX/OFD text extracted) and the
     ``DocumentPage`` is yielded once every attachment has an outcome.
Politeness: every request goes through the same scheduler, so delay, per-host concurrency, AutoThrottle and
robots.txt apply to list pages, documents and attachments alike. At most ``max_requests`` list/document
requests are made per cycle (attachments of a fetched document are always completed and are counted); when
the budget refuses a request the cycle ends with one FetchFailure(kind="budget").
Every failure (DNS, refused connection, timeout, 4xx/5xx, challenge, empty/binary/non-HTML/too-large body,
extraction error) becomes a ``FetchFailure`` whose reason names the URL. Callbacks never raise.
"""
from __future__ import annotations

import hashlib
import logging
import re
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Callable, Iterator

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request, Response

from spiders.attachments import human_size, looks_like_html, read_attachment
from spiders.charset import decode_body
from spiders.errors import ExtractError
from spiders.gate import classify_failure
from spiders.items import Attachment, DocumentPage, FetchFailure, ListingPage, NotModified, RawPage
from spiders.listing import extract_links, next_pages
from spiders.pending import Outcome, PendingDocuments
from spiders.rawpage import Unusable, failure, may_link_attachments, one_line, read, read_page
from spiders.settings import crawler_settings, portal_settings
from spiders.spec import KnownDocument, PortalSpec
from spiders.urls import redirected_to_index, same_site

logger = logging.getLogger(__name__)

__all__ = ["PortalSpec", "KnownDocument", "PortalSpider", "crawler_settings"]

# Error statuses are handled by the callbacks (3xx stay with the redirect middleware).
_HANDLED_STATUSES = [304] + list(range(400, 600))
ATTACHMENT_TIMEOUT_FACTOR = 4  # attachments may be 20 MB: they get this many times the page timeout
# Scheduler priorities: finish documents that wait for attachments first, then list pages, then documents.
_PRIORITY = {"attachment": 20, "list": 10, "document": 0}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _headers(response: Response) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, values in response.headers.items():
        name = key.decode("latin-1").lower() if isinstance(key, bytes) else str(key).lower()
        out[name] = ", ".join(v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in values)
    return out


class PortalSpider(scrapy.Spider):
    """Reads a portal's list pages and fetches new and due documents (see the module docstring)."""

    name = "portal"

    def __init__(self, spec: PortalSpec, known: dict[str, KnownDocument] | None = None,
                 recheck: set[str] | None = None, hand_over: Callable[[], bool] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.spec = spec
        # asked before reading a document page: True leaves the page to the consumer as a RawPage (see
        # spiders/rawpage.py), for pages that link no attachment
        self.hand_over = hand_over
        self.known: dict[str, KnownDocument] = dict(known or {})
        self.recheck: set[str] = set(recheck or ())
        self.start_urls = list(spec.start_urls)
        self._seen_links: set[str] = set()  # document links seen on list pages this cycle
        self._requested: set[str] = set()  # document URLs already scheduled this cycle
        self._list_urls: set[str] = set()
        self._list_titles: dict[str, str] = {}
        self._pending: PendingDocuments[DocumentPage] = PendingDocuments()
        self._refetched: set[str] = set()  # documents fetched in full because an attachment changed
        self.requests_made = 0  # list, document and attachment requests issued by this spider this cycle
        self._refused = 0  # list/document requests the budget refused
        self._rechecks_scheduled = False
        self._budget_reported = False

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> "PortalSpider":
        spider = super().from_crawler(crawler, *args, **kwargs)
        if not crawler.settings.frozen:
            crawler.settings.setdict(portal_settings(spider.spec), priority="spider")
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        return spider

    # ---- requests -------------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Request]:
        for url in self.spec.start_urls:
            request = self._list_request(url, page=0)
            if request is not None:
                yield request

    def on_idle(self, spider: Any = None) -> None:
        """spider_idle handler: schedule the re-checks once new documents are done, then report an exhausted
        request budget. Raises DontCloseSpider while it has scheduled more work."""
        engine = self.crawler.engine
        if not self._rechecks_scheduled:
            self._rechecks_scheduled = True
            scheduled = False
            for url in sorted(self.recheck - self._requested):
                request = self._document_request(url)
                if request is None:
                    break
                engine.crawl(request)
                scheduled = True
            if scheduled:
                raise DontCloseSpider
        if self._refused and not self._budget_reported:
            self._budget_reported = True
            # Items can only come out of a callback: a data: request (no network, no robots.txt) carries it.
            engine.crawl(Request("data:,budget", callback=self._budget_report, errback=self._budget_report,
                                 dont_filter=True, meta={"stage": "budget"}))
            raise DontCloseSpider

    def _budget_report(self, _response_or_failure: Any) -> Iterator[FetchFailure]:
        left = {u for u in self._seen_links if u not in self.known and u not in self._requested}
        left |= {u for u in self.recheck if u not in self._requested}
        first = self.spec.start_urls[0] if self.spec.start_urls else "?"
        yield self._failure(first, "list", f"request budget of {self.spec.max_requests} reached; "
                            f"{len(left)} documents left for the next cycle", "budget")

    def _spend(self) -> bool:
        """Count one list/document request; False (and remember the refusal) once the budget is used up."""
        if self.requests_made >= max(0, int(self.spec.max_requests)):
            self._refused += 1
            return False
        self.requests_made += 1
        return True

    def _list_request(self, url: str, page: int) -> Request | None:
        if url in self._list_urls or not self._spend():
            return None
        self._list_urls.add(url)
        return Request(url, callback=self.parse_list, errback=self.on_error, dont_filter=True,
                       priority=_PRIORITY["list"],
                       meta={"stage": "list", "page": page, "handle_httpstatus_list": _HANDLED_STATUSES})

    def _document_request(self, url: str) -> Request | None:
        if not self._spend():
            return None
        self._requested.add(url)
        headers: dict[str, str] = {}
        known = self.known.get(url)
        if url in self.recheck and known is not None:
            if known.etag:
                headers["If-None-Match"] = known.etag
            if known.last_modified:
                headers["If-Modified-Since"] = known.last_modified
        return Request(url, callback=self.parse_document, errback=self.on_error, headers=headers,
                       dont_filter=True, priority=_PRIORITY["document"],
                       meta={"stage": "document", "doc_url": url, "handle_httpstatus_list": _HANDLED_STATUSES})

    def _attachment_request(self, attachment: Attachment) -> Request:
        """Always issued (a fetched document is completed even past the budget), but counted."""
        self.requests_made += 1
        cap = int(self.spec.max_attachment_bytes)
        return Request(attachment.url, callback=self.parse_attachment, errback=self.on_error, dont_filter=True,
                       priority=_PRIORITY["attachment"],
                       meta={"stage": "attachment", "att_url": attachment.url, "att_name": attachment.name,
                             "download_maxsize": cap, "download_warnsize": cap,
                             "download_timeout": self._attachment_timeout(),
                             "handle_httpstatus_list": _HANDLED_STATUSES})

    def _attachment_timeout(self) -> float:
        return float(self.spec.timeout) * ATTACHMENT_TIMEOUT_FACTOR

    # ---- callbacks ------------------------------------------------------------------------------------

    def _failure(self, url: str, stage: str, reason: str, kind: str = "error",
                 status: int | None = None) -> FetchFailure:
        return failure(self.spec.name, url, stage, reason, kind, status, fetched_at=_now())

    def _unusable(self, response: Response, url: str, stage: str) -> FetchFailure | None:
        """The FetchFailure of an answer that is unusable whatever its content: an error status, an off-site
        redirect, a document redirected to an index page, an empty body."""
        status = response.status
        body = response.body or b""
        if status >= 400:
            text = ""
            try:
                text = decode_body(body, _headers(response).get("content-type"))[0] if body else ""
            except ExtractError:
                pass
            kind, reason = classify_failure(status, response.headers, text, None, url=url) or ("error", f"HTTP {status}")
            return self._failure(url, stage, reason, kind, status)
        if not same_site(response.url, url):
            return self._failure(url, stage, f"redirected off-site to {response.url}", "error", status)
        if stage == "document" and redirected_to_index(url, response.url, self.spec.start_urls):
            return self._failure(url, stage, f"redirected to {response.url} (document removed?)", "not_found",
                                 status)
        if not body.strip():
            return self._failure(url, stage, f"empty body (HTTP {status})", "empty", status)
        return None

    def parse_list(self, response: Response) -> Iterator[Any]:
        url = response.request.url if response.request is not None else response.url
        page = int(response.meta.get("page", 0))
        try:
            yield from self._parse_list(response, url, page)
        except Exception as exc:  # noqa: BLE001 - never raise out of a callback
            logger.exception("list page %s", url)
            yield self._failure(url, "list", f"internal error {type(exc).__name__}: {exc}")

    def _parse_list(self, response: Response, url: str, page: int) -> Iterator[Any]:
        unusable = self._unusable(response, url, "list")
        if unusable is not None:
            yield unusable
            return
        read = read_page(response.body, content_type=_headers(response).get("content-type"), headers=response.headers,
                         status=response.status, url=url, previous_len=None)
        if isinstance(read, Unusable):
            yield self._failure(url, "list", read.reason, read.kind, response.status)
            return
        text, _ = read
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
                request = self._document_request(link)
                if request is None:
                    break  # budget used up: the rest stay unknown and are fetched next cycle
                yield request
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
        full = bool(response.meta.get("full"))
        if response.status == 304 and not full:
            yield NotModified(portal=self.spec.name, url=url, fetched_at=_now(), headers=headers)
            yield from self._probe_attachments(url)
            return
        if known is not None and url in self.recheck and response.status == 200 and not full:
            same_etag = bool(known.etag) and headers.get("etag") == known.etag
            same_date = (not known.etag and bool(known.last_modified)
                         and headers.get("last-modified") == known.last_modified)
            if same_etag or same_date:
                yield NotModified(portal=self.spec.name, url=url, fetched_at=_now(), headers=headers)
                yield from self._probe_attachments(url)
                return
        unusable = self._unusable(response, url, "document")
        if unusable is not None:
            yield unusable
            return
        raw = RawPage(
            portal=self.spec.name, url=url, final_url=response.url, status=response.status, headers=headers,
            body=response.body, fetched_at=_now(), previous_len=known.last_length if known else None,
            family=self.spec.family, body_selector=self.spec.body_selector, title_selector=self.spec.title_selector,
            list_title=self._list_titles.get(url))
        # the consumer's answer first: it is a queue-length check, the byte scan reads the whole page
        if (self.hand_over is not None and not full and self.hand_over()
                and not may_link_attachments(response.body)):
            yield raw
            return
        page = read(raw)
        if isinstance(page, FetchFailure):
            yield page
            return
        yield from self._hold_for_attachments(page)

    # ---- attachments ----------------------------------------------------------------------------------
    def _probe_attachments(self, doc_url: str) -> Iterator[Request]:
        """After a 304, fetch the page's known attachments; a changed one brings the whole page back (below)."""
        known = self.known.get(doc_url)
        for att_url, sha in sorted((known.attachments if known else {}).items()):
            self.requests_made += 1
            cap = int(self.spec.max_attachment_bytes)
            yield Request(att_url, callback=self.parse_attachment_probe, errback=self._ignore, dont_filter=True,
                          priority=_PRIORITY["attachment"],
                          meta={"stage": "probe", "doc_url": doc_url, "known_sha": sha, "download_maxsize": cap,
                                "download_warnsize": cap, "download_timeout": self._attachment_timeout(),
                                "handle_httpstatus_list": _HANDLED_STATUSES})

    def parse_attachment_probe(self, response: Response) -> Iterator[Request]:
        """A re-checked attachment that answers with other bytes than last time: fetch its page in full, so the
        document is stored again with its attachments (an error answer is not a change)."""
        doc_url = response.meta["doc_url"]
        body = response.body or b""
        if response.status >= 400 or not body or looks_like_html(body) or doc_url in self._refetched:
            return
        if hashlib.sha256(body).hexdigest() != response.meta["known_sha"]:
            self._refetched.add(doc_url)
            self.requests_made += 1
            yield Request(doc_url, callback=self.parse_document, errback=self.on_error, dont_filter=True,
                          priority=_PRIORITY["document"],
                          meta={"stage": "document", "doc_url": doc_url, "full": True,
                                "handle_httpstatus_list": _HANDLED_STATUSES})

    def _ignore(self, failure: Any) -> Iterator[Any]:
        """Errback of attachment probes: an unreachable attachment is not a change of its document."""
        return iter(())


    def _hold_for_attachments(self, page: DocumentPage) -> Iterator[Any]:
        """Yield the page now if it has nothing to fetch, else the attachment requests it waits for."""
        fetchable = []
        for attachment in page.attachments:
            if same_site(attachment.url, page.final_url) or same_site(attachment.url, page.url):
                fetchable.append(attachment)
            else:
                attachment.error = "off-site link, not fetched"
        to_request, ready = self._pending.add(page, fetchable)
        if ready:
            yield page
            return
        for attachment in to_request:
            yield self._attachment_request(attachment)

    def parse_attachment(self, response: Response) -> Iterator[Any]:
        url = response.meta.get("att_url") or response.url
        try:
            outcome = self._attachment_outcome(response, url, response.meta.get("att_name") or "")
        except Exception as exc:  # noqa: BLE001 - never raise out of a callback
            logger.exception("attachment %s", url)
            outcome = Outcome(error=one_line(f"internal error {type(exc).__name__}: {exc}", 200))
        yield from self._pending.resolve(url, outcome)

    def _attachment_outcome(self, response: Response, url: str, name: str) -> Outcome:
        status = response.status
        body = response.body or b""
        if status >= 400 or looks_like_html(body):
            text = ""
            try:
                text = decode_body(body, _headers(response).get("content-type"))[0] if body else ""
            except ExtractError:
                pass
            verdict = classify_failure(status, response.headers, text, None, url=url)
            reason = verdict[1] if verdict else f"HTTP {status}"
            if status < 400:
                reason = "an HTML page instead of a file" + (f" ({verdict[1]})" if verdict else "")
            return Outcome(error=reason)
        if not body:
            return Outcome(error=f"empty file (HTTP {status})")
        cap = int(self.spec.max_attachment_bytes)
        if cap and len(body) > cap:
            return Outcome(error=f"larger than {human_size(cap)} cap ({human_size(len(body))})")
        content = read_attachment(body, name, url)
        return Outcome(sha256=content.sha256, size=content.size, file_type=content.file_type, text=content.text,
                       error=content.error)

    def on_error(self, failure: Any) -> Iterator[Any]:
        """Errback: turn download errors into FetchFailure items (never raises)."""
        request = getattr(failure, "request", None)
        meta = request.meta if request is not None else {}
        stage = meta.get("stage", "document")
        url = meta.get("att_url") or meta.get("doc_url") or (request.url if request is not None else "?")
        timeout = self._attachment_timeout() if stage == "attachment" else self.spec.timeout
        try:
            kind, reason, status = _describe(failure, timeout, int(self.spec.max_bytes))
        except Exception as exc:  # noqa: BLE001
            kind, reason, status = "error", f"{type(exc).__name__}", None
        if stage == "attachment":
            if kind == "too_large":
                expected = re.search(r"Expected to receive (\d+) bytes", str(getattr(failure, "value", "")))
                reason = f"larger than {human_size(int(self.spec.max_attachment_bytes))} cap" + (
                    f" ({human_size(int(expected.group(1)))})" if expected else "")
            yield from self._pending.resolve(url, Outcome(error=reason))
            return
        yield self._failure(url, stage, reason, kind, status)


def _describe(failure: Any, timeout: float, max_bytes: int = 0) -> tuple[str, str, int | None]:
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
        if not str(exc) and max_bytes:  # Scrapy cancels a streamed body at the cap without a message
            return "too_large", f"body exceeds the {max_bytes}-byte cap", None
        return "too_large", one_line(f"download cancelled ({exc})", 200), None
    if isinstance(exc, IgnoreRequest):
        reason = str(exc) or "request ignored"
        return "error", ("forbidden by robots.txt" if "robots" in reason.lower() else reason), None
    if names & {"ConnectionLost", "ConnectionDone", "ResponseDataLossError", "ResponseFailed", "DownloadFailedError"}:
        return "error", "connection lost", None
    return "error", one_line(f"{type(exc).__name__}: {exc}", 200), None
