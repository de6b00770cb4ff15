"""Document pages handed over unread, and reading them (pure functions, no Scrapy).

Decoding a document page, passing it through the quality gate and extracting it costs more CPU than fetching it.
The spider may leave that work to whoever consumes its items (policywatch stores in one process while it crawls
in another): it then yields a ``RawPage`` instead of a ``DocumentPage``, and ``finish`` turns
that into exactly what the spider would have yielded, a ``DocumentPage`` or a ``FetchFailure`` with the same
one-line reason: the spider reads the pages it keeps with the same ``read``.

Only a page that cannot link an attachment is handed over (``may_link_attachments``): a page's attachments are
fetched before the page is complete, so a page that might have some is read by the spider itself.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any, NamedTuple

from spiders.charset import decode_body
from spiders.errors import ExtractError
from spiders.extract import extract_document
from spiders.gate import classify_failure
from spiders.items import DocumentPage, FetchFailure, RawPage

logger = logging.getLogger(__name__)

# Content types read as pages; anything else is a binary or non-HTML answer.
_TEXT_TYPES = ("html", "xml", "text/plain", "json", "javascript")

# What spiders.urls.is_attachment_url accepts, searched in the lower-cased raw bytes: a file extension after a dot
# (written plainly, percent-encoded or as a character reference) and not followed by a letter or digit, or a
# download handler's name. Separate plain searches: one case-insensitive alternation costs 60 times as much CPU.
_EXTENSION = rb"(?:pdf|docx?|wps|ofd|xlsx?|et|pptx?|zip|rar|7z|txt|ceb|tif)(?![a-z0-9])"
_DOT_EXTENSION = re.compile(rb"\." + _EXTENSION)
_ENCODED_DOT_EXTENSION = re.compile(rb"(?:%2e|&#0*46;|&#x0*2e;)" + _EXTENSION)
_HANDLER_WORDS = (b"downfile", b"downloadfile", b"/download/", b"attachment")


def one_line(text: str, limit: int = 300) -> str:
    """``text`` on one line (whitespace runs collapsed), cut to ``limit`` characters with an ellipsis."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def failure(portal: str, url: str, stage: str, reason: str, kind: str = "error", status: int | None = None,
            *, fetched_at: datetime) -> FetchFailure:
    """The FetchFailure of ``url``: its reason is one line that ends with the URL."""
    return FetchFailure(portal=portal, url=url, stage=stage, reason=one_line(f"{reason}: {url}"),
                        fetched_at=fetched_at, status=status, kind=kind)


def may_link_attachments(body: bytes) -> bool:
    """False only when the page cannot link an attachment: no attachment-like URL anywhere in its bytes (a page
    that has one is read by the spider; see the module docstring). Pages in an encoding that is not
    ASCII-compatible (UTF-16/32, recognised by NUL bytes) always count as linking one."""
    if b"\x00" in body[:4096]:
        return True
    lower = body.lower()
    return (_DOT_EXTENSION.search(lower) is not None or any(word in lower for word in _HANDLER_WORDS)
            or ((b"%2e" in lower or b"&#" in lower) and _ENCODED_DOT_EXTENSION.search(lower) is not None))


class Unusable(NamedTuple):
    """Why an answer is not a usable page: a FetchFailure kind and a one-line reason (without the URL)."""

    kind: str
    reason: str


def read_page(body: bytes, *, content_type: str | None, headers: Any, status: int, url: str,
              previous_len: int | None) -> tuple[str, str] | Unusable:
    """(text, encoding) of a 2xx answer, or why it is not usable: a non-text content type, an undecodable body,
    or what the quality gate says of it (challenge, soft 404, empty, shrunk below the last capture ...).

    ``headers``: as ``classify_failure`` takes them; ``previous_len``: the body size of the last good capture."""
    if content_type and not any(t in content_type.lower() for t in _TEXT_TYPES):
        return Unusable("not_html", f"not an HTML page ({content_type.split(';')[0].strip()})")
    try:
        text, encoding = decode_body(body, content_type or None)
    except ExtractError as exc:
        return Unusable("not_html", str(exc))
    verdict = classify_failure(status, headers, text, previous_len, url=url, body_len=len(body))
    return Unusable(*verdict) if verdict is not None else (text, encoding)


def finish(page: RawPage) -> DocumentPage | FetchFailure:
    """What the spider would have yielded for a page it handed over: ``read(page)``, whose attachments (which a
    handed-over page can only have through a link ``may_link_attachments`` cannot see) are marked not fetched.
    Never raises: an unexpected error is a failure of this page only."""
    try:
        result = read(page)
    except Exception as exc:  # noqa: BLE001 - one page's problem must not stop the consumer
        logger.exception("document %s", page.url)
        return failure(page.portal, page.url, "document", f"internal error {type(exc).__name__}: {exc}",
                       fetched_at=page.fetched_at)
    if isinstance(result, DocumentPage):
        for attachment in result.attachments:
            attachment.error = "not fetched (link written in a form the crawl did not recognise)"
    return result


def read(page: RawPage) -> DocumentPage | FetchFailure:
    """A fetched document page decoded, passed through the quality gate and extracted: its DocumentPage (with its
    attachments as linked, not yet fetched), or the FetchFailure saying why it is not usable."""
    decoded = read_page(page.body, content_type=page.headers.get("content-type"), headers=page.headers,
                        status=page.status, url=page.url, previous_len=page.previous_len)
    if isinstance(decoded, Unusable):
        return failure(page.portal, page.url, "document", decoded.reason, decoded.kind, page.status,
                       fetched_at=page.fetched_at)
    text, encoding = decoded
    try:
        extracted = extract_document(text, page.final_url, body_selector=page.body_selector, family=page.family,
                                     title_selector=page.title_selector)
    except Exception as exc:  # noqa: BLE001 - any extraction problem is a failure of this page only
        return failure(page.portal, page.url, "document", f"extraction error ({type(exc).__name__}: {exc})",
                       "error", page.status, fetched_at=page.fetched_at)
    return DocumentPage(
        portal=page.portal, url=page.url, final_url=page.final_url, status=page.status, headers=page.headers,
        body=page.body, encoding=encoding, title=extracted.title, paragraphs=extracted.paragraphs,
        fetched_at=page.fetched_at, metadata=extracted.metadata, attachments=extracted.attachments,
        list_title=page.list_title)
