"""Message building: golden outputs, titles, channel formats and limits, truncation."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import pytest
from notify_samples import DOC_URL, PORTAL, REVIEW, SAMPLES, TITLE, URLS, event, target_event

from notifier.channels import channel_for
from notifier.events import ParagraphChange
from notifier.message import build_message, channel_format, message_size

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("POLICYWATCH_UPDATE_GOLDEN") == "1"


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with POLICYWATCH_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["markdown", "html", "text"])
@pytest.mark.parametrize("name", list(SAMPLES))
def test_golden_single(name, fmt):
    message = build_message([SAMPLES[name]], url=URLS[fmt])
    assert message.format == fmt
    _golden(f"{name}.{fmt}.txt", f"{message.title}\n---\n{message.body}\n")


@pytest.mark.parametrize("fmt", ["markdown", "html", "text"])
def test_golden_digest(fmt):
    events = [SAMPLES[n] for n in ("target", "new", "withdrawn", "error")]
    message = build_message(events, url=URLS[fmt])
    _golden(f"digest.{fmt}.txt", f"{message.title}\n---\n{message.body}\n")


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("target", f"【目标变更】{TITLE}"),
        ("deadline", f"【期限变更】{TITLE}"),
        ("new", f"【新文件】{TITLE}"),
        ("revised", f"【修订】{TITLE}"),
        ("formatting", f"【格式变化】{TITLE}"),
        ("reverted", f"【恢复旧版】{TITLE}"),
        ("withdrawn", f"【撤回】{TITLE}"),
        ("error", f"【抓取失败】{PORTAL}"),
        ("baseline", f"【基线】{PORTAL}"),
    ],
)
def test_titles(name, title):
    assert build_message([SAMPLES[name]], url=URLS["text"]).title == title


def test_target_change_body_order_and_marks():
    for fmt, deleted, inserted in (
        ("markdown", "~~23%~~", "**20%**"),
        ("html", "<del>23%</del>", "<ins>20%</ins>"),
        ("text", "[-23%-]", "{+20%+}"),
    ):
        body = build_message([SAMPLES["target"]], url=URLS[fmt]).body
        positions = [
            body.index(PORTAL),
            body.index(TITLE),
            body.index(REVIEW),
            body.index("目标变更：单位工业增加值能耗下降"),
            body.index(f"下降{deleted}{inserted}以上"),
            body.index("开展绿色交通建设试点"),
        ]
        assert positions == sorted(positions), fmt
        assert "北京" not in body and "2024-05-06 09:30" in body  # shown in Beijing time


def test_digest_title_and_sections():
    events = [SAMPLES["target"], SAMPLES["new"], SAMPLES["error"]]
    message = build_message(events, url=URLS["text"])
    assert message.title == "policywatch 摘要：3 项变更"
    body = message.body
    assert body.index("1.【目标变更】") < body.index("2.【新文件】") < body.index("3.【抓取失败】")
    assert body.count(REVIEW) == 2  # error event has no review page


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("dingtalk://0123456789abcdef/", ("markdown", 19000)),
        ("dingtalk://sec@0123456789abcdef/13800000000", ("markdown", 19000)),
        ("wecombot://693a91f6-7aaa-4bc4-97a0-0ec2f1fa5aaa", ("text", 2048)),
        ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", ("text", 2048)),
        ("feishu://2c5a4f1e", ("text", 19000)),
        ("lark://2c5a4f1e", ("text", 19000)),
        ("wechat://corp:secret@1000002/@all", ("text", 2048)),
        ("mailto://u:p@qq.com", ("html", 64000)),
        ("mailtos://u:p@smtp.exmail.qq.com?to=a@b.cn", ("html", 64000)),
        ("json://127.0.0.1:9/x", ("text", 16000)),
        ("form://127.0.0.1:9/x", ("text", 16000)),
        ("xmls://example.com/x", ("text", 16000)),
        ("json://127.0.0.1:9/x?format=markdown", ("markdown", 16000)),
        ("discord://webhook_id/webhook_token", ("text", 2000)),  # Apprise's body_maxlen
        ("nosuch://x", ("text", 16000)),
    ],
)
def test_channel_format(url, expected):
    assert channel_format(url) == expected


def _huge_event(n: int = 150):
    paragraphs = []
    for i in range(n):
        old = f"第{i}条　" + "各地区要严格落实能耗双控目标责任，" * 6 + f"单位能耗下降{i % 30}%以上。"
        new = old.replace(f"下降{i % 30}%", f"下降{(i % 30) + 1}%")
        cut = old.index("下降") + 2
        paragraphs.append(
            ParagraphChange(
                "replace",
                old,
                new,
                (
                    ("equal", old[:cut]),
                    ("delete", f"{i % 30}"),
                    ("insert", f"{(i % 30) + 1}"),
                    ("equal", "%以上。"),
                ),
            )
        )
        paragraphs.append(ParagraphChange("insert", None, "新增：" + "推动绿色低碳转型🌱，" * 20))
    headlines = tuple(f"目标变更：指标{i} 下降 {i}% → {i + 1}%（2025年底）" for i in range(12))
    return target_event(
        title="关于印发《" + "“十四五”节能减排综合工作方案" * 8 + "》的通知",
        headlines=headlines,
        paragraphs=tuple(paragraphs),
    )


LIMITED_URLS = [
    "dingtalk://0123456789abcdef/",
    "wecombot://693a91f6-7aaa-4bc4-97a0-0ec2f1fa5aaa",
    "wechat://corp:secret@1000002/@all",
    "feishu://2c5a4f1e",
    "lark://2c5a4f1e",
    "mailtos://u:p@smtp.exmail.qq.com",
    "json://127.0.0.1:9/x",
    "discord://webhook_id/webhook_token",
]


def _balanced(body: str, fmt: str) -> bool:
    if fmt == "markdown":
        return body.count("**") % 2 == 0 and body.count("~~") % 2 == 0
    if fmt == "html":
        return all(body.count(f"<{t}>") == body.count(f"</{t}>") for t in ("b", "ins", "del")) and (
            body.count("<a ") == body.count("</a>")
        )
    return body.count("{+") == body.count("+}") and body.count("[-") == body.count("-]")


@pytest.mark.parametrize("url", LIMITED_URLS)
def test_truncation_fits_and_keeps_review_link(url):
    fmt, limit = channel_format(url)
    big = _huge_event()
    message = build_message([big], url=url)
    assert message_size(message, url) <= limit
    assert len(message.title.encode()) + 2 + len(message.body.encode()) <= limit
    assert REVIEW in message.body
    assert _balanced(message.body, fmt)
    shown_paragraphs = len(re.findall(r"^\d+\. 【", message.body.replace("<br>", ""), re.M))
    shown_headlines = message.body.count("目标变更：指标")
    left_out = 2 * 150 + 12 - shown_paragraphs - shown_headlines
    assert left_out > 0
    assert f"另有 {left_out} 处修改未显示，详见：" in message.body
    tail = message.body[message.body.index(f"另有 {left_out} 处") :]
    assert REVIEW in tail  # the note itself links to the review page


@pytest.mark.parametrize("url", LIMITED_URLS)
def test_digest_truncation_fits_and_keeps_links(url):
    fmt, limit = channel_format(url)
    events = [_huge_event(20) for _ in range(3)] + [
        target_event(review_url=f"https://pw.example.org/changes/{i}") for i in range(60)
    ]
    message = build_message(events, url=url)
    assert message_size(message, url) <= limit
    assert _balanced(message.body, fmt)
    assert message.title == "policywatch 摘要：63 项变更"
    shown = re.findall(r"(\d+)\.【", message.body)
    assert shown and shown[0] == "1"
    if len(shown) < 63:
        assert f"另有 {63 - len(shown)} 项变更未显示" in message.body
    for index in map(int, shown):
        review = REVIEW if index <= 3 else f"https://pw.example.org/changes/{index - 4}"
        assert review in message.body  # every event shown keeps its review link


def test_small_channel_prefers_headlines_over_paragraphs():
    message = build_message([_huge_event()], url="wecombot://k")
    assert "目标变更：指标0" in message.body
    assert message.body.index("目标变更：指标") < message.body.index("1. 【修改】")


def test_long_paragraphs_are_excerpted_around_the_change():
    body = build_message([_huge_event(1)], url="json://127.0.0.1:9/x").body
    line = next(x for x in body.splitlines() if x.startswith("1. 【修改】"))
    assert "[-0-]{+1+}%以上。" in line
    assert line.startswith("1. 【修改】…")  # leading unchanged text elided
    assert len(line) < 80


def test_missing_review_link_falls_back_to_original():
    message = build_message([_huge_event()], url="wecombot://k")
    assert REVIEW in message.body
    no_review = build_message([replace(_huge_event(), review_url=None)], url="wecombot://k")
    assert REVIEW not in no_review.body
    assert re.search(r"另有 \d+ 处修改未显示，详见：" + re.escape(DOC_URL), no_review.body)


def test_tiny_message_keeps_links_even_with_huge_title():
    big = event("new", title="通知" * 3000)
    for url in LIMITED_URLS:
        message = build_message([big], url=url)
        assert message_size(message, url) <= channel_format(url)[1]
        assert REVIEW in message.body and DOC_URL in message.body


def test_escaped_channels_count_json_escapes():
    channel = channel_for("dingtalk://x/")
    assert channel.size("能耗") == len('\\u80fd\\u8017')
    assert channel_for("wecombot://x").size("能耗") == 6


def test_build_message_needs_events():
    with pytest.raises(ValueError):
        build_message([], url=URLS["text"])
