"""Items the spiders yield. Plain dataclasses (the current Scrapy template's choice).

The wiring package (policywatch.pipeline) turns these into storage calls; nothing here knows about storage,
diffing or notification.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Attachment:
    """A file linked from a document page (PDF, DOCX, DOC, WPS, OFD, XLS, ...), fetched with its document.

    States (each attachment of a yielded DocumentPage is in exactly one):
      * fetched and read: ``sha256``/``size``/``file_type`` set, ``text`` set for PDF/DOCX ("" when a PDF has
        no text layer), ``error`` None;
      * fetched, not readable: ``sha256``/``size``/``file_type`` set, ``text`` None, ``error`` names why
        ("encrypted PDF (password required)", "corrupt PDF (...)", "corrupt DOCX (...)");
      * fetched, other type: ``sha256``/``size``/``file_type`` set, ``text`` and ``error`` None (DOC, WPS,
        OFD, XLS, ZIP, ... are compared by hash only);
      * not fetched: ``sha256`` None, ``error`` says why ("larger than 20 MB cap", "HTTP 404", "timeout after
        120s", "an HTML page instead of a file (...)", "off-site link, not fetched", "forbidden by robots.txt").
        The file's content is unknown this cycle, which is not the same as the file having changed.
    """

    url: str  # absolute, as linked from the document page (the attachment's identity)
    name: str  # human file name, from the link text when the URL is opaque (downfile.jsp?filename=<hex>)
    sha256: str | None = None  # of the raw bytes, when fetched
    size: int | None = None  # bytes, when fetched
    text: str | None = None  # extracted text (PDF, DOCX); None when not extracted
    error: str | None = None  # one-line reason when not fetched / not extracted (e.g. "larger than 20 MB cap")
    file_type: str | None = None  # sniffed from the bytes: pdf, docx, doc, wps, ofd, xls, xlsx, zip, ..., bin


@dataclass
class DocumentPage:
    """A document page fetched with a 2xx answer that passed the quality gate.

    Yielded only after every attachment of the page was fetched or failed (see ``Attachment``), so the
    attachments' hashes belong to the same capture as the page.
    """

    portal: str
    url: str  # the URL as linked from the list page (the document's identity)
    final_url: str  # after redirects
    status: int
    headers: dict[str, str]  # lower-cased header names
    body: bytes  # raw bytes as received
    encoding: str  # the charset the body was decoded with
    title: str
    paragraphs: list[str]  # main text, one entry per paragraph, as published (not normalised)
    fetched_at: datetime  # timezone-aware UTC
    metadata: dict[str, str] = field(default_factory=dict)  # doc_number, issuer, written, published, index_no, topic
    attachments: list[Attachment] = field(default_factory=list)
    list_title: str | None = None  # the title as shown on the list page, if it was found there


@dataclass
class RawPage:
    """A document page fetched with a 2xx answer and handed over unread: decoding it, the quality gate and
    extraction are left to the consumer, which turns it into the DocumentPage or FetchFailure the spider would
    have yielded with ``spiders.rawpage.finish``. Only pages that link no attachment are handed over."""

    portal: str
    url: str
    final_url: str
    status: int
    headers: dict[str, str]  # lower-cased header names
    body: bytes
    fetched_at: datetime
    previous_len: int | None = None  # body size of the last good capture (the gate's truncation check)
    family: str | None = None  # the portal's CMS family and selectors, as extract_document takes them
    body_selector: str | None = None
    title_selector: str | None = None
    list_title: str | None = None


@dataclass
class NotModified:
    """A conditional re-check answered 304 (or the same validators): nothing to parse or write."""

    portal: str
    url: str
    fetched_at: datetime
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FetchFailure:
    """A fetch that produced no usable page, or the end of the portal's request budget. Never a version.

    ``kind``:
      * ``"not_found"`` - the document is gone or withdrawn: HTTP 404/410, a soft-404 page ("页面不存在",
        "信息已删除", ...), a meta-refresh stub to the parent/another page, or a redirect of a document URL to
        the site's home or a list page. Repeated not_found re-checks mean the document was withdrawn.
      * ``"challenge"`` - an anti-bot challenge or WAF block (瑞数 $_ts / WZWS, 加速乐, HTTP 412/521).
      * ``"too_large"`` - the body exceeded the portal's ``max_bytes``.
      * ``"empty"`` - empty body, no visible text, or a body that shrank below 30 % of the last capture.
      * ``"not_html"`` - a binary or non-HTML body where a page was expected.
      * ``"budget"`` - not a fetch: the portal's ``max_requests`` was reached (stage "list", url = the first
        start URL, reason "request budget of N reached; M documents left for the next cycle: <url>"). The M
        documents were not requested at all; they stay unknown/due and are fetched next cycle.
      * ``"error"`` - anything else: HTTP 5xx/403/429/..., timeouts, DNS, refused or lost connections,
        robots.txt, off-site redirects, maintenance pages, extraction errors. Worth retrying next cycle;
        says nothing about the document's existence.
    Attachment problems are not FetchFailures: they are recorded on ``Attachment.error``.
    """

    portal: str
    url: str
    stage: str  # "list" | "document"
    reason: str  # one line, names what went wrong and the URL ("HTTP 500: <url>", "timeout after 30s: <url>")
    fetched_at: datetime
    status: int | None = None
    kind: str = "error"  # "not_found" | "challenge" | "too_large" | "empty" | "not_html" | "budget" | "error"


@dataclass
class ListingPage:
    """A list page that was read: which document links it showed, in order."""

    portal: str
    url: str
    page: int  # 0 for the first list page
    links: list[tuple[str, str]]  # (absolute document URL, title as shown)
    fetched_at: datetime
    new_links: int = 0  # how many of the links were not known before this cycle
