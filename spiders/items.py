"""Items the spiders yield. Plain dataclasses (the current Scrapy template's choice).

The wiring package (policywatch.pipeline) turns these into storage calls; nothing here knows about storage,
diffing or notification.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Attachment:
    """A file linked from a document page (PDF, DOCX, DOC, WPS, OFD, ...)."""

    url: str
    name: str  # human file name, from the link text when the URL is opaque (downfile.jsp?filename=<hex>)
    sha256: str | None = None  # of the raw bytes, when fetched
    size: int | None = None
    text: str | None = None  # extracted text (PDF, DOCX); None when not extractable
    error: str | None = None  # one-line reason when not fetched / not extracted (e.g. over the size cap)


@dataclass
class DocumentPage:
    """A document page fetched with a 2xx answer that passed the quality gate."""

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
class NotModified:
    """A conditional re-check answered 304 (or the same validators): nothing to parse or write."""

    portal: str
    url: str
    fetched_at: datetime
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FetchFailure:
    """A fetch that produced no usable page. Never becomes a version."""

    portal: str
    url: str
    stage: str  # "list" | "document" | "attachment"
    reason: str  # one line, names what went wrong ("HTTP 500", "timeout after 30s", "challenge page (瑞数 $_ts)")
    fetched_at: datetime
    status: int | None = None
    kind: str = "error"  # "error" | "challenge" | "not_found" | "too_large" | "empty" | "not_html"


@dataclass
class ListingPage:
    """A list page that was read: which document links it showed, in order."""

    portal: str
    url: str
    page: int  # 0 for the first list page
    links: list[tuple[str, str]]  # (absolute document URL, title as shown)
    fetched_at: datetime
    new_links: int = 0  # how many of the links were not known before this cycle
