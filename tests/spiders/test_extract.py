"""extract_document on small synthetic pages: paragraph rules, boilerplate, titles, labels, attachments."""
from __future__ import annotations

import pytest

from spiders.extract import extract_document

URL = "http://www.example.gov.cn/col/202401/t20240105_1.html"


def wrap(body: str, head: str = "<title>关于印发节能方案的通知 - 测试市人民政府</title>", around: str = "") -> str:
    return (f"<html><head>{head}</head><body><div class='nav'><a href='/'>首页</a></div>{around}"
            f"<div class='TRS_Editor'>{body}</div><div class='footer'>网站标识码：123 ICP备123号</div></body></html>")


def test_br_runs_and_blocks_become_paragraphs():
    doc = extract_document(wrap("第一段<br>第二段<br/><br/>　　第三段<div>第四段</div>尾巴"), URL)
    assert doc.paragraphs == ["第一段", "第二段", "第三段", "第四段", "尾巴"]


def test_source_newlines_inside_chinese_text_do_not_become_spaces():
    doc = extract_document(wrap("<p>单位工业增加值\n    能耗下降23%以上，\n达到 2020 年 水平。</p>"), URL)
    assert doc.paragraphs == ["单位工业增加值能耗下降23%以上，达到 2020 年 水平。"]


def test_data_table_rows_and_layout_table_blocks():
    table = ("<table><tr><th>指标</th><th>2020年</th><th>2025年</th></tr>"
             "<tr><td><p>单位GDP</p><p>能耗</p></td><td>1.0</td><td>0.865</td></tr>"
             "<tr><td></td><td></td><td></td></tr></table>")
    layout = "<table><tr><td><p>" + "这是一段很长的正文。" * 30 + "</p><p>第二段正文。</p></td></tr></table>"
    doc = extract_document(wrap(table + layout), URL)
    assert doc.paragraphs == ["指标 | 2020年 | 2025年", "单位GDP能耗 | 1.0 | 0.865", "这是一段很长的正文。" * 30,
                              "第二段正文。"]


def test_widgets_inside_the_body_are_dropped():
    body = ("<style>.TRS_Editor p{font-size:16px}</style><script>var a=1;</script>"
            "<p>正文第一段。</p><div>浏览次数：<b id='view'>1632</b></div>"
            "<script src='/module/visitcount/articlehits.jsp?colid=1&artid=2'></script>"
            "<p>【打印本页】【关闭窗口】</p><div class='bdsharebuttonbox'>分享到：微信 微博</div>"
            "<div style='display:none'>隐藏的内容</div><div class='article-reldocuments'>关联稿件：另一篇</div>"
            "<p>（责任编辑：张三）</p><p>正文最后一段。</p>")
    doc = extract_document(wrap(body), URL)
    assert doc.paragraphs == ["正文第一段。", "正文最后一段。"]


def test_title_sources_in_order():
    body = "<p>正文。</p>"
    assert extract_document(wrap(body), URL).title == "关于印发节能方案的通知"
    assert extract_document(wrap(body, head="<title>测试市人民政府 | 关于印发节能方案的通知</title>"),
                            URL).title == "关于印发节能方案的通知"
    head = '<title>站点标题_测试市人民政府</title><meta name="ArticleTitle" content="元数据里的标题">'
    assert extract_document(wrap(body, head=head), URL).title == "元数据里的标题"
    around = "<div class='xl_title'>配置选择器指定的标题</div>"
    assert extract_document(wrap(body, head=head, around=around), URL,
                            title_selector="div.xl_title").title == "配置选择器指定的标题"


@pytest.mark.parametrize("label", ["文号", "文　　号", "文\u2002\u2002号", "文\xa0\xa0号", " 文 号 ", "文号:"])
def test_labels_match_with_any_padding(label):
    around = f"<table><tr><td>{label}：</td><td>测政发〔2024〕1号</td></tr></table>"
    assert extract_document(wrap("<p>正文。</p>", around=around), URL).metadata["doc_number"] == "测政发〔2024〕1号"


def test_labels_found_by_text_not_position_in_every_markup_shape():
    around = ("<table class='bd1'><tr><td><b>成文日期：</b></td><td>2018年12月07日</td>"
              "<td><b>索 引 号：</b></td><td>000014349/2018-00221</td></tr></table>"
              "<div class='meta-data'><dl><dd><label><font>责任部门：</font></label><div>测试市统计局</div></dd></dl></div>"
              "<p><b>主题分类：</b>综合政务</p>"
              "<div><span>发布日期：2024/1/5</span> <span>发文字号：测政办发〔2024〕3号</span></div>")
    meta = extract_document(wrap("<p>正文。</p>", around=around), URL).metadata
    assert meta == {"written": "2018-12-07", "index_no": "000014349/2018-00221", "issuer": "测试市统计局",
                    "topic": "综合政务", "published": "2024-01-05", "doc_number": "测政办发〔2024〕3号"}


