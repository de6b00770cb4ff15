"""HTML parsing helpers and the block walker that turns a container element into paragraphs.

Paragraph rules (what a reader sees as separate lines):
  * every block element (p, div, h1-h6, li, dd, blockquote, ...) starts and ends a paragraph;
  * every <br> ends one (a ``<br>`` run is one paragraph per line, empty lines dropped);
  * a data table becomes one paragraph per row, cells joined with " | " (empty rows dropped);
    a layout table (nested tables, a single column, or few rows holding long text) is walked like blocks;
  * script/style/form controls and media are skipped, comments are skipped but their tails kept.
Inside a paragraph, source-formatting whitespace (spaces, tabs, newlines) collapses to one space, or to
nothing when a newline sits between two CJK characters; paragraph ends are stripped of every kind of space
(U+3000 indents, NBSP). Inner U+3000/NBSP characters are kept as published.
"""
from __future__ import annotations

import re
from typing import Iterator

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector

from spiders.errors import ExtractError

SKIP_TAGS = frozenset({
    "script", "style", "noscript", "template", "head", "title", "meta", "link", "iframe", "object", "embed",
    "select", "option", "button", "input", "textarea", "svg", "canvas", "audio", "video", "source", "map",
    "area", "param",
})
BLOCK_TAGS = frozenset({
    "p", "div", "section", "article", "main", "aside", "header", "footer", "nav", "h1", "h2", "h3", "h4", "h5",
    "h6", "ul", "ol", "li", "dl", "dt", "dd", "blockquote", "pre", "center", "address", "figure", "figcaption",
    "form", "fieldset", "legend", "hr", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption",
    "details", "summary", "body", "html", "ucapcontent", "ucaptitle",
})

_HTML_SPACE_RUN = re.compile(r"[ \t\n\r\f]+")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
# libxml2 stops at the first </html> (or closes <body> at </body>); server-side includes of whole documents put
# these tags mid-page, so they are removed and the parser closes the document at the end instead.
_DOC_END = re.compile(r"</(?:html|body)\s*>", re.I)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)

_selector_cache: dict[str, CSSSelector | etree.XPath] = {}


def parse_html(html: str) -> lxml.html.HtmlElement:
    """Parse a (possibly partial) HTML document into an <html> root element; never raises on odd markup."""
    html = _DOC_END.sub("", _XML_DECL.sub("", html, count=1))
    if not html.strip():
        html = "<html><body></body></html>"
    parser = lxml.html.HTMLParser()
    try:
        root = lxml.html.document_fromstring(html, parser=parser)
    except (etree.ParserError, ValueError):
        return lxml.html.document_fromstring("<html><body></body></html>")
    if any("Excessive depth" in e.message for e in parser.error_log):
        # libxml2 silently drops whatever is nested deeper than its limit: the text would look deleted
        raise ExtractError("page nested too deeply to parse completely (over 255 levels of elements)")
    return root


def select(root: etree._Element, selector: str) -> list[etree._Element]:
    """Elements matching a CSS selector, or an XPath expression when it starts with '/' or '('."""
    compiled = _selector_cache.get(selector)
    if compiled is None:
        if selector.lstrip().startswith(("/", "(")):
            compiled = etree.XPath(selector)
        else:
            compiled = CSSSelector(selector)
        _selector_cache[selector] = compiled
    try:
        found = compiled(root)
    except Exception:  # noqa: BLE001 - a bad config selector must not break extraction
        return []
    return [e for e in found if isinstance(e, etree._Element)]


def is_element(node: object) -> bool:
    """True for real elements (not comments, processing instructions or entities)."""
    return isinstance(node, etree._Element) and isinstance(node.tag, str)


def tag_of(el: etree._Element) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag.rsplit("}", 1)[-1].lower()


def is_hidden(el: etree._Element) -> bool:
    """Hidden by inline style or the ``hidden`` attribute (what a reader never sees)."""
    return el.get("hidden") is not None or bool(_HIDDEN_STYLE.search(el.get("style") or ""))


