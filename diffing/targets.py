"""Targets and deadlines: extract the quantitative targets, dated tasks and scope thresholds of a Chinese
policy document, and compare them between two versions.

    >>> [c.to_json()["value"] for c in extract_from_text("到2025年，单位地区生产总值能耗下降13.5%。")]
    [13.5]

`extract_commitments` reads a document given as paragraphs and returns `Commitment`s in document order
(rules in `diffing.targets_extract`); `compare_commitments` pairs the commitments of two versions and reports
`TargetChange`s ("目标变更：单位工业增加值能耗下降 23% → 20%（2020年底）").
"""

from __future__ import annotations

from typing import Sequence

from .targets_compare import compare_commitments
from .targets_extract import extract as _extract
from .targets_model import Commitment, TargetChange, summary_lines

__all__ = ["Commitment", "TargetChange", "extract_commitments", "extract_from_text", "compare_commitments",
           "summary_lines"]


def extract_commitments(paragraphs: Sequence[str]) -> list[Commitment]:
    """Targets, dated tasks and thresholds of a document given as paragraphs, in document order.

    Every `quote` is an exact substring of `paragraphs[c.paragraph]`; `metric` is Simplified Chinese without
    pinyin annotations; `deadline` is an ISO date or None (relative phrases such as 三年内 keep only
    `deadline_text`).
    """
    return _extract(list(paragraphs))


def extract_from_text(text: str) -> list[Commitment]:
    """`extract_commitments` over `text` split into one paragraph per line."""
    return extract_commitments(text.split("\n"))
