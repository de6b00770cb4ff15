"""Renderers for paragraph ops: terminal, unified text, HTML (inline and side by side) and JSON.

All user-facing labels are Chinese. Paragraph numbers shown to people are 1-based ("第5段" is index 4).
HTML output is a self-contained fragment (no scripts, no external resources); every piece of document text passes
through ``html.escape``.
"""
from __future__ import annotations

import html
from collections.abc import Sequence

from .align import ParagraphOp, timeline
from .structure import outline_number, strip_outline

__all__ = [
    "render_terminal",
    "render_unified",
    "render_html_inline",
    "render_html_side_by_side",
    "ops_to_json",
    "op_label",
    "op_labels",
]

_RED, _GREEN, _YELLOW, _CYAN, _DIM, _BOLD, _RESET = (
    "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[36m", "\x1b[2m", "\x1b[1m", "\x1b[0m",
)


def _n(index: int | None) -> str:
    return "?" if index is None else str(index + 1)


def op_label(op: ParagraphOp) -> str:
    """Chinese one-line header for an op on its own, e.g. "第5段 修改", "原第7段 删除", "移动 第3段→第7段",
    "第8段 重新编号 (三)→(四)". ``op_labels`` gives better labels for the parts of a split or merge."""
    if op.kind == "split":
        return f"原第{_n(op.old_index)}段 拆分" if op.op == "replace" else f"第{_n(op.new_index)}段 拆分所得"
    if op.kind == "merge":
        return f"合并为第{_n(op.new_index)}段" if op.op == "replace" else f"原第{_n(op.old_index)}段 并入上一段"
    if op.op == "replace":
        return f"第{_n(op.new_index)}段 修改"
    if op.op == "insert":
        return f"第{_n(op.new_index)}段 新增"
    if op.op == "delete":
        return f"原第{_n(op.old_index)}段 删除"
    if op.op == "move":
        return f"移动 第{_n(op.old_index)}段→第{_n(op.new_index)}段" + _move_suffix(op)
    if op.op == "renumber":
        before, after = outline_number(op.old or ""), outline_number(op.new or "")
        return f"第{_n(op.new_index)}段 重新编号" + (f" {before}→{after}" if before and after else "")
    return f"第{_n(op.new_index if op.new_index is not None else op.old_index)}段 {op.op}"


def op_labels(ops: Sequence[ParagraphOp]) -> list[str]:
    """Labels for a whole op list: like ``op_label``, but a split reads "原第5段 拆分为第5–7段" and a merge
    "原第5–7段 合并为第5段", with the other parts labelled relative to it."""
    labels = [op_label(op) for op in ops]
    k = 0
    while k < len(ops):
        op = ops[k]
        if op.kind in ("split", "merge") and op.op == "replace":
            end = k + 1
            tail = "insert" if op.kind == "split" else "delete"
            while end < len(ops) and ops[end].kind == op.kind and ops[end].op == tail:
                end += 1
            if op.kind == "split":
                last = ops[end - 1].new_index
                labels[k] = f"原第{_n(op.old_index)}段 拆分为第{_n(op.new_index)}–{_n(last)}段"
                for m in range(k + 1, end):
                    labels[m] = f"第{_n(ops[m].new_index)}段 由原第{_n(op.old_index)}段拆分而来"
            else:
                last = ops[end - 1].old_index
                labels[k] = f"原第{_n(op.old_index)}–{_n(last)}段 合并为第{_n(op.new_index)}段"
                for m in range(k + 1, end):
                    labels[m] = f"原第{_n(ops[m].old_index)}段 并入第{_n(op.new_index)}段"
            k = end
        else:
            k += 1
    return labels


def _move_suffix(op: ParagraphOp) -> str:
    if not _edited(op):
        return ""
    before = "".join(t for k, t in op.spans if k != "insert")
    after = "".join(t for k, t in op.spans if k != "delete")
    return " 并重新编号" if strip_outline(before) == strip_outline(after) else " 并修改"


def _edited(op: ParagraphOp) -> bool:
    return any(kind != "equal" for kind, _ in op.spans)


def _display_spans(op: ParagraphOp) -> list[tuple[str, str]]:
    """What to show for an op: its spans, or the whole paragraph as one span."""
    if op.spans:
        return list(op.spans)
    if op.op == "insert":
        return [("insert", op.new or "")]
    if op.op == "delete":
        return [("delete", op.old or "")]
    return [("equal", op.new if op.new is not None else op.old or "")]


