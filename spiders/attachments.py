"""Attachment files (PDF, DOCX, DOC, WPS, OFD, XLS, ...): type sniffing, hashing and text extraction.

Pure functions on bytes, no Scrapy and no I/O. ``read_attachment`` never raises: a file that cannot be read
still gets its sha256 and size, with a one-line ``error`` ("encrypted PDF (password required)", "corrupt PDF
(...)"). Text is extracted from PDF (pypdf), DOCX (python-docx) and OFD (GB/T 33190, the national fixed-layout
format: a zip of XML pages read with lxml); other types (old binary DOC/WPS, spreadsheets) are identified by hash
only.
"""
from __future__ import annotations

import hashlib
import io
import logging
import posixpath
import re
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator
from urllib.parse import parse_qs, unquote, urlsplit

from lxml import etree

from spiders.errors import AttachmentError
from spiders.urls import ATTACHMENT_EXT

__all__ = ["FileContent", "AttachmentError", "read_attachment", "sniff_type", "pdf_text", "docx_text", "ofd_text",
           "human_size", "looks_like_html"]

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_OOXML = "EncryptionInfo".encode("utf-16-le")  # directory entry of a password-protected Office file
_ZIP_MARKERS = (("word/document.xml", "docx"), ("xl/workbook.xml", "xlsx"), ("ppt/presentation.xml", "pptx"),
                ("OFD.xml", "ofd"))
_OLE_EXTS = {"doc", "wps", "xls", "et", "ppt", "dps"}
_HTML_START = re.compile(rb"^\s*(<!doctype\s+html|<html|<head|<body|<meta|<script|<title)", re.I)
_MAX_PDF_PAGES = 2000  # text of longer PDFs is cut here (the hash still covers the whole file)
_MAX_OFD_PART = 50_000_000  # an OFD part that inflates beyond this is a zip bomb, not a page


@dataclass(frozen=True)
class FileContent:
    """What an attachment's bytes are: sha256 and size always; text when extractable; error when unreadable."""

    file_type: str  # pdf, docx, doc, wps, ofd, xls, xlsx, zip, rar, ... or "bin" when unknown
    sha256: str
    size: int
    text: str | None  # extracted text ("" for a PDF without a text layer); None for types not extracted
    error: str | None  # one line, set when a PDF/DOCX could not be read (encrypted, corrupt)


def human_size(n: int) -> str:
    """``20000000`` -> ``"20 MB"``, ``1500`` -> ``"1.5 KB"`` (decimal units, three significant digits)."""
    for unit, factor in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= factor:
            return f"{n / factor:.3g} {unit}"
    return f"{n} bytes"


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    text = text if len(text) <= 120 else text[:119] + "…"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _extension(name: str, url: str) -> str:
    """The attachment extension (pdf, docx, wps, ...) of the human name, the URL path or a ``filename=``
    query value, first found wins ('' if none: ``downfile.jsp`` is a handler, not a file type)."""
    candidates = [name.strip()]
    parts = urlsplit(url)
    candidates.append(unquote(parts.path))
    for values in parse_qs(parts.query).values():
        candidates.extend(values)
    for candidate in candidates:
        m = ATTACHMENT_EXT.search(candidate.strip())
        if m:
            return m.group(1).lower()
    return ""


def looks_like_html(data: bytes) -> bool:
    """True when the bytes start like an HTML page (an error or challenge page served instead of a file)."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf")
    return bool(_HTML_START.match(head))


def sniff_type(data: bytes, name: str = "", url: str = "") -> str:
    """The file type from the magic bytes, then from the extension of ``name``/``url``; ``"bin"`` if unknown.

    Magic bytes win over names (a ``.doc`` link that serves a PDF is "pdf"). Zip containers are told apart by
    their members (docx, xlsx, pptx, ofd, else zip); OLE2 containers by the extension (doc, wps, xls, ...).
    """
    ext = _extension(name, url)
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return ext if ext in ("docx", "xlsx", "pptx", "ofd") else "zip"
        for member, kind in _ZIP_MARKERS:
            if member in names or any(n.endswith("/" + member) for n in names if kind == "ofd"):
                return kind
        return "zip"
    if data.startswith(_OLE):
        return ext if ext in _OLE_EXTS | {"docx", "xlsx", "pptx"} else "doc"
    if data.startswith(b"Rar!"):
        return "rar"
    if data.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    return ext or "bin"


@contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Silence a library's warnings while it reads one file (pypdf warns about every repaired xref);
    the outcome is reported once, as the attachment's error."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def pdf_text(data: bytes) -> str:
    """Text of every page (pages joined by a newline, trailing spaces removed; "" without a text layer).

    Raises AttachmentError with a one-line reason for a file that is not a PDF, a corrupt PDF or one that
    needs a password. PDFs encrypted only with an owner password (copy/print restrictions, common on
    portals) are read.
    """
    from pypdf.errors import FileNotDecryptedError

    if b"%PDF-" not in data[:1024]:
        raise AttachmentError("not a PDF file (no %PDF header)")
    try:
        with _quiet("pypdf"):
            pages = _pdf_pages(data)
    except AttachmentError:
        raise
    except FileNotDecryptedError as exc:
        raise AttachmentError("encrypted PDF (password required)") from exc
    except Exception as exc:  # noqa: BLE001 - pypdf raises many exception types on damaged files
        raise AttachmentError(f"corrupt PDF ({_first_line(exc)})") from exc
    lines = [line.rstrip() for line in "\n".join(pages).splitlines()]
    return "\n".join(lines).strip()


def _pdf_pages(data: bytes) -> list[str]:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        try:
            ok = reader.decrypt("")
        except DependencyError as exc:
            raise AttachmentError(f"encrypted PDF (cannot decrypt: {_first_line(exc)})") from exc
        if not ok:
            raise AttachmentError("encrypted PDF (password required)")
    pages: list[str] = []
    for i, page in enumerate(reader.pages):
        if i >= _MAX_PDF_PAGES:
            break
        pages.append(page.extract_text() or "")
    return pages


def docx_text(data: bytes) -> str:
    """Paragraphs and table cells of a DOCX body in document order, one paragraph per line.

    Raises AttachmentError for a password-protected or corrupt file.
    """
    if data.startswith(_OLE):
        if _ENCRYPTED_OOXML in data:
            raise AttachmentError("encrypted DOCX (password-protected Office file)")
        raise AttachmentError("not a DOCX file (an old binary Word document)")
    try:
        from docx import Document

        document = Document(io.BytesIO(data))
        lines: list[str] = []
        for block in document.iter_inner_content():
            if hasattr(block, "rows"):  # a table: one line per row, cells separated by a tab
                for row in block.rows:
                    cells = []
                    for cell in row.cells:
                        text = " ".join(p.text.strip() for p in cell.paragraphs if p.text.strip())
                        if not cells or text != cells[-1]:  # merged cells repeat their text
                            cells.append(text)
                    line = "\t".join(cells).strip()
                    if line:
                        lines.append(line)
            else:
                text = block.text.strip()
                if text:
                    lines.append(text)
    except zipfile.BadZipFile as exc:
        raise AttachmentError(f"corrupt DOCX ({_first_line(exc)})") from exc
    except Exception as exc:  # noqa: BLE001 - python-docx raises KeyError/ValueError/lxml errors on bad files
        raise AttachmentError(f"corrupt DOCX ({_first_line(exc)})") from exc
    return "\n".join(lines)


def _ofd_path(loc: str, base: str = "") -> str:
    """The package path of an ST_Loc: absolute from the package root, or relative to ``base``'s folder."""
    loc = loc.strip().replace("\\", "/")
    return posixpath.normpath(loc.lstrip("/") if loc.startswith("/") else posixpath.join(posixpath.dirname(base), loc))


