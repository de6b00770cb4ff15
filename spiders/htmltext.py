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
from typing import Iterator, NamedTuple

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
_CJK_CLASS = r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]"
_CJK = re.compile(_CJK_CLASS)
# A whole source-whitespace run that holds a line break and sits between two CJK characters (the lookbehind
# makes the match start at the run's first character, the greedy tail makes it end at the run's last one).
_CJK_LINE_BREAK = re.compile(rf"(?<={_CJK_CLASS})[ \t\f]*[\n\r][ \t\n\r\f]*(?={_CJK_CLASS})")
# Something collapse() has to change besides stripping the ends: a zero-width character, a tab, line break or
# form feed, or two spaces in a row.
_COLLAPSIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad\t\n\r\f]|  ")
# A character that survives collapse(): neither a zero-width character nor any kind of space.
_VISIBLE_CHAR = re.compile(r"[^\s\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
# libxml2 stops at the first </html> (or closes <body> at </body>); server-side includes of whole documents put
# these tags mid-page, so they are removed and the parser closes the document at the end instead.
_DOC_END = re.compile(r"</(?:html|body)\s*>", re.I)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)

_selector_cache: dict[str, CSSSelector | etree.XPath] = {}


def _empty_document() -> etree._Element:
    return etree.fromstring("<html><body></body></html>", etree.HTMLParser())


def parse_html(html: str) -> etree._Element:
    """Parse a (possibly partial) HTML document into an <html> root element; never raises on odd markup.

    The tree is libxml2's HTML tree with plain lxml element proxies (the lxml.html element classes add a
    Python-level class lookup to every element access and nothing this package uses).
    """
    html = _DOC_END.sub("", _XML_DECL.sub("", html, count=1))
    if not html.strip():
        html = "<html><body></body></html>"
    parser = etree.HTMLParser()
    try:
        root = etree.fromstring(html, parser)
    except (etree.ParserError, ValueError):
        return _empty_document()
    if root is None:  # "Document is empty"
        return _empty_document()
    if any("Excessive depth" in e.message for e in parser.error_log):
        # libxml2 silently drops whatever is nested deeper than its limit: the text would look deleted
        raise ExtractError("page nested too deeply to parse completely (over 255 levels of elements)")
    return root


def _compiled(selector: str) -> CSSSelector | etree.XPath:
    compiled = _selector_cache.get(selector)
    if compiled is None:
        if selector.lstrip().startswith(("/", "(")):
            compiled = etree.XPath(selector)
        else:
            compiled = CSSSelector(selector)
        _selector_cache[selector] = compiled
    return compiled


def select(root: etree._Element, selector: str, index: AttrIndex | None = None) -> list[etree._Element]:
    """Elements matching a CSS selector, or an XPath expression when it starts with '/' or '('.

    With an ``index`` of the page (attr_index), CSS selectors whose classes/ids appear nowhere on the page are
    answered without evaluating them, and a selector list is evaluated without its impossible members; the
    result is the same.
    """
    compiled = _compiled(selector)  # compiled first: an invalid selector raises with or without an index
    if index is not None:
        groups = _groups(selector)
        if groups is not None:
            possible = [g for g, required in groups if _present(required, index)]
            if not possible:
                return []
            if len(possible) < len(groups):
                compiled = _compiled(", ".join(possible))
    try:
        found = compiled(root)
    except Exception:  # noqa: BLE001 - a bad config selector must not break extraction
        return []
    return [e for e in found if isinstance(e, etree._Element)]


class AttrIndex(NamedTuple):
    """Every class and id attribute value of a page, newline-joined (for substring tests)."""

    classes: str
    ids: str


_CLASS_VALUES = etree.XPath("descendant-or-self::*/@class", smart_strings=False)
_ID_VALUES = etree.XPath("descendant-or-self::*/@id", smart_strings=False)


def attr_index(el: etree._Element) -> AttrIndex:
    """The class/id values of ``el`` and everything inside it: an index for select() on ``el`` or on any
    element inside it, still valid after elements are removed."""
    return AttrIndex("\n".join(_CLASS_VALUES(el)), "\n".join(_ID_VALUES(el)))


