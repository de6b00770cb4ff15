"""extract_document on real government pages (copies in tests/data/corpus) against hand-checked expectations."""
from __future__ import annotations

from collections import Counter

import pytest

from spiders.extract import decode_body, extract_document

from .corpus import expected_paragraphs, pages, raw

BOILERPLATE = ("当前位置", "ICP备", "打印本页", "浏览次数", "网站标识码", "关闭窗口", "公网安备", "访问量",
               "扫一扫在手机打开当前页", "网站地图", "版权所有", "责任编辑")


def _extract(name: str):
    text, _ = decode_body(raw(name), None)
    return extract_document(text, pages()[name]["url"])


def _overlap(got: list[str], want: list[str]) -> int:
    return sum((Counter(got) & Counter(want)).values())


@pytest.mark.parametrize("name", sorted(pages()))
def test_title_body_and_no_boilerplate(name):
    doc = _extract(name)
    want = expected_paragraphs(name)
    assert doc.title == pages()[name]["title"]
    assert want[0] in doc.paragraphs and want[-1] in doc.paragraphs
    # the body starts and ends where the document does (nothing from the page chrome around it)
    assert doc.paragraphs[0] == want[0]
    hit = _overlap(doc.paragraphs, want)
    assert hit / len(doc.paragraphs) >= 0.95, "precision"
    assert hit / len(want) >= 0.95, "recall"
    for para in doc.paragraphs:
        for marker in BOILERPLATE:
            assert marker not in para, (marker, para)


def test_lishui_hanweb_metadata_table_and_attachment():
    doc = _extract("lishui_szfwj_article_hanweb.html")
    assert doc.metadata["doc_number"] == "丽政发〔2023〕30号"
    assert doc.metadata["index_no"] == "113325000026455663/2023-43887"
    assert doc.metadata["issuer"] == "市政府"
    assert doc.metadata["written"] == "2023-10-16"
    assert doc.metadata["published"] == "2023-10-23"  # meta PubDate (no 发布日期 label on the page)
    # the Word-pasted table is kept row by row
    assert "29 | 浙江京安爆破工程有限公司 | 1 | 省企" in doc.paragraphs
    [att] = doc.attachments
    assert att.url == ("http://www.lishui.gov.cn/module/download/downfile.jsp?classid=0"
                       "&filename=be5f1a4be0294db7abf660dd336b3fa5.pdf")
    assert att.name.startswith("丽水市人民政府关于下达2023年") and att.name.endswith(".pdf")


@pytest.mark.parametrize("name,index_no,topic,written,doc_number,published", [
    ("govcn_2018_zhengce_content_5352666_fragment.html", "000014349/2018-00221", "综合政务\\政务公开",
     "2018-12-07", "国办发〔2018〕123号", "2018-12-27"),
    ("govcn_2018_zhengce_content_5352010_fragment.html", "000014349/2018-00220", "文化、广电、新闻出版\\文化",
     "2018-12-18", "国办发〔2018〕124号", "2018-12-25"),
])
def test_govcn_2018_bd1_table(name, index_no, topic, written, doc_number, published):
    doc = _extract(name)
    assert doc.metadata == {"index_no": index_no, "topic": topic, "issuer": "国务院办公厅", "written": written,
                            "doc_number": doc_number, "published": published}


def test_yichun_labels_padded_with_en_space():
    raw_html = raw("yichun_2022_tjgb_article_ucap.html").decode("utf-8")
    assert "索\u2002引\u2002号：" in raw_html  # the page really pads with U+2002
    doc = _extract("yichun_2022_tjgb_article_ucap.html")
    assert doc.metadata["index_no"] == "014717475N/2023-0040295"
    assert doc.metadata["issuer"] == "宜春市统计局"
    assert doc.metadata["written"] == "2023-04-18"
    assert doc.metadata["published"] == "2023-05-16"
    assert doc.metadata["source"] == "宜春市统计局"


def test_ucap_view_counter_and_related_box_are_not_body():
    doc = _extract("wanzai_2022_tjgb_article_ucap.html")
    assert doc.metadata["index_no"] == "014742224A/2023-0043406"
    assert doc.metadata["written"] == "2023-05-11"
    assert not any("关联稿件" in p or "1632" == p for p in doc.paragraphs)


def test_govcn_gongbao_page_with_mid_page_html_end_tag():
    # The gov.cn template includes a header document ending in </html> before the content.
    doc = _extract("gne_govcn_gongbao_article_trs.html")
    assert doc.paragraphs[-1].startswith("第十届全国人民代表大会常务委员会第二十八次会议，听取了")
    assert doc.metadata["published"] == "2007-08-20"  # meta firstpublishedtime


def test_republished_page_keeps_meta_pubdate_not_url_date():
    doc = _extract("wanzai_2015_tjgb_article_ucap.html")
    assert doc.metadata["published"] == "2022-04-24"
    assert "产品名称 | 计量单位 | 产量 | 较上年±%" in doc.paragraphs
