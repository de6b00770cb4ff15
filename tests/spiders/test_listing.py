"""extract_links / next_pages on real and synthetic list pages."""
from __future__ import annotations

import json

import pytest

from spiders.extract import extract_links, next_pages

from .corpus import raw

SH_LIST = "https://wsjkw.sh.gov.cn/yqtb/index.html"
DINGXI = "http://www.dingxi.gov.cn/col/col12377/index.html"


def test_shanghai_list_real_page():
    links = extract_links(raw("shanghai_wsjkw_yqtb_list.html").decode("utf-8"), SH_LIST)
    assert len(links) == 9
    assert all(url.startswith("https://wsjkw.sh.gov.cn/xwfb/2022") for url, _ in links)
    assert links[0] == ("https://wsjkw.sh.gov.cn/xwfb/20220426/d4d847dcf3f64fcab102cf5a65656891.html",
                        "上海2022年4月25日，新增本土新冠肺炎确诊病例1661例 新增本土无症状感染者15319例 "
                        "无新增境外输入性新冠肺炎确诊病例 无新增境外输入性无症状感染者")
    assert not any("weixin" in url or url.endswith("/index.html") for url, _ in links)


def test_shanghai_pagination_is_one_based_when_configured():
    html = raw("shanghai_wsjkw_yqtb_list.html").decode("utf-8")
    pages = next_pages(html, SH_LIST, pagination="index_1based")
    assert pages[0] == "https://wsjkw.sh.gov.cn/yqtb/index_2.html"
    assert pages[-1] == "https://wsjkw.sh.gov.cn/yqtb/index_54.html" and len(pages) == 53
    assert next_pages(html, "https://wsjkw.sh.gov.cn/yqtb/index_54.html", pagination="index_1based") == []
    # without configuration a bare page count is ambiguous about its base: no guessing
    assert next_pages(html, SH_LIST) == []


def test_hanweb_datastore_records_use_full_title_and_nextgroup():
    text = raw("dingxi_jpage_datastore_list.xml").decode("utf-8")
    links = extract_links(text, DINGXI)
    assert len(links) == 45
    assert ("http://www.dingxi.gov.cn/art/2022/1/19/art_12377_1486583.html",
            "定西市工信局关于对省级第二轮环保督察反馈第四项第十三项问题整改完成情况的公示") in links
    assert not any(title.endswith("...") for _, title in links)
    # a record on zwgk.dingxi.gov.cn is the same site (registrable domain dingxi.gov.cn)
    assert "http://zwgk.dingxi.gov.cn/art/2021/11/4/art_12480_1461862.html" in dict(links)
    [nxt] = next_pages(text, DINGXI)
    assert nxt.startswith("http://www.dingxi.gov.cn/module/web/jpage/dataproxy.jsp?page=1&")
    assert "columnid=12377" in nxt and "unitid=38486" in nxt
    # the records after the 45 the column page shows, in a window as big as the page's group
    assert "startrecord=46&endrecord=90&perpage=45" in nxt


def test_hanweb_javascript_datastore_and_record_window_paging():
    rows = ", ".join(f"'<table><tr><td><a href=\"/art/2020/3/{i}/art_4729_{i}.html\" title=\"甘肃省人民政府关于第{i}项工作的通知\">"
                     f"甘肃省人民政府关于第{i}项...</a></td></tr></table>'" for i in range(1, 4))
    text = f"totalRecord=100.0;totalPage = 4;dataStore = [ {rows} ];"
    url = "http://www.gansu.gov.cn/module/jslib/jquery/jpage/dataproxy.jsp?startrecord=1&endrecord=75&perpage=25&columnid=4729"
    links = extract_links(text, url, family="hanweb")
    assert links[2] == ("http://www.gansu.gov.cn/art/2020/3/3/art_4729_3.html", "甘肃省人民政府关于第3项工作的通知")
    [nxt] = next_pages(text, url, family="hanweb")
    assert "startrecord=76" in nxt and "endrecord=150" in nxt
    last = url.replace("startrecord=1&endrecord=75", "startrecord=76&endrecord=150")
    assert next_pages(text, last, family="hanweb") == []


