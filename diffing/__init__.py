"""Pure text functions for comparing policy versions: normalisation, outline markers, paragraph alignment,
number-aware inline diff and renderers. No I/O, no logging, nothing read at import (OpenCC loads on first use).
The only clock use is the inline diff's time budget (``inline_diff(timelimit=...)``)."""
from __future__ import annotations

from .align import OPS, ParagraphOp, apply_ops, diff_paragraphs, ops_from_json, timeline
from .inline import inline_diff, tokenize
from .normalize import fingerprint, fingerprints, light_normalize, normalize_paragraphs
from .render import (
    op_labels,
    op_label,
    ops_to_json,
    render_html_inline,
    render_html_side_by_side,
    render_terminal,
    render_unified,
)
from .structure import outline_number, strip_outline

__all__ = [
    "OPS",
    "ParagraphOp",
    "apply_ops",
    "diff_paragraphs",
    "fingerprint",
    "fingerprints",
    "inline_diff",
    "light_normalize",
    "normalize_paragraphs",
    "op_label",
    "op_labels",
    "ops_from_json",
    "ops_to_json",
    "outline_number",
    "render_html_inline",
    "render_html_side_by_side",
    "render_terminal",
    "render_unified",
    "strip_outline",
    "timeline",
    "tokenize",
]

# --- targets (diffing/targets.py, owned by the targets helper) ---------------------------------------------------
# The targets helper adds its imports and __all__ entries here, e.g.:
#   from .targets import compare_commitments, extract_commitments
#   __all__ += ["compare_commitments", "extract_commitments"]
# --- end targets ---------------------------------------------------------------------------------------------------
