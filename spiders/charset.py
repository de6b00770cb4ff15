"""Turning a response body into text: charset discovery and binary detection.

Order of evidence (first usable one wins):
  1. a byte-order mark (it cannot lie about the bytes that follow it),
  2. the charset parameter of the HTTP Content-Type header,
  3. the first <meta charset> / <meta http-equiv="Content-Type"> inside <head> (a meta inside <body>, e.g. one
     pasted in with a Word export, is never used),
  4. detection: strict UTF-8, then strict GB18030.
A declared charset is only used when the body decodes with it without errors; a declared legacy charset
(GBK family, Latin-1, ...) also loses to UTF-8 when the body is valid UTF-8 with non-ASCII text, because
browser-saved pages keep a stale ``charset=gb2312`` while their bytes are UTF-8. GB2312/GBK labels are read
as GB18030 (a superset that every portal's "gb2312" pages actually need).
"""
from __future__ import annotations

import codecs
import re

from spiders.errors import ExtractError

__all__ = ["decode_body", "ExtractError", "normalise_charset"]

# Labels that portals use for the GB family; all are decoded with the GB18030 superset.
_GB_LABELS = {"gb2312", "gbk", "gb_2312-80", "gb_2312", "gb-2312", "x-gbk", "cp936", "ms936", "windows-936",
              "euc-cn", "csgb2312", "gb18030", "iso-ir-58", "chinese", "x-euc-cn"}
# Labels servers send by default, not because they know anything about the page.
_WEAK_LABELS = {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii", "windows-1252", "cp1252", "iso8859-1"}

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))

# Magic numbers of files that are sometimes served as text/html by misconfigured portals.
_MAGIC = ((b"%PDF-", "PDF"), (b"PK\x03\x04", "ZIP/Office"), (b"\xd0\xcf\x11\xe0", "OLE/Office"),
          (b"\x89PNG", "PNG"), (b"GIF8", "GIF"), (b"\xff\xd8\xff", "JPEG"), (b"\x1f\x8b", "gzip"),
          (b"Rar!", "RAR"), (b"7z\xbc\xaf", "7z"), (b"\x00\x00\x00", "binary"))

_CT_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:\-]+)", re.I)
_META_TAG = re.compile(rb"<meta\b[^>]*>", re.I)
_META_CHARSET = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.I)
_HEAD_END = re.compile(rb"</head\s*>|<body\b", re.I)
_COMMENT = re.compile(rb"<!--.*?-->", re.S)


def normalise_charset(label: str | None) -> str | None:
    """Map a charset label to a Python codec name (GB family -> gb18030); None when unknown to Python."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in _GB_LABELS:
        return "gb18030"
    if label in ("utf8", "utf-8", "unicode-1-1-utf-8", "x-unicode20utf8"):
        return "utf-8"
    if label in ("big5", "big5-hkscs", "x-x-big5", "cn-big5"):
        return "big5hkscs"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def charset_from_content_type(content_type: str | None) -> str | None:
    """The raw charset label of a Content-Type header value, if any."""
    if not content_type:
        return None
    m = _CT_CHARSET.search(content_type)
    return m.group(1) if m else None


def charset_from_head(body: bytes) -> str | None:
    """The charset label of the first charset-bearing <meta> before </head> or <body>, if any."""
    head = body[:200_000]
    end = _HEAD_END.search(head)
    if end:
        head = head[: end.start()]
    head = _COMMENT.sub(b"", head)
    for tag in _META_TAG.finditer(head):
        m = _META_CHARSET.search(tag.group(0))
        if m:
            return m.group(1).decode("ascii", "replace")
    return None


def _binary_kind(body: bytes) -> str | None:
    for magic, kind in _MAGIC:
        if body.startswith(magic):
            return kind
    sample = body[:4096]
    if sample and sample.count(b"\x00") > len(sample) // 100:
        return "binary"
    return None


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_body(body: bytes, content_type: str | None) -> tuple[str, str]:
    """Decode an HTML body; returns ``(text, codec_name)``.

    Guarantees: the returned text contains no BOM; the codec name is a Python codec name (``gb18030`` for every
    GB label); a body that is a known binary format or full of NUL bytes raises ``ExtractError("binary body
    (...)")``. Undecodable bytes only survive as U+FFFD when no candidate charset decodes the body cleanly.
    """
    for bom, codec in _BOMS:
        if body.startswith(bom):
            text = body[len(bom):].decode(codec, errors="replace")
            return text, codec

    kind = _binary_kind(body)
    if kind:
        raise ExtractError(f"binary body ({kind}) labelled {content_type or 'without a content type'}")

    as_utf8 = _strict(body, "utf-8")  # also the answer whenever UTF-8 is the chosen candidate
    is_utf8 = as_utf8 is not None
    has_non_ascii = not body[:200_000].isascii()

    candidates: list[str] = []
    for label in (charset_from_content_type(content_type), charset_from_head(body)):
        codec = normalise_charset(label)
        if codec is None or codec in candidates:
            continue
        if codec == "utf-8":
            candidates.append(codec)
            continue
        if is_utf8 and has_non_ascii:
            # A legacy label on valid non-ASCII UTF-8: the label is stale (browser re-encoded the page).
            continue
        if label and label.strip().lower() in _WEAK_LABELS and has_non_ascii:
            # Default server label; Latin-1 "decodes" anything, so it proves nothing.
            continue
        candidates.append(codec)
    for codec in ("utf-8", "gb18030"):
        if codec not in candidates:
            candidates.append(codec)

    for codec in candidates:
        text = as_utf8 if codec == "utf-8" else _strict(body, codec)
        if text is not None:
            return text, codec

    # Nothing decodes cleanly: take the candidate that loses the fewest characters.
    best = min(candidates[:3], key=lambda c: body.decode(c, errors="replace").count("\ufffd"))
    return body.decode(best, errors="replace"), best
