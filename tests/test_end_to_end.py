"""The whole path through the real CLI: a local portal in two states, two cycles, export and notifications."""
from __future__ import annotations

from policywatch.demo.site import COLUMN, site

from .conftest import export, run_cli, write_config


def _setup(tmp_path, portal_server, webhook, db=None, **sub):
    server = portal_server(site(1))
    config = write_config(
        tmp_path / "policywatch.toml", db=db or tmp_path / "pw.db",
        portals=[{"name": "sample", "start_urls": [f"{server.base}{COLUMN}index.html"], "delay": 0, "max_pages": 3}],
        subscriptions=[{"name": "ops", "urls": [webhook.url("hook")], **sub}],
    )
    return server, config


def _changes(data, *, baseline=False):
    return [c for c in data["changes"] if c["baseline"] is baseline]


def test_two_cycles_store_versions_diff_and_notify_once_per_change(tmp_path, portal_server, webhook, database_url):
    server, config = _setup(tmp_path, portal_server, webhook, db=database_url)  # on SQLite and on PostgreSQL

    first = run_cli("--config", str(config), "run")
    assert first.returncode == 0, first.stderr
    data = export(config)
    titles = {d["title"] for d in data["documents"]}
    assert "郑州市推进工业结构调整打赢污染防治攻坚战工作方案" in titles
    assert len(data["documents"]) == 3  # both list pages were followed
    assert all(len(d["versions"]) == 1 for d in data["documents"])
    assert {c["kind"] for c in data["changes"]} == {"new"}
    # the first cycle of a new portal is a baseline: one summary message, not one per document
    assert len(webhook.messages) == 1
    assert "基线" in webhook.messages[0]["title"] + webhook.messages[0]["message"]

    server.set_pages(site(2))
    second = run_cli("--config", str(config), "run", "--force")
    assert second.returncode == 0, second.stderr
    data = export(config)
    fresh = _changes(data)
    by_kind = {c["kind"]: c for c in fresh}
    assert sorted(c["kind"] for c in fresh) == ["new", "revised"], fresh  # the counter-only pages did not change
    revised = by_kind["revised"]
    assert revised["from_seq"] == 1 and revised["to_seq"] == 2
    ops = revised["paragraphs"]
    assert {"replace", "insert"} <= {o["op"] for o in ops}
    target_op = next(o for o in ops if o["op"] == "replace" and "23%" in (o["old"] or ""))
    assert ["delete", "23%"] in target_op["spans"] and ["insert", "20%"] in target_op["spans"]
    kinds = {t["change"] for t in revised["targets"]}
    assert "value_changed" in kinds and "deadline_changed" in kinds
    zz = next(d for d in data["documents"] if d["url"] == revised["document_url"])
    assert len(zz["versions"]) == 2
    # one message per change, each naming the document and linking it
    new_messages = webhook.messages[1:]
    assert len(new_messages) == 2
    revised_msg = next(m for m in new_messages if "郑州市推进工业结构调整" in m["title"])
    assert "23%" in revised_msg["message"] and "20%" in revised_msg["message"]
    assert revised["document_url"] in revised_msg["message"]
    assert all(d["status"] == "sent" and d["attempts"] == 1 for d in data["deliveries"])
    shown = run_cli("--config", str(config), "show", str(revised["id"]), "--color", "never")
    assert shown.returncode == 0 and "[-23%-]{+20%+}" in shown.stdout and "目标变更" in shown.stdout

    # a third cycle with nothing changed: no change, no message, and unchanged documents answered 304
    before = len(server.requests)
    third = run_cli("--config", str(config), "run", "--force")
    assert third.returncode == 0, third.stderr
    assert len(_changes(export(config))) == 2
    assert len(webhook.messages) == 3
    doc_requests = [r for r in server.requests[before:] if "/t20" in r[1]]
    assert doc_requests and all(status == 304 for _m, _p, status in doc_requests)


def test_unreachable_portal_fails_with_one_line_and_others_still_run(tmp_path, portal_server, webhook):
    server = portal_server(site(1))
    config = write_config(
        tmp_path / "policywatch.toml", db=tmp_path / "pw.db",
        portals=[
            {"name": "down", "start_urls": ["http://127.0.0.1:9/zcwj/index.html"], "delay": 0},
            {"name": "up", "start_urls": [f"{server.base}{COLUMN}index.html"], "delay": 0},
        ],
    )
    proc = run_cli("--config", str(config), "run")
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if "error" in line.lower()]
    assert any("down" in line and "127.0.0.1:9" in line for line in errors), proc.stderr
    data = export(config)
    assert {d["portal"] for d in data["documents"]} == {"up"}
    health = {p["name"]: p for p in data["portals"]}
    assert health["down"]["failures_in_row"] == 1 and health["up"]["failures_in_row"] == 0


def test_error_pages_never_become_versions(tmp_path, portal_server, webhook):
    server, config = _setup(tmp_path, portal_server, webhook)
    assert run_cli("--config", str(config), "run").returncode == 0
    doc_path = f"{COLUMN}202106/t20210619_1001.html"
    server.overrides[doc_path] = (500, "<html><body>服务器错误</body></html>".encode(), {})
    other = f"{COLUMN}202112/t20211202_1002.html"
    server.overrides[other] = (200, b"", {})
    proc = run_cli("--config", str(config), "run", "--force")
    assert proc.returncode == 1
    assert doc_path in proc.stderr and "500" in proc.stderr
    assert other in proc.stderr
    data = export(config)
    assert all(len(d["versions"]) == 1 for d in data["documents"])
    assert _changes(data) == []
    assert len(webhook.messages) == 1  # only the baseline summary


def test_bad_config_key_is_named_and_exits_2(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[[portals]]\nname = "x"\nstart_urls = ["http://127.0.0.1/"]\nlink_selectr = "a"\n', encoding="utf-8")
    proc = run_cli("--config", str(cfg), "check-config")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"policywatch: error: {cfg}: portals[0].link_selectr: unknown key"]
