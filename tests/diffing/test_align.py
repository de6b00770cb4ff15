from __future__ import annotations

import pytest

from diffing import apply_ops, diff_paragraphs, normalize_paragraphs, ops_from_json, ops_to_json

from .helpers import seed_paragraphs

LONG_A = "(一)推进工业绿色升级。坚决遏制高耗能、高排放项目盲目发展,严把入口关。"
LONG_B = "(二)加快农业绿色发展。创建农业绿色发展先行区,推进标准化基地建设。"
LONG_C = "(三)提高服务业绿色发展水平。促进商贸企业绿色升级,培育一批绿色流通主体。"
LONG_D = "(四)壮大绿色环保产业。统一规划部署,加快融合发展,积极培育节能环保产业。"


def kinds(ops):
    return [(o.op, o.old_index, o.new_index) for o in ops]


@pytest.mark.parametrize("name", ["000_c08925d2c388e02d.txt", "001_287681968311ce01.txt", "003_8a6274789109dfc5.txt"])
def test_identical_documents_have_no_ops(name):
    doc = seed_paragraphs(name)
    assert diff_paragraphs(doc, list(doc)) == []


def test_empty_documents():
    assert diff_paragraphs([], []) == []
    assert kinds(diff_paragraphs([], ["新增段落"])) == [("insert", None, 0)]
    assert kinds(diff_paragraphs(["删除段落"], [])) == [("delete", 0, None)]


def test_short_paragraph_moved_is_delete_and_insert():
    old = ["总体要求", LONG_A, LONG_B, "保障措施"]
    new = [LONG_A, LONG_B, "总体要求", "保障措施"]
    assert kinds(diff_paragraphs(old, new)) == [("delete", 0, None), ("insert", None, 2)]


def test_duplicated_paragraph_is_not_a_move():
    old = [LONG_A, LONG_B, LONG_C]
    new = [LONG_B, LONG_C, LONG_A, LONG_A]
    assert kinds(diff_paragraphs(old, new)) == [("delete", 0, None), ("insert", None, 2), ("insert", None, 3)]


def test_moved_paragraph_with_new_number_is_one_move():
    old = [LONG_A, LONG_B, LONG_C, LONG_D]
    new = [LONG_A, LONG_C.replace("(三)", "(二)"), LONG_D.replace("(四)", "(三)"), LONG_B.replace("(二)", "(四)")]
    ops = diff_paragraphs(old, new)
    assert [o.op for o in ops] == ["renumber", "renumber", "move"]
    move = ops[-1]
    assert (move.old_index, move.new_index) == (1, 3)
    assert [s for s in move.spans if s[0] != "equal"] == [("delete", "二"), ("insert", "四")]


def test_edited_heading_in_place_is_a_replace():
    ops = diff_paragraphs(["(三)总体目标", LONG_A], ["(三)主要目标", LONG_A])
    assert kinds(ops) == [("replace", 0, 0)]
    assert [s for s in ops[0].spans if s[0] != "equal"] == [("delete", "总体"), ("insert", "主要")]


def test_renumbered_and_edited_is_a_replace():
    ops = diff_paragraphs([LONG_B], [LONG_B.replace("(二)", "(三)").replace("先行区", "示范区")])
    assert [o.op for o in ops] == ["replace"]


def test_crossing_edits_in_one_block_become_replace_and_move():
    b2, c2 = LONG_B.replace("先行区", "示范区"), LONG_C.replace("一批", "两批")
    ops = diff_paragraphs([LONG_A, LONG_B, LONG_C, LONG_D], [LONG_A, c2, b2, LONG_D])
    assert sorted(o.op for o in ops) == ["move", "replace"]
    assert {(o.old_index, o.new_index) for o in ops} == {(1, 2), (2, 1)}


def test_deletions_are_placed_where_they_stood():
    old = [LONG_A, "被删除的第一段文字内容。", LONG_B, "被删除的第二段文字内容。", LONG_C]
    new = [LONG_A, LONG_B, "新增的段落", LONG_C]
    assert kinds(diff_paragraphs(old, new)) == [("delete", 1, None), ("delete", 3, None), ("insert", None, 2)]


def test_blank_and_volatile_paragraphs_are_ignored_but_rebuilt_in_place():
    old = ["浏览次数:450", LONG_A, "", LONG_B, "   ", LONG_C]
    new = [LONG_A, "浏览次数:451", LONG_B, "", "新增段落:2021年6月底前完成。", LONG_C, "【打印本页】"]
    ops = diff_paragraphs(old, new)
    assert kinds(ops) == [("insert", None, 4)]
    rebuilt = apply_ops(old, ops)
    assert normalize_paragraphs(rebuilt) == normalize_paragraphs(new)
    assert rebuilt.index("新增段落:2021年6月底前完成。") == rebuilt.index(LONG_B) + 2  # the blank stays before it


def test_json_round_trip_and_apply_without_anchors(seed001):
    new = list(seed001)
    new[12] = new[12].replace("23%", "20%")
    new.insert(30, "(6)新增一项任务,2021年6月底前完成。")
    new[70], new[71] = new[71], new[70]
    del new[5]
    ops = diff_paragraphs(seed001, new)
    data = ops_to_json(ops)
    again = ops_from_json(data)
    assert again == ops and ops_to_json(again) == data
    assert all(o.anchor is None for o in again)
    assert normalize_paragraphs(apply_ops(seed001, again)) == normalize_paragraphs(new)


def test_unrelated_documents_still_apply():
    a, b = seed_paragraphs("001_287681968311ce01.txt"), seed_paragraphs("003_8a6274789109dfc5.txt")
    ops = diff_paragraphs(a, b)
    assert normalize_paragraphs(apply_ops(a, ops)) == normalize_paragraphs(b)
    assert not any(o.op == "move" for o in ops)


def test_global_term_change_pairs_every_paragraph(seed001):
    new = [p.replace("2020年", "2025年") for p in seed001]
    ops = diff_paragraphs(seed001, new)
    changed = sum(1 for a, b in zip(seed001, new) if a != b)
    assert len(ops) == changed and all(o.op == "replace" and o.old_index == o.new_index for o in ops)


def test_spans_keep_the_published_full_width_punctuation():
    old = ["全市单位工业增加值能耗比2015年下降23%以上，用水量下降25%以上；VOCs（挥发性有机物）减少。"]
    new = ["全市单位工业增加值能耗比2015年下降20%以上，用水量下降25%以上；VOCs（挥发性有机物）减少。"]
    (op,) = diff_paragraphs(old, new)
    text = "".join(t for k, t in op.spans if k != "delete")
    assert text == new[0]
    assert [s for s in op.spans if s[0] != "equal"] == [("delete", "23%"), ("insert", "20%")]
