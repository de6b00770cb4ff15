from __future__ import annotations

import pytest

from diffing import inline_diff
from diffing.inline import tokenize


def edits(spans):
    return [s for s in spans if s[0] != "equal"]


def test_percentage_is_atomic():
    assert inline_diff("下降23%以上", "下降20%以上") == [
        ("equal", "下降"), ("delete", "23%"), ("insert", "20%"), ("equal", "以上"),
    ]


def test_deadline_phrase_is_atomic():
    spans = inline_diff("2020年年底前全面淘汰", "2021年6月底前全面淘汰")
    assert spans == [("delete", "2020年年底前"), ("insert", "2021年6月底前"), ("equal", "全面淘汰")]


@pytest.mark.parametrize(
    "old, new, removed, added",
    [
        ("控制在145万吨", "控制在154万吨", "145万吨", "154万吨"),
        ("新增5110万平方米", "新增5011万平方米", "5110万平方米", "5011万平方米"),
        ("推广应用机器人1000台以上", "推广应用机器人1200台以上", "1000台", "1200台"),
        ("比例不低于80%。", "比例不低于90%。", "80%", "90%"),
        ("2019年3月底前,根据", "2019年6月底前,根据", "2019年3月底前", "2019年6月底前"),
        ("“十三五”期间完成", "“十四五”期间完成", "“十三五”期间", "“十四五”期间"),
        ("到十四五末基本建成", "到十五五末基本建成", "十四五末", "十五五末"),
        ("提高2.5个百分点", "提高3个百分点", "2.5个百分点", "3个百分点"),
        ("降低百分之十五", "降低百分之二十", "百分之十五", "百分之二十"),
        ("PM2.5浓度", "PM10浓度", "PM2.5", "PM10"),
    ],
)
def test_numbers_change_whole(old, new, removed, added):
    assert edits(inline_diff(old, new)) == [("delete", removed), ("insert", added)]


def test_two_edits_split_at_punctuation():
    spans = inline_diff("下降18%以上，2020年年底前", "下降23%左右，2021年6月底前")
    assert spans == [
        ("equal", "下降"), ("delete", "18%以上"), ("insert", "23%左右"), ("equal", "，"),
        ("delete", "2020年年底前"), ("insert", "2021年6月底前"),
    ]


def test_rewritten_clause_reads_as_one_change():
    spans = inline_diff("达到60个,进入全国第一方阵。", "达到100个以上,位居全国前列。")
    assert ("delete", "进入全国第一方阵") in spans and ("insert", "位居全国前列") in spans


def test_inserted_clause_snaps_to_punctuation():
    spans = inline_diff("推进A，推进B。", "推进A，推进C，推进B。")
    assert spans == [("equal", "推进A，"), ("insert", "推进C，"), ("equal", "推进B。")]


def test_equal_and_empty():
    assert inline_diff("相同", "相同") == [("equal", "相同")]
    assert inline_diff("", "") == []
    assert inline_diff("", "新增") == [("insert", "新增")]
    assert inline_diff("删除", "") == [("delete", "删除")]


def test_pathological_input_falls_back_to_whole_paragraph(monkeypatch):
    import diffing.inline as inline

    monkeypatch.setattr(inline, "MAX_TOKENS", 50)
    old, new = "甲" * 60 + "乙" * 60, "丙" * 60 + "甲" * 60
    assert inline_diff(old, new) == [("delete", old), ("insert", new)]


def test_time_budget_falls_back_to_whole_paragraph():
    # Two long unrelated texts with a tiny budget: the engine runs out of time.
    import random

    rng = random.Random(7)
    alphabet = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经"
    old = "".join(rng.choice(alphabet) for _ in range(30000))
    new = "".join(rng.choice(alphabet) for _ in range(30000))
    spans = inline_diff(old, new, timelimit=0.001)
    assert spans == [("delete", old), ("insert", new)]


def test_tokenize_round_trips_and_keeps_quantities():
    text = "到2025年,单位GDP能耗降低16%以上,VOCs(挥发性有机物)减少145万吨,2021年6月底前完成。"
    toks = tokenize(text)
    assert "".join(toks) == text
    for tok in ("2025年", "16%", "VOCs", "145万吨", "2021年6月底前", "以上"):
        assert tok in toks
