"""Outline markers of Chinese official documents: "一、" "（一）" "1." "1、" "(1)" "①" "第三条".

The marker is what gets renumbered when a clause is inserted or removed; the aligner compares paragraphs without it
so that "(三)加强监管…" -> "(四)加强监管…" is recognised as the same provision.
"""
from __future__ import annotations

import re

__all__ = ["outline_number", "strip_outline"]

_CN = "一二三四五六七八九十百零〇两"
_OUTLINE = re.compile(
    r"^[^\S\n]*("
    rf"第[{_CN}\d]{{1,5}}(?:部分|章|节|条|款|编|篇)"  # 第三条, 第一部分
    rf"|[(（][{_CN}]{{1,4}}[)）]"  # (一) （一）
    r"|[(（]\d{1,3}[)）]"  # (1) （1）
    rf"|[{_CN}]{{1,4}}[、．]"  # 一、
    r"|\d{1,3}(?:\.\d{1,3}){2,3}(?![\d%])"  # 1.2.3
    r"|\d{1,3}\.\d{1,3}(?=[^\S\n])"  # "1.1 " (only with a following space: "1.5倍" is a number)
    r"|\d{1,3}[.．、](?![\d%])"  # 1. 1、 1．
    r"|\d{1,3}[)）](?![\d%])"  # 1)
    r"|[\u2460-\u2473\u2474-\u2487\u2488-\u249b\u3220-\u3229\u3251-\u325f\u32b1-\u32bf\u24eb-\u24f4\u2776-\u277f]"
    r")"
)
_AFTER_MARKER = re.compile(r"^[^\S\n]*")


def outline_number(paragraph: str) -> str | None:
    """The leading outline marker of ``paragraph`` exactly as written ("一、", "（一）", "(1)", "1.", "1、", "①",
    "第三条"), or None. Numbers that merely start a sentence ("2020年…", "1.5倍…", "10%…") are not markers."""
    m = _OUTLINE.match(paragraph)
    return m.group(1) if m else None


def strip_outline(paragraph: str) -> str:
    """``paragraph`` without its leading outline marker and the whitespace after it (unchanged if it has none)."""
    m = _OUTLINE.match(paragraph)
    if not m:
        return paragraph
    rest = paragraph[m.end():]
    return rest[_AFTER_MARKER.match(rest).end():]
