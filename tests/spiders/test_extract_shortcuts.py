"""Pages that exercise the cheap paths of extraction and the gate (label search, widget removal, whitespace,
script stripping, challenge markers): what a reader sees must not depend on which path a page takes."""
from __future__ import annotations

import pytest

from spiders.extract import classify_failure, extract_document

URL = "http://www.example.gov.cn/col/202401/t20240105_1.html"


def wrap(body: str, around: str = "", after: str = "") -> str:
    return ("<html><head><title>关于印发节能方案的通知 - 测试市人民政府</title></head><body>"
            f"<div class='nav'><a href='/zwgk/'>政务公开</a></div>{around}"
            f"<div class='TRS_Editor'>{body}</div>{after}<div class='footer'>主办：测试市人民政府办公厅</div></body></html>")


@pytest.mark.parametrize("label", ["<b>发布</b>日期：", "<span>发</span><span>布日期</span>：", "发布<!-- x -->日期：",
                                   "<font>发布日期</font><b>：</b>"])
def test_label_split_over_inline_markup_is_still_a_label(label):
    around = f"<table><tr><td>{label}</td><td>2024-01-05</td></tr></table>"
    assert extract_document(wrap("<p>正文。</p>", around=around), URL).metadata["published"] == "2024-01-05"


def test_label_cell_whose_text_sits_in_the_body_container_is_read_like_any_other():
    # The body selector picks the inner div, but the table cell around it still reads "文号：".
    page = ("<html><body><table><tr><td><div class='TRS_Editor'>文号：</div></td><td>测政发〔2024〕2号</td></tr>"
            "</table></body></html>")
    assert extract_document(page, URL).metadata["doc_number"] == "测政发〔2024〕2号"


def test_labels_in_scripts_styles_and_the_body_are_not_metadata_but_later_labels_are():
    around = ("<script>var a = '文号：脚本里的值';</script><style>/* 发布日期：2020-01-01 */</style>"
              "<div class='info'>发布日期：2024-01-07</div>")
    meta = extract_document(wrap("<p>文号：正文里的一句话</p>", around=around), URL).metadata
    assert meta == {"published": "2024-01-07"}


def test_label_after_a_long_navigation_block_is_found():
    nav = "<ul class='menu'>" + "".join(f"<li><a href='/c{i}/'>栏目{i}</a></li>" for i in range(300)) + "</ul>"
    around = nav + "<p>索引号：113/2024-7 <span>发文机关：测试市人民政府</span></p>"
    meta = extract_document(wrap("<p>正文。</p>", around=around), URL).metadata
    assert (meta["index_no"], meta["issuer"]) == ("113/2024-7", "测试市人民政府")


def test_widgets_nested_in_widgets_and_upper_case_hidden_styles_leave_the_text_around_them():
    body = ("<p>第一段<span class='share'>分享<b id='view'>12</b></span>接着写。</p>"
            "<div class='related xg-list'><div class='share'>分享到</div>相关文件</div>"
            "<p>第二段<span style='DISPLAY: NONE'>隐藏</span>结束。</p>"
            "<p style='visibility : Hidden'>看不见的段落</p><p style='display:block'>可见的段落</p>")
    assert extract_document(wrap(body), URL).paragraphs == ["第一段接着写。", "第二段结束。", "可见的段落"]


@pytest.mark.parametrize("raw,want", [
    ("<p>单位工业增加值\r\n\t  能耗下降</p>", "单位工业增加值能耗下降"),
    ("<p>GDP\n能耗</p>", "GDP 能耗"),
    ("<p>能耗\n  GDP</p>", "能耗 GDP"),
    ("<p>a\t\tb  c\fd</p>", "a b c d"),
    ("<p>零\u200b宽\u00ad字符</p>", "零宽字符"),
    ("<p>\u3000\u3000首行缩进\u3000保留</p>", "首行缩进\u3000保留"),
])
def test_source_whitespace_inside_a_paragraph(raw, want):
    assert extract_document(wrap(raw), URL).paragraphs == [want]


def test_only_whitespace_and_zero_width_characters_make_no_paragraph():
    doc = extract_document(wrap("<p>正文。</p><p>\u200b \n\u3000</p><p>&nbsp;</p>"), URL)
    assert doc.paragraphs == ["正文。"]


def test_soft_404_words_inside_scripts_and_comments_do_not_reject_a_short_page():
    page = ("<html><head><script>if (!ok) { show('页面不存在'); }</script><!-- 网站维护 模板 --></head>"
            "<body><p>关于开展春季植树活动的通知</p><script type='text/javascript'>var t = '<b>404 Not Found</b>';"
            "</SCRIPT ></body></html>")
    assert classify_failure(200, {}, page, None) is None


def test_unclosed_script_does_not_hide_a_soft_404_notice():
    assert classify_failure(200, {}, "<html><body><script>var a=1;<p>该信息已删除</p></body></html>", None)[0] \
        == "not_found"


@pytest.mark.parametrize("marker", ["$_TS=window['$_ts']", "WzWsReL", "wzwschallenge"])
def test_challenge_markers_in_any_letter_case(marker):
    page = f"<html><head><script>{marker}</script></head><body></body></html>"
    assert classify_failure(200, {}, page, None)[0] == "challenge"


def test_zwgk_links_and_inline_images_are_not_challenge_markers():
    links = "".join(f"<li><a href='/zwgk/zfwj/{i}.html'>政务公开文件{i}</a></li>" for i in range(50))
    image = "<img src='data:image/png;base64," + "hwzwlKij6ZAW9ne4WzWqjwtoa" * 40 + "'>"
    page = wrap("<p>" + "为贯彻落实有关部署，制定本方案。" * 120 + "</p>", around=f"<ul>{links}</ul>" + image)
    assert classify_failure(200, {}, page, None) is None
