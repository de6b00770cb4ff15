"""Scraped text cannot inject markup or links; cuts never split a character."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st
from notify_samples import REVIEW, URLS, event, target_event

from notifier.events import ParagraphChange
from notifier.markup import head, safe_link, tail
from notifier.message import build_message

HOSTILE_TITLE = "关于<script>alert(1)</script>的通知 **加粗** [点我](javascript:alert(1)) ~~删~~ <img src=x onerror=alert(2)>"
HOSTILE_PARA = ParagraphChange(
    "replace",
    "旧文本<b>x</b>",
    "新文本](javascript:alert(3))",
    (
        ("equal", "前文[链接](http://evil.example/) "),
        ("delete", "<iframe src=//evil>~~"),
        ("insert", "**](javascript:alert(3))"),
        ("equal", " `code` # 标题 | 表格 & 实体 &lt;"),
    ),
)


def _hostile():
    return target_event(
        title=HOSTILE_TITLE,
        portal="门户<b>名</b>",
        headlines=("目标变更：<svg onload=alert(4)> 23% → 20%",),
        paragraphs=(HOSTILE_PARA, ParagraphChange("insert", None, "[x](javascript:alert(5))")),
    )


def test_markdown_neutralises_scraped_text():
    message = build_message([_hostile()], url=URLS["markdown"])
    for text in (message.title, message.body):
        assert "<" not in text and ">" not in text  # no raw HTML at all
        assert "](javascript" not in text
        assert "](http://evil" not in text
    links = re.findall(r"\[([^\[\]]*)\]\(([^()\s]*)\)", message.body)
    assert links == [("审阅页面", REVIEW), ("原文", event("new").url)]
    # Only our own emphasis markers remain, balanced: the change is still visible.
    assert message.body.count("**") % 2 == 0 and message.body.count("~~") % 2 == 0
    assert "~~＜iframe src=//evil＞～～~~" in message.body
    assert "**＊＊］(javascript:alert(3))**" in message.body
    assert "＊＊加粗＊＊" in message.title


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_html_escapes_scraped_text():
    message = build_message([_hostile()], url=URLS["html"])
    parser = _Tags()
    parser.feed(message.body)
    assert {tag for tag, _ in parser.tags} <= {"b", "br", "a", "ins", "del"}
    hrefs = [attrs["href"] for tag, attrs in parser.tags if tag == "a"]
    assert hrefs == [REVIEW, event("new").url]
    assert all(set(attrs) <= {"href"} for _, attrs in parser.tags)
    assert "&lt;script&gt;" in message.body and "&amp;lt;" in message.body
    assert "<del>&lt;iframe src=//evil&gt;~~</del>" in message.body


def test_non_http_urls_are_never_linked():
    hostile = event("new", url="javascript:alert(1)", review_url="data:text/html,<script>")
    md = build_message([hostile], url=URLS["markdown"]).body
    assert "](javascript" not in md and "](data" not in md
    html_body = build_message([hostile], url=URLS["html"]).body
    assert "href" not in html_body
    assert safe_link("JavaScript:alert(1)") is None
    assert safe_link("https://例子.cn/路径 (1)") == "https://%E4%BE%8B%E5%AD%90.cn/%E8%B7%AF%E5%BE%84%20%281%29"


def test_control_characters_and_newlines_cannot_break_lines():
    sneaky = event("new", title="标题\n\n**来源**：伪造\r\n[审阅页面](http://evil/)\x00\u202e")
    text_body = build_message([sneaky], url=URLS["text"]).body
    assert text_body.splitlines()[1].startswith("文件：标题 ")  # one line, no forged fields
    assert "\x00" not in text_body and "\u202e" not in text_body
    md = build_message([sneaky], url=URLS["markdown"])
    assert "\n" not in md.title


GRAPHEMEY = st.lists(
    st.sampled_from(
        ["能", "耗", "a", "e\u0301", "👨\u200d👩\u200d👧", "👍🏽", "❤\ufe0f", "\u0915\u094d\u0937", " "]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(GRAPHEMEY, st.integers(min_value=0, max_value=45))
def test_cuts_never_split_a_grapheme(text, n):
    for cut, keep in ((head(text, n), "head"), (tail(text, n), "tail")):
        if cut == text:
            continue
        assert "…" in cut
        kept = cut[:-1].rstrip() if keep == "head" else cut[1:].lstrip()
        assert (text.startswith(kept) if keep == "head" else text.endswith(kept))
        if kept:
            edge = kept[-1] if keep == "head" else kept[0]
            assert edge != "\u200d"
            if keep == "tail":
                assert not ("\u0300" <= edge <= "\u036f") and edge not in "\ufe0f\U0001f3fd"
            else:
                nxt = text[len(kept)] if len(kept) < len(text) else ""
                assert not ("\u0300" <= nxt <= "\u036f") and nxt not in "\ufe0f\U0001f3fd\u200d"