def test_label_values_in_one_text_node_are_split():
    around = "<div>索引号：113/2024-1 文号：测政发〔2024〕9号 发布日期：2024-01-09</div>"
    meta = extract_document(wrap("<p>正文。</p>", around=around), URL).metadata
    assert meta["index_no"] == "113/2024-1"
    assert meta["doc_number"] == "测政发〔2024〕9号"
    assert meta["published"] == "2024-01-09"


def test_body_text_is_never_read_as_metadata():
    body = "<p>文号：这是正文里的一句话</p><p>正文。</p>"
    assert "doc_number" not in extract_document(wrap(body), URL).metadata


def test_attachments_named_from_link_text_or_url():
    body = ("<p>附件：<a href='/module/download/downfile.jsp?classid=0&filename=ab12.pdf'>1.实施细则.pdf</a></p>"
            "<p><a href='./P020240105.docx'>2.申报表</a> <a href='/files/3.wps'></a>"
            "<a href='/files/4.ofd'>4.版式文件</a> <a href='/files/5.xlsx' title='5.统计表'></a>"
            "<a href='/files/6.zip'>6.打包</a> <a href='http://www.example.gov.cn/other.html'>相关链接</a></p>")
    doc = extract_document(wrap(body), URL)
    assert [(a.url.rsplit("/", 1)[-1], a.name) for a in doc.attachments] == [
        ("downfile.jsp?classid=0&filename=ab12.pdf", "1.实施细则.pdf"), ("P020240105.docx", "2.申报表"),
        ("3.wps", "3.wps"), ("4.ofd", "4.版式文件"), ("5.xlsx", "5.统计表"), ("6.zip", "6.打包")]
    assert doc.attachments[1].url == "http://www.example.gov.cn/col/202401/P020240105.docx"
    assert doc.links == [("http://www.example.gov.cn/other.html", "相关链接")]


def test_configured_body_selector_wins():
    page = wrap("<p>模板里的默认正文容器。</p>", around="<div id='main-text'><p>配置指定的正文。</p></div>")
    assert extract_document(page, URL, body_selector="#main-text").paragraphs == ["配置指定的正文。"]
    assert extract_document(page, URL, body_selector="//div[@id='main-text']").paragraphs == ["配置指定的正文。"]


def test_readability_fallback_when_no_known_container():
    paras = [f"第{i}条 为了规范本市节能管理工作，根据有关法律法规，结合本市实际，制定本办法。" for i in range(1, 9)]
    html = ("<html><head><title>测试市节能管理办法_测试市人民政府</title></head><body>"
            "<div class='nav'><a href='/'>首页</a><a href='/a'>政务公开</a><a href='/b'>政务服务</a></div>"
            "<div class='main'><div class='article'>" + "".join(f"<p>{p}</p>" for p in paras) + "</div>"
            "<div class='side'><ul><li><a href='/x'>热点新闻一</a></li><li><a href='/y'>热点新闻二</a></li></ul></div></div>"
            "<div class='footer'>主办单位：测试市人民政府办公室 ICP备0000号</div></body></html>")
    doc = extract_document(html, URL)
    assert doc.title == "测试市节能管理办法"
    assert doc.paragraphs == paras


def test_image_only_document_has_no_paragraphs_but_is_not_an_error():
    doc = extract_document(wrap("<p><img src='/img/scan1.jpg'></p>"), URL)
    assert doc.paragraphs == []
    assert doc.title == "关于印发节能方案的通知"


def test_publish_time_info_line_only_fills_a_missing_publish_date():
    info = "<div class='info'>发布时间：2024-01-08 09:30 浏览次数：12</div>"
    table = "<table><tr><td>发布日期</td><td>2024-01-05</td><td>成文日期</td><td>二〇二四年一月四日</td></tr></table>"
    meta = extract_document(wrap("<p>正文。</p>", around=info + table), URL).metadata
    assert (meta["published"], meta["written"]) == ("2024-01-05", "2024-01-04")
    assert extract_document(wrap("<p>正文。</p>", around=info), URL).metadata["published"] == "2024-01-08"
