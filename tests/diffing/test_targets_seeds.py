"""Targets extraction on real policy texts: the gold-labelled seeds, and properties that hold for any input."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diffing.targets import compare_commitments, extract_commitments

DATA = Path(__file__).resolve().parents[1] / "data"
SEEDS = sorted((DATA / "labels").glob("*.json"))


def _scorer():
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "score_targets.py"
    spec = importlib.util.spec_from_file_location("score_targets", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_seeds_against_gold_labels():
    """Over the labelled seeds, targets and deadlines keep precision and recall of 0.9 or better, and every
    matched target carries the gold deadline."""
    scorer = _scorer()
    tp = {"target": 0, "deadline": 0}
    pred = dict(tp)
    gold = dict(tp)
    for label in SEEDS:
        text = (DATA / "seeds" / (label.stem + ".txt")).read_text(encoding="utf-8")
        res = scorer.score_file(text, json.loads(label.read_text(encoding="utf-8")))
        for kind in tp:
            tp[kind] += res[kind]["tp"]
            pred[kind] += res[kind]["pred"]
            gold[kind] += res[kind]["gold"]
        assert res["dl_ok"] == res["dl_n"], label.stem
    assert len(SEEDS) == 3
    for kind in tp:
        assert tp[kind] >= 0.9 * gold[kind], (kind, tp, gold)
        assert tp[kind] >= 0.9 * pred[kind], (kind, tp, pred)


def test_seed_quotes_are_exact_and_metrics_simplified():
    text = (DATA / "seeds" / "000_c08925d2c388e02d.txt").read_text(encoding="utf-8")
    paragraphs = text.split("\n")
    got = extract_commitments(paragraphs)
    assert got
    for c in got:
        assert c.quote in paragraphs[c.paragraph]
        assert not re.search("[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]", c.metric)  # pinyin glosses are gone
        assert not any(ch in c.metric for ch in "業標環產")  # and the script is Simplified


def test_traditional_and_simplified_versions_agree():
    import opencc

    to_trad = opencc.OpenCC("s2t")
    paragraphs = (DATA / "seeds" / "003_8a6274789109dfc5.txt").read_text(encoding="utf-8").split("\n")
    simp = extract_commitments(paragraphs)
    trad = extract_commitments([to_trad.convert(p) for p in paragraphs])
    assert [(c.kind, c.metric, c.value, c.deadline) for c in simp] == [(c.kind, c.metric, c.value, c.deadline)
                                                                       for c in trad]
    assert compare_commitments(simp, trad) == []


FRAGMENTS = ["到2025年", "2020年年底前", "，", "。", "；", "：", "全市", "单位GDP能耗", "下降", "13.5%", "以上",
             "比2015年", "新建", "公园", "30个", "左右", "不低于", "80%", "（1）", "①", "〔2018〕73号", "十三五末",
             "三年内", "已", "比上年", "增长", "一百二十", "万吨/年", "以下", "燃煤锅炉", "完成", "搬迁", "每月25日前",
             "企業(yè)", "達(dá)到", " ", "\u3000", "?", "“", "”", "(", ")", "2-3", "座", "分别", "、"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(FRAGMENTS), max_size=25).map("".join), min_size=1, max_size=6))
def test_any_text_gives_exact_quotes(paragraphs):
    for c in extract_commitments(paragraphs):
        assert c.quote and c.quote in paragraphs[c.paragraph]
        assert c.kind in ("target", "deadline", "threshold")
        assert (c.value is None) == (c.kind == "deadline")
        assert c.deadline is None or len(c.deadline) == 10
