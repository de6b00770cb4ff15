"""The real PortalSpider, run by Scrapy in a subprocess against a synthetic portal on 127.0.0.1."""
from __future__ import annotations

import base64
import json
import socket

import pytest

from .crawling import by_url, crawl, spec
from .portal_site import GBK_TEXT, WRONG_HEADER_TEXT, PortalSite

DOCS = {
    "normal": "/col/202401/t20240105_1.html", "gbk": "/col/202401/t20240106_2.html",
    "wrong_header": "/col/202401/t20240104_13.html", "error500": "/col/202401/t20240107_3.html",
    "challenge": "/col/202401/t20240108_4.html", "robots": "/private/202401/t20240109_5.html",
    "binary": "/col/202401/t20240110_7.html", "huge": "/col/202401/t20240111_8.html",
    "soft404": "/col/202401/t20240112_9.html", "refresh": "/col/202401/t20240113_10.html",
    "moved": "/col/202401/t20240114_11.html", "slow": "/col/202401/t20240115_12.html",
    "missing": "/col/202401/t20240116_14.html", "page2": "/col/202312/t20231220_6.html",
    "no_attachment": "/col/202312/t20231221_15.html",
}


@pytest.fixture(scope="module")
def first_cycle(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cycle1")
    with PortalSite() as site:
        items = crawl(tmp, [spec(site)], settings={"RETRY_TIMES": 1})
        yield site, items


def test_first_cycle_reads_both_list_pages(first_cycle):
    site, items = first_cycle
    listings = [i for i in items if i["type"] == "ListingPage"]
    assert [(p["url"], p["page"]) for p in sorted(listings, key=lambda p: p["page"])] == [
        (site.url("/col/index.html"), 0), (site.url("/col/index_1.html"), 1)]
    first = min(listings, key=lambda p: p["page"])
    urls = [u for u, _ in first["links"]]
    assert urls[0] == site.url(DOCS["normal"]) and len(urls) == 13  # off-site and navigation links left out
    assert first["new_links"] == 13
    assert not any("example.com" in u or "/zwgk/" in u for u in urls)
    assert "/zwgk/202401/t20240101_98.html" not in site.paths()


def test_first_cycle_documents(first_cycle):
    site, items = first_cycle
    docs = by_url(items, "DocumentPage")
    normal = docs[site.url(DOCS["normal"])]
    assert normal["title"] == "测试市人民政府关于印发节能减排工作方案的通知"
    assert normal["paragraphs"][:3] == ["各区人民政府，市政府各部门：", "到2025年，单位工业增加值能耗比2020年下降13.5%以上。",
                                        "本方案自印发之日起施行。"]
    assert normal["metadata"]["doc_number"] == "测政发〔2024〕1号"
    assert normal["list_title"] == "测试市人民政府关于印发节能减排工作方案的通知"
    [attachment] = normal["attachments"]  # linked but missing on the server: listed with the reason
    assert (attachment["url"], attachment["error"], attachment["sha256"]) == (
        site.url("/col/202401/P0202401051.pdf"), "HTTP 404", None)
    assert normal["headers"]["last-modified"] == "Fri, 05 Jan 2024 01:30:00 GMT"
    assert base64.b64decode(normal["body"]["b64"]) == site.routes[DOCS["normal"]].body
    gbk = docs[site.url(DOCS["gbk"])]
    assert (gbk["encoding"], gbk["paragraphs"][0]) == ("gb18030", GBK_TEXT)
    wrong = docs[site.url(DOCS["wrong_header"])]
    assert (wrong["encoding"], wrong["paragraphs"][0]) == ("gb18030", WRONG_HEADER_TEXT)
    moved = docs[site.url(DOCS["moved"])]
    assert moved["final_url"] == site.url("/col/202401/t20240114_11_new.html")
    assert site.url(DOCS["page2"]) in docs  # linked from the second list page


def test_first_cycle_failures(first_cycle):
    site, items = first_cycle
    fails = by_url(items, "FetchFailure")
    expected = {"error500": ("error", "HTTP 500"), "challenge": ("challenge", "瑞数"),
                "robots": ("error", "robots.txt"), "binary": ("not_html", "binary body"),
                "huge": ("too_large", "200000-byte cap"), "soft404": ("not_found", "soft 404"),
                "refresh": ("not_found", "meta-refresh to parent"), "slow": ("error", "timeout after 1s"),
                "missing": ("not_found", "HTTP 404")}
    for key, (kind, needle) in expected.items():
        url = site.url(DOCS[key])
        assert fails[url]["kind"] == kind, key
        assert needle in fails[url]["reason"] and url in fails[url]["reason"], fails[url]["reason"]
        assert fails[url]["stage"] == "document"
    assert set(fails) == {site.url(DOCS[k]) for k in expected}
    assert DOCS["robots"] not in site.paths()  # robots.txt was obeyed
    assert site.paths().count(DOCS["error500"]) == 2  # retried once (RETRY_TIMES=1), then given up
    assert site.paths().count(DOCS["missing"]) == 1  # a 404 is not retried


def _as_read(items: list[dict], base: str) -> dict[str, tuple]:
    """What a user gets of each fetched document, by path: its stored fields, or its failure kind and reason."""
    out = {}
    for item in items:
        path = item["url"].replace(base, "")
        if item["type"] == "DocumentPage":
            fields = ("title", "paragraphs", "metadata", "encoding", "list_title", "status", "attachments")
            out[path] = (item["final_url"].replace(base, ""), item["body"],
                         *(json.dumps(item[f]).replace(base, "") for f in fields))
        elif item["type"] == "FetchFailure":
            out[path] = (item["kind"], item["stage"], item["status"], item["reason"].replace(base, ""))
    return out


def test_pages_handed_over_unread_are_read_as_the_spider_reads_them(first_cycle, tmp_path):
    """policywatch lets the process that stores pages read them (spiders/rawpage.py): the documents, encodings and
    one-line failures must be the ones the spider itself produces, and a page that links an attachment is still
    read by the spider, which fetches the attachment."""
    site, items = first_cycle
    with PortalSite() as other:
        handed = crawl(tmp_path, [spec(other)], settings={"RETRY_TIMES": 1}, hand_over=True)
    assert _as_read(handed, other.url("")) == _as_read(items, site.url(""))
    over = {i["url"].replace(other.url(""), "") for i in handed if i.get("handed_over")}
    assert over == {DOCS[k] for k in ("no_attachment", "binary", "soft404", "refresh")}
    no_attachment = next(i for i in handed if i["url"] == other.url(DOCS["no_attachment"]))
    assert (no_attachment["encoding"], no_attachment["paragraphs"][0]) == ("gb18030", GBK_TEXT)
    assert "/col/202401/P0202401051.pdf" in other.paths()  # pages that link a file: read by the spider, file fetched


def test_steady_state_cycle_reads_one_list_page_only(tmp_path):
    with PortalSite() as site:
        known = [{"url": site.url(path)} for path in DOCS.values()]
        items = crawl(tmp_path, [spec(site)], known={"test": known})
        assert [p for p in site.paths() if p != "/robots.txt"] == ["/col/index.html"]
    [listing] = items
    assert (listing["type"], listing["page"], listing["new_links"]) == ("ListingPage", 0, 0)


def test_recheck_sends_validators_and_handles_304_and_shrinking(tmp_path):
    with PortalSite() as site:
        known = [{"url": site.url(p)} for p in DOCS.values()]
        known[-1] = {"url": site.url(DOCS["page2"]), "etag": '"v6"'}
        known[0] = {"url": site.url(DOCS["normal"]), "last_modified": "Thu, 04 Jan 2024 00:00:00 GMT"}
        known[2] = {"url": site.url(DOCS["wrong_header"]), "last_length": 1_000_000}
        recheck = [site.url(DOCS[k]) for k in ("page2", "normal", "wrong_header")]
        items = crawl(tmp_path, [spec(site)], known={"test": known}, recheck={"test": recheck})
        sent = {path: headers for path, headers in site.log}
    assert sent[DOCS["page2"]].get("If-None-Match") == '"v6"'
    assert sent[DOCS["normal"]].get("If-Modified-Since") == "Thu, 04 Jan 2024 00:00:00 GMT"
    assert "If-None-Match" not in sent["/col/index.html"]
    assert set(by_url(items, "NotModified")) == {site.url(DOCS["page2"])}
    assert set(by_url(items, "DocumentPage")) == {site.url(DOCS["normal"])}  # server ignored If-Modified-Since
    [shrunk] = by_url(items, "FetchFailure").values()
    assert shrunk["url"] == site.url(DOCS["wrong_header"]) and "shrank" in shrunk["reason"]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_list_page_failures_and_two_portals_in_one_process(tmp_path):
    with PortalSite() as site:
        dead = {"name": "dead", "start_urls": [f"http://127.0.0.1:{_closed_port()}/col/index.html"], "delay": 0}
        missing = {"name": "missing", "start_urls": [site.url("/nowhere/index.html")], "delay": 0}
        private = {"name": "private", "start_urls": [site.url("/private/index.html")], "delay": 0}
        unchecked = {**private, "name": "unchecked", "start_urls": [site.url("/private/other.html")],
                     "obey_robots": False}
        items = crawl(tmp_path, [dead, missing, private, unchecked], settings={"RETRY_TIMES": 0})
        paths = site.paths()
    # per-portal settings: only the portal that does not obey robots.txt fetched under /private/
    assert "/private/other.html" in paths and "/private/index.html" not in paths
    fails = {i["portal"]: i for i in items if i["type"] == "FetchFailure"}
    assert fails["dead"]["stage"] == "list" and "connection refused" in fails["dead"]["reason"]
    assert dead["start_urls"][0] in fails["dead"]["reason"]
    assert (fails["missing"]["stage"], fails["missing"]["kind"], fails["missing"]["status"]) == ("list", "not_found", 404)
    assert "robots.txt" in fails["private"]["reason"] and fails["private"]["stage"] == "list"
    assert fails["unchecked"]["kind"] == "not_found"
    assert not [i for i in items if i["type"] != "FetchFailure"]
