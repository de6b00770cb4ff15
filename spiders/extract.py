"""Page extraction: document pages -> title, paragraphs, metadata, attachments (pure functions, no Scrapy).

Public API (re-exported here): ``decode_body``, ``extract_document``, ``extract_links``, ``next_pages``,
``classify_failure``, ``Extracted``, ``ExtractError``.

Main-text selection: the configured selector, then the family's selectors, then the selectors shared by the
portal families, then readability-lxml. A selector "works" when its best match (the longest of its matches)
has text or at least an image/attachment (image-only documents are legitimate). Inside the chosen container
the view counters, share/print/close widgets, error-report widget, related-document lists and hidden elements
are dropped before the block walker turns it into paragraphs; short boilerplate lines (打印本页, 浏览次数,
当前位置, ICP备, 网站标识码, ...) are dropped afterwards.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from spiders.charset import decode_body
from spiders.errors import ExtractError
from spiders.families import Family, resolve_family
from spiders.gate import classify_failure
from spiders.htmltext import (AttrIndex, attr_index, collapse, has_text, is_element, is_hidden, paragraphs,
                              parse_html, remove, select, select_union, tag_of, text_of)
from spiders.items import Attachment
from spiders.listing import extract_links, next_pages
from spiders.metadata import document_metadata, meta_tags
from spiders.urls import absolute, is_attachment_url

__all__ = ["Extracted", "ExtractError", "decode_body", "extract_document", "extract_links", "next_pages",
           "classify_failure"]

# Body containers shared by the portal families, most specific first (docs/portals.md, libs.md §3).
SHARED_BODY_SELECTORS = (
    "div.TRS_Editor", ".TRS_UEDITOR", "#UCAP-CONTENT", "#zoom", "div.zoom", "ucapcontent", "#ivs_content",
    "div.pages_content", "td.b12c", "div.article-content-body", "div.TRS_PreAppend", "#zoomcon",
    "div.gkxl-article", "div.content_text", "#Zoom", "div.article_content", "div.art_con",
)
SHARED_TITLE_SELECTORS = ("ucaptitle", "div.xl_title", "h1.article-title")
# Widgets that live inside body containers on real portals.
DROP_SELECTORS = (
    "#view", "[id^=share]", ".share", ".bdsharebuttonbox", ".article-share", ".print-close", ".article-ewm",
    "#_jiucuo_", "#_span_jiucuo", ".article-reldocuments", ".xg-list", ".related", ".relevant", "#qr_container",
    "#div_div", ".fontsize", "#pagination", ".pageInfo",
)
# Boilerplate lines: what a line starts with (matched at its start) or holds anywhere. Two patterns rather than one
# alternation with ^-anchored branches, which the regex engine would try at every position of every line.
_BOILERPLATE_START = re.compile(
    r"\s*【?\s*字[体号]\s*[:：]?\s*[大中小\s]+】?\s*$"
    r"|\s*(浏览次数|访问量|访问次数|点击数|点击量|阅读次数|阅读量|浏览量)\s*[:：]\s*\d*\s*$"
    r"|\s*(您?当前(所在)?位置|您现在的位置|当前页面)\s*[:：]"
    r"|\s*(版权所有|主办单位|承办单位|技术支持)\s*[:：]"
    r"|\s*分享到\s*[:：]?|\s*(上一篇|下一篇)\s*[:：]"
    r"|\s*[（(]?\s*责任编辑\s*[:：][^）)]{0,20}[）)]?\s*$"
)
_BOILERPLATE_ANYWHERE = re.compile(
    r"打印本页|关闭窗口|关闭本页|【\s*打印\s*】|【\s*关闭\s*】|返回顶部|ICP备|网站标识码|公网安备|扫一扫在手机打开当前页")
_TEXT_CONTENT = etree.XPath("string()", smart_strings=False)  # what lxml.html's text_content() returns
# Every alternative of _BOILERPLATE_START and _BOILERPLATE_ANYWHERE contains one of these characters (keep in step).
_BOILERPLATE_HINT = re.compile(r"[打关【返字:：备网分扫]")
_TITLE_SEPARATORS = re.compile(r"\s+[-–—|｜]\s+|_+|\s*[|｜]\s*")
_SITE_NAME = re.compile(r"(人民政府|政府网|门户网站|官方网站|网站|政府|首页|中国政府网|官网)$")


@dataclass
class Extracted:
    """What a document page says: every field is filled (empty when not found), never None."""

    title: str
    paragraphs: list[str]
    metadata: dict[str, str]
    attachments: list[Attachment]
    links: list[tuple[str, str]] = field(default_factory=list)  # non-attachment links inside the body


def _has_content(el: etree._Element) -> bool:
    if has_text(el):
        return True
    return any(tag_of(d) == "img" or (tag_of(d) == "a" and is_attachment_url(d.get("href") or ""))
               for d in el.iterdescendants())


def _best(root: etree._Element, selector: str, index: AttrIndex | None = None) -> etree._Element | None:
    found = [e for e in select(root, selector, index) if is_element(e)]
    if not found:
        return None
    # Several matches (e.g. a TRS_Editor in a sidebar teaser): keep the one with the most text.
    best = found[0] if len(found) == 1 else max(found, key=lambda e: len(e.xpath("string()")))
    return best if _has_content(best) else None


def _container(root: etree._Element, selectors: list[str], index: AttrIndex | None = None) -> etree._Element | None:
    for sel in selectors:
        el = _best(root, sel, index)
        if el is not None:
            return el
    return None


def _readability(html: str) -> etree._Element | None:
    try:
        from readability import Document  # imported lazily: it is only the fallback

        summary = Document(html).summary(html_partial=True)
    except Exception:  # noqa: BLE001 - readability raises on odd markup; treat as "no main text"
        return None
    root = parse_html("<html><body>" + summary + "</body></html>")
    body = root.find("body")
    return body if body is not None and _has_content(body) else None


def _attachments(scopes: list[etree._Element], url: str) -> list[Attachment]:
    out: list[Attachment] = []
    seen: set[str] = set()
    for scope in scopes:
        for a in scope.iter("a"):
            target = absolute(a.get("href") or "", url)
            if not target or target in seen or not is_attachment_url(target):
                continue
            seen.add(target)
            name = text_of(a) or collapse(a.get("title") or "")
            if not name:
                name = target.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
            out.append(Attachment(url=target, name=name))
    return out


def _body_links(container: etree._Element, url: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for a in container.iter("a"):
        target = absolute(a.get("href") or "", url)
        if target and target not in seen and not is_attachment_url(target):
            seen.add(target)
            out.append((target, text_of(a) or collapse(a.get("title") or "")))
    return out


# The only elements that can be hidden (is_hidden) or a hit-counter script. The styled ones only need a look when
# some style in the container holds "none" or "dden" in some ASCII letter case (is_hidden's pre-check, done on all
# styles at once: lower-casing UTF-8 bytes touches only ASCII letters). Location paths through the attributes
# select the same elements in the same (document) order as a predicate such as [@hidden or @src], at a fraction
# of libxml2's cost for evaluating predicates element by element.
_MAYBE_HIDDEN = etree.XPath("descendant::*/@hidden/.. | descendant::*/@style/.. | descendant::*/@src/..")
_HIDDEN_ATTR_OR_SRC = etree.XPath("descendant::*/@hidden/.. | descendant::*/@src/..")
_STYLES = etree.XPath("descendant::*/@style", smart_strings=False)


def _clean(container: etree._Element, drop: tuple[str, ...]) -> None:
    # Plain selectors are evaluated as one union: removing a match never changes which other elements inside
    # the container match them (only elements already removed with an ancestor would differ, and those are
    # no longer in the container either way). Selectors naming classes/ids absent from the container are
    # left out of it.
    index = attr_index(container)
    found = select_union(container, drop, index)
    if found is None:
        found = [el for sel in drop for el in select(container, sel, index)]
    for el in found:
        if el is not container:
            remove(el)
    styles = "\n".join(_STYLES(container)).encode("utf-8", "replace").lower()
    maybe_hidden = _MAYBE_HIDDEN if b"none" in styles or b"dden" in styles else _HIDDEN_ATTR_OR_SRC
    for el in maybe_hidden(container):
        if is_hidden(el) and el.getparent() is not None:
            remove(el)
        elif tag_of(el) == "script" and "articlehits" in (el.get("src") or ""):
            remove(el)


def _strip_title(title: str, site_names: set[str]) -> str:
    parts = [p.strip() for p in _TITLE_SEPARATORS.split(title) if p and p.strip()]
    if len(parts) <= 1:
        return title.strip()
    kept = [p for p in parts if p not in site_names and not _SITE_NAME.search(p)]
    return max(kept or parts, key=len)


def _title(root: etree._Element, selectors: list[str], meta: dict[str, str], label_title: str | None,
           index: AttrIndex | None = None) -> str:
    """Configured/family selectors, meta ArticleTitle, a 标题 label, an <h1>/<h2> that agrees with <title>,
    then <title> without its site-name parts."""
    for sel in selectors:
        for el in select(root, sel, index):
            t = text_of(el)
            if t:
                return t
    if meta.get("articletitle"):
        return meta["articletitle"]
    if label_title:
        return label_title
    page_title = ""
    t_el = root.find(".//title")
    if t_el is not None:
        page_title = collapse(_TEXT_CONTENT(t_el))
    site_names = {meta[k] for k in ("sitename", "columnname") if meta.get(k)}
    stripped = _strip_title(page_title, site_names) if page_title else ""
    for tag in ("h1", "h2"):
        for el in root.iter(tag):
            t = text_of(el)
            if t and len(t) >= 4 and (not stripped or t in page_title or stripped in t):
                return t
    return stripped


def _drop_boilerplate_lines(lines: list[str]) -> list[str]:
    return [line for line in lines
            if not (len(line) <= 80 and _BOILERPLATE_HINT.search(line)
                    and (_BOILERPLATE_START.match(line) or _BOILERPLATE_ANYWHERE.search(line)))]


def extract_document(html: str, url: str, *, body_selector: str | None = None, family: str | None = None,
                     title_selector: str | None = None) -> Extracted:
    """Extract title, paragraphs, metadata, attachments and body links from a decoded document page.

    Guarantees: paragraphs are non-empty strings in document order with boilerplate removed (may be an empty
    list for image/attachment-only documents); metadata keys are among index_no, issuer, written, published,
    doc_number, topic, source with dates as YYYY-MM-DD; attachment and link URLs are absolute. Raises
    ExtractError only when the text is not a markup document at all.
    """
    if "\x00" in html[:2048]:
        raise ExtractError("binary body (NUL bytes in text)")
    root = parse_html(html)
    index = attr_index(root)
    fam: Family = resolve_family(family, html, url)
    meta = meta_tags(root)

    selectors = [s for s in (body_selector,) if s] + list(fam.body_selectors) + [
        s for s in SHARED_BODY_SELECTORS if s not in fam.body_selectors]
    container = _container(root, selectors, index)
    metadata, label_title = document_metadata(root, exclude=container, meta=meta)
    title = _title(root, [s for s in (title_selector,) if s] + list(fam.title_selectors)
                   + list(SHARED_TITLE_SELECTORS), meta, label_title, index)
    if container is None:
        container = _readability(html)
    scopes = [container] if container is not None else []
    # Attachment boxes often sit next to the body (and are hidden until scripts fill them).
    scopes += [el for el in select(root, ".fj-a, .attachment, .attachments, #attach, .fujian, .xgfj, .fjxz", index)
               if all(el is not s for s in scopes)]
    attachments = _attachments(scopes, url)

    if container is None:
        return Extracted(title=title, paragraphs=[], metadata=metadata, attachments=attachments, links=[])
    _clean(container, DROP_SELECTORS + fam.drop_selectors)
    lines = _drop_boilerplate_lines(paragraphs(container))
    return Extracted(title=title, paragraphs=lines, metadata=metadata, attachments=attachments,
                     links=_body_links(container, url))
