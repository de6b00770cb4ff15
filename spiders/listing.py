"""List pages: which documents a column page links to, and which further list pages exist.

Link heuristics (when no selector is configured and the family has no list format of its own): same-site
``<a href>`` links outside navigation/header/footer areas whose URL has a document shape of a known CMS
family, or whose title (``@title`` preferred, the visible text is often cut with "...") is a long Chinese text
inside a list item / table row. Off-site links, ``javascript:``/``mailto:`` links, resources, attachments and
column/list URLs are excluded. Search redirectors (``link.do?url=...``) are unwrapped.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from lxml import etree

from spiders.families import resolve_family
from spiders.htmltext import SKIP_TAGS, collapse, is_element, parse_html, select, tag_of, text_of
from spiders.urls import (absolute, is_attachment_url, is_resource, looks_like_article, looks_like_list,
                          same_site, unwrap_redirect)

# class/id tokens of navigation, header and footer areas: whole tokens, or a hyphen/underscore part for the
# unambiguous words (so "main-container margin-top-15" is not navigation but "head_nav" is).
_NAV_WORDS = frozenset({
    "nav", "navs", "navbar", "menu", "menus", "header", "head", "top", "topbar", "footer", "foot", "bottom",
    "crumb", "crumbs", "breadcrumb", "bread", "location", "position", "weizhi", "dqwz", "sitemap", "friend",
    "friendlink", "yqlj", "link", "links", "copyright", "share", "login", "skip", "toolbar", "banner",
    "searchbox"})
_NAV_PARTS = frozenset({"nav", "menu", "footer", "header", "crumb", "breadcrumb", "yqlj", "friendlink",
                        "copyright", "sitemap", "toolbar", "navbar"})
_SPLIT_PARTS = re.compile(r"[-_]+")
_NAV_TAGS = frozenset({"nav", "header", "footer"})
_CJK = re.compile(r"[\u4e00-\u9fff]")
_ELLIPSIS = re.compile(r"(\.{2,}|…+|。。。)$")
_LIST_ITEM_TAGS = frozenset({"li", "tr", "td", "dd", "dt"})
_NEXT_TEXT = re.compile(r"^\s*(下一页|下页|后一页|下一頁|next\s*page|next|›|»|>)\s*$", re.I)
_CREATE_PAGE = re.compile(
    r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*['\"]([^'\"]+)['\"]\s*,\s*['\"]([^'\"]+)['\"]")
_COUNT_PAGE = re.compile(r"\b(?:countPage|pageCount|totalPage|totalPages|page_count)\s*[=:]\s*['\"]?(\d+)", re.I)
_CURRENT_PAGE = re.compile(r"\bcurrentPage\s*[=:]\s*['\"]?(\d+)", re.I)
_INDEX_NAME = re.compile(r"/(index|list|default)(?:_(\d+))?\.(s?html?|jhtml)$", re.I)


def _is_nav(el: etree._Element) -> bool:
    if tag_of(el) in _NAV_TAGS:
        return True
    marks = " ".join(filter(None, (el.get("id"), el.get("class"), el.get("role")))).lower()
    for token in marks.split():
        if token in _NAV_WORDS or any(part in _NAV_PARTS for part in _SPLIT_PARTS.split(token)):
            return True
    return False


def _in_list_item(a: etree._Element) -> bool:
    node = a.getparent()
    for _ in range(4):
        if node is None:
            return False
        if tag_of(node) in _LIST_ITEM_TAGS:
            return True
        node = node.getparent()
    return False


def _title_of(a: etree._Element) -> str:
    shown = text_of(a)
    full = collapse(a.get("title") or "")
    if full and (len(full) >= len(_ELLIPSIS.sub("", shown)) or _ELLIPSIS.search(shown)):
        return full
    return shown or full


def _candidate_anchors(root: etree._Element) -> list[etree._Element]:
    out: list[etree._Element] = []

    def visit(el: etree._Element) -> None:
        if not is_element(el) or tag_of(el) in SKIP_TAGS or _is_nav(el):
            return
        if tag_of(el) == "a":
            out.append(el)
        for child in el:
            visit(child)

    body = root.find("body")
    visit(body if body is not None else root)
    return out


def _accept(target: str, url: str) -> bool:
    return (same_site(target, url) and target.rstrip("/") != url.rstrip("/") and not is_resource(target)
            and not is_attachment_url(target))


def _dedupe(links: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: dict[str, int] = {}
    out: list[tuple[str, str]] = []
    for target, title in links:
        if target in seen:
            i = seen[target]
            if not out[i][1] and title:
                out[i] = (target, title)
            continue
        seen[target] = len(out)
        out.append((target, title))
    return out


def extract_links(html: str, url: str, *, link_selector: str | None = None,
                  family: str | None = None) -> list[tuple[str, str]]:
    """Document links of a list page as ``(absolute URL, title)`` in page order, each URL once.

    With ``link_selector`` only the selected elements (``<a>`` or containers of ``<a>``) count. Otherwise the
    family's own list format (Hanweb datastore, gov.cn JSON) is read when present, else the heuristics in the
    module docstring apply. Only same-site, non-attachment links are returned.
    """
    fam = resolve_family(family, html, url)
    if not link_selector:
        own = fam.list_links(html, url)
        if own is not None:
            return _dedupe([(unwrap_redirect(t), title) for t, title in own if _accept(unwrap_redirect(t), url)])
    root = parse_html(html)
    base_el = root.find(".//base[@href]")
    base = absolute(base_el.get("href"), url) if base_el is not None else None
    base = base or url

    links: list[tuple[str, str]] = []
    if link_selector:
        for el in select(root, link_selector):
            anchors = [el] if tag_of(el) == "a" else list(el.iter("a"))
            for a in anchors:
                target = absolute(a.get("href") or "", base)
                if target:
                    target = unwrap_redirect(target)
                    if _accept(target, url):
                        links.append((target, _title_of(a)))
        return _dedupe(links)

    for a in _candidate_anchors(root):
        target = absolute(a.get("href") or "", base)
        if not target:
            continue
        target = unwrap_redirect(target)
        if not _accept(target, url):
            continue
        title = _title_of(a)
        if looks_like_article(target):
            links.append((target, title))
        elif (not looks_like_list(target) and len(title) >= 8 and len(_CJK.findall(title)) >= 6
              and _in_list_item(a)):
            links.append((target, title))
    return _dedupe(links)


def _page_name(url: str) -> tuple[str, str, int | None]:
    """(name, ext, suffix number or None) of an index-style list URL; ('index', 'html', None) for '/'."""
    path = urlsplit(url).path
    m = _INDEX_NAME.search(path)
    if m:
        return m.group(1), m.group(3), int(m.group(2)) if m.group(2) else None
    return "index", "html", None


def _join(url: str, name: str) -> str:
    return absolute(name, url) or name


_PLAIN_NAME = re.compile(r"[A-Za-z0-9_-]+")


def _numbered(url: str, name: str, ext: str, numbers: range) -> list[str]:
    """``{name}_{k}.{ext}`` for each k, resolved against ``url``. A plain file name is resolved once and the rest
    share its directory: a column of N list pages names up to N of them on each page."""
    if not numbers:
        return []
    if not (_PLAIN_NAME.fullmatch(name) and _PLAIN_NAME.fullmatch(ext)):
        return [_join(url, f"{name}_{k}.{ext}") for k in numbers]
    first = _join(url, f"{name}_{numbers[0]}.{ext}")
    directory = first[: first.rindex("/") + 1]
    return [first] + [f"{directory}{name}_{k}.{ext}" for k in numbers[1:]]


def next_pages(html: str, url: str, *, pagination: str | None = None, family: str | None = None) -> list[str]:
    """Further list pages after this one, nearest first, without the page itself.

    ``pagination``: None/"auto"/"trs_index" read TRS ``createPageHTML(count, current, name, ext)`` or
    ``countPage``/``currentPage`` (0-based suffixes: ``index_1`` is the second page); "index_1based" reads a
    page count (``totalPage: 54``) and builds ``index_2`` .. ``index_<count>`` (``index_<k>`` is page k);
    "none" returns []. Family formats (Hanweb ``<nextgroup>``, gov.cn API ``p``) come first, and generic
    下一页 links are used when nothing else matches.
    """
    mode = (pagination or "auto").lower()
    if mode == "none":
        return []
    fam = resolve_family(family, html, url)
    own = fam.next_pages(html, url)
    if own:
        return [u for u in own if u != url]
    if own is not None:
        return []

    pages: list[str] = []
    name, ext, suffix = _page_name(url)
    if mode in ("index_1based", "1based"):
        count = _COUNT_PAGE.search(html) or _CREATE_PAGE.search(html)
        if count:
            total = int(count.group(1))
            current = suffix if suffix is not None else 1
            pages = _numbered(url, name, ext, range(max(current + 1, 2), total + 1))
    else:
        m = _CREATE_PAGE.search(html)
        if m:
            total, current, name, ext = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
            pages = _numbered(url, name, ext, range(current + 1, total))
        else:
            count = _COUNT_PAGE.search(html)
            if count and mode in ("auto", "trs_index", "index", "trs"):
                total = int(count.group(1))
                cur = _CURRENT_PAGE.search(html)
                current = int(cur.group(1)) if cur else (suffix or 0)
                if mode != "auto" or cur:  # a bare page count is ambiguous about its base
                    pages = _numbered(url, name, ext, range(current + 1, total))

    if not pages:
        root = parse_html(html)
        for a in root.iter("a"):
            if _NEXT_TEXT.match(text_of(a) or collapse(a.get("title") or "")):
                target = absolute(a.get("href") or "", url)
                if target and target != url and same_site(target, url):
                    pages.append(target)
                    break
    seen: set[str] = set()
    return [p for p in pages if p != url and not (p in seen or seen.add(p))]
