"""Document structure for the targets extractor: headings and their levels, sentences, clauses and
segments, review sections, 时间节点 scopes and list heads."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Sequence

from .targets_lexicon import (
    ADVERBS, CJK, CLOSE, COMPLETION_RE, DATE_LINE_RE, ENUM_RE, FACT_RE, FUTURE_RE, LEAD_JUNK_RE, OPEN, PAST_RE,
    REVIEW_RE, SENT_END, SEPS, TIME_NODE_RE, TRAIL_JUNK_RE,
)
from .timephrase import TimePhrase, cn_int


@dataclass
class Clause:
    """A clause of a sentence: text[start:end], in segment `seg` (segments are split by ；and ：)."""

    start: int
    end: int          # exclusive, before the separator
    seg: int
    times: list[TimePhrase] = field(default_factory=list)
    gov: TimePhrase | None = None
    lead_in: bool = False   # opens a segment whose own time phrase comes later


@dataclass
class DocState:
    """What the reader remembers while going down a document."""

    doc_year: int | None = None
    section: TimePhrase | None = None     # from a 时间节点 line: governs target quantities below it
    section_level: int = 3
    heads: TimePhrase | None = None       # from a sentence ending in "：": governs the items it heads
    heads_level: int | None = None        # enumerator level of those items (-1: a single unnumbered paragraph)
    review_level: int | None = None
    report: bool = False                  # the document reports facts (a statistical bulletin, a work summary)


def enum_level(text: str) -> tuple[int | None, str | None, int]:
    """Heading level of a leading enumerator (第一章 0, 一、1, (一) 2, 1. 3, (1) 4, ① 5, bullets 6), its kind,
    and its length."""
    m = ENUM_RE.match(text)
    if not m:
        return None, None, 0
    kind = m.lastgroup  # the one group l0…l6 that matched (each is a whole alternative, never empty)
    if kind and m.group(kind):
        return int(kind[1:]), kind, m.end()
    return None, None, 0


# Characters that may end a sentence, and the ones the clause splitter looks at.
_SENT_CAND_RE = re.compile("[" + re.escape(SENT_END + ".") + "]")
_CLAUSE_CAND_RE = re.compile("[" + re.escape(OPEN + CLOSE + SEPS + SENT_END) + "]")
_CJK_RE = re.compile(f"[{CJK}]")


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans: a sentence ends at 。！？ or at a "." right after a Chinese character."""
    out, start = [], 0
    for m in _SENT_CAND_RE.finditer(text):
        i = m.start()
        if text[i] == ".":
            end = i > 0 and _CJK_RE.match(text, i - 1) is not None and not text[i + 1:i + 2].isdigit()
        else:
            end = text[i - 1:i] != "?"
        if end:
            if i + 1 > start:
                out.append((start, i + 1))
            start = i + 1
    if start < len(text):
        out.append((start, len(text)))
    return out


def clauses_of(text: str, s0: int, s1: int) -> list[Clause]:
    """The clauses of sentence text[s0:s1], split at ，；：outside brackets."""
    out: list[Clause] = []
    depth, start, seg = 0, s0, 0
    for m in _CLAUSE_CAND_RE.finditer(text, s0, s1):  # only brackets and separators change the state
        i = m.start()
        ch = text[i]
        if ch in OPEN:
            depth += 1
        elif ch in CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0 and (ch in SEPS or (ch in SENT_END and i == s1 - 1)) and text[i - 1:i] != "?":
            if i > start:
                out.append(Clause(start, i, seg))
            start = i + 1
            if ch in ";:":
                seg += 1
    end = s1 - 1 if s1 > s0 and text[s1 - 1] in SENT_END + "." else s1
    if start < end:
        out.append(Clause(start, end, seg))
    return out


def doc_year(texts: Sequence[str]) -> int | None:
    """Year of the signing date: a short paragraph that is nothing but a date ("2021年12月2日")."""
    years = []
    for t in texts:
        if len(t) <= 30:
            m = DATE_LINE_RE.search(t)
            if m and m.end() == len(t) and m.start() <= 20:
                years.append(cn_int(m.group("y")))
    return max(years) if years else None


