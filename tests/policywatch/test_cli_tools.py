"""`policywatch diff` and `policywatch targets` on local files and URLs, without a config."""
from __future__ import annotations

import json
from pathlib import Path

from policywatch.demo.site import COLUMN, site

from ..conftest import run_cli

DATA = Path(__file__).resolve().parents[1] / "data"


def test_diff_of_two_text_files_marks_only_the_numbers(tmp_path):
    old = tmp_path / "old.txt"
    new = tmp_path / "new.txt"
    old.write_text("一、总体目标\n到2020年底，单位工业增加值能耗比2015年下降23%以上。\n2020年年底前完成搬迁改造。\n", "utf-8")
    new.write_text("一、总体目标\n到2020年底，单位工业增加值能耗比2015年下降20%以上。\n2021年6月底前完成搬迁改造。\n"
                   "新增一段：建立月度调度机制。\n", "utf-8")
    proc = run_cli("diff", str(old), str(new), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    ops = json.loads(proc.stdout)["paragraphs"]
    assert [o["op"] for o in ops] == ["replace", "replace", "insert"]
    assert ["delete", "23%"] in ops[0]["spans"] and ["insert", "20%"] in ops[0]["spans"]
    deleted = "".join(t for op, t in ops[1]["spans"] if op == "delete")
    inserted = "".join(t for op, t in ops[1]["spans"] if op == "insert")
    assert "2020年年底前" in deleted and "2021年6月底前" in inserted
    text = run_cli("diff", str(old), str(new), "--color", "never")
    assert text.returncode == 0 and "23%" in text.stdout and "20%" in text.stdout
    assert run_cli("diff", str(old), str(old)).stdout.strip().startswith("无变化")


def test_diff_of_two_urls_uses_the_main_text_only(portal_server):
    v1 = portal_server(site(1))
    v2 = portal_server(site(2))
    path = f"{COLUMN}202106/t20210619_1001.html"
    proc = run_cli("diff", v1.base + path, v2.base + path, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    ops = json.loads(proc.stdout)["paragraphs"]
    changed_text = json.dumps(ops, ensure_ascii=False)
    assert "浏览次数" not in changed_text  # the page counter changed too, but it is not main text
    assert sum(1 for o in ops if o["op"] == "replace") == 2 and sum(1 for o in ops if o["op"] == "insert") == 1


def test_diff_errors_name_the_file_or_url(tmp_path):
    proc = run_cli("diff", str(tmp_path / "missing.html"), str(tmp_path / "missing.html"))
    assert proc.returncode == 1 and "missing.html: no such file" in proc.stderr
    proc = run_cli("diff", "http://127.0.0.1:9/a.html", "http://127.0.0.1:9/b.html")
    assert proc.returncode == 1 and "http://127.0.0.1:9/a.html" in proc.stderr and proc.stderr.count("\n") == 1


def test_targets_json_follows_the_labels_schema():
    seed = DATA / "seeds" / "001_287681968311ce01.txt"
    proc = run_cli("targets", str(seed), "--json")
    assert proc.returncode == 0, proc.stderr
    items = json.loads(proc.stdout)
    keys = ["id", "kind", "quote", "metric", "relation", "value", "unit", "qualifier", "baseline", "deadline",
            "deadline_text"]
    assert items and all(list(i) == keys for i in items)
    text = seed.read_text("utf-8")
    assert all(i["quote"] in text for i in items)  # quotes are exact substrings of the source
    energy = next(i for i in items if i["value"] == 23 and i["unit"] == "%")
    assert energy["relation"] == "decrease_by" and energy["deadline"] == "2020-12-31" and energy["baseline"] == "2015"
    table = run_cli("targets", str(seed))
    assert table.returncode == 0 and "目标" in table.stdout and "23%以上" in table.stdout
