"""A document's life through the real CLI, on SQLite and PostgreSQL: attachments that change, documents that
disappear, a request budget."""
from __future__ import annotations

from ..conftest import export, run_cli, write_config
from ..spiders.files import make_pdf

LIST = "/zcwj/index.html"


def _page(title: str, body: str, extra: str = "") -> bytes:
    return (f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><h1>{title}</h1>"
            f"<div class='TRS_Editor'>{body}</div>{extra}</body></html>").encode()


def _list(*items: tuple[str, str]) -> bytes:
    lis = "".join(f"<li><a href='{href}' title='{t}'>{t}</a></li>" for href, t in items)
    return f"<html><body><ul class='list'>{lis}</ul></body></html>".encode()


DOC_A = ("/zcwj/202101/t20210101_1.html", "关于印发节能降碳行动方案的通知")
DOC_B = ("/zcwj/202101/t20210102_2.html", "关于开展清洁生产审核的通知")
BODY_A = "<p>一、到2025年，单位地区生产总值能耗比2020年下降13.5%。</p><p>二、各地于2025年6月底前完成评估。</p>"
BODY_B = "<p>各县(市、区)于2021年9月底前完成清洁生产审核，审核企业不少于60家。</p>"


def _site(pdf_lines: list[str], with_b: bool = True) -> dict[str, bytes]:
    link = "<div class='fj'><a href='/zcwj/202101/P020210101_1.pdf'>附件1：重点任务清单.pdf</a></div>"
    pages = {LIST: _list(DOC_A, DOC_B) if with_b else _list(DOC_A),
             DOC_A[0]: _page(DOC_A[1], BODY_A + link),
             "/zcwj/202101/P020210101_1.pdf": make_pdf(pdf_lines)}
    if with_b:
        pages[DOC_B[0]] = _page(DOC_B[1], BODY_B)
    return pages


def _config(tmp_path, database_url, server, webhook, **portal):
    return write_config(tmp_path / "pw.toml", db=database_url,
                        portals=[{"name": "p", "start_urls": [server.base + LIST], "delay": 0, **portal}],
                        subscriptions=[{"name": "s", "urls": [webhook.url("s")]}])


def test_a_changed_attachment_is_a_revision_of_its_document(tmp_path, database_url, portal_server, webhook):
    server = portal_server(_site(["Key tasks 2025", "Energy intensity down 13.5%"]))
    config = _config(tmp_path, database_url, server, webhook)
    assert run_cli("--config", str(config), "run").returncode == 0
    data = export(config)
    doc = next(d for d in data["documents"] if d["title"] == DOC_A[1])
    assert len(doc["versions"]) == 1
    server.set_pages(_site(["Key tasks 2025", "Energy intensity down 14%"]))  # only the PDF changed
    proc = run_cli("--config", str(config), "run", "--force")
    assert proc.returncode == 0, proc.stderr
    data = export(config)
    revised = [c for c in data["changes"] if c["kind"] == "revised"]
    assert len(revised) == 1 and revised[0]["document_url"].endswith(DOC_A[0])
    assert "附件已更新：附件1：重点任务清单.pdf" in revised[0]["summary"]
    assert any("附件已更新" in m["message"] for m in webhook.messages)
    # the page text did not change and the other document was untouched
    assert {d["title"]: len(d["versions"]) for d in data["documents"]} == {DOC_A[1]: 2, DOC_B[1]: 1}


def test_an_attachment_that_fails_to_download_is_not_a_change(tmp_path, database_url, portal_server, webhook):
    server = portal_server(_site(["Key tasks 2025"]))
    config = _config(tmp_path, database_url, server, webhook)
    assert run_cli("--config", str(config), "run").returncode == 0
    server.overrides["/zcwj/202101/P020210101_1.pdf"] = (500, b"busy", {})
    run_cli("--config", str(config), "run", "--force")
    data = export(config)
    assert [c for c in data["changes"] if not c["baseline"]] == []
    assert all(len(d["versions"]) == 1 for d in data["documents"])


def test_a_document_gone_from_list_and_server_is_withdrawn_once(tmp_path, database_url, portal_server, webhook):
    server = portal_server(_site(["x"]))
    config = _config(tmp_path, database_url, server, webhook)
    assert run_cli("--config", str(config), "run").returncode == 0
    server.set_pages(_site(["x"], with_b=False))  # B is off the list and answers 404
    for _ in range(4):
        proc = run_cli("--config", str(config), "run", "--force")
        assert proc.returncode == 0, proc.stderr  # a 404 of a known document is a warning, not a failure
    data = export(config)
    withdrawn = [c for c in data["changes"] if c["kind"] == "withdrawn"]
    assert len(withdrawn) == 1 and withdrawn[0]["document_url"].endswith(DOC_B[0])
    assert next(d for d in data["documents"] if d["url"].endswith(DOC_B[0]))["status"] == "withdrawn"
    titles = [m["title"] for m in webhook.messages]
    assert sum("撤回" in t or "撤下" in t for t in titles) == 1, titles


def test_request_budget_is_a_warning_and_the_rest_comes_next_cycle(tmp_path, database_url, portal_server, webhook):
    server = portal_server(_site(["x"]))
    config = _config(tmp_path, database_url, server, webhook, max_requests=2)
    first = run_cli("--config", str(config), "run")
    assert first.returncode == 0, first.stderr
    assert "budget" in first.stderr and first.stderr.count("ERROR") == 0
    assert len(export(config)["documents"]) == 1
    run_cli("--config", str(config), "run", "--force")
    assert len(export(config)["documents"]) == 2
