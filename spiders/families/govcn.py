"""中国政府网 (www.gov.cn): content_<id>.htm documents with #UCAP-CONTENT bodies and the table.bd1
metadata grid; the policy library is read from the JSON search API ``sousuo.www.gov.cn/search-gov/data``.

API rows live in ``searchVO.listVO`` or ``searchVO.catMap.<cat>.listVO`` (title with <em> highlights, url);
paging uses ``p`` (0-based) and ``searchVO.totalpage`` / ``catMap.<cat>.totalpage``. ``code`` 1001
("没有找到相关结果") is an empty result.
"""
from __future__ import annotations

import json
import re
from typing import Any

from spiders.families.base import Family
from spiders.htmltext import collapse
from spiders.urls import absolute, host_of, query_params, with_query

_TAGS = re.compile(r"<[^>]+>")


def _is_govcn(url: str) -> bool:
    host = host_of(url)
    return host in ("gov.cn", "www.gov.cn", "sousuo.gov.cn") or host.endswith(".www.gov.cn")


def _load(text: str) -> dict[str, Any] | None:
    stripped = text.strip()
    if not stripped.startswith("{"):
        return None
    try:
        data = json.loads(stripped)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _blocks(data: dict[str, Any]) -> list[dict[str, Any]]:
    vo = data.get("searchVO") or data.get("result") or {}
    if not isinstance(vo, dict):
        return []
    blocks = [vo]
    cat_map = vo.get("catMap")
    if isinstance(cat_map, dict):
        blocks.extend(v for v in cat_map.values() if isinstance(v, dict))
    return blocks


class GovCn(Family):
    name = "govcn"
    body_selectors = ("#UCAP-CONTENT", "div.pages_content", "td.b12c", ".TRS_UEDITOR", "div.TRS_Editor")
    title_selectors = ("div.article h1", "h1#ti")
    drop_selectors = ("#div_div", ".sweep", ".xg-list", ".related", ".pages_print", ".editor")

    def detect(self, html: str, url: str) -> bool:
        return _is_govcn(url)

    def list_links(self, text: str, url: str) -> list[tuple[str, str]] | None:
        data = _load(text)
        if data is None:
            return None
        links: list[tuple[str, str]] = []
        for block in _blocks(data):
            rows = block.get("listVO") or []
            for row in rows if isinstance(rows, list) else []:
                if not isinstance(row, dict):
                    continue
                target = absolute(str(row.get("url") or ""), url)
                if target:
                    links.append((target, collapse(_TAGS.sub("", str(row.get("title") or "")))))
        return links

    def next_pages(self, text: str, url: str) -> list[str] | None:
        data = _load(text)
        if data is None:
            return None
        params = query_params(url)
        try:
            page = int(params.get("p") or 0)
        except ValueError:
            return []
        total = 0
        for block in _blocks(data):
            for key in ("totalpage", "totalPage"):
                try:
                    total = max(total, int(block.get(key) or 0))
                except (TypeError, ValueError):
                    pass
        if page + 1 >= total:
            return []
        params["p"] = str(page + 1)
        return [with_query(url, params)]