# A compound selector of the plain shapes used by the families (tag, .class, #id, [attr], [attr op value]);
# compounds are joined by descendant or child combinators.
# An identifier starts with an ASCII letter, "_" or any non-ASCII character and goes on with those, ASCII digits and
# "-". The classes are spelled as negated ASCII sets: written as ranges up to U+10FFFF they take 60 ms to compile.
_NAME_START = r"[^\x00-\x40\x5b-\x5e\x60\x7b-\x7f]"
_NAME_CHAR = r"[^\x00-\x2c\x2e\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]"
_IDENT = rf"-?{_NAME_START}{_NAME_CHAR}*"
_ATTR_VALUE = rf"(?:{_IDENT}|\"[^\"\\]*\"|'[^'\\]*')"
_COMPOUND = re.compile(
    rf"(?:{_IDENT}|\*)?(?:\.{_IDENT}|#{_IDENT}|\[\s*{_IDENT}\s*(?:[~|^$*]?=\s*{_ATTR_VALUE}\s*)?\])*")
_COMBINATOR = re.compile(r"\s*>\s*|\s+")
_PART = re.compile(rf"\.({_IDENT})|#({_IDENT})|\[\s*({_IDENT})\s*(?:[~|^$*]?=\s*({_ATTR_VALUE})\s*)?\]")
_groups_cache: dict[str, list[tuple[str, tuple[tuple[int, str], ...]]] | None] = {}


def _groups(selector: str) -> list[tuple[str, tuple[tuple[int, str], ...]]] | None:
    """``[(group, required)]`` for a CSS selector list, where ``required`` holds (0, s) for "s occurs in some
    class value" and (1, s) for "s occurs in some id value" -- conditions every match of the group meets.
    None when the selector has another shape (pseudo-classes, sibling combinators, escapes, ...)."""
    try:
        return _groups_cache[selector]
    except KeyError:
        pass
    out: list[tuple[str, tuple[tuple[int, str], ...]]] | None = []
    for group in selector.split(","):
        group = group.strip()
        compounds = _COMBINATOR.split(group) if group else []
        if not compounds or not all(c and _COMPOUND.fullmatch(c) for c in compounds):
            out = None
            break
        required: list[tuple[int, str]] = []
        for m in _PART.finditer(group):
            cls, ident, attr, value = m.groups()
            if cls:
                required.append((0, cls))
            elif ident:
                required.append((1, ident))
            elif attr in ("class", "id") and value:
                value = value[1:-1] if value[0] in "\"'" else value
                required.append((0 if attr == "class" else 1, value))
        out.append((group, tuple(required)))
    if len(_groups_cache) < 1000:
        _groups_cache[selector] = out
    return out


def _present(required: tuple[tuple[int, str], ...], index: AttrIndex) -> bool:
    return all(value in index[field] for field, value in required)


def select_union(root: etree._Element, selectors: tuple[str, ...] | list[str],
                 index: AttrIndex | None = None) -> list[etree._Element] | None:
    """Elements matching any of ``selectors``, in document order, from one evaluation; None when a selector is
    not of the plain compound shape (callers then evaluate the selectors one by one)."""
    possible: list[str] = []
    for sel in selectors:
        _compiled(sel)
        groups = _groups(sel)
        if groups is None:
            return None
        possible += [g for g, required in groups if index is None or _present(required, index)]
    if not possible:
        return []
    try:
        found = _compiled(", ".join(possible))(root)
    except Exception:  # noqa: BLE001 - same contract as select()
        return []
    return [e for e in found if isinstance(e, etree._Element)]


def is_element(node: object) -> bool:
    """True for real elements (not comments, processing instructions or entities)."""
    return isinstance(node, etree._Element) and isinstance(node.tag, str)


def tag_of(el: etree._Element) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag.rsplit("}", 1)[-1].lower()


# raw lxml tag (a str, or the Comment/ProcessingInstruction/Entity factory for other nodes) -> tag_of() value
# for elements, None for the other nodes
_TAG_NAMES: dict[object, str | None] = {}


