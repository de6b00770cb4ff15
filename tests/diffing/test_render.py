from __future__ import annotations

import re

from diffing import (
    diff_paragraphs,
    ops_from_json,
    ops_to_json,
    render_html_inline,
    render_html_side_by_side,
    render_terminal,
    render_unified,
)

from .helpers import CASES, read_lines

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def case(name):
    old, new = read_lines(CASES / name / "old.txt"), read_lines(CASES / name / "new.txt")
    return old, new, diff_paragraphs(old, new)


def test_terminal_plain_shows_redline_and_labels():
    old, new, ops = case("seed_001_revision")
    out = render_terminal(ops, color=False)
    assert "\x1b[" not in out
    assert "第13段 修改" in out and "下降[-23%-]{+20%+}以上" in out
    assert "原第20段 删除" in out and "第21段 新增" in out
    assert "移动 第66段→第65段" in out
    assert "[-2019年3月底前-]{+2019年6月底前+}" in out


def test_terminal_colour_keeps_markers_and_adds_ansi():
    _, _, ops = case("replace_number")
    out = render_terminal(ops, color=True)
    assert "\x1b[31m" in out and "\x1b[32m" in out
    assert ANSI.sub("", out) == render_terminal(ops, color=False)


def test_terminal_context_shows_neighbours():
    old, new, ops = case("insert")
    out = render_terminal(ops, color=False, context=1, old=old, new=new)
    lines = out.splitlines()
    k = lines.index("第7段 新增")
    assert lines[k - 1] == "  " + old[5]  # the paragraph before the insertion
    assert lines[k + 2] == "  " + old[6]  # and the one after it
    assert "⋯" in out


def test_renumber_and_split_labels():
    _, _, ops = case("renumber")
    out = render_terminal(ops, color=False)
    assert "第8段 重新编号 ③→④" in out
    _, _, ops = case("split")
    out = render_terminal(ops, color=False)
    assert "原第3段 拆分为第3–5段" in out and "第4段 由原第3段拆分而来" in out
    _, _, ops = case("merge")
    assert "原第3–4段 合并为第3段" in render_terminal(ops, color=False)


def test_unified():
    old, new, ops = case("seed_001_revision")
    out = render_unified(ops, old, new, context=1)
    lines = out.splitlines()
    assert lines[:2] == ["--- 旧版本", "+++ 新版本"]
    assert "-" + old[19] in lines  # deleted paragraph
    assert "+" + new[20] in lines  # inserted one
    assert "~" + new[64] in lines  # moved one, at its new place
    assert " " + old[11] in lines  # context before 第13段
    assert sum(1 for line in lines if line.startswith("@@")) >= 4
    # unchanged paragraphs far from any change are not shown
    assert sum(1 for line in lines if line.startswith(" ")) <= 2 * len(ops)


def test_html_escapes_everything():
    old = ["第一段<b>粗体</b>", "下降23%以上<script>alert(1)</script>", "删除 & 段落"]
    new = ["第一段<b>粗体</b>", "下降20%以上<script>alert(2)</script>", "新增\"引号\"段落 <img src=x onerror=alert(3)>"]
    ops = diff_paragraphs(old, new)
    for html in (render_html_inline(ops), render_html_side_by_side(ops)):
        assert "<script>" not in html and "<img" not in html and "<b>" not in html
        assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(3)&gt;" in html
        assert "&amp;" in html and "&quot;引号&quot;" in html
        assert "<del" in html and "<ins" in html


def test_html_structure_and_classes():
    _, _, ops = case("seed_001_revision")
    inline = render_html_inline(ops)
    assert inline.count('<section class="pw-op') == len(ops)
    for op in ("pw-replace", "pw-insert", "pw-delete", "pw-move"):
        assert op in inline
    assert '<del class="pw-del">23%</del><ins class="pw-ins">20%</ins>' in inline
    table = render_html_side_by_side(ops)
    assert table.startswith('<table class="pw-diff pw-side-by-side">') and table.endswith("</table>")
    # left column has the deletion only, right column the insertion only
    row = next(line for line in table.splitlines() if "23%" in line)
    left, right = row.split('<td class="pw-new">')
    assert "<del" in left and "<ins" not in left and "<ins" in right and "<del" not in right
    assert "无变化" in render_html_inline([]) and "无变化" in render_html_side_by_side([])


def test_renderers_work_on_ops_loaded_from_json():
    old, new, ops = case("seed_001_revision")
    loaded = ops_from_json(ops_to_json(ops))
    assert render_terminal(loaded, color=False) == render_terminal(ops, color=False)
    assert render_unified(loaded, old, new) == render_unified(ops, old, new)
    assert render_html_inline(loaded) == render_html_inline(ops)


def test_move_labels_say_what_else_changed():
    from .test_align import LONG_A, LONG_B, LONG_C, LONG_D

    old = [LONG_A, LONG_B, LONG_C, LONG_D]
    renumbered = [LONG_A, LONG_C, LONG_D, LONG_B.replace("(二)", "(四)")]
    assert "移动 第2段→第4段 并重新编号" in render_terminal(diff_paragraphs(old, renumbered), color=False)
    edited = [LONG_A, LONG_C, LONG_D, LONG_B.replace("先行区", "示范区")]
    assert "移动 第2段→第4段 并修改" in render_terminal(diff_paragraphs(old, edited), color=False)
