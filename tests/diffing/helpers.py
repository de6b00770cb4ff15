"""Paths and readers for the diffing test data (everything lives under tests/, never ../shared)."""
from __future__ import annotations

from pathlib import Path

CASES = Path(__file__).parent / "cases"
SEEDS = Path(__file__).parent.parent / "data" / "seeds"


def read_lines(path: Path) -> list[str]:
    """One paragraph per line (a trailing newline does not make an extra paragraph)."""
    return path.read_text(encoding="utf-8").split("\n")[:-1]


def seed_paragraphs(name: str) -> list[str]:
    """The non-blank lines of a seed text."""
    return [line for line in (SEEDS / name).read_text(encoding="utf-8").split("\n") if line.strip()]


def seed001_body() -> list[str]:
    """Body of seed 001 (郑州市推进工业结构调整打赢污染防治攻坚战工作方案), 121 paragraphs."""
    return seed_paragraphs("001_287681968311ce01.txt")[4:125]