def _name(node: etree._Element) -> str | None:
    """tag_of() for elements, None for comments, processing instructions and entities (cached per raw tag)."""
    raw = node.tag
    try:
        return _TAG_NAMES[raw]
    except KeyError:
        name = raw.rsplit("}", 1)[-1].lower() if isinstance(raw, str) else None
        if len(_TAG_NAMES) < 10_000:  # tag soup can invent any number of tag names
            _TAG_NAMES[raw] = name
        return name


def is_hidden(el: etree._Element) -> bool:
    """Hidden by inline style or the ``hidden`` attribute (what a reader never sees)."""
    if el.get("hidden") is not None:
        return True
    style = el.get("style")
    if not style:
        return False
    # every match holds "none" or "dden" in some letter case (under re.I these letters only pair with their
    # ASCII capitals, and lower() maps nothing else onto them)
    low = style.lower()
    return ("none" in low or "dden" in low) and _HIDDEN_STYLE.search(style) is not None


def collapse(text: str) -> str:
    """Collapse HTML source whitespace the way a reader sees it; strip the ends (all Unicode spaces).

    Each run of source whitespace (space, tab, CR, LF, FF) becomes one space, or nothing when the run holds a
    line break and sits between two CJK characters. Zero-width characters and soft hyphens are removed first.
    """
    # Stripping first changes nothing: the end runs only hold spaces (zero-width characters are not spaces), and
    # whatever the steps below do to them, they stay spaces at the ends and are stripped.
    text = text.strip()
    if text.isprintable():  # no tab, line break, form feed, zero-width character or soft hyphen (all unprintable)
        if "  " not in text:
            return text
    elif _COLLAPSIBLE.search(text) is None:
        return text
    text = _ZERO_WIDTH.sub("", text)
    if "\n" in text or "\r" in text:
        text = _CJK_LINE_BREAK.sub("", text)
    return _HTML_SPACE_RUN.sub(" ", text).strip()


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
            self.buf.clear()  # in place: walk() holds a reference to this list
            if line:
                self.out.append(line)

    def walk(self, el: etree._Element) -> None:
        tag = _name(el)
        if tag is None or tag in SKIP_TAGS:
            return
        if tag == "br":
            self.flush()
            return
        if tag == "table" and not _is_layout_table(el):
            self.flush()
            self.out.extend(table_rows(el))
            return
        block = tag in BLOCK_TAGS
        buf = self.buf
        if block and buf:
            self.flush()
        text = el.text
        if text:
            buf.append(text)
        for child in el:
            if _name(child) is not None:
                self.walk(child)
            tail = child.tail
            if tail:
                buf.append(tail)
        if block and buf:
            self.flush()


def has_text(el: etree._Element) -> bool:
    """``bool(text_of(el))``, computed without building the text: stops at the first visible character."""
    tag = _name(el)
    if tag is None or tag in SKIP_TAGS or tag == "br":
        return False
    if tag == "table" and not _is_layout_table(el):
        return any(has_text(cell) for row in _rows(el) for cell in _cells(row))
    visible = _VISIBLE_CHAR.search
    text = el.text
    if text and visible(text):
        return True
    for child in el:
        if has_text(child):
            return True
        tail = child.tail
        if tail and visible(tail):
            return True
    return False


def paragraphs(el: etree._Element) -> list[str]:
    """The element's visible text as a list of paragraphs (rules in the module docstring)."""
    w = _Walker()
    w.walk(el)
    w.flush()
    return w.out


def _rows(table: etree._Element) -> Iterator[etree._Element]:
    for child in table:
        t = _name(child)
        if t == "tr":
            yield child
        elif t in ("thead", "tbody", "tfoot"):
            for row in child:
                if _name(row) == "tr":
                    yield row


def _cells(row: etree._Element) -> list[etree._Element]:
    return [c for c in row if _name(c) in ("td", "th")]


def _is_layout_table(table: etree._Element) -> bool:
    rows = list(_rows(table))
    if not rows:
        return True
    for cell in (c for r in rows for c in _cells(r)):
        if any(_name(d) == "table" for d in cell.iterdescendants()):
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
