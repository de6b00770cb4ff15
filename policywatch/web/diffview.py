"""The rows of a diff page: every paragraph of a comparison in reading order, changed ones with inline marks,
unchanged runs folded away from the changes, formatting-only edits flagged so the page can hide them.

Built from the two versions' paragraphs and the paragraph ops (``diffing.diff_paragraphs`` or a stored
``Change.ops``); all text is escaped here (see ``marks``).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from markupsafe import Markup, escape

from diffing import light_normalize, op_label, ops_from_json, timeline
from diffing.normalize import strong_each

from .marks import spans_html

#: Unchanged paragraphs shown on each side of a change; the rest fold into a gap.
CONTEXT = 1


@dataclass(frozen=True)
class Row:
    """One paragraph of the comparison.

    ``kind`` is "equal", "format" (differs only in formatting: width, spacing, script), "moved" (where a moved
    paragraph used to stand) or the op ("replace", "insert", "delete", "move", "renumber"); ``number`` is the running number of a change (anchor ``c<n>``) or of
    a formatting row (``f<n>``), 0 for unchanged ones; ``split`` is "split"/"merge" for those ops."""

    kind: str
    old_no: int | None
    new_no: int | None
    old_html: Markup
    new_html: Markup
    inline_html: Markup
    label: str = ""
    number: int = 0
    split: str = ""

    @property
    def anchor(self) -> str:
        if self.kind in ("equal", "moved"):
            return ""
        return f"{'f' if self.kind == 'format' else 'c'}{self.number}"


@dataclass(frozen=True)
class Gap:
    """A run of unchanged paragraphs folded away (shown on request)."""

    rows: list[Row]


@dataclass(frozen=True)
class DiffView:
    items: list[Row | Gap]
    changes: int
    formatting: int
    counts: dict[str, int] = field(default_factory=dict)


def _char_spans(old: str, new: str) -> list[tuple[str, str]]:
    """Character-level spans for a formatting-only edit (full/half width, spaces): short strings, plain difflib."""
    out: list[tuple[str, str]] = []
    for tag, a1, a2, b1, b2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(("equal", old[a1:a2]))
        else:
            if a2 > a1:
                out.append(("delete", old[a1:a2]))
            if b2 > b1:
                out.append(("insert", new[b1:b2]))
    return out


def _pair_unchanged(old: Sequence[str], new: Sequence[str], ops: Sequence[Any]) -> dict[int, int]:
    """Map each unchanged old paragraph to its new position: the paragraphs no op claims, aligned on their
    normalised text (blank and page-furniture paragraphs may exist on one side only)."""
    claimed_old = {op.old_index for op in ops if op.old_index is not None}
    claimed_new = {op.new_index for op in ops if op.op != "delete" and op.new_index is not None}
    free_old = [i for i in range(len(old)) if i not in claimed_old and old[i].strip()]
    free_new = [j for j in range(len(new)) if j not in claimed_new and new[j].strip()]
    okeys, nkeys = strong_each(old), strong_each(new)
    a = [okeys[i] or light_normalize(old[i]) for i in free_old]
    b = [nkeys[j] or light_normalize(new[j]) for j in free_new]
    pairs: dict[int, int] = {}
    for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            pairs[free_old[block.a + k]] = free_new[block.b + k]
    # what the normalised keys could not pair (volatile lines that changed) pairs in order between matches
    matched_old = sorted(pairs)
    for i in free_old:
        if i in pairs or okeys[i] != "":
            continue
        before = [pairs[x] for x in matched_old if x < i]
        lo = before[-1] if before else -1
        cand = next((j for j in free_new if j > lo and j not in pairs.values() and nkeys[j] == ""), None)
        if cand is not None:
            pairs[i] = cand
            matched_old = sorted(pairs)
    return pairs


def _op_row(op: Any, number: int) -> Row:
    spans = [tuple(s) for s in op.spans]
    if op.op == "insert":
        new = Markup("<ins>{}</ins>").format(op.new or "")
        return Row("insert", None, _no(op.new_index), Markup(""), new, new, op_label(op), number, op.kind)
    if op.op == "delete":
        old = Markup("<del>{}</del>").format(op.old or "")
        return Row("delete", _no(op.old_index), None, old, Markup(""), old, op_label(op), number, op.kind)
    if spans:
        left, right, both = spans_html(spans, "old"), spans_html(spans, "new"), spans_html(spans, "both")
    else:
        left, right = escape(op.old or ""), escape(op.new or "")
        both = right
    return Row(op.op, _no(op.old_index), _no(op.new_index), left, right, both, op_label(op), number, op.kind)


def _no(index: int | None) -> int | None:
    return None if index is None else index + 1


def build_view(
    old: Sequence[str], new: Sequence[str], ops: Sequence[Any], *, full: bool = False
) -> DiffView:
    """All rows of the comparison of ``old`` with ``new`` given their ops (``ParagraphOp``s or their JSON dicts).

    Unchanged rows further than ``CONTEXT`` paragraphs from a change fold into ``Gap``s unless ``full``; blank
    paragraphs are left out; unchanged paragraphs whose published text differs (formatting only) become "format"
    rows; a moved paragraph is also marked where it used to stand."""
    if ops and isinstance(ops[0], dict):
        ops = ops_from_json(ops)  # type: ignore[arg-type]
    pairs = _pair_unchanged(old, new, ops)
    rows: list[Row] = []
    n_change = n_format = 0
    counts: Counter[str] = Counter()
    entries = _with_move_sources(timeline(old, ops))
    for old_index, op in entries:
        if isinstance(op, _MovedAway):
            note = Markup('<span class="moved-note">已移至第 {} 段</span>').format(op.new_index + 1)
            rows.append(Row("moved", op.old_index + 1, None, escape(op.text), note, note,
                            f"原第{op.old_index + 1}段 已移走"))
            continue
        if op is not None:
            n_change += 1
            counts[op.op] += 1
            rows.append(_op_row(op, n_change))
            continue
        text = old[old_index]  # type: ignore[index]
        j = pairs.get(old_index)  # type: ignore[arg-type]
        now = new[j] if j is not None else text
        if not text.strip() and not now.strip():
            continue
        if j is not None and text.strip() != now.strip():
            n_format += 1
            spans = _char_spans(text, now)
            rows.append(Row("format", old_index + 1, j + 1, spans_html(spans, "old"), spans_html(spans, "new"),  # type: ignore[operator]
                            spans_html(spans, "both"), "仅格式变化", n_format))
            continue
        rows.append(Row("equal", old_index + 1, None if j is None else j + 1, escape(text), escape(now), escape(now)))  # type: ignore[operator]
    return DiffView(_fold(rows, full), n_change, n_format, dict(counts))


@dataclass(frozen=True)
class _MovedAway:
    """Where a moved paragraph used to stand."""

    old_index: int
    new_index: int
    text: str


def _with_move_sources(entries: list[tuple[int | None, Any]]) -> list[tuple[int | None, Any]]:
    """``entries`` (from ``diffing.timeline``) with a ``_MovedAway`` marker after the last entry that stood before
    each moved paragraph's old place."""
    out = list(entries)
    for op in [op for _i, op in entries if op is not None and op.op == "move" and op.old_index is not None]:
        at = 0
        for k, (i, other) in enumerate(out):
            where = i if other is None else (other.old_index if other.op != "move" and not isinstance(other, _MovedAway) else None)
            if where is not None and where < op.old_index:
                at = k + 1
        out.insert(at, (None, _MovedAway(op.old_index, op.new_index, op.old or "")))
    return out


#: Fewer unchanged paragraphs than this in a row are shown rather than folded.
MIN_GAP = 3


def _fold(rows: list[Row], full: bool) -> list[Row | Gap]:
    if full:
        return list(rows)
    near = set()
    for k, row in enumerate(rows):
        if row.kind not in ("equal", "format", "moved"):
            near.update(range(k - CONTEXT, k + CONTEXT + 1))
    items: list[Row | Gap] = []
    run: list[Row] = []
    for k, row in enumerate(rows):
        if row.kind == "equal" and k not in near:
            run.append(row)
            continue
        items.extend(_gap(run))
        run = []
        items.append(row)
    items.extend(_gap(run))
    return items


def _gap(run: list[Row]) -> list[Row | Gap]:
    if not run:
        return []
    return [Gap(run)] if len(run) >= MIN_GAP else list(run)
