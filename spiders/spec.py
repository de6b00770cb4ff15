"""What a crawl is given: a portal's configuration and what the store knows of its documents.

Plain dataclasses without Scrapy, so the wiring can plan a cycle before the crawler is even imported;
spiders.portal re-exports them.
"""
from __future__ import annotations

from dataclasses import dataclass, field


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
    max_attachment_bytes: int = 20_000_000  # larger attachments are not downloaded (Attachment.error says so)
    max_requests: int = 2000  # list + document (+ attachment) requests per cycle, see spiders/portal.py


@dataclass
class KnownDocument:
    """What the store knows about a document URL: validators of the last good capture and its body size."""

    url: str
    etag: str | None = None
    last_modified: str | None = None
    last_length: int | None = None
    # attachment URL -> sha256 of the last good capture: re-checked when the page itself answers 304, since a
    # portal may replace a PDF without touching the page that links it
    attachments: dict[str, str] = field(default_factory=dict)
