"""Access to the copied real pages in tests/data/corpus and their hand-checked expectations."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"


@lru_cache(maxsize=None)
def pages() -> dict[str, dict[str, str]]:
    return json.loads((CORPUS / "pages.json").read_text(encoding="utf-8"))


def raw(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def expected_paragraphs(name: str) -> list[str]:
    stem = name.rsplit(".", 1)[0]
    text = (CORPUS / "expected" / f"{stem}.txt").read_text(encoding="utf-8")
    return [line for line in text.split("\n") if line.strip()]
