"""Which pages the spider may hand over unread (spiders/rawpage.py): never one that links an attachment, since the
spider must fetch a page's attachments before the page is complete. A page handed over by mistake would be stored
without its files, so every way the extractor recognises an attachment link must be seen in the raw bytes."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spiders.charset import decode_body
from spiders.extract import extract_document
from spiders.rawpage import may_link_attachments

from .corpus import CORPUS

BASE = "http://www.example.gov.cn/col/202401/t20240105_1.html"
EXTENSIONS = ["pdf", "doc", "docx", "wps", "ofd", "xls", "xlsx", "et", "ppt", "pptx", "zip", "rar", "7z", "txt",
              "ceb", "tif"]


def _page(link: str, encoding: str = "utf-8") -> bytes:
    html = (f'<html><head><meta charset="{encoding}"><title>关于印发实施方案的通知</title></head><body>'
            f'<div class="TRS_Editor"><p>各区人民政府：现将实施方案印发给你们，请认真贯彻执行。</p>'
            f'<p>附件：{link}</p></div></body></html>')
    return html.encode(encoding)


def _attachments(body: bytes) -> list[str]:
    text, _ = decode_body(body, "text/html")
    return [a.url for a in extract_document(text, BASE).attachments]


@pytest.mark.parametrize("link", [
    '<a href="/col/202401/P020240105.pdf">实施方案.pdf</a>',
    '<a href="P020240105.PDF">实施方案</a>',
    "<a href='./P020240105.docx?v=2'>分工表</a>",
    '<a href="/module/download/downfile.jsp?classid=0&amp;filename=8f3c2b0e9d1a.pdf">附件1</a>',
    '<a href="/module/download/downfile.jsp?classid=0&amp;filename=8f3c2b0e9d1a">附件1</a>',
    '<a href="/download/12345">附件2</a>',
    '<a href="/attachment/2024/0105/abc">附件3</a>',
    '<a href="/api/file?name=%E6%96%B9%E6%A1%88%2Eofd">方案</a>',
    '<a href="/files/P020240105&#46;wps">方案</a>',
    '<a href="/files/P020240105&#x2E;xlsx">统计表</a>',
])
def test_every_written_form_of_an_attachment_link_keeps_the_page_with_the_spider(link):
    body = _page(link)
    assert _attachments(body), "the extractor should see an attachment here"
    assert may_link_attachments(body)


def test_a_utf16_page_is_never_handed_over():
    body = b"\xff\xfe" + _page('<a href="/a.pdf">附件</a>', "utf-8").decode().encode("utf-16-le")
    assert may_link_attachments(body)


def test_pages_without_file_links_are_handed_over():
    body = _page('<a href="/col/202401/t20240106_2.html">相关文件</a> <a href="javascript:window.print()">打印</a>')
    assert not _attachments(body)
    assert not may_link_attachments(body)


@pytest.mark.parametrize("path", sorted(p.name for p in CORPUS.glob("*.htm*")))
def test_real_pages_that_link_files_are_kept_with_the_spider(path):
    body = (CORPUS / path).read_bytes()
    text, _ = decode_body(body, None)
    if extract_document(text, BASE).attachments:
        assert may_link_attachments(body)


@settings(max_examples=300, deadline=None)
@given(
    stem=st.text(alphabet="abcdefgP0123456789_-/", min_size=1, max_size=20),
    ext=st.sampled_from(EXTENSIONS),
    upper=st.booleans(),
    query=st.sampled_from(["", "?v=1", "?a=1&amp;b=2", "#page=2"]),
    dot=st.sampled_from([".", "%2E", "%2e", "&#46;", "&#046;", "&#x2e;"]),
    where=st.sampled_from(["path", "param"]),
)
def test_any_attachment_url_the_extractor_accepts_is_seen_in_the_bytes(stem, ext, upper, query, dot, where):
    name = stem + dot + (ext.upper() if upper else ext)
    href = f"/files/{name}{query}" if where == "path" else f"/api/get?file={name}"
    body = _page(f'<a href="{href}">附件</a>')
    if _attachments(body):
        assert may_link_attachments(body), href
