from __future__ import annotations

import pytest

from diffing import fingerprint, light_normalize, normalize_paragraphs

from .helpers import seed_paragraphs


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("到 2025 年", "到2025年"),
        ("下降 23 % 以上", "下降23%以上"),
        ("（一）指导思想：", "(一)指导思想:"),
        ("ＧＤＰ能耗１２３", "GDP能耗123"),
        ("　　第一条　为了规范", "第一条为了规范"),
        ("《绿色债券支持项目目录( 2021 年版)》", "《绿色债券支持项目目录(2021年版)》"),
        ("严把 “ 入口关 ” ,新增", "严把“入口关”,新增"),
        ("Copyright 2004-2022  ChinaBus.Info All Rights", "Copyright 2004-2022 ChinaBus.Info All Rights"),
        ("零\u200b宽", "零宽"),
        ("①加强监管", "①加强监管"),  # circled numbers are not folded into digits
    ],
)
def test_light_normalize(raw, expected):
    assert light_normalize(raw) == expected
    assert light_normalize(expected) == expected


def test_pinyin_glosses_stripped_only_in_annotated_documents():
    annotated = ["記者從焦作市政府網(wǎng)站獲悉", "打贏(yíng)污染防治攻堅(jiān)戰(zhàn)"]
    assert normalize_paragraphs(annotated) == ["记者从焦作市政府网站获悉", "打赢污染防治攻坚战"]
    # one or two glosses in an ordinary document are left alone (could be a genuine gloss)
    assert normalize_paragraphs(["喆(zhé)字的读音"]) == ["喆(zhé)字的读音"]


def test_a_space_a_stripped_gloss_leaves_is_tidied_as_any_other():
    """Light normalisation keeps "戰(zhàn) 0%" spaced (a Latin letter and ")" before it); once the gloss is gone the
    space sits between Chinese text and a number, where it goes, so that normalising again changes nothing (found by
    the idempotence property in test_properties.py)."""
    once = normalize_paragraphs(["網(wǎng)站攻堅(jiān)戰(zhàn) 0%"])
    assert once == ["网站攻坚战0%"]
    assert normalize_paragraphs(once) == once


@pytest.mark.parametrize(
    "text",
    ["VOCs(挥发性有机物)排放总量", "主要任务:(1)加快", "年产3亿Ah(1.1GWH)能量型", "吨(t)", "比例(%)", "西班牙何塞(José)",
     "咖啡馆(café)", "(CNG/LNG)车辆", "标准(GB 3095)"],
)
def test_pinyin_stripper_leaves_other_parentheses(text):
    doc = ["網(wǎng)站", "打贏(yíng)", "攻堅(jiān)", text]
    assert normalize_paragraphs(doc)[-1] == light_normalize(text)


def test_t2s_keeps_mainland_vocabulary():
    # tw2sp would turn 新增 into 添加 and 指標 into 指针; t2s must not
    assert normalize_paragraphs(["禁止新增化工園區", "綠色工廠指標體系"]) == ["禁止新增化工园区", "绿色工厂指标体系"]


@pytest.mark.parametrize(
    "line",
    ["浏览次数：450", "访问量：1632", "页面生成时间：0.0781秒", "【打印本页】【关闭窗口】", "[ 打印本文 ] [ 关闭窗口 ]", "放大字体  缩小字体"],
)
def test_volatile_furniture_removed(line):
    assert normalize_paragraphs([line, "正文"]) == ["正文"]


def test_volatile_counter_inside_a_line():
    assert normalize_paragraphs(["发布日期:2021-06-19  浏览次数:450"]) == ["发布日期:2021-06-19"]


def test_normalize_is_idempotent_on_seeds():
    for name in ("000_c08925d2c388e02d.txt", "001_287681968311ce01.txt", "003_8a6274789109dfc5.txt"):
        once = normalize_paragraphs(seed_paragraphs(name))
        assert normalize_paragraphs(once) == once


def test_fingerprints():
    a = ["到 2025 年，下降 23 %以上", "浏览次数：450"]
    b = ["到2025年,下降23%以上", "浏览次数：451"]
    c = ["到2025年,下降20%以上", "浏览次数：451"]
    assert fingerprint(["到 2025 年，下降 23 %以上"], level="exact") == fingerprint(["到2025年,下降23%以上", ""], level="exact")
    assert fingerprint(a, level="exact") != fingerprint(b, level="exact")  # counter changed: a new capture...
    assert fingerprint(a, level="semantic") == fingerprint(b, level="semantic")  # ...but only formatting
    assert fingerprint(b, level="semantic") != fingerprint(c, level="semantic")
    assert len(fingerprint(a, level="exact")) == 64
    with pytest.raises(ValueError):
        fingerprint(a, level="fuzzy")


def test_traditional_seed_fingerprint_equals_simplified():
    trad = seed_paragraphs("000_c08925d2c388e02d.txt")[:7]
    from .helpers import CASES, read_lines

    simp = read_lines(CASES / "traditional_simplified" / "new.txt")
    assert fingerprint(trad, level="exact") != fingerprint(simp, level="exact")
    assert fingerprint(trad, level="semantic") == fingerprint(simp, level="semantic")