def strip_spans(text: str, a: int, b: int, spans: list[tuple[int, int]]) -> str:
    """text[a:b] with the given spans cut out."""
    out, i = [], a
    for s, e in sorted(spans):
        if e <= a or s >= b:
            continue
        if s > i:
            out.append(text[i:s])
        i = max(i, e)
    if i < b:
        out.append(text[i:b])
    return "".join(out)


def clean(s: str) -> str:
    """A metric without enumerator, connectives (并, 同时, 力争…), scope words (全市…) or trailing adverbs."""
    s = s.strip(",;:、 ")
    _, _, n = enum_level(s)
    s = s[n:]
    prev = None
    while prev != s:
        prev = s
        s = LEAD_JUNK_RE.sub("", s)
        s = TRAIL_JUNK_RE.sub("", s)
    return s


def is_past(text: str) -> bool:
    """The text states a past or present fact (已, …了, 比上年, 目前, 现有…)."""
    return bool(PAST_RE.search(text))


_TITLE_END_RE = re.compile(r"[。:]")
_NOT_HEADING_RE = re.compile(r"[\d,;。]")
_ENUM_END_RE = re.compile(r"(?:\(\d{1,2}\)|\d{1,2}\)|\d{1,2}[.、]|[①-⑳])$")
_COMPLETES_START_RE = re.compile(rf"(?:{ADVERBS})*(?:{COMPLETION_RE.pattern})")
_COMPLETES_END_RE = re.compile(rf"(?:{COMPLETION_RE.pattern})[{CJK}]{{0,3}}$")


def update_structure(doc: DocState, text: str) -> None:
    """Track review sections, 时间节点 scopes and list heads as headings go by (before the paragraph is read)."""
    level, _kind, n = enum_level(text)
    title = _TITLE_END_RE.split(text[n:], maxsplit=1)[0]
    bare_heading = level is None and len(text) <= 15 and not _NOT_HEADING_RE.search(text)
    if doc.review_level is not None and ((level is not None and level <= doc.review_level) or bare_heading):
        doc.review_level = None
    if len(title) <= 20 and REVIEW_RE.search(title) and ((level is not None and level <= 2) or bare_heading):
        doc.review_level = level if level is not None else 1
    if doc.section is not None and level is not None and level < doc.section_level:
        doc.section = None
    if doc.heads is not None:
        if doc.heads_level is None:  # the first paragraph under the heading sentence sets the item level
            doc.heads_level = level if level is not None else -1
        elif doc.heads_level < 0 or level is None or level < doc.heads_level:
            doc.heads, doc.heads_level = None, None


def after_paragraph(doc: DocState, text: str, times: list[TimePhrase]) -> None:
    """Record a 时间节点 line or a sentence ending in "：" that names a time, for the paragraphs below."""
    for m in TIME_NODE_RE.finditer(text):
        t = next((t for t in times if m.end() <= t.start <= m.end() + 2), None)
        if t is None:
            continue
        em = _ENUM_END_RE.search(text[: m.start()])
        doc.section, doc.section_level = t, (enum_level(em.group(0))[0] or 3) if em else 3
    body = text.rstrip()
    if body.endswith(":"):
        last = sentences(body)[-1]
        t = next((t for t in times if last[0] <= t.start < last[1]), None)
        if t is not None:
            doc.heads, doc.heads_level = t, None


def completes(after: str) -> bool:
    """The words after a bare year finish something: "2025年完成搬迁", "…项目建成投入运行"."""
    after = after.strip(",、")
    return bool(_COMPLETES_START_RE.match(after) or _COMPLETES_END_RE.search(after))


def is_report(texts: Sequence[str]) -> bool:
    """A document that mostly compares with last year (比上年, 同比) reports facts rather than sets goals."""
    facts = sum(len(FACT_RE.findall(t)) for t in texts)
    future = sum(len(FUTURE_RE.findall(t)) for t in texts)
    return facts >= 5 and facts >= future