# --- terminal ------------------------------------------------------------------------------------------------------


def _terminal_text(spans: Sequence[tuple[str, str]], color: bool) -> str:
    out = []
    for kind, text in spans:
        if kind == "delete":
            out.append(f"{_RED}[-{text}-]{_RESET}" if color else f"[-{text}-]")
        elif kind == "insert":
            out.append(f"{_GREEN}{{+{text}+}}{_RESET}" if color else f"{{+{text}+}}")
        else:
            out.append(text)
    return "".join(out)


def _visible_rows(old: Sequence[str], ops: Sequence[ParagraphOp]) -> list[tuple[int | None, ParagraphOp | None]]:
    """``timeline`` without blank unchanged paragraphs (they would only show as empty context lines)."""
    return [(i, op) for i, op in timeline(old, ops) if op is not None or old[i].strip()]  # type: ignore[index]


def _windows(rows: Sequence[tuple[int | None, ParagraphOp | None]], context: int) -> list[list[int]]:
    """Groups of row indices to print: every change plus ``context`` unchanged rows on each side, merged when they
    touch."""
    keep: set[int] = set()
    for idx, (_, op) in enumerate(rows):
        if op is not None:
            keep.update(range(max(0, idx - context), min(len(rows), idx + context + 1)))
    groups: list[list[int]] = []
    for idx in sorted(keep):
        if groups and groups[-1][-1] == idx - 1:
            groups[-1].append(idx)
        else:
            groups.append([idx])
    return groups


def render_terminal(
    ops: Sequence[ParagraphOp],
    *,
    color: bool = True,
    context: int = 0,
    old: Sequence[str] | None = None,
    new: Sequence[str] | None = None,
) -> str:
    """Readable diff for a terminal: per op a header ("第5段 修改", "第6段 新增", "原第7段 删除",
    "移动 第3段→第7段", "第8段 重新编号 (三)→(四)") and the paragraph, with deletions as ``[-…-]`` and insertions
    as ``{+…+}``, coloured with ANSI codes when ``color`` (the markers stay, so the output also reads when copied).
    With ``context`` > 0 and ``old`` given, up to that many unchanged paragraphs around each change are shown
    (dimmed), and "⋯" marks skipped stretches. ``new`` is accepted for symmetry; the text comes from the ops."""
    labels = {id(op): label for op, label in zip(ops, op_labels(ops))}

    def change(op: ParagraphOp) -> list[str]:
        header = labels.get(id(op)) or op_label(op)
        return [f"{_BOLD}{_CYAN}{header}{_RESET}" if color else header, "  " + _terminal_text(_display_spans(op), color)]

    if context <= 0 or old is None:
        return "\n".join(line for op in ops for line in change(op))
    rows = _visible_rows(old, ops)
    lines: list[str] = []
    for n, group in enumerate(_windows(rows, context)):
        if n or group[0] > 0:
            lines.append(f"{_DIM}⋯{_RESET}" if color else "⋯")
        for idx in group:
            i, op = rows[idx]
            if op is None:
                text = f"  {old[i]}"  # type: ignore[index]
                lines.append(f"{_DIM}{text}{_RESET}" if color else text)
            else:
                lines.extend(change(op))
    return "\n".join(lines)


# --- unified -------------------------------------------------------------------------------------------------------


def _hunk_start(rows: Sequence[tuple[int | None, ParagraphOp | None]], group: list[int]) -> str:
    """ "旧第a段 新第b段": the first old and the first new paragraph number that the hunk shows."""
    old_at = new_at = None
    for idx in group:
        i, op = rows[idx]
        if old_at is None:
            old_at = i if op is None else (op.old_index if op.op != "move" else None)
        if new_at is None and op is not None and op.new_index is not None:
            new_at = op.new_index
            if idx != group[0]:  # unchanged rows before it: count back
                new_at -= sum(1 for k in group[: group.index(idx)] if rows[k][1] is None)
    return f"旧第{_n(old_at) if old_at is not None else '-'}段 新第{_n(new_at) if new_at is not None else '-'}段"