def collapse(text: str) -> str:
    """Collapse HTML source whitespace the way a reader sees it; strip the ends (all Unicode spaces)."""
    text = _ZERO_WIDTH.sub("", text)

    def repl(m: re.Match[str]) -> str:
        run = m.group(0)
        if "\n" in run or "\r" in run:
            before = text[m.start() - 1] if m.start() > 0 else ""
            after = text[m.end()] if m.end() < len(text) else ""
            if _CJK.match(before) and _CJK.match(after):
                return ""
        return " "

    return _HTML_SPACE_RUN.sub(repl, text).strip()


def join_lines(lines: list[str]) -> str:
    """Join lines into one: a space only between two non-CJK characters (``单位GDP`` + ``能耗`` -> ``单位GDP能耗``)."""
    out = ""
    for line in lines:
        if out and line:
            out += "" if (_CJK.match(out[-1]) or _CJK.match(line[0])) else " "
        out += line
    return out


def text_of(el: etree._Element) -> str:
    """Visible text of an element on one line (skip-tags and comments excluded)."""
    return collapse(join_lines(paragraphs(el)))


def raw_text(el: etree._Element) -> str:
    """All text nodes of an element except script/style content, without layout (fast)."""
    parts: list[str] = []
    _raw(el, parts)
    return "".join(parts)


def _raw(el: etree._Element, parts: list[str]) -> None:
    if is_element(el) and tag_of(el) not in SKIP_TAGS and el.text:
        parts.append(el.text)
    if not is_element(el) or tag_of(el) in SKIP_TAGS:
        return
    for child in el:
        _raw(child, parts)
        if child.tail:
            parts.append(child.tail)


def remove(el: etree._Element) -> None:
    """Remove an element from its tree but keep its tail text in place."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


class _Walker:
    def __init__(self) -> None:
        self.out: list[str] = []
        self.buf: list[str] = []

    def flush(self) -> None:
        if self.buf:
            line = collapse("".join(self.buf))
            self.buf = []
            if line:
                self.out.append(line)

    def walk(self, el: etree._Element) -> None:
        tag = tag_of(el)
        if not is_element(el) or tag in SKIP_TAGS:
            return
        if tag == "br":
            self.flush()
            return
        if tag == "table" and not _is_layout_table(el):
            self.flush()
            self.out.extend(table_rows(el))
            return
        block = tag in BLOCK_TAGS
        if block:
            self.flush()
        if el.text:
            self.buf.append(el.text)
        for child in el:
            self.walk(child)
            if child.tail:
                self.buf.append(child.tail)
        if block:
            self.flush()


def paragraphs(el: etree._Element) -> list[str]:
    """The element's visible text as a list of paragraphs (rules in the module docstring)."""
    w = _Walker()
    w.walk(el)
    w.flush()
    return w.out


def _rows(table: etree._Element) -> Iterator[etree._Element]:
    for child in table:
        t = tag_of(child)
        if t == "tr":
            yield child
        elif t in ("thead", "tbody", "tfoot"):
            for row in child:
                if tag_of(row) == "tr":
                    yield row


def _cells(row: etree._Element) -> list[etree._Element]:
    return [c for c in row if tag_of(c) in ("td", "th")]


def _is_layout_table(table: etree._Element) -> bool:
    rows = list(_rows(table))
    if not rows:
        return True
    for cell in (c for r in rows for c in _cells(r)):
        if any(tag_of(d) == "table" for d in cell.iterdescendants()):
            return True
    max_cols = max(len(_cells(r)) for r in rows)
    if max_cols <= 1:
        return True
    if len(rows) <= 2 and any(len(raw_text(c).strip()) > 200 for r in rows for c in _cells(r)):
        return True
    return False


def table_rows(table: etree._Element) -> list[str]:
    """One string per non-empty row of a data table, cells joined with " | " (trailing empty cells dropped)."""
    out: list[str] = []
    for row in _rows(table):
        cells = [collapse(join_lines(paragraphs(c))) for c in _cells(row)]
        while cells and not cells[-1]:
            cells.pop()  # trailing empty cells (merged or unused columns) carry nothing
        if cells:
            out.append(" | ".join(cells))
    return out
