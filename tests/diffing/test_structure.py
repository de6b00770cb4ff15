from __future__ import annotations

import pytest

from diffing import outline_number, strip_outline


@pytest.mark.parametrize(
    "paragraph, marker, rest",
    [
        ("一、总体要求", "一、", "总体要求"),
        ("十二、保障措施", "十二、", "保障措施"),
        ("(一)指导思想", "(一)", "指导思想"),
        ("（三）总体目标", "（三）", "总体目标"),
        ("1.市场主导,政府引导。", "1.", "市场主导,政府引导。"),
        ("  1. 时间节点:2020年年底前", "1.", "时间节点:2020年年底前"),
        ("2、主要任务", "2、", "主要任务"),
        ("(1)严格落实", "(1)", "严格落实"),
        ("（12）加强", "（12）", "加强"),
        ("①贯彻落实", "①", "贯彻落实"),
        ("⑴贯彻落实", "⑴", "贯彻落实"),
        ("第三条 本办法自发布之日起施行", "第三条", "本办法自发布之日起施行"),
        ("1.2.3 细则", "1.2.3", "细则"),
    ],
)
def test_outline_markers(paragraph, marker, rest):
    assert outline_number(paragraph) == marker
    assert strip_outline(paragraph) == rest


@pytest.mark.parametrize(
    "paragraph",
    ["2020年年底前全面淘汰", "1.5倍以上", "10%以上", "23%", "VOCs(挥发性有机物)", "(1.1GWH)能量型", "到2025年", "一是加强", "以习近平"],
)
def test_not_outline_markers(paragraph):
    assert outline_number(paragraph) is None
    assert strip_outline(paragraph) == paragraph
