"""classify_failure: challenge, error and soft-failure captures are recognised; real pages pass."""
from __future__ import annotations

import pytest
from scrapy.http import Headers

from spiders.charset import decode_body
from spiders.gate import classify_failure

from .corpus import pages, raw

RUISHU = ("<html><head><meta id='9DhefwqGPrzGxEp9hPaoag' content='x'><script>$_ts=window['$_ts'];"
          "if(!$_ts)$_ts={};$_ts.nsd=84043;</script><script src='/js/a.js' r='m'></script></head><body></body></html>")
JIASULE = "<script>document.cookie=('__jsl_clearance=1589437=-1;max-age=3600;path=/');location.href=location.pathname</script>"
ARTICLE = "<html><body><div class='TRS_Editor'>" + "<p>为做好网站维护和系统维护工作，现将有关事项通知如下。</p>" * 200 + "</div></body></html>"


@pytest.mark.parametrize("status,text,kind,needle", [
    (412, RUISHU, "challenge", "瑞数"),
    (200, RUISHU, "challenge", "瑞数"),
    (521, JIASULE, "challenge", "加速乐"),
    (412, "", "challenge", "HTTP 412"),
    (200, "<html><body><h1>网站安全防护</h1><p>电信云堤拦截了您的访问</p></body></html>", "challenge", "WAF"),
    (404, "<html><body>404</body></html>", "not_found", "HTTP 404"),
    (410, "", "not_found", "HTTP 410"),
    (503, "<html><body>Service Unavailable</body></html>", "error", "HTTP 503"),
    (429, "", "error", "rate limited"),
    (200, "<html><body><p>网站维护中，请稍后访问</p></body></html>", "error", "maintenance"),
    (200, "<html><body><div>对不起，您访问的页面不存在！</div></body></html>", "not_found", "soft 404"),
    (200, "<html><body><p>该信息已删除</p><a href='/'>返回首页</a></body></html>", "not_found", "soft 404"),
    (200, "   \n  ", "empty", "empty body"),
])
def test_bad_captures(status, text, kind, needle):
    verdict = classify_failure(status, {}, text, None)
    assert verdict is not None and verdict[0] == kind and needle in verdict[1]


def test_meta_refresh_to_parent_directory():
    stub = '<html><head><meta http-equiv="refresh" content="0;url=../"></head><body></body></html>'
    kind, reason = classify_failure(200, {}, stub, None, url="http://x.gov.cn/zwgk/202401/t20240105_1.html")
    assert kind == "not_found" and "parent directory" in reason


def test_jiasule_cookie_in_scrapy_headers():
    headers = Headers({"Set-Cookie": "__jsl_clearance=1589437; path=/"})
    assert classify_failure(521, headers, "<script>x</script>", None)[0] == "challenge"


def test_body_shrinking_below_thirty_percent_of_previous():
    assert classify_failure(200, {}, ARTICLE, 100_000, body_len=20_000)[0] == "empty"
    assert classify_failure(200, {}, ARTICLE, 100_000, body_len=50_000) is None


def test_long_article_mentioning_maintenance_passes():
    assert classify_failure(200, {}, ARTICLE, None) is None


def test_not_modified_is_not_a_failure():
    assert classify_failure(304, {}, "", 12_000) is None


@pytest.mark.parametrize("name", sorted(pages()) + ["shanghai_wsjkw_yqtb_list.html"])
def test_real_pages_pass_the_gate(name):
    text, _ = decode_body(raw(name), "text/html")
    assert classify_failure(200, {}, text, None) is None
