"""A Hanweb (大汉 JCMS) column crawled by the real PortalSpider: the column page embeds the newest records, the rest
come from dataproxy.jsp record windows, which the spider must ask for by record number."""
from __future__ import annotations

import html
from urllib.parse import parse_qs, urlsplit

from .crawling import by_url, crawl, spec
from .portal_site import PortalSite, Route, document

SHOWN = 5  # records the column page embeds
TOTAL = 12


def _path(i: int) -> str:
    return f"/art/2024/1/{i}/art_123_{1000 + i}.html"


def _title(i: int) -> str:
    return f"测试市人民政府关于印发第{i}项专项行动方案的通知"


def _records(ids: range) -> str:
    return "".join(f'<record><![CDATA[<li><a href="{_path(i)}" title="{html.escape(_title(i))}">{_title(i)[:10]}...</a>'
                   f"<b>2024-01-{i:02d}</b></li>]]></record>" for i in ids)


def _column() -> str:
    nextgroup = '<a href="/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=1&path=/&columnid=123&unitid=456"></a>'
    return (f'<html><head><meta charset="utf-8"><title>政策文件</title></head><body><div id="456">'
            f'<script type="text/xml"><datastore><nextgroup><![CDATA[{nextgroup}]]></nextgroup>'
            f"<recordset>{_records(range(1, SHOWN + 1))}</recordset></datastore></script></div></body></html>")


def _proxy(handler) -> tuple[int, dict[str, str], bytes]:
    """Like the real dataproxy.jsp: records startrecord..endrecord, the first ones when not told which."""
    query = parse_qs(urlsplit(handler.path).query)
    start = int(query.get("startrecord", ["1"])[0])
    end = int(query.get("endrecord", [str(start + SHOWN - 1)])[0])
    body = (f'<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>{TOTAL}</totalrecord>'
            f"<recordset>{_records(range(start, min(end, TOTAL) + 1))}</recordset></datastore>")
    return 200, {"Content-Type": "text/xml; charset=utf-8"}, body.encode("utf-8")


def test_every_record_of_a_hanweb_column_is_followed(tmp_path):
    with PortalSite() as site:
        site.routes = {"/col/col123/index.html": Route(body=_column().encode("utf-8")),
                       "/module/web/jpage/dataproxy.jsp": Route(handler=_proxy)}
        for i in range(1, TOTAL + 1):
            site.routes[_path(i)] = Route(body=document(i, _title(i), [f"第{i}项工作任务于2024年年底前完成。"]).encode())
        items = crawl(tmp_path, [spec(site, start_urls=[site.url("/col/col123/index.html")], max_pages=10)])
        proxied = [parse_qs(urlsplit(p).query) for p in site.paths() if "dataproxy.jsp" in p]
    docs = by_url(items, "DocumentPage")
    assert sorted(docs) == sorted(site.url(_path(i)) for i in range(1, TOTAL + 1))
    assert docs[site.url(_path(7))]["list_title"] == _title(7)
    assert [(q["startrecord"], q["endrecord"]) for q in proxied] == [(["6"], ["10"]), (["11"], ["15"])]
    assert all(q["columnid"] == ["123"] and q["unitid"] == ["456"] for q in proxied)
