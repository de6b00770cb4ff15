"""The rows of a diff page, built from the real paragraph diff: alignment of unchanged paragraphs, formatting-only
rows, moved paragraphs marked at both places, folding, escaping."""
from __future__ import annotations

from diffing import diff_paragraphs, ops_to_json

from policywatch.web.diffview import Gap, build_view

MOVED = "各地要建立工作台账，定期向领导小组办公室报送工作进展情况，确保各项任务按期完成。"


def rows_of(old, new, **kw):
    view = build_view(old, new, diff_paragraphs(old, new), full=True, **kw)
    return view, [r for r in view.items]


def test_blank_lines_and_page_furniture_do_not_shift_the_alignment():
    old = ["一、总则", "", "浏览次数：5", "到2025年，能耗下降13.5%。", "（一）加强领导。", "二、附则"]
    new = ["一、总则", "浏览次数：6", "到2025年，能耗下降14%。", "（一）加強領導。", "二、附则"]
    view, rows = rows_of(old, new)
    assert [(r.kind, r.old_no, r.new_no) for r in rows] == [
        ("equal", 1, 1), ("format", 3, 2), ("replace", 4, 3), ("format", 5, 4), ("equal", 6, 5)]
    assert str(rows[2].old_html) == "到2025年，能耗下降<del>13.5%</del>。"
    assert str(rows[2].new_html) == "到2025年，能耗下降<ins>14%</ins>。"
    assert (view.changes, view.formatting) == (1, 2)
    assert [r.anchor for r in rows if r.anchor] == ["f1", "c1", "f2"]


def test_a_traditional_copy_is_all_formatting_and_no_change():
    old = ["一、加强组织领导，建立工作台账。", "到2020年底，能耗下降23%以上。"]
    new = ["一、加強組織領導，建立工作台賬。", "到2020年底，能耗下降23%以上。"]
    view, rows = rows_of(old, new)
    assert view.changes == 0 and [r.kind for r in rows] == ["format", "equal"]


def test_a_moved_paragraph_is_marked_where_it_went_and_where_it_was():
    old = ["一、总体要求", MOVED, "二、主要任务", "（一）严控新增产能。", "三、保障措施"]
    new = ["一、总体要求", "二、主要任务", "（一）严控新增产能。", "三、保障措施", MOVED]
    view, rows = rows_of(old, new)
    assert [(r.kind, r.old_no, r.new_no) for r in rows] == [
        ("equal", 1, 1), ("moved", 2, None), ("equal", 3, 2), ("equal", 4, 3), ("equal", 5, 4), ("move", 2, 5)]
    assert "已移至第 5 段" in str(rows[1].new_html) and rows[1].anchor == ""  # not a stop for j/k
    assert view.changes == 1 and view.counts == {"move": 1}


def test_stored_json_ops_give_the_same_rows_as_fresh_ones():
    old = ["一、总体要求", "到2020年年底，能耗下降23%以上。", MOVED, "（一）加快淘汰落后产能。", "（二）推进绿色制造。"]
    new = ["一、总体要求", "到2020年年底，能耗下降20%以上。", "（一）新增条款。", "（二）加快淘汰落后产能。",
           "（三）推进绿色制造。", MOVED]
    ops = diff_paragraphs(old, new)
    fresh = build_view(old, new, ops, full=True)
    stored = build_view(old, new, ops_to_json(ops), full=True)
    assert [(r.kind, r.old_no, r.new_no, str(r.inline_html)) for r in fresh.items] == [
        (r.kind, r.old_no, r.new_no, str(r.inline_html)) for r in stored.items]
    assert [r.kind for r in fresh.items].count("renumber") == 2


def test_long_unchanged_runs_fold_and_short_ones_stay():
    body = [f"第{n}条 本条内容保持不变，编号为{n}。" for n in range(1, 21)]
    new = list(body)
    new[10] = "第11条 本条内容已经修改，编号为11。"
    folded = build_view(body, new, diff_paragraphs(body, new))
    kinds = ["gap" if isinstance(i, Gap) else i.kind for i in folded.items]
    assert kinds == ["gap", "equal", "replace", "equal", "gap"]
    assert [len(i.rows) for i in folded.items if isinstance(i, Gap)] == [9, 8]
    few = body[:5]
    edited = few[:2] + ["第3条 本条内容已经修改，编号为3。"] + few[3:]
    short = build_view(few, edited, diff_paragraphs(few, edited))  # one unchanged paragraph at each end: shown
    assert [i.kind for i in short.items] == ["equal", "equal", "replace", "equal", "equal"]


def test_markup_in_paragraphs_is_escaped_in_every_cell():
    old = ['<img src=x onerror="alert(1)">下降23%']
    new = ['<img src=x onerror="alert(1)">下降20%<script>alert(2)</script>']
    _view, rows = rows_of(old, new)
    for html in (rows[0].old_html, rows[0].new_html, rows[0].inline_html):
        assert "<img" not in str(html) and "<script>" not in str(html) and "&lt;img" in str(html)
