"""Golden cases: tests/diffing/cases/<name>/{old.txt,new.txt,expected.json}, one paragraph per line.

expected.json was reviewed by hand against the edit that produced new.txt (see each case name); for
seed_001_revision it matches the alignment result recorded in the library study (4 edited pairs 12/25/51/79,
deletion of old 19, insertion of new 20, move old 65 -> new 64)."""
from __future__ import annotations

import json

import pytest

from diffing import apply_ops, diff_paragraphs, normalize_paragraphs, ops_to_json

from .helpers import CASES, read_lines

NAMES = sorted(p.name for p in CASES.iterdir() if (p / "expected.json").exists())


def test_every_op_type_has_a_case():
    ops = {o["op"] for name in NAMES for o in json.loads((CASES / name / "expected.json").read_text("utf-8"))}
    kinds = {o.get("kind") for name in NAMES for o in json.loads((CASES / name / "expected.json").read_text("utf-8"))}
    assert ops == {"insert", "delete", "replace", "move", "renumber"}
    assert {"split", "merge"} <= kinds


@pytest.mark.parametrize("name", NAMES)
def test_golden(name):
    old = read_lines(CASES / name / "old.txt")
    new = read_lines(CASES / name / "new.txt")
    expected = json.loads((CASES / name / "expected.json").read_text(encoding="utf-8"))
    ops = diff_paragraphs(old, new)
    assert ops_to_json(ops) == expected
    assert normalize_paragraphs(apply_ops(old, ops)) == normalize_paragraphs(new)


@pytest.mark.parametrize("name", ["formatting_only", "pinyin_annotated", "traditional_simplified"])
def test_no_op_cases_really_differ_as_text(name):
    """The no-op cases are not trivially equal: the published texts differ."""
    old = read_lines(CASES / name / "old.txt")
    new = read_lines(CASES / name / "new.txt")
    assert old != new
    assert diff_paragraphs(old, new) == []


def test_traditional_edit_is_shown_in_simplified():
    old = read_lines(CASES / "traditional_with_edit" / "old.txt")
    new = read_lines(CASES / "traditional_with_edit" / "new.txt")
    (op,) = diff_paragraphs(old, new)
    assert op.op == "replace"
    assert [s for s in op.spans if s[0] != "equal"] == [("delete", "50%"), ("insert", "60%")]
    assert "汽车" in "".join(t for k, t in op.spans if k == "equal")  # Simplified, not 汽車
    assert "汽車" in op.old and "網(wǎng)" not in op.new  # old/new stay as published