def _ofd_part(zf: zipfile.ZipFile, path: str) -> etree._Element:
    """Parse the OFD part at package path ``path``."""
    try:
        info = zf.getinfo(path)
    except KeyError:
        raise AttachmentError(f"corrupt OFD (missing part {path})") from None
    if info.file_size > _MAX_OFD_PART:
        raise AttachmentError(f"corrupt OFD (part {path} inflates to {human_size(info.file_size)})")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    return etree.fromstring(zf.read(path), parser)


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _numbers(value: str | None) -> list[float]:
    try:
        return [float(v) for v in (value or "").split()]
    except ValueError:
        return []


def _ofd_lines(page: etree._Element) -> list[str]:
    """The text of one OFD page as lines: each TextCode placed at its Boundary origin plus its X/Y, codes whose
    baselines are within half a font size of each other are one line, read left to right, lines top to bottom."""
    codes: list[tuple[float, float, float, str]] = []  # y, x, size, text
    for obj in page.iter():
        if _local(obj) != "TextObject":
            continue
        box = _numbers(obj.get("Boundary")) + [0.0, 0.0]
        size = (_numbers(obj.get("Size")) or [3.5])[0]
        for code in obj:
            if _local(code) == "TextCode" and code.text:
                x = (_numbers(code.get("X")) or [0.0])[0]
                y = (_numbers(code.get("Y")) or [0.0])[0]
                codes.append((box[1] + y, box[0] + x, size, code.text))
    codes.sort()
    lines: list[list[tuple[float, str]]] = []
    line_y = None
    for y, x, size, text in codes:
        if line_y is None or y - line_y > size / 2:
            lines.append([])
            line_y = y
        lines[-1].append((x, text))
    return [text for text in ("".join(t for _x, t in sorted(line)).strip() for line in lines) if text]


def ofd_text(data: bytes) -> str:
    """Text of every page of an OFD file, one line per text line, pages in document order (the first document
    of the package; template pages — letterheads, seals' captions — are left out).

    Raises AttachmentError with a one-line reason for a file that is not an OFD package or is damaged.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            root = _ofd_part(zf, "OFD.xml")
            doc_loc = next((el.text for el in root.iter() if _local(el) == "DocRoot" and el.text), None)
            if doc_loc is None:
                raise AttachmentError("corrupt OFD (OFD.xml names no DocRoot)")
            doc_path = _ofd_path(doc_loc)
            document = _ofd_part(zf, doc_path)
            pages = [el.get("BaseLoc") for el in document.iter() if _local(el) == "Page" and el.get("BaseLoc")]
            lines: list[str] = []
            for loc in pages:
                lines += _ofd_lines(_ofd_part(zf, _ofd_path(loc, doc_path)))
    except AttachmentError:
        raise
    except (zipfile.BadZipFile, etree.XMLSyntaxError, ValueError, OSError, EOFError) as exc:
        raise AttachmentError(f"corrupt OFD ({_first_line(exc)})") from exc
    return "\n".join(lines)


def read_attachment(data: bytes, name: str = "", url: str = "") -> FileContent:
    """Hash the bytes, sniff the type and extract text from PDF, DOCX and OFD. Never raises."""
    digest = hashlib.sha256(data).hexdigest()
    kind = sniff_type(data, name, url)
    text: str | None = None
    error: str | None = None
    try:
        if kind == "pdf":
            text = pdf_text(data)
        elif kind == "docx":
            text = docx_text(data)
        elif kind == "ofd":
            text = ofd_text(data)
    except AttachmentError as exc:
        error = str(exc)
    return FileContent(file_type=kind, sha256=digest, size=len(data), text=text, error=error)
