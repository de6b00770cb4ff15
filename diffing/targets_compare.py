"""Pair the commitments of two versions of a document and report what changed.

Pairing, in two passes:

1. Commitments that are identical in substance (kind, metric, relation, value, unit, qualifier, baseline,
   deadline) pair with each other, nearest position first. Rewording around a target or moving its
   paragraph therefore changes nothing.
2. The rest pair by metric similarity (Dice coefficient over the longest common subsequence of the
   normalised metrics), requiring the same kind; a pair whose value and unit agree may have a looser metric
   (a reworded name). Ties go to the commitment at the nearer relative position.

A pair whose value, unit, relation, qualifier or baseline differ is a `value_changed`; a pair whose due date
(or, with no date, the written time phrase) differs is a `deadline_changed`; one pair can be both. Unpaired
commitments are `added` or `removed`.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Sequence

from .targets_model import Commitment, TargetChange
from .targets_text import normalise

_PUNCT = re.compile(r"[\s,.;:!?、。，；：！？()（）“”\"'《》\[\]【】\-—/]")
_STRICT = 0.6     # metric similarity that pairs two commitments on its own
_LOOSE = 0.35     # metric similarity that suffices when value and unit agree


def norm_metric(s: str | None) -> str:
    """A metric for comparing: Simplified, no pinyin, spaces or punctuation."""
    return _PUNCT.sub("", normalise(s or "").text)


def lcs(a: str, b: str) -> int:
    """Length of the longest common subsequence of two strings."""
    if not a or not b:
        return 0
    prev = [0] * (len(b) + 1)
    for ch in a:
        cur = [0]
        for j, d in enumerate(b):
            cur.append(prev[j] + 1 if ch == d else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def similarity(a: str, b: str) -> float:
    """Dice coefficient of two metrics over their longest common subsequence (0..1)."""
    a, b = norm_metric(a), norm_metric(b)
    if not a or not b:
        return 0.0
    return 2 * lcs(a, b) / (len(a) + len(b))


def _amount(c: Commitment) -> tuple:
    return (c.relation, c.value, norm_metric(c.unit), c.qualifier, norm_metric(c.baseline))


def _when(c: Commitment) -> tuple:
    return (c.deadline, None if c.deadline else norm_metric(c.deadline_text))


def _key(c: Commitment) -> tuple:
    return (c.kind, norm_metric(c.metric)) + _amount(c) + _when(c)


def _rel_positions(items: Sequence[Commitment]) -> list[float]:
    n = max(1, len(items) - 1)
    return [i / n for i in range(len(items))]


def compare_commitments(old: Sequence[Commitment], new: Sequence[Commitment]) -> list[TargetChange]:
    """Changes between the commitments of an old and a new version, in the new version's order
    (removals at the position they had in the old version)."""
    old, new = list(old), list(new)
    po, pn = _rel_positions(old), _rel_positions(new)
    free_old = set(range(len(old)))
    pairs: dict[int, int] = {}  # new index -> old index

    # pass 1: identical in substance
    by_key: dict[tuple, list[int]] = {}
    for i, c in enumerate(old):
        by_key.setdefault(_key(c), []).append(i)
    for j, c in enumerate(new):
        cands = [i for i in by_key.get(_key(c), []) if i in free_old]
        if cands:
            i = min(cands, key=lambda i: abs(po[i] - pn[j]))
            pairs[j] = i
            free_old.discard(i)

    # pass 2: similar metric
    mo = [norm_metric(c.metric) for c in old]
    mn = [norm_metric(c.metric) for c in new]
    co = [Counter(m) for m in mo]
    cn = [Counter(m) for m in mn]
    scored = []
    for j, c in enumerate(new):
        if j in pairs:
            continue
        for i in free_old:
            o = old[i]
            if o.kind != c.kind or not mo[i] or not mn[j]:
                continue
            total = len(mo[i]) + len(mn[j])
            if 2 * sum((co[i] & cn[j]).values()) / total < _LOOSE:
                continue  # shared characters bound the common subsequence: too far apart
            sim = 2 * lcs(mo[i], mn[j]) / total
            same_amount = o.value is not None and o.value == c.value and norm_metric(o.unit) == norm_metric(c.unit)
            if sim >= _STRICT or (same_amount and sim >= _LOOSE):
                score = sim + (0.3 if same_amount else 0.0) + (0.2 if _when(o) == _when(c) else 0.0)
                scored.append((score - 0.1 * abs(po[i] - pn[j]), j, i))
    for _score, j, i in sorted(scored, key=lambda x: (-x[0], x[1], x[2])):
        if j in pairs or i not in free_old:
            continue
        pairs[j] = i
        free_old.discard(i)

    out: list[tuple[float, int, TargetChange]] = []
    for j, c in enumerate(new):
        if j not in pairs:
            out.append((pn[j], 1, TargetChange("added", c.metric, None, c)))
            continue
        o = old[pairs[j]]
        if _amount(o) != _amount(c):
            out.append((pn[j], 0, TargetChange("value_changed", c.metric, o, c)))
        if _when(o) != _when(c):
            out.append((pn[j], 0, TargetChange("deadline_changed", c.metric, o, c)))
    for i in sorted(free_old):
        out.append((po[i], 2, TargetChange("removed", old[i].metric, old[i], None)))
    out.sort(key=lambda x: (x[0], x[1]))
    return [t for _p, _k, t in out]
