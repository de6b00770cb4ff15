"""mask_url / scrub: secrets hidden, channels still distinguishable."""

from __future__ import annotations

import logging

import pytest

from notifier.redaction import hidden_in_logs, mask_url, scrub, url_secrets


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("dingtalk://0f1e2d3c4b5a69788796a5b4c3d2e1f0/", "dingtalk://****/"),
        ("dingtalk://SECb1c2d3e4f5@0f1e2d3c4b5a6978/", "dingtalk://****@****/"),
        ("dingtalk://0f1e2d3c4b5a6978/13800138000", "dingtalk://****/****"),
        ("wecombot://693a91f6-7aaa-4bc4-97a0-0ec2f1fa5aaa", "wecombot://****"),
        ("wechat://wwcorp:corpSecret@1000002/@all", "wechat://****:****@****/****"),
        ("feishu://2c5a4f1e-0000-4000-8000-000000000000", "feishu://****"),
        ("lark://2c5a4f1e00004000", "lark://****"),
        ("pushplus://abcdefghijklmnopqrstuvwxyz012345", "pushplus://****"),
        ("schan://SCT123456TabcdefGHIJ", "schan://****"),
        ("tgram://123456789:AAbbCCdd/-1001234567", "tgram://****/****"),
        ("json://user:pass@127.0.0.1:9000/hook", "json://user:****@127.0.0.1:9000/hook"),
        ("jsons://hooks.example.com/api/a1b2c3d4e5f6a7b8c9d0", "jsons://hooks.example.com/api/****"),
        ("json://myserver:8080/hook?+Authorization=Bearer%20xyz&format=markdown",
         "json://myserver:8080/hook?+Authorization=****&format=markdown"),
        ("form://localhost/hook?token=abc123", "form://localhost/hook?token=****"),
        ("mailtos://alerts:p%40ss@smtp.qq.com?to=ops@example.com", "mailtos://alerts:****@smtp.qq.com?to=ops@example.com"),
        ("https://oapi.dingtalk.com/robot/send?access_token=0f1e2d3c4b5a", "https://oapi.dingtalk.com/robot/send?access_token=****"),
        ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7aaa", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=****"),
        ("https://open.feishu.cn/open-apis/bot/v2/hook/2c5a4f1e-0000-4000-8000-000000000000",
         "https://open.feishu.cn/open-apis/bot/v2/hook/****"),
        ("ntfy://ntfy.sh/policy-alerts?rto=5", "ntfy://ntfy.sh/policy-alerts?rto=5"),
        ("not a url with secret", "****"),
    ],
)
def test_mask_url(url, masked):
    assert mask_url(url) == masked


def test_url_secrets_cover_raw_and_decoded_forms():
    secrets = url_secrets("mailtos://alerts:p%40ssword@smtp.qq.com")
    assert {"p%40ssword", "p@ssword"} <= secrets
    assert "smtp.qq.com" not in secrets and "alerts" not in secrets


def test_scrub_masks_known_secrets_and_credential_pairs():
    text = "POST https://oapi.dingtalk.com/robot/send?access_token=abc123&sign=zzz9 via json://u:hunter22@h/"
    clean = scrub(text, {"abc123"})
    assert "abc123" not in clean and "zzz9" not in clean and "hunter22" not in clean
    assert "oapi.dingtalk.com/robot/send" in clean


def test_logs_are_scrubbed_while_a_secret_is_active(caplog):
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("apprise")
    with hidden_in_logs({"TopSecretValue"}):
        log.debug("Loaded %s for %s", "wecombot://TopSecretValue", "x")
    log.debug("later: TopSecretValue")  # no longer active: plain text again
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == "Loaded wecombot://**** for x"
    assert messages[1] == "later: TopSecretValue"
