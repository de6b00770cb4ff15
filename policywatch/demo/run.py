"""`policywatch demo`: everything offline on 127.0.0.1 — a sample portal, two polling cycles into a fresh SQLite
file, and the notification as a local webhook received it."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from .server import PortalServer, WebhookRecorder
from .site import COLUMN, site

RULE = "─" * 72


def _say(text: str = "") -> None:
    print(text, flush=True)


def _cycle(config: Path, *extra: str) -> int:
    cmd = [sys.executable, "-m", "policywatch", "--config", str(config), "run", *extra]
    return subprocess.run(cmd, check=False).returncode


def _export(config: Path) -> dict:
    out = subprocess.run([sys.executable, "-m", "policywatch", "--config", str(config), "export"],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def _show_message(msg: dict) -> None:
    _say(f"  标题：{msg.get('title', '')}")
    for line in str(msg.get("message", "")).splitlines():
        _say("  │ " + line)


def _command() -> str:
    """How the user can call policywatch from their shell: the bare name when it is on PATH, else its full path."""
    script = Path(sys.prefix) / "bin" / "policywatch"
    found = shutil.which("policywatch")
    if found and Path(found).resolve() == script.resolve():
        return "policywatch"
    return str(script) if script.exists() else f"{sys.executable} -m policywatch"


def run_demo(workdir: Path | None = None) -> int:
    started = time.monotonic()
    workdir = workdir or Path(tempfile.mkdtemp(prefix="policywatch-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "policywatch.db"
    for stale in workdir.glob("policywatch.db*"):
        stale.unlink()
    config = workdir / "policywatch.toml"
    with PortalServer(site(1)) as portal, WebhookRecorder() as hook:
        config.write_text(textwrap.dedent(f"""\
            # Written by `policywatch demo`. Point start_urls at a real portal to watch it (see README).
            database_url = "sqlite:///{db}"
            base_url = "http://127.0.0.1:8080"

            [[portals]]
            name = "demo-zcwj"
            start_urls = ["{portal.base}{COLUMN}index.html"]
            family = "trs"
            body_selector = "div.TRS_Editor"
            interval = "1h"
            max_pages = 3
            delay = 0
            obey_robots = true

            [[subscriptions]]
            name = "demo"
            urls = ["{hook.url('hook')}"]
            """), encoding="utf-8")
        _say(RULE)
        _say("policywatch demo — 全部在本机离线运行")
        _say(f"示例门户：{portal.base}{COLUMN}index.html   通知端点：{hook.url('hook')}")
        _say(RULE)
        _say("第 1 轮：首次抓取，建立基线……")
        rc1 = _cycle(config)
        data = _export(config)
        _say(f"  收录 {len(data['documents'])} 份文件：")
        for d in data["documents"]:
            _say(f"  · {d['title']}（{len(d['versions'][-1]['paragraphs'])} 段）")
        for msg in hook.messages:
            _say("  基线通知：")
            _show_message(msg)
        seen = len(hook.messages)
        _say(RULE)
        _say("门户更新：郑州方案中“下降23%”改为“下降20%”、一个期限改为“2021年6月底前”并新增一段；")
        _say("列表新增一份通知；所有页面的浏览次数都变了（不应报警）。")
        portal.set_pages(site(2))
        _say("第 2 轮：policywatch run --force ……")
        rc2 = _cycle(config, "--force")
        data = _export(config)
        fresh = [c for c in data["changes"] if not c["baseline"]]
        _say(f"  发现 {len(fresh)} 项变更：")
        for c in fresh:
            title = next((d["title"] for d in data["documents"] if d["url"] == c["document_url"]), c["document_url"])
            _say(f"  · [{c['kind']}] {title}")
            for line in (c.get("summary") or "").splitlines():
                _say(f"      {line}")
        _say(RULE)
        _say(f"通知端点收到 {len(hook.messages) - seen} 条新消息：")
        for msg in hook.messages[seen:]:
            _show_message(msg)
            _say()
    _say(RULE)
    exe = _command()
    _say(f"数据库：{db}")
    _say(f"配置：  {config}")
    _say(f"导出：  {exe} --config {config} export")
    _say(f"审阅：  {exe} --config {config} serve   然后打开 http://127.0.0.1:8080/")
    _say("监控真实门户：复制该配置，把 start_urls 换成门户的政策文件栏目地址，把 urls 换成你的 Apprise 地址")
    _say("（如 dingtalk://密钥@令牌、wecombot://key、feishu://token、mailto://…），再从 cron 运行 policywatch run。")
    _say(f"用时 {time.monotonic() - started:.1f} 秒")
    ok = rc1 == 0 and rc2 == 0 and len(fresh) >= 2 and len(hook.messages) > seen
    if not ok:
        print("policywatch: error: the demo did not produce the expected changes (see messages above)", file=sys.stderr)
    return 0 if ok else 1
