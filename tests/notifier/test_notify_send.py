"""Delivery through real Apprise to a real HTTP endpoint on 127.0.0.1."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone

import pytest

from notifier.events import Event, ParagraphChange
from notifier.message import Message, build_message
from notifier.send import NotifyError, SendResult, send, validate_url

CHINESE = Message(
    title="【目标变更】关于印发《节能减排综合工作方案》的通知",
    body="目标变更：能耗下降 23% → 20%（2020年底）\n1. 【修改】…下降[-23%-]{+20%+}以上…",
    format="text",
)


def test_chinese_message_arrives_intact(hook):
    result = send(hook.url(), CHINESE, timeout=5)
    assert result == SendResult(True, None)
    assert len(hook.requests) == 1
    payload = hook.requests[0].json()
    assert payload["title"] == CHINESE.title
    assert payload["message"] == CHINESE.body


def test_built_message_round_trips(hook):
    event = Event(
        kind="revised",
        portal="国家发展改革委",
        title="关于完善能源消费强度和总量双控制度的方案",
        url="https://www.ndrc.gov.cn/xxgk/zcfb/tz/202109/t20210916_1297021.html",
        review_url="https://pw.example.org/changes/7",
        detected_at=datetime(2024, 3, 1, 2, 30, tzinfo=timezone.utc),
        tags=frozenset({"revised", "deadline_changed"}),
        headlines=("期限变更：2025年底前 → 2030年底前",),
        paragraphs=(
            ParagraphChange(
                "replace",
                "2025年底前完成。",
                "2030年底前完成。",
                (("delete", "2025"), ("insert", "2030"), ("equal", "年底前完成。")),
            ),
        ),
    )
    url = hook.url()
    message = build_message([event], url=url)
    assert send(url, message, timeout=5).ok
    payload = hook.requests[0].json()
    assert payload["title"] == "【期限变更】关于完善能源消费强度和总量双控制度的方案"
    assert "https://pw.example.org/changes/7" in payload["message"]
    assert "[-2025-]{+2030+}年底前完成。" in payload["message"]


def test_http_500_is_a_failure_with_reason_and_recovers(hook):
    hook.fail_next = 1
    url = hook.url("/hook")
    failed = send(url, CHINESE, timeout=5)
    assert failed.ok is False
    assert failed.error == f"HTTP 500 from json://127.0.0.1:{hook.port}/hook"
    assert send(url, CHINESE, timeout=5).ok  # the endpoint answers again
    assert len(hook.requests) == 2


def test_retry_option_in_url_is_honoured(hook):
    hook.fail_next = 1
    result = send(hook.url("/hook?retry=1&wait=0"), CHINESE, timeout=5)
    assert result.ok, result.error
    assert len(hook.requests) == 2


def test_hanging_endpoint_fails_within_the_timeout(hook):
    hook.hang = True
    started = time.monotonic()
    result = send(hook.url(), CHINESE, timeout=1.0)
    elapsed = time.monotonic() - started
    assert result.ok is False
    assert result.error.startswith("timeout")
    assert f"127.0.0.1:{hook.port}" in result.error
    assert elapsed < 3.0
    assert len(hook.requests) == 1  # it did reach the endpoint


def test_dead_port_fails_with_reason(dead_port):
    result = send(f"json://127.0.0.1:{dead_port}/hook", CHINESE, timeout=2)
    assert result == SendResult(False, f"connection refused by json://127.0.0.1:{dead_port}/hook")


@pytest.mark.parametrize("url", ["nosuchscheme://token", "dingtalk://", "not a url", ""])
def test_unusable_url_is_reported_not_raised(url):
    result = send(url, CHINESE, timeout=1)
    assert result.ok is False
    assert result.error.startswith("invalid Apprise URL")
    assert "\n" not in result.error
    assert validate_url(url) is not None


def test_validate_url_accepts_real_schemes(hook):
    for url in (
        hook.url(),
        "dingtalk://0123456789abcdef0123456789abcdef/",
        "wecombot://693a91f6-7aaa-4bc4-97a0-0ec2f1fa5aaa",
        "feishu://2c5a4f1e-0000-4000-8000-000000000000",
        "mailtos://alerts:pw@smtp.qq.com?to=ops@example.com",
    ):
        assert validate_url(url) is None, url


def test_validate_url_masks_the_secret():
    # PushPlus tokens must be 32+ characters; this one is refused, and must not leak.
    reason = validate_url("pushplus://tooShortSecret77")
    assert reason is not None and reason.startswith("invalid Apprise URL pushplus://****")
    assert "tooShortSecret77" not in reason


def test_secrets_never_reach_error_or_logs(hook, caplog):
    hook.fail_next = 1
    secret_pw, secret_header, secret_path = "Pw-9f8e7d6c", "TOKEN5555aaaabbbb", "a1b2c3d4e5f60718293a4b5c"
    url = hook.url(f"/hook/{secret_path}?+X-Api-Key={secret_header}", userinfo=f"bot:{secret_pw}")
    caplog.set_level(logging.DEBUG)
    result = send(url, CHINESE, timeout=5)
    assert result.ok is False and result.error.startswith("HTTP 500 from json://bot:****@127.0.0.1")
    # The endpoint did receive the real credentials …
    assert hook.requests[0].headers.get("X-Api-Key") == secret_header
    # … but nothing we report or log shows them.
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "JSON" in logged  # Apprise's debug log was captured
    for secret in (secret_pw, secret_header, secret_path):
        assert secret not in result.error
        assert secret not in logged


def test_dingtalk_token_hidden_when_delivery_fails(hook, caplog, monkeypatch):
    # Route Apprise's HTTPS request to our local server acting as a proxy that
    # refuses the tunnel: real DingTalk plugin, no traffic leaves 127.0.0.1.
    proxy = f"http://127.0.0.1:{hook.port}"
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, proxy)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    token, secret = "7d1f0c2b9a8e6d5c4b3a29180f7e6d5c4b3a2918", "SECabcdef0123456789"
    caplog.set_level(logging.DEBUG)
    message = Message("【修订】测试", "正文", "markdown")
    result = send(f"dingtalk://{secret}@{token}/", message, timeout=3)
    assert result.ok is False
    assert result.error == "proxy refused the connection to dingtalk://****@****/"
    assert hook.requests and hook.requests[0].method == "CONNECT"
    assert hook.requests[0].path.startswith("oapi.dingtalk.com")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "oapi.dingtalk.com" in logged  # the request was logged …
    assert token not in logged and secret not in logged  # … without the token
    assert token not in result.error and secret not in result.error


def test_caller_mistakes_raise_notify_error_without_secrets():
    with pytest.raises(NotifyError):
        send("json://u:hunter2@127.0.0.1:9/x", CHINESE, timeout=0)
    bad = Message.__new__(Message)
    object.__setattr__(bad, "title", "t")
    object.__setattr__(bad, "body", "b")
    object.__setattr__(bad, "format", "rtf")
    with pytest.raises(NotifyError) as info:
        send("json://u:hunter2@127.0.0.1:9/x", bad)
    assert "hunter2" not in str(info.value)
