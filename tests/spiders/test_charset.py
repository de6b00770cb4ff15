"""decode_body: header, BOM, <head> meta, detection; GB labels read as GB18030; binary bodies rejected."""
from __future__ import annotations

import codecs

import pytest

from spiders.charset import decode_body
from spiders.errors import ExtractError

# 镕 and the em dash are outside GB2312: real "gb2312" portals need the GBK/GB18030 superset.
TEXT = "朱镕基——关于印发节能减排工作方案的通知：单位工业增加值能耗下降23%以上。"


def page(head_meta: str = "", body_meta: str = "") -> str:
    return (f"<html><head>{head_meta}<title>通知</title></head>"
            f"<body>{body_meta}<div class='TRS_Editor'><p>{TEXT}</p></div></body></html>")


def test_gb18030_page_with_charset_only_in_meta():
    html = page('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">')
    text, encoding = decode_body(html.encode("gb18030"), "text/html")
    assert encoding == "gb18030"
    assert TEXT in text


def test_html5_meta_charset_gbk_without_header():
    html = page('<meta charset="GBK">')
    text, encoding = decode_body(html.encode("gbk"), None)
    assert (encoding, TEXT in text) == ("gb18030", True)


def test_wrong_header_charset_utf8_on_gbk_bytes():
    html = page('<meta http-equiv="Content-Type" content="text/html; charset=gbk">')
    text, encoding = decode_body(html.encode("gb18030"), "text/html; charset=utf-8")
    assert encoding == "gb18030"
    assert TEXT in text


def test_wrong_header_charset_gbk_on_utf8_bytes():
    # A stale legacy label (header or browser-saved meta) on bytes that are valid UTF-8.
    html = page('<meta charset="gb2312">')
    text, encoding = decode_body(html.encode("utf-8"), "text/html; charset=GBK")
    assert (encoding, TEXT in text) == ("utf-8", True)


def test_default_latin1_header_does_not_garble_chinese():
    text, encoding = decode_body(page().encode("gb18030"), "text/html; charset=ISO-8859-1")
    assert (encoding, TEXT in text) == ("gb18030", True)


def test_meta_inside_body_is_never_used():
    # A Word export pasted into the body carries its own charset; koi8-r would "decode" anything into garbage.
    html = page(body_meta='<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">')
    text, encoding = decode_body(html.encode("gb18030"), None)
    assert encoding == "gb18030"
    assert TEXT in text


def test_bom_wins_and_is_removed():
    text, encoding = decode_body(codecs.BOM_UTF8 + page().encode("utf-8"), "text/html; charset=gbk")
    assert encoding == "utf-8"
    assert text.startswith("<html>") and TEXT in text


def test_plain_utf8_without_any_declaration():
    text, encoding = decode_body(page().encode("utf-8"), None)
    assert (encoding, TEXT in text) == ("utf-8", True)


@pytest.mark.parametrize("body,kind", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj", "PDF"),
    (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 100, "ZIP"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "OLE"),
])
def test_binary_body_labelled_html_raises(body, kind):
    with pytest.raises(ExtractError, match="binary body") as err:
        decode_body(body, "text/html")
    assert kind in str(err.value)
