"""Attachments fetched by the real PortalSpider: hashed, PDF/DOCX text extracted, failures recorded on the
attachment, the document yielded only when all its attachments have an outcome, a changed PDF seen next cycle."""
from __future__ import annotations

import hashlib

import pytest

from .crawling import by_url, crawl, spec
from .files import make_docx, make_pdf
from .portal_site import PortalSite, Route, document, list_page

PDF_V1 = ["测试市节能减排工作方案", "到2025年，单位工业增加值能耗比2020年下降13.5%以上。"]
PDF_V2 = ["测试市节能减排工作方案（修订）", "到2025年，单位工业增加值能耗比2020年下降14%以上。"]
DOCX_PARAS = ["附件2", "重点任务分工表", "一、严格控制能耗强度"]
HEX = "8f3c2b0e9d1a4c6b8e7f5a3d2c1b0a99"
DOCX_URL = f"/module/download/downfile.jsp?classid=0&filename={HEX}.docx"
SOFT404_URL = "/module/download/downfile.jsp?classid=0&filename=0000deadbeef.pdf"
D1, D2, D3 = "/col/202401/t20240105_1.html", "/col/202401/t20240105_2.html", "/col/202401/t20240105_3.html"
CAP = 50_000


def _binary(data: bytes, content_type: str = "application/octet-stream") -> Route:
    return Route(body=data, headers={"Content-Type": content_type})


def _routes(pdf_lines: list[str]) -> dict[str, Route]:
    # D1: TRS-style P0 PDF (from the page template) + a Hanweb downfile.jsp DOCX named only by its link text
    d1 = document(1, "测试市人民政府关于印发节能减排工作方案的通知",
                  ["现将工作方案印发给你们，请认真贯彻执行。", f'附件2：<a href="{DOCX_URL}">重点任务分工表.docx</a>'])
    # D2: every way an attachment can fail, plus a WPS file kept by hash
    d2 = document(2, "测试市人民政府关于附件问题的通知", [
        "本文的附件各有问题。",
        '<a href="/col/202401/P020240105_bad.pdf">损坏的文件.pdf</a>',
        '<a href="/col/202401/P020240105_miss.doc">已删除的附件.doc</a>',
        f'<a href="{SOFT404_URL}">附件3.pdf</a>',
        '<a href="/private/secret.pdf">禁止抓取的附件.pdf</a>',
        '<a href="http://www.example.com/files/other.pdf">外站附件.pdf</a>',
        '<a href="/col/202401/P020240105_wps.wps">政策文件.wps</a>'])
    # D3: links the same PDF as D1 (fetched once per cycle)
    d3 = document(3, "测试市人民政府关于转发节能减排工作方案的通知",
                  ['详见<a href="/col/202401/P0202401051.pdf">工作方案.pdf</a>。'])
    listing = [(f".{p[4:]}", t) for p, t in ((D1, "测试市人民政府关于印发节能减排工作方案的通知"),
                                              (D2, "测试市人民政府关于附件问题的通知"),
                                              (D3, "测试市人民政府关于转发节能减排工作方案的通知"))]
    html = {"Content-Type": "text/html; charset=utf-8"}
    return {
        "/robots.txt": Route(body=b"User-agent: *\nDisallow: /private/\n", headers={"Content-Type": "text/plain"}),
        "/col/index.html": Route(body=list_page(listing, 0, 1).encode(), headers=html),
        D1: Route(body=d1.encode(), headers=html),
        D2: Route(body=d2.encode(), headers=html),
        D3: Route(body=d3.encode(), headers=html),
        "/col/202401/P0202401051.pdf": _binary(make_pdf(pdf_lines), "application/pdf"),
        "/module/download/downfile.jsp": _binary(make_docx(DOCX_PARAS)),
        "/col/202401/P0202401052.pdf": _binary(b"%PDF-1.4\n" + b"0" * (CAP + 10_000), "application/pdf"),
        "/col/202401/P020240105_bad.pdf": _binary(make_pdf(PDF_V1)[:600], "application/pdf"),
        "/col/202401/P020240105_wps.wps": _binary(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 4),
        "/private/secret.pdf": _binary(make_pdf(["不应被请求"]), "application/pdf"),
    }


def _soft404_for_unknown_downfile(site: PortalSite) -> None:
    real = site.routes["/module/download/downfile.jsp"]

    def handler(h):
        if HEX in h.path:
            return 200, real.headers, real.body
        page = "<html><head><title>提示</title></head><body>对不起，您访问的页面不存在或已被删除！</body></html>"
        return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()

    site.routes["/module/download/downfile.jsp"] = Route(handler=handler)


def _atts(doc: dict) -> dict[str, dict]:
    return {a["name"]: a for a in doc["attachments"]}


