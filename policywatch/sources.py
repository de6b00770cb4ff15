"""Read a document for the one-off commands (`diff`, `targets`): a local file or a URL, through the same
main-text extraction as a crawl."""
from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from spiders.extract import decode_body, extract_document

MAX_BYTES = 20_000_000
USER_AGENT = "policywatch (+https://github.com/policywatch)"


class SourceError(Exception):
    """One line naming the file or URL and what went wrong."""


@dataclass
class Source:
    name: str
    title: str
    paragraphs: list[str]


def _from_html(raw: bytes, content_type: str | None, name: str) -> Source:
    try:
        html, _enc = decode_body(raw, content_type)
        doc = extract_document(html, name)
    except Exception as exc:
        raise SourceError(f"{name}: cannot extract text: {exc}") from None
    return Source(name=name, title=doc.title, paragraphs=list(doc.paragraphs))


def read_source(ref: str, *, timeout: float = 30.0) -> Source:
    if ref.startswith(("http://", "https://")):
        req = urllib.request.Request(ref, headers={"User-Agent": USER_AGENT})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read(MAX_BYTES + 1)
                ctype = resp.headers.get("Content-Type")
        except urllib.error.HTTPError as exc:
            raise SourceError(f"{ref}: HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SourceError(f"{ref}: cannot fetch: {reason}") from None
        if len(raw) > MAX_BYTES:
            raise SourceError(f"{ref}: body larger than {MAX_BYTES // 1_000_000} MB")
        return _from_html(raw, ctype, ref)
    path = Path(ref)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{ref}: no such file") from None
    except OSError as exc:
        raise SourceError(f"{ref}: cannot read: {exc.strerror}") from None
    if path.suffix.lower() in (".txt", ".text", ".md"):
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gb18030", errors="replace")
        lines = [line.strip() for line in text.splitlines()]
        return Source(name=ref, title=path.stem, paragraphs=[line for line in lines if line])
    return _from_html(raw, None, ref)
