"""Change kinds through the real CLI: a reflowed page is `formatting` (stored, not alerted), a flip back to an
earlier text is `reverted` ("回到第N版"), not a fresh revision."""
from __future__ import annotations

from ..conftest import export, run_cli, write_config

LIST = "/zcwj/index.html"
DOC = "/zcwj/202101/t20210101_1.html"
TEXT = ["一、到2025年，单位地区生产总值能耗比2020年下降13.5%。", "二、各地于2025年6月底前完成中期评估。"]


def _site(paragraphs: list[str]) -> dict[str, bytes]:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return {
        LIST: f"<html><body><ul><li><a href='{DOC}' title='节能降碳行动方案'>节能降碳行动方案</a></li></ul></body></html>".encode(),
        DOC: f"<html><head><meta charset='utf-8'><title>节能降碳行动方案</title></head><body><h1>节能降碳行动方案</h1>"
             f"<div class='TRS_Editor'>{body}</div></body></html>".encode(),
    }


def test_formatting_then_revision_then_revert(tmp_path, portal_server, webhook, database_url):
    server = portal_server(_site(TEXT))
    config = write_config(tmp_path / "pw.toml", db=database_url,
                          portals=[{"name": "p", "start_urls": [server.base + LIST], "delay": 0}],
                          subscriptions=[{"name": "s", "urls": [webhook.url("s")]}])
    assert run_cli("--config", str(config), "run").returncode == 0
    baseline_messages = len(webhook.messages)

    # full-width digits and spaces inside the Chinese text, Traditional characters: the same words
    reflowed = ["一、到 ２０２５ 年，單位地區生產總值能耗比2020年下降13.5%。", "二、各地于2025年6月底前完成中期评估。"]
    server.set_pages(_site(reflowed))
    assert run_cli("--config", str(config), "run", "--force").returncode == 0
    server.set_pages(_site([TEXT[0].replace("13.5%", "14%"), TEXT[1]]))
    assert run_cli("--config", str(config), "run", "--force").returncode == 0
    server.set_pages(_site(TEXT))
    assert run_cli("--config", str(config), "run", "--force").returncode == 0

    data = export(config)
    kinds = [(c["kind"], c["from_seq"], c["to_seq"]) for c in data["changes"] if not c["baseline"]]
    assert kinds == [("formatting", 1, 2), ("revised", 2, 3), ("reverted", 3, 4)]
    reverted = data["changes"][-1]
    assert "回到第" in reverted["summary"]
    assert len(data["documents"][0]["versions"]) == 4  # every distinct state is kept
    titles = [m["title"] for m in webhook.messages[baseline_messages:]]
    assert len(titles) == 2 and not any("格式" in t for t in titles)  # formatting is not alerted by default
    assert "目标变更" in titles[0] and "恢复旧版" in titles[1]
