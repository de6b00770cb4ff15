"""Hanweb JCMS (大汉): /art/Y/M/D/art_<col>_<id>.html documents, jpage <datastore> list data.

A column page embeds its first records as XML inside ``<script type="text/xml"><datastore>``; each
``<record>`` holds an HTML fragment whose ``<a title="...">`` carries the full title (the visible text is cut
with "..."). ``<nextgroup>`` links the column's ``dataproxy.jsp``, which pages with ``startrecord``/``endrecord``/
``perpage`` parameters (jiangsu.gov.cn, as its jpage script sends them) and answers XML records; the Gansu variant
answers JavaScript (``totalRecord=714.0;... dataStore = ['<table>...</table>', ...]``).
"""
from __future__ import annotations

import re

from spiders.families.base import Family
from spiders.htmltext import collapse, parse_html, text_of
from spiders.urls import absolute, query_params, with_query

_URL = re.compile(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html?$|/col/col\d+/", re.I)
_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
_NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[(.*?)\]\]>\s*</nextgroup>", re.S | re.I)
_JS_STORE = re.compile(r"dataStore\s*=\s*\[(.*?)\]\s*;?", re.S)
_JS_STRING = re.compile(r"'((?:[^'\\]|\\.)*)'|\"((?:[^\"\\]|\\.)*)\"", re.S)
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.I)
_TOTAL = re.compile(r"(?:<totalrecord>\s*|totalRecord\s*=\s*)(\d+)", re.I)


def _fragments(text: str) -> list[str]:
    found = [m.group(1) for m in _RECORD.finditer(text)]
    if not found:
        store = _JS_STORE.search(text)
        if store:
            found = [(m.group(1) if m.group(1) is not None else m.group(2)).replace("\\'", "'").replace('\\"', '"')
                     for m in _JS_STRING.finditer(store.group(1))]
    return found


class Hanweb(Family):
    name = "hanweb"
    body_selectors = ("#zoom", "div.zoom", "div.main-txt", "#barrierfree_container .article-con")
    title_selectors = ("div.xl_title",)
    drop_selectors = (".xl_doc", ".print-close", ".yybb", "#share-2")

    def detect(self, html: str, url: str) -> bool:
        return bool(_URL.search(url.split("?")[0])) or any(
            marker in html for marker in ("<datastore>", "/module/web/jpage/", "/module/jslib/jquery/jpage/",
                                          "jcms_files", "dataproxy.jsp", "/module/visitcount/articlehits.jsp"))

    def list_links(self, text: str, url: str) -> list[tuple[str, str]] | None:
        fragments = _fragments(text)
        if not fragments:
            return None
        root = parse_html("<html><body><ul>" + "".join(fragments) + "</ul></body></html>")
        links: list[tuple[str, str]] = []
        for a in root.iter("a"):
            target = absolute(a.get("href") or "", url)
            if not target:
                continue
            title = collapse(a.get("title") or "") or text_of(a)
            links.append((target, title))
        return links

    def next_pages(self, text: str, url: str) -> list[str] | None:
        group = _NEXTGROUP.search(text)
        if group:
            href = _HREF.search(group.group(1))
            target = absolute(href.group(1).replace("&amp;", "&"), url) if href else None
            shown = len(_fragments(text))
            return [_window_after(target, shown)] if target and shown else []
        params = query_params(url)
        if "startrecord" in params and "endrecord" in params and _fragments(text):
            try:
                start, end = int(params["startrecord"]), int(params["endrecord"])
            except ValueError:
                return []
            total = _TOTAL.search(text)
            if total and int(float(total.group(1))) <= end:
                return []
            size = end - start + 1
            params["startrecord"], params["endrecord"] = str(end + 1), str(end + size)
            return [with_query(url, params)]
        return None


def _window_after(proxy: str, shown: int) -> str:
    """The ``dataproxy.jsp`` URL for the records after the ``shown`` ones a column page embeds. The ``<nextgroup>``
    link names the column but not the records: jpage's script adds ``startrecord``/``endrecord``/``perpage``, and a
    server asked without them answers the first records again. Windows are as big as the column page's group."""
    params = query_params(proxy)
    if "startrecord" in params:
        return proxy
    return with_query(proxy, {**params, "startrecord": str(shown + 1), "endrecord": str(2 * shown),
                              "perpage": str(shown)})