def render_unified(ops: Sequence[ParagraphOp], old: Sequence[str], new: Sequence[str], *, context: int = 1) -> str:
    """A unified-diff-style text. Header "--- 旧版本" / "+++ 新版本"; hunks headed "@@ 旧第a段 新第b段 @@";
    unchanged paragraphs prefixed by a space, removed ones by "-", added ones by "+", a moved one by "~" at its new
    place; each change preceded by "# " and its Chinese label, and an edited paragraph followed by "= " and its
    inline redline. ``context`` unchanged paragraphs are kept around each change."""
    rows = _visible_rows(old, ops)
    label_of = {id(op): label for op, label in zip(ops, op_labels(ops))}
    out = ["--- 旧版本", "+++ 新版本"]
    for group in _windows(rows, context):
        out.append(f"@@ {_hunk_start(rows, group)} @@")
        for idx in group:
            i, op = rows[idx]
            if op is None:
                out.append(f" {old[i]}")  # type: ignore[index]
                continue
            out.append(f"# {label_of.get(id(op)) or op_label(op)}")
            if op.op == "move":
                out.append(f"~{op.new}")
            else:
                if op.old is not None:
                    out.append(f"-{op.old}")
                if op.new is not None:
                    out.append(f"+{op.new}")
            if _edited(op) and op.op in ("replace", "move", "renumber"):
                out.append("= " + _terminal_text(op.spans, False))
    return "\n".join(out)


# --- HTML ----------------------------------------------------------------------------------------------------------


def _html_spans(spans: Sequence[tuple[str, str]], side: str | None = None) -> str:
    """Spans as HTML; ``side`` "old" keeps equal+delete, "new" keeps equal+insert, None keeps all."""
    out = []
    for kind, text in spans:
        esc = html.escape(text, quote=True)
        if kind == "delete" and side != "new":
            out.append(f'<del class="pw-del">{esc}</del>')
        elif kind == "insert" and side != "old":
            out.append(f'<ins class="pw-ins">{esc}</ins>')
        elif kind == "equal":
            out.append(esc)
    return "".join(out)


def _attrs(op: ParagraphOp) -> str:
    cls = f"pw-op pw-{op.op}" + (f" pw-{op.kind}" if op.kind else "")
    data = "".join(
        f' data-{name}="{value}"'
        for name, value in (("old-index", op.old_index), ("new-index", op.new_index))
        if value is not None
    )
    return f'class="{cls}"{data}'


def render_html_inline(ops: Sequence[ParagraphOp]) -> str:
    """One ``<div class="pw-diff pw-inline">`` with a ``<section class="pw-op pw-<op>">`` per op: a header with the
    Chinese label and the paragraph with ``<del>``/``<ins>``. All document text is HTML-escaped."""
    parts = ['<div class="pw-diff pw-inline">']
    if not ops:
        parts.append('<p class="pw-empty">无变化</p>')
    for op, label in zip(ops, op_labels(ops)):
        parts.append(f"<section {_attrs(op)}>")
        parts.append(f'<h4 class="pw-label">{html.escape(label)}</h4>')
        parts.append(f'<p class="pw-text">{_html_spans(_display_spans(op))}</p>')
        parts.append("</section>")
    parts.append("</div>")
    return "\n".join(parts)


def render_html_side_by_side(ops: Sequence[ParagraphOp]) -> str:
    """A two-column ``<table class="pw-diff pw-side-by-side">`` (原文 | 修改后), one row per op, with the label in
    a full-width row above it. All document text is HTML-escaped."""
    parts = [
        '<table class="pw-diff pw-side-by-side">',
        '<thead><tr><th class="pw-old">原文</th><th class="pw-new">修改后</th></tr></thead>',
        "<tbody>",
    ]
    if not ops:
        parts.append('<tr><td colspan="2" class="pw-empty">无变化</td></tr>')
    for op, label in zip(ops, op_labels(ops)):
        spans = _display_spans(op)
        left = _html_spans(spans, "old") if op.op != "insert" else ""
        right = _html_spans(spans, "new") if op.op != "delete" else ""
        if op.op == "move" and not op.spans:
            left = right = html.escape(op.new or "")
        parts.append(f'<tr {_attrs(op)}><th colspan="2" class="pw-label">{html.escape(label)}</th></tr>')
        parts.append(f'<tr {_attrs(op)}><td class="pw-old">{left}</td><td class="pw-new">{right}</td></tr>')
    parts.append("</tbody></table>")
    return "\n".join(parts)


def ops_to_json(ops: Sequence[ParagraphOp]) -> list[dict]:
    """``[op.to_json() for op in ops]`` — plain dicts ready for ``json.dumps``."""
    return [op.to_json() for op in ops]