def test_govcn_search_api_json():
    data = {"code": 200, "searchVO": {"catMap": {"gongwen": {"totalpage": 3, "listVO": [
        {"title": "国务院关于<em>节能</em>减排的通知", "url": "https://www.gov.cn/zhengce/content/202401/content_1.htm"},
        {"title": "国务院办公厅关于印发某某方案的通知", "url": "https://www.gov.cn/zhengce/content/202401/content_2.htm"},
    ]}}}}
    url = "https://sousuo.www.gov.cn/search-gov/data?t=zhengcelibrary_gw&sort=pubtime&sortType=1&p=0&n=20"
    text = json.dumps(data, ensure_ascii=False)
    assert extract_links(text, url) == [
        ("https://www.gov.cn/zhengce/content/202401/content_1.htm", "国务院关于节能减排的通知"),
        ("https://www.gov.cn/zhengce/content/202401/content_2.htm", "国务院办公厅关于印发某某方案的通知")]
    assert next_pages(text, url) == [url.replace("p=0", "p=1")]
    assert next_pages(text, url.replace("p=0", "p=2")) == []
    empty = json.dumps({"code": 1001, "msg": "抱歉，没有找到相关结果"}, ensure_ascii=False)
    assert extract_links(empty, url) == [] and next_pages(empty, url) == []


LIST = """<html><head><title>政策文件</title></head><body>
<div class="top"><a href="/">首页</a><a href="/zwgk/">政务公开</a></div>
<ul class="main-nav"><li><a href="/col/202401/t20240101_1.html">导航栏里的文章形状链接不是列表项</a></li></ul>
<div class="list"><ul>
 <li><a href="./202401/t20240105_11.html" title="测试市人民政府关于印发节能减排工作方案的通知">测试市人民政府关于印发...</a></li>
 <li><a href="/content/post_12.html">测试市人民政府办公室关于做好春节期间安全生产工作的通知</a></li>
 <li><a href="/gk/show.aspx?id=13">测试市发展和改革委员会关于公布第一批重点项目名单的公告</a></li>
 <li><a href="javascript:void(0)">测试市人民政府关于某某事项的通知（脚本链接）</a></li>
 <li><a href="mailto:gov@example.gov.cn">测试市人民政府办公室联系邮箱地址说明</a></li>
 <li><a href="http://www.other-site.com/202401/t20240105_14.html">外站的一篇文章标题很长很长很长</a></li>
 <li><a href="/col/202401/P020240105.pdf">测试市人民政府关于某某事项的通知附件下载</a></li>
 <li><a href="/col/index_1.html">下一栏目列表页面的链接文字很长很长</a></li>
 <li><a href="./202401/t20240105_11.html">重复出现的同一篇文章</a></li>
</ul></div>
<div class="page">共3页 <a href="index_1.html">下一页</a></div>
<div class="footer"><a href="/col/202401/t20240102_2.html">页脚里的文章形状链接也不是列表项</a></div>
</body></html>"""


def test_heuristic_links_skip_navigation_offsite_scripts_attachments_and_lists():
    links = extract_links(LIST, "http://www.example.gov.cn/col/index.html")
    assert links == [
        ("http://www.example.gov.cn/col/202401/t20240105_11.html", "测试市人民政府关于印发节能减排工作方案的通知"),
        ("http://www.example.gov.cn/content/post_12.html", "测试市人民政府办公室关于做好春节期间安全生产工作的通知"),
        ("http://www.example.gov.cn/gk/show.aspx?id=13", "测试市发展和改革委员会关于公布第一批重点项目名单的公告"),
    ]


def test_link_selector_restricts_links():
    links = extract_links(LIST, "http://www.example.gov.cn/col/index.html", link_selector="div.list li:nth-child(2)")
    assert links == [("http://www.example.gov.cn/content/post_12.html",
                      "测试市人民政府办公室关于做好春节期间安全生产工作的通知")]


def test_generic_next_link():
    assert next_pages(LIST, "http://www.example.gov.cn/col/index.html") == ["http://www.example.gov.cn/col/index_1.html"]


@pytest.mark.parametrize("script,url,expected", [
    ('createPageHTML(4, 0, "index", "shtml");', "http://x.gov.cn/zfwj/index.shtml",
     ["index_1.shtml", "index_2.shtml", "index_3.shtml"]),
    ('createPageHTML(4, 2, "index", "shtml");', "http://x.gov.cn/zfwj/index_2.shtml", ["index_3.shtml"]),
    ('createPageHTML(4, 3, "index", "shtml");', "http://x.gov.cn/zfwj/index_3.shtml", []),
    ('createPageHTML(1,0,"t20190918_693227","shtml");', "http://x.gov.cn/yw/201909/t20190918_693227.shtml", []),
    ('var countPage = 3;//共多少页\nvar currentPage = 0;//所在页从0开始', "http://x.gov.cn/zfwj/",
     ["index_1.html", "index_2.html"]),
])
def test_trs_pagination_is_zero_based(script, url, expected):
    html = f"<html><body><ul><li>…</li></ul><script>{script}</script></body></html>"
    base = url.rsplit("/", 1)[0] + "/"
    assert next_pages(html, url) == [base + name for name in expected]


def test_pagination_none_disables_paging():
    assert next_pages(LIST, "http://www.example.gov.cn/col/index.html", pagination="none") == []
