"""Private text normalisation for the targets extractor, with a map back to the original text.

The extractor matches its patterns on a normalised copy of each paragraph (pinyin annotations and
whitespace removed, full-width ASCII folded, Traditional converted to Simplified) but must quote the
paragraph exactly as given. `MappedText` keeps, for every normalised character, the index of the
original character it came from, so any span of the normalised text can be cut out of the original.

The pinyin syllable check and the Traditional → Simplified conversion are `diffing.normalize`'s; what is
here is the position map, which the paragraph-level normaliser does not need.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .normalize import is_pinyin_syllable, to_simplified

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A tone-marked pinyin syllable in ASCII or full-width parentheses, glued to the CJK character it glosses.
_PINYIN_RE = re.compile(rf"(?<=[{_CJK}])[(（]([a-zü]{{0,5}}[{_TONED}][a-zü{_TONED}]{{0,5}})[)）]")
_TAIL_GLOSS_RE = re.compile(rf"[(（][a-zü{_TONED}]{{1,7}}[)）]")
_SPACE = set(" \t\r\n\f\v\u3000\xa0\u200b\u2002\u2003\u2009\ufeff")


_TONED_RE = re.compile(f"[{_TONED}]")  # in every annotation: a text without one needs no scan


def pinyin_spans(text: str) -> list[tuple[int, int]]:
    """Spans of pinyin annotations such as `(wǎng)` that follow a CJK character."""
    if not _TONED_RE.search(text):
        return []
    return [m.span() for m in _PINYIN_RE.finditer(text) if is_pinyin_syllable(m.group(1))]


@dataclass(frozen=True)
class MappedText:
    """A normalised text and, for each of its characters, the index of the source character."""

    original: str
    text: str
    pos: Sequence[int]  # a tuple, or a range when nothing was deleted

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Original [a, b) covering normalised [start, end); trailing annotations are kept, spaces trimmed."""
        if start >= end:
            return (self.pos[start] if start < len(self.pos) else len(self.original),) * 2
        a = self.pos[start]
        b = self.pos[end] if end < len(self.pos) else len(self.original)
        while b > a and self.original[b - 1] in _SPACE:
            b -= 1
        # Never run past the last kept character into unrelated deleted text other than an annotation.
        last = self.pos[end - 1] + 1
        tail = self.original[last:b]
        if tail and not all(c in _SPACE for c in tail) and not _TAIL_GLOSS_RE.fullmatch(tail.strip()):
            b = last
        return a, b

    def quote(self, start: int, end: int) -> str:
        """The exact original substring behind normalised [start, end)."""
        a, b = self.original_span(start, end)
        return self.original[a:b]



_FOLD_TABLE = {o: o - 0xFEE0 for o in range(0xFF01, 0xFF5F) if o != ord("？")}
_FOLD_RE = re.compile("[" + "".join(chr(o) for o in _FOLD_TABLE) + "]")
_SPACE_RE = re.compile("[" + re.escape("".join(sorted(_SPACE))) + "]")
_KEPT_RUN_RE = re.compile("[^" + re.escape("".join(sorted(_SPACE))) + "]+")


def _fold(text: str) -> str:
    """`text.translate(_FOLD_TABLE)`, replacing only the few distinct full-width characters present (faster)."""
    for ch in set(_FOLD_RE.findall(text)):
        text = text.replace(ch, chr(_FOLD_TABLE[ord(ch)]))
    return text


def normalise(text: str, strip_pinyin: bool = True, spans: list[tuple[int, int]] | None = None) -> MappedText:
    """Normalise one paragraph for matching; guarantees `len(result.text) == len(result.pos)`.

    Removes pinyin annotations (when `strip_pinyin`) and all whitespace, folds full-width ASCII to
    half-width, and converts Traditional to Simplified characters one for one. `spans`, when given, is
    `pinyin_spans(text)` already computed.
    """
    spans = (pinyin_spans(text) if spans is None else spans) if strip_pinyin else []
    if not spans and not _SPACE_RE.search(text):
        # the common case: nothing is deleted, so positions map one to one
        kept_idx: Sequence[int] = range(len(text))
        kept = _fold(text)
    elif not spans:
        # only whitespace is deleted: keep the runs between it
        kept_idx = [i for m in _KEPT_RUN_RE.finditer(text) for i in range(m.start(), m.end())]
        kept = _fold(_SPACE_RE.sub("", text))
    else:
        deleted = [False] * len(text)
        for a, b in spans:
            for i in range(a, b):
                deleted[i] = True
        kept_idx = [i for i, ch in enumerate(text) if not deleted[i] and ch not in _SPACE]
        kept = "".join(text[i] for i in kept_idx).translate(_FOLD_TABLE)
    if kept and any(ord(c) > 0x2E7F for c in kept):
        conv = to_simplified(kept)
        if len(conv) != len(kept):  # a phrase mapping changed the length: fall back to single characters
            conv = "".join(to_simplified(c) or c for c in kept)
            if len(conv) != len(kept):
                conv = kept
        kept = conv
    return MappedText(text, kept, kept_idx if isinstance(kept_idx, range) else tuple(kept_idx))


def normalise_all(paragraphs: Sequence[str]) -> list[MappedText]:
    """`normalise` of every paragraph, stripping pinyin only when the paragraphs carry at least two annotations
    between them (one alone is more likely a real bracket); each paragraph is scanned for annotations once."""
    spans = [pinyin_spans(p) for p in paragraphs]
    strip = sum(len(s) for s in spans) >= 2
    return [normalise(p, strip, s) for p, s in zip(paragraphs, spans)]