@pytest.fixture(scope="module")
def two_cycles(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("attachments")
    with PortalSite() as site:
        site.routes = _routes(PDF_V1)
        site.docx = site.routes["/module/download/downfile.jsp"].body
        _soft404_for_unknown_downfile(site)
        first = crawl(tmp, [spec(site, max_attachment_bytes=CAP, timeout=5)], settings={"RETRY_TIMES": 0})
        first_log = site.paths()
        # cycle 2: the PDF was replaced on the server; the wiring re-checks D1 (no validators were sent)
        site.routes["/col/202401/P0202401051.pdf"] = _binary(make_pdf(PDF_V2), "application/pdf")
        site.log.clear()
        known = [{"url": site.url(p)} for p in (D1, D2, D3)]
        second = crawl(tmp, [spec(site, max_attachment_bytes=CAP, timeout=5)], known={"test": known},
                       recheck={"test": [site.url(D1)]}, settings={"RETRY_TIMES": 0})
        yield site, first, first_log, second, site.paths()


def test_pdf_and_docx_are_hashed_and_read(two_cycles):
    site, first, _, _, _ = two_cycles
    doc = by_url(first, "DocumentPage")[site.url(D1)]
    pdf, docx = _atts(doc)["测试市人民政府关于印发节能减排工作方案的通知附件.pdf"], _atts(doc)["重点任务分工表.docx"]
    pdf_bytes = make_pdf(PDF_V1)
    assert (pdf["sha256"], pdf["size"], pdf["file_type"], pdf["error"]) == (
        hashlib.sha256(pdf_bytes).hexdigest(), len(pdf_bytes), "pdf", None)
    assert pdf["text"].splitlines() == PDF_V1
    assert docx["url"] == site.url(DOCX_URL)
    assert (docx["file_type"], docx["error"], docx["text"].splitlines()) == ("docx", None, DOCX_PARAS)
    assert docx["sha256"] == hashlib.sha256(site.docx).hexdigest()


def test_failed_attachments_are_recorded_and_the_document_still_yielded(two_cycles):
    site, first, first_log, _, _ = two_cycles
    atts = _atts(by_url(first, "DocumentPage")[site.url(D2)])
    assert atts["测试市人民政府关于附件问题的通知附件.pdf"]["error"] == "larger than 50 KB cap (60 KB)"
    assert atts["测试市人民政府关于附件问题的通知附件.pdf"]["sha256"] is None
    bad = atts["损坏的文件.pdf"]
    assert bad["error"].startswith("corrupt PDF (") and bad["sha256"] and bad["text"] is None
    assert atts["已删除的附件.doc"]["error"] == "HTTP 404"
    assert atts["附件3.pdf"]["error"].startswith("an HTML page instead of a file (soft 404 page")
    assert atts["禁止抓取的附件.pdf"]["error"] == "forbidden by robots.txt"
    assert atts["外站附件.pdf"]["error"] == "off-site link, not fetched"
    wps = atts["政策文件.wps"]
    assert (wps["file_type"], wps["text"], wps["error"], wps["size"]) == ("wps", None, None, 8 + 1024)
    assert "/private/secret.pdf" not in first_log  # robots.txt applies to attachments too
    assert not [i for i in first if i["type"] == "FetchFailure"]  # attachment problems are not page failures


def test_each_attachment_is_fetched_once_per_cycle_and_shared(two_cycles):
    site, first, first_log, _, _ = two_cycles
    docs = by_url(first, "DocumentPage")
    assert sorted(i["url"] for i in first if i["type"] == "DocumentPage") == sorted(site.url(p) for p in (D1, D2, D3))
    assert first_log.count("/col/202401/P0202401051.pdf") == 1  # linked by D1 and D3
    shared = {a["url"]: a for a in docs[site.url(D3)]["attachments"]}[site.url("/col/202401/P0202401051.pdf")]
    assert shared["sha256"] == hashlib.sha256(make_pdf(PDF_V1)).hexdigest()
    assert shared["name"] == "工作方案.pdf"  # each document keeps its own link text


def test_a_changed_pdf_is_seen_with_its_document_next_cycle(two_cycles):
    site, first, _, second, second_log = two_cycles
    before = _atts(by_url(first, "DocumentPage")[site.url(D1)])
    [doc] = [i for i in second if i["type"] == "DocumentPage"]
    assert doc["url"] == site.url(D1)
    after = _atts(doc)
    name = "测试市人民政府关于印发节能减排工作方案的通知附件.pdf"
    assert after[name]["sha256"] == hashlib.sha256(make_pdf(PDF_V2)).hexdigest() != before[name]["sha256"]
    assert after[name]["text"].splitlines() == PDF_V2
    assert after["重点任务分工表.docx"]["sha256"] == before["重点任务分工表.docx"]["sha256"]
    assert doc["paragraphs"] == by_url(first, "DocumentPage")[site.url(D1)]["paragraphs"]  # only the file changed
    assert D2 not in second_log and "/col/202401/P020240105_bad.pdf" not in second_log  # not due: not fetched
