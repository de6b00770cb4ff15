"""Paragraph alignment: which paragraphs were inserted, deleted, edited, moved, renumbered, split or merged.

Method (see docs in ``diff_paragraphs``): strong-normalise both documents, align the paragraphs with
``difflib.SequenceMatcher`` (autojunk off) keyed by the paragraph body without its outline marker, then resolve each
non-equal block: exact moves (1:1, >= 20 characters), splits and merges, similarity pairing in order (so a paragraph
can be edited in place), and finally a global pass that pairs leftover deletions and insertions that are near
copies of each other (a paragraph that was moved *and* edited).
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from bisect import bisect_left
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher

from .inline import inline_diff
from .normalize import PINYIN_MIN_HITS, light_each, pinyin_hits, strong_from_light
from .structure import outline_number, strip_outline

__all__ = ["ParagraphOp", "diff_paragraphs", "apply_ops", "ops_from_json", "timeline", "with_anchors", "OPS"]

#: Every value ``ParagraphOp.op`` can take.
OPS = ("insert", "delete", "replace", "move", "renumber")
#: A paragraph must be at least this long (normalised characters) to be reported as moved rather than deleted and
#: inserted (git's --color-moved uses 20 alphanumerics).
MOVE_MIN_CHARS = 20
#: Minimum similarity for pairing a deleted and an inserted paragraph in the same place as one edited paragraph.
PAIR_MIN_SIMILARITY = 0.45
#: Minimum similarity for pairing them across places (moved and edited).
MOVE_EDIT_MIN_SIMILARITY = 0.7
#: Above this many candidate pairs, the in-place pairing only looks near the diagonal and the moved-and-edited
#: pass is skipped (such documents were rewritten, not revised).
MAX_PAIRS = 40_000


@dataclass(frozen=True)
class ParagraphOp:
    """One changed paragraph.

    ``op`` is one of ``OPS``. ``old_index``/``new_index`` index the lists given to ``diff_paragraphs`` (None on the
    side where the paragraph does not exist); ``old``/``new`` are the paragraphs as published.

    ``spans`` (for "replace", "renumber" and a "move" whose text also changed) is the inline diff; its
    equal+delete texts join to the *normalised* old paragraph and equal+insert to the normalised new one
    (light normalisation, Simplified script, no pinyin glosses — so a Traditional page diffs as Simplified — with
    full-width punctuation kept where the published paragraphs used it).

    Splits and merges use the ordinary ops and are marked by ``kind``:

    * old paragraph *i* split into new *j..k*: a "replace" i->j (spans show the text that moved on deleted from
      paragraph i) followed by an "insert" for each of j+1..k, all with ``kind="split"``;
    * old *i..k* merged into new *j*: a "replace" i->j (spans show the appended text inserted) followed by a
      "delete" for each of i+1..k, all with ``kind="merge"``.

    A consumer that ignores ``kind`` therefore still reads a correct redline.

    ``anchor`` (not serialised, not compared) is the old position in front of which this op's new paragraph
    belongs; ``apply_ops`` uses it to rebuild the new list exactly even when blank or volatile-only paragraphs
    were dropped from the comparison.
    """

    op: str
    old_index: int | None
    new_index: int | None
    old: str | None
    new: str | None
    spans: tuple[tuple[str, str], ...] = ()
    kind: str = ""
    anchor: int | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict:
        """``{"op","old_index","new_index","old","new"}``, plus ``"spans": [[op, text], ...]`` when there are spans
        and ``"kind"`` when the op is part of a split or merge."""
        out: dict = {
            "op": self.op,
            "old_index": self.old_index,
            "new_index": self.new_index,
            "old": self.old,
            "new": self.new,
        }
        if self.spans:
            out["spans"] = [[o, t] for o, t in self.spans]
        if self.kind:
            out["kind"] = self.kind
        return out


def ops_from_json(items: Sequence[dict]) -> list[ParagraphOp]:
    """Rebuild ops from ``ParagraphOp.to_json`` dicts (``anchor`` is not stored, so it is None)."""
    return [
        ParagraphOp(
            op=d["op"],
            old_index=d.get("old_index"),
            new_index=d.get("new_index"),
            old=d.get("old"),
            new=d.get("new"),
            spans=tuple((str(o), str(t)) for o, t in d.get("spans", ())),
            kind=d.get("kind", ""),
        )
        for d in items
    ]


# --- similarity ----------------------------------------------------------------------------------------------------


class _Similarity:
    """Paragraph similarity in [0, 1]: Dice coefficient over character bigrams (difflib ratio for short texts)."""

    def __init__(self, old: list[str], new: list[str]) -> None:
        self._texts = (old, new)
        self._grams: tuple[dict[int, frozenset[str]], dict[int, frozenset[str]]] = ({}, {})

    def _bigrams(self, side: int, i: int) -> frozenset[str]:
        cache = self._grams[side]
        got = cache.get(i)
        if got is None:
            t = self._texts[side][i]
            got = cache[i] = frozenset(t[k:k + 2] for k in range(len(t) - 1))
        return got

    def __call__(self, a: int, b: int, floor: float = 0.0) -> float:
        x, y = self._texts[0][a], self._texts[1][b]
        if x == y:
            return 1.0
        lx, ly = len(x), len(y)
        if 2 * min(lx, ly) / (lx + ly) < floor:  # upper bound of either measure
            return 0.0
        if lx < 10 or ly < 10:
            return SequenceMatcher(None, x, y, autojunk=False).ratio()
        gx, gy = self._bigrams(0, a), self._bigrams(1, b)
        return 2 * len(gx & gy) / (len(gx) + len(gy))


_NON_WORD = re.compile(r"[\W_]+")


def _skeleton(text: str) -> str:
    """The text without whitespace, punctuation and symbols: what must survive a split or merge unchanged."""
    return _NON_WORD.sub("", text)


_WIDE = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）"}


def _widen(spans: list[tuple[str, str]], published: str) -> tuple[tuple[str, str], ...]:
    """Give the spans back the full-width punctuation NFKC folded away, for each mark the published paragraphs
    wrote only in full width (a pure character map, so the spans still join to one consistent text)."""
    table = {ord(k): v for k, v in _WIDE.items() if v in published and k not in published}
    if not table:
        return tuple(spans)
    return tuple((op, text.translate(table)) for op, text in spans)


# --- events --------------------------------------------------------------------------------------------------------


@dataclass
class _Ev:
    """One step of the walk through a non-equal block, in document order (compact indices)."""

    kind: str  # pair | del | ins | away (old side of a move) | movein | split | merge
    a: tuple[int, ...] = ()  # compact old indices
    b: tuple[int, ...] = ()  # compact new indices
    partner: int | None = None  # for movein: compact old index
    anchor: int = 0  # raw old index this step's output sits in front of


class _Aligner:
    def __init__(self, old: Sequence[str], new: Sequence[str]) -> None:
        self.old, self.new = list(old), list(new)
        # Normalisation is a pure function of (paragraph, pinyin decision), and two versions share most of their
        # paragraphs: normalise each distinct paragraph once.
        slot = {p: k for k, p in enumerate(dict.fromkeys(self.old + self.new))}
        light = light_each(list(slot))
        lo = [light[slot[p]] for p in self.old]
        ln = [light[slot[p]] for p in self.new]
        # Strip glosses from both documents if either is annotated, so a gloss edited away in a lightly annotated
        # copy does not count as an edit.
        strip = any(pinyin_hits("\n".join(doc), enough=PINYIN_MIN_HITS) >= PINYIN_MIN_HITS for doc in (lo, ln))
        strong = strong_from_light(light, strip_pinyin=strip)
        on = [strong[slot[p]] for p in self.old]
        nn = [strong[slot[p]] for p in self.new]
        self.oi = [i for i, t in enumerate(on) if t]  # compact -> raw
        self.ni = [j for j, t in enumerate(nn) if t]
        self.ot = [on[i] for i in self.oi]  # normalised text, compact
        self.nt = [nn[j] for j in self.ni]
        self.okey = [strip_outline(t) or t for t in self.ot]
        self.nkey = [strip_outline(t) or t for t in self.nt]
        self.sim = _Similarity(self.ot, self.nt)

    def _old_raw(self, a: int) -> int:
        """Raw old index of compact index ``a`` (the old length for the end)."""
        return self.oi[a] if a < len(self.oi) else len(self.old)

    # -- main --------------------------------------------------------------------------------------------------

    def run(self) -> list[ParagraphOp]:
        sm = SequenceMatcher(None, self.okey, self.nkey, autojunk=False)
        codes = sm.get_opcodes()
        blocks = [(a1, a2, b1, b2) for tag, a1, a2, b1, b2 in codes if tag != "equal"]
        moved = self._exact_moves(blocks)  # compact old -> compact new
        moved_in = {b: a for a, b in moved.items()}
        walk: list[tuple[str, object]] = []
        for tag, a1, a2, b1, b2 in codes:
            if tag == "equal":
                walk.append(("equal", (a1, a2, b1, b2)))
            else:
                walk.append(("block", self._block_events(a1, a2, b1, b2, moved, moved_in)))
        self._moves_with_edits([ev for kind, evs in walk if kind == "block" for ev in evs])
        ops: list[ParagraphOp] = []
        for kind, payload in walk:
            if kind == "equal":
                a1, a2, b1, b2 = payload
                for a, b in zip(range(a1, a2), range(b1, b2)):
                    if self.ot[a] != self.nt[b]:
                        ops.append(self._pair_op(a, b, anchor=self.oi[a]))
            else:
                for ev in payload:
                    ops.extend(self._ops_for(ev))
        return ops

    # -- moves ---------------------------------------------------------------------------------------------------

    def _exact_moves(self, blocks: list[tuple[int, int, int, int]]) -> dict[int, int]:
        dels = [a for a1, a2, _, _ in blocks for a in range(a1, a2)]
        inss = [b for _, _, b1, b2 in blocks for b in range(b1, b2)]
        dcount = Counter(self.okey[a] for a in dels)
        icount = Counter(self.nkey[b] for b in inss)
        where = {self.nkey[b]: b for b in inss if icount[self.nkey[b]] == 1}
        out: dict[int, int] = {}
        for a in dels:
            key = self.okey[a]
            if len(key) >= MOVE_MIN_CHARS and dcount[key] == 1 and key in where:
                out[a] = where[key]
        return out

    def _moves_with_edits(self, events: list[_Ev]) -> None:
        dels = [ev for ev in events if ev.kind == "del" and len(self.ot[ev.a[0]]) >= MOVE_MIN_CHARS]
        inss = [ev for ev in events if ev.kind == "ins" and len(self.nt[ev.b[0]]) >= MOVE_MIN_CHARS]
        if not dels or not inss or len(dels) * len(inss) > MAX_PAIRS:
            return
        cands = []
        for d in dels:
            for e in inss:
                if self.okey[d.a[0]] == self.nkey[e.b[0]]:
                    continue  # an exact copy left over by the exact pass is ambiguous (duplicates): not a move
                s = self.sim(d.a[0], e.b[0], MOVE_EDIT_MIN_SIMILARITY)
                if s >= MOVE_EDIT_MIN_SIMILARITY:
                    cands.append((-s, d.a[0], e.b[0], id(d), id(e)))
        cands.sort()
        by_id = {id(ev): ev for ev in dels + inss}
        used: set[int] = set()
        for _, _, _, di, ei in cands:
            if di in used or ei in used:
                continue
            used.update((di, ei))
            d, e = by_id[di], by_id[ei]
            d.kind = "away"
            e.kind, e.partner = "movein", d.a[0]

    # -- blocks --------------------------------------------------------------------------------------------------

    def _block_events(self, a1: int, a2: int, b1: int, b2: int, moved: dict[int, int], moved_in: dict[int, int]) -> list[_Ev]:
        free_a = [a for a in range(a1, a2) if a not in moved]
        free_b = [b for b in range(b1, b2) if b not in moved_in]
        links = self._splits_and_merges(free_a, free_b)
        linked_a = {a for la, _ in links for a in la}
        linked_b = {b for _, lb in links for b in lb}
        events: list[_Ev] = []
        ca, cb = a1, b1  # cursors: everything before them is already in ``events``
        for la, lb in [*links, ((a2,), (b2,))]:
            seg_a = [a for a in range(ca, la[0]) if a not in linked_a]
            seg_b = [b for b in range(cb, lb[0]) if b not in linked_b]
            events.extend(self._segment(seg_a, seg_b, moved, moved_in))
            if la[0] < a2:
                events.append(_Ev("split" if len(lb) > 1 else "merge", a=la, b=lb))
            ca, cb = la[-1] + 1, lb[-1] + 1
        # An insertion's output sits in front of the next old-side step of the block (or of what follows it);
        # steps with an old paragraph sit at that paragraph.
        next_old = self._old_raw(a2)
        for ev in reversed(events):
            ev.anchor = next_old
            if ev.a:
                next_old = self.oi[ev.a[0]]
        for ev in events:
            if ev.a and ev.kind != "away":
                ev.anchor = self.oi[ev.a[0]]
        return events

    def _splits_and_merges(self, free_a: list[int], free_b: list[int]) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
        """Links (old indices, new indices) where consecutive paragraphs on one side join to exactly one paragraph
        on the other (ignoring whitespace and punctuation). Returned in document order, non-crossing."""
        if not free_a or not free_b:
            return []
        sk_a = {a: _skeleton(self.ot[a]) for a in free_a}
        sk_b = {b: _skeleton(self.nt[b]) for b in free_b}
        found: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
        for one, many, sk_one, sk_many, flip in ((free_a, free_b, sk_a, sk_b, False), (free_b, free_a, sk_b, sk_a, True)):
            many_set = set(many)
            starts: dict[str, list[int]] = {}
            for y in many:
                if sk_many[y]:
                    starts.setdefault(sk_many[y][0], []).append(y)
            for x in one:
                target = sk_one[x]
                if not target:
                    continue
                for start in starts.get(target[0], ()):
                    part = sk_many[start]
                    if not target.startswith(part) or len(part) == len(target):
                        continue
                    run, acc, y = [start], part, start + 1
                    while len(acc) < len(target) and y in many_set and sk_many[y] and target.startswith(acc + sk_many[y]):
                        acc += sk_many[y]
                        run.append(y)
                        y += 1
                    if acc == target:
                        found.append(((tuple(run), (x,)) if flip else ((x,), tuple(run))))
                        break
        found.sort(key=lambda link: (link[0][0], link[1][0]))
        out: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
        last_a = last_b = -1
        for la, lb in found:
            if la[0] > last_a and lb[0] > last_b:
                out.append((la, lb))
                last_a, last_b = la[-1], lb[-1]
        return out

    def _segment(self, seg_a: list[int], seg_b: list[int], moved: dict[int, int], moved_in: dict[int, int]) -> list[_Ev]:
        """Pair old and new paragraphs of one stretch in order, maximising total similarity (DP, LCS-like)."""
        m, n = len(seg_a), len(seg_b)
        pairs: list[tuple[int, int]] = []
        pairable_a = [a not in moved for a in seg_a]
        pairable_b = [b not in moved_in for b in seg_b]
        if m and n and any(pairable_a) and any(pairable_b):
            band = None if m * n <= MAX_PAIRS else max(8, MAX_PAIRS // (2 * max(m, n)))
            score = [[0.0] * (n + 1) for _ in range(m + 1)]
            take = [[False] * (n + 1) for _ in range(m + 1)]
            for i in range(1, m + 1):
                row, prev = score[i], score[i - 1]
                for j in range(1, n + 1):
                    best = prev[j] if prev[j] >= row[j - 1] else row[j - 1]
                    if pairable_a[i - 1] and pairable_b[j - 1] and (band is None or abs(i * n - j * m) <= band * max(m, n)):
                        s = self.sim(seg_a[i - 1], seg_b[j - 1], PAIR_MIN_SIMILARITY)
                        if s >= PAIR_MIN_SIMILARITY and prev[j - 1] + s > best:
                            best = prev[j - 1] + s
                            take[i][j] = True
                    row[j] = best
            i, j = m, n
            while i and j:
                if take[i][j]:
                    pairs.append((i - 1, j - 1))
                    i, j = i - 1, j - 1
                elif score[i - 1][j] >= score[i][j - 1]:
                    i -= 1
                else:
                    j -= 1
            pairs.reverse()
        events: list[_Ev] = []
        ia = ib = 0
        for pi, pj in [*pairs, (m, n)]:
            for a in seg_a[ia:pi]:
                events.append(_Ev("away" if a in moved else "del", a=(a,)))
            for b in seg_b[ib:pj]:
                if b in moved_in:
                    events.append(_Ev("movein", b=(b,), partner=moved_in[b]))
                else:
                    events.append(_Ev("ins", b=(b,)))
            if pi < m:
                events.append(_Ev("pair", a=(seg_a[pi],), b=(seg_b[pj],)))
            ia, ib = pi + 1, pj + 1
        return events

    # -- ops -----------------------------------------------------------------------------------------------------

    def _pair_op(self, a: int, b: int, *, anchor: int, op: str | None = None, kind: str = "") -> ParagraphOp:
        x, y = self.ot[a], self.nt[b]
        if op is None:
            mx, my = outline_number(x), outline_number(y)
            same_body = strip_outline(x) == strip_outline(y)
            op = "renumber" if same_body and mx is not None and my is not None and mx != my else "replace"
        pub_old, pub_new = self.old[self.oi[a]], self.new[self.ni[b]]
        spans = _widen(inline_diff(x, y), pub_old + pub_new) if x != y else ()
        return ParagraphOp(op, self.oi[a], self.ni[b], self.old[self.oi[a]], self.new[self.ni[b]], spans, kind, anchor)

    def _ops_for(self, ev: _Ev) -> list[ParagraphOp]:
        if ev.kind == "pair":
            if self.ot[ev.a[0]] == self.nt[ev.b[0]]:
                return []  # same text in the same place: nothing to report
            return [self._pair_op(ev.a[0], ev.b[0], anchor=ev.anchor)]
        if ev.kind == "del":
            i = self.oi[ev.a[0]]
            return [ParagraphOp("delete", i, None, self.old[i], None, (), "", i)]
        if ev.kind == "ins":
            j = self.ni[ev.b[0]]
            return [ParagraphOp("insert", None, j, None, self.new[j], (), "", ev.anchor)]
        if ev.kind == "movein":
            return [self._pair_op(ev.partner, ev.b[0], anchor=ev.anchor, op="move")]
        if ev.kind == "split":
            a, first, rest = ev.a[0], ev.b[0], ev.b[1:]
            out = [self._pair_op(a, first, anchor=ev.anchor, op="replace", kind="split")]
            for b in rest:
                j = self.ni[b]
                out.append(ParagraphOp("insert", None, j, None, self.new[j], (), "split", ev.anchor))
            return out
        if ev.kind == "merge":
            first, rest, b = ev.a[0], ev.a[1:], ev.b[0]
            out = [self._pair_op(first, b, anchor=ev.anchor, op="replace", kind="merge")]
            for a in rest:
                i = self.oi[a]
                out.append(ParagraphOp("delete", i, None, self.old[i], None, (), "merge", i))
            return out
        return []  # "away": reported by its "movein"


def diff_paragraphs(old: Sequence[str], new: Sequence[str]) -> list[ParagraphOp]:
    """The changed paragraphs between two versions of a document, as ``ParagraphOp``s in new-document order
    (a deletion is placed where the paragraph stood; before an insertion at the same place).

    Guarantees:

    * paragraphs equal after ``normalize_paragraphs``-style normalisation produce no op (whitespace, full-width,
      Traditional/Simplified, pinyin glosses, view counters), and blank paragraphs are ignored, so
      ``diff_paragraphs(a, a) == []``;
    * a paragraph of at least ``MOVE_MIN_CHARS`` characters that appears unchanged elsewhere (once removed, once
      added) is one "move"; one that moved and was edited is a "move" with spans;
    * a paragraph whose only difference is its outline marker ("(三)"->"(四)") is "renumber";
    * edited paragraphs are paired with their old selves by similarity, in order, and reported as "replace";
    * splits and merges are reported with ``kind`` set (see ``ParagraphOp``);
    * ``apply_ops(old, diff_paragraphs(old, new))`` equals ``new`` up to normalisation.
    """
    return _Aligner(old, new).run()


def with_anchors(ops: Sequence[ParagraphOp], old_len: int) -> list[ParagraphOp]:
    """``ops`` with every missing ``anchor`` filled in (ops rebuilt from JSON carry none).

    In-place ops anchor at their old paragraph. An insertion or move at new position *j* anchors in front of the
    *u*-th unchanged old paragraph, *u* being the number of unchanged paragraphs before *j* in the new text, but
    never after the next in-place op. Exact whenever neither version held blank or volatile-only paragraphs."""
    if all(op.anchor is not None for op in ops):
        return list(ops)
    referenced = {op.old_index for op in ops if op.old_index is not None}
    unchanged = [i for i in range(old_len) if i not in referenced]
    produced = sorted(op.new_index for op in ops if op.op != "delete" and op.new_index is not None)
    out: list[ParagraphOp | None] = [None] * len(ops)
    next_in_place = old_len
    for k in range(len(ops) - 1, -1, -1):
        op = ops[k]
        if op.anchor is not None:
            anchor = op.anchor
        elif op.old_index is not None and op.op != "move":
            anchor = op.old_index
        else:
            j = op.new_index if op.new_index is not None else 0
            u = j - bisect_left(produced, j)
            anchor = min(unchanged[u] if u < len(unchanged) else old_len, next_in_place)
        if op.old_index is not None and op.op != "move":
            next_in_place = min(next_in_place, anchor)
        out[k] = replace(op, anchor=anchor)
    return out  # type: ignore[return-value]


def timeline(old: Sequence[str], ops: Sequence[ParagraphOp]) -> list[tuple[int | None, ParagraphOp | None]]:
    """The whole comparison in reading order: ``(old_index, None)`` for an unchanged paragraph and
    ``(None, op)`` for a change (a deletion appears where the paragraph stood)."""
    items: list[tuple[int, int, int, int | None, ParagraphOp | None]] = []
    full = with_anchors(ops, len(old))
    for seq, (op, anchored) in enumerate(zip(ops, full)):
        items.append((anchored.anchor, 0, seq, None, op))  # type: ignore[arg-type]
    referenced = {op.old_index for op in ops if op.old_index is not None}
    for i in range(len(old)):
        if i not in referenced:
            items.append((i, 1, 0, i, None))
    items.sort(key=lambda t: t[:3])
    return [(t[3], t[4]) for t in items]


def apply_ops(old: Sequence[str], ops: Sequence[ParagraphOp]) -> list[str]:
    """Rebuild the new document from ``old`` and the ops of ``diff_paragraphs(old, new)``.

    Unchanged paragraphs are taken from ``old`` (as published in the old version), changed ones from ``op.new``.
    For ops straight from ``diff_paragraphs`` the result equals ``new`` up to normalisation; for ops rebuilt from
    JSON (no anchors) it does whenever neither version held blank or volatile-only paragraphs.
    """
    out: list[str] = []
    for i, op in timeline(old, ops):
        if op is None:
            out.append(old[i])  # type: ignore[index]
        elif op.op != "delete" and op.new is not None:
            out.append(op.new)
    return out
