"""Rules that find targets, dated tasks and scope thresholds in the paragraphs of a Chinese policy document.

How a document is read (each rule is one a reader of policy Chinese applies):

* Text is normalised (pinyin glosses and spaces dropped, Traditional → Simplified) for matching only; every
  quote is cut from the paragraph as given.
* A sentence ends at 。！？; within it, clauses are separated by ，；：and segments by ；：.
* A time phrase ("到2020年底", "2019年上半年", "十三五末", "三年内") governs its own clause and the clauses after it
  in the sentence, until the next time phrase. A clause that opens a segment which later names its own time
  phrase ("实施错峰生产，2020年年底前深化…") belongs to that later phrase.
* A line "时间节点：<time>" governs the target quantities of the task items under it; a sentence ending in
  "：" that names a time ("到2025年，主要目标是：") governs the items it heads; a sentence opening with 其中
  continues the previous sentence's time.
* A quantity (number + unit) is a target when a time phrase governs it, when a comparator or qualifier makes
  it a floor, ceiling or approximation (不低于, 以上, 控制在…以内, 左右), or when a verb of building or
  changing introduces it (建设, 新增, 培育, 下降…). A measure with 以下/以上 (or a rate like 万吨/年) directly
  before a noun defines a scope: a threshold ("30万千瓦以下机组").
* A governed clause without a target quantity is a dated task (kind "deadline") unless it is a label, a
  circumstance (根据…情况), a trend without an end state (生态环境持续改善), or an ongoing effort that the time
  phrase reaches only from an earlier clause (有序推进…工作). Consecutive task clauses (verb first) form one task;
  a clause with its own subject ("生态环境根本好转") is a task of its own.
* Facts are not commitments: clauses marked as past or present (已, …了, 比上年, 同比, 以来, 目前, 现有),
  sections reviewing past work (发展基础, 工作回顾, 主要成效…), and years before the document's signing date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Sequence

from .numbers import Quantity, find_quantities
from .targets_lexicon import (
    AGENCY_RE, ATTRIBUTE_RE, BASELINE_RE, CIRC_RE, CJK, INCENTIVE_RE, LABEL_RE, LEFT_QUAL_RE, MODAL_FUTURE_RE,
    MODAL_RE, NOUN_STOP_RE, OUTCOME_RE, PROCESS_RE, PROJECTION_RE, REL_END, REL_WORD_RE, REPORTING_RE, SCALE_UNITS,
    STRONG_PAST_RE, TARGET_VERB_RE, TASK_START_RE, TASK_VERB_RE, VAGUE_RE,
)
from .targets_model import Commitment
from .targets_structure import (
    Clause, DocState, after_paragraph, clauses_of, clean, completes, doc_year, enum_level, is_past, is_report,
    sentences, strip_spans, update_structure,
)
from .targets_text import MappedText, normalise_all, pinyin_spans
from .timephrase import TimePhrase, find_time_phrases, year_spans


# Patterns of the rules below, compiled once.
_YEAR_WORD_RE = re.compile(r"\d{4}年")
_SCOPE_WORD_RE = re.compile(r"(?:规模|单套装置|单机容量|容量|直径|排量|功率|年产|年处理|日处理)$")
_LIST_SEP_RE = re.compile(r"[、和及与]")
_RATE_WORD_RE = re.compile(r"年均|累计|平均|每年")
_NOUN_RE = re.compile(rf"[{CJK}][{CJK}A-Za-z()“”\"]*")
_NOUN_BREAK_RE = re.compile(r"(?:和|及|与|以及|、|的|等)")
_QUOTE_SKIP_RE = re.compile(r"(?:[,、]|力争|确保|争取|要|将|并)")
_SPACES_RE = re.compile(r"\s+")
_AT_END_RE = re.compile(r"(?:并|要|应|须)?[于在]$")
_DONE_RE = re.compile(r"完成|建成(?!区)|实现|全覆盖|达到|全部")
_CJK_CHAR_RE = re.compile(f"[{CJK}]")


@dataclass(frozen=True)
class _Item:
    """What the previous list item of a clause left behind for the next one."""

    end: int | None
    metric: str | None
    relation: str | None
    ok: bool


def _split_baseline(pre: str) -> tuple[str, str | None]:
    """Cut the comparison base out of the words before a number: "能耗比2015年下降" → ("能耗下降", "2015")."""
    found = list(BASELINE_RE.finditer(pre))
    if not found:
        return pre, None
    m = found[-1]
    b = m.group("b").strip("“”\"")
    return pre[: m.start()] + pre[m.end():], (b[:-1] if _YEAR_WORD_RE.fullmatch(b) else b)


def _relation(pre: str, q: Quantity) -> tuple[str | None, str | None]:
    """Relation and qualifier from the words before the number and the qualifier after it."""
    relation = next((rel for pat, rel in REL_END if pat.search(pre)), None)
    lq = LEFT_QUAL_RE.search(pre)
    qualifier = lq.group(1) if lq else None
    if q.qualifier:
        qualifier = qualifier or q.qualifier
        if relation not in ("decrease_by", "increase_by"):  # "下降23%以上" stays a decrease
            if q.qualifier in ("以上", "及以上"):
                relation = "at_least"
            elif q.qualifier in ("以下", "及以下", "以内", "之内"):
                relation = "at_most"
            elif q.qualifier in ("左右", "上下"):
                relation = "about"
    if q.value2 is not None and relation in (None, "reach"):
        relation = "at_least"  # "2-3个": at least the lower end
    return relation, qualifier


def _is_scope(q: Quantity, pre: str) -> bool:
    """A measure directly before a noun with 以下/以上, a rate ("万吨/年"), or after 规模/直径… sets a scope."""
    if q.is_counter or q.is_percent:
        return False
    return (q.is_rate or q.qualifier in ("以下", "及以下", "以上", "及以上", "以内")
            or bool(_SCOPE_WORD_RE.search(pre)))


class _Paragraph:
    """Extraction state for one paragraph."""

    def __init__(self, idx: int, mt: MappedText, doc: DocState, prev_time: TimePhrase | None):
        self.idx, self.mt, self.doc = idx, mt, doc
        self.text = mt.text
        self.times = []
        for t in find_time_phrases(self.text):
            if t.form == "day" and not t.explicit:
                continue  # a bare date ("2012年6月16日发射…") dates an event, it sets no due date
            if t.form in ("yearend", "month") and t.text.endswith(("底", "末")) and not t.text.startswith(("到", "至")):
                # "2020年年底基本完成…" is due then; "调整2007年末国债余额" names a balance at that time
                after = self.text[t.end:]
                due = self.text[t.start - 1:t.start] in ("在", "于") or after[:1] in ",:;" or bool(
                    TASK_START_RE.match(after))
                t = replace(t, explicit=due)
            a, b = mt.original_span(t.start, t.end)
            self.times.append(replace(t, written=mt.original[a:b].strip()))
        masks = [(t.start, t.end) for t in self.times] + year_spans(self.text)
        self.quants = find_quantities(self.text, masks)
        self.out: list[Commitment] = []
        self.prev_time = prev_time
        self._sentence_text = ""
        self._seg_metric: dict[int, str] = {}  # per segment of the current sentence: the last target's metric

    # -- time ---------------------------------------------------------------------------------------------
    def _time_ok(self, t: TimePhrase | None) -> bool:
        return t is None or t.year is None or self.doc.doc_year is None or t.year >= self.doc.doc_year

    def _dl(self, t: TimePhrase | None) -> tuple[str | None, str | None]:
        if t is None:
            return None, None
        return t.iso, t.written or t.text

    # -- sentences ----------------------------------------------------------------------------------------
    def run(self) -> TimePhrase | None:
        """Read every sentence; return the time phrase in force at the end (for a following 其中)."""
        last = self.prev_time
        for s0, s1 in sentences(self.text):
            inherited = None
            body = self.text[s0:s1]
            if body.startswith("其中") and last is not None:
                inherited = last
            elif self.doc.heads is not None:
                inherited = self.doc.heads
            last = self._sentence(s0, s1, inherited) or (inherited if body.startswith("其中") else None)
        return last

    def _sentence(self, s0: int, s1: int, inherited: TimePhrase | None) -> TimePhrase | None:
        """Assign each clause its governing time phrase, then read targets and dated tasks."""
        if inherited is None and not any(s0 <= t.start < s1 for t in self.times) and not any(
                s0 <= q.start < s1 for q in self.quants):
            return None  # nothing governs it and it holds no quantity: no target, no dated task
        text = self.text
        clauses = clauses_of(text, s0, s1)
        if not clauses:
            return None
        for c in clauses:
            c.times = [t for t in self.times if c.start <= t.start < c.end]
        # A segment that names a time phrase after its first clause: the earlier clauses lead into it.
        segs: dict[int, list[Clause]] = {}
        for c in clauses:
            segs.setdefault(c.seg, []).append(c)
        seg_time: dict[int, TimePhrase] = {}
        for seg, cs in segs.items():
            first_timed = next((i for i, c in enumerate(cs) if c.times), None)
            if first_timed:
                for c in cs[:first_timed]:
                    c.lead_in = True
                seg_time[seg] = cs[first_timed].times[0]
        current = inherited
        for c in clauses:
            if c.times:
                current = c.times[-1]
                c.gov = c.times[0]
                if current.text.endswith(("起", "开始")):
                    current = inherited  # a start date ("自2023年5月1日起施行") dates only its own clause
            elif c.lead_in:
                c.gov = seg_time[c.seg]
            else:
                c.gov = current
        sentence = text[s0:s1]
        self._sentence_text = sentence
        sentence_past = bool(STRONG_PAST_RE.search(sentence))
        if self.doc.report and not MODAL_FUTURE_RE.search(sentence):
            sentence_past = True
        targets_in: set[int] = set()
        self._seg_metric = {}
        if any(s0 <= q.start < s1 for q in self.quants):  # else no clause holds a target
            for ci, c in enumerate(clauses):
                if self._targets(clauses, ci, sentence_past):
                    targets_in.add(ci)
        if not sentence_past:
            self._deadlines(clauses, targets_in, inherited)
        return current

    # -- targets ------------------------------------------------------------------------------------------
    def _targets(self, clauses: list[Clause], ci: int, sentence_past: bool) -> bool:
        """Emit the targets and thresholds of clause `ci`; True if it held one."""
        c = clauses[ci]
        text = self.text
        qs = [q for q in self.quants if c.start <= q.start < c.end]
        if not qs:
            return False
        past = sentence_past or is_past(text[c.start:c.end])
        scope = self._scope(clauses, ci)
        spans = [(t.start, t.end) for t in self.times]
        found = False
        prev = _Item(end=None, metric=self._seg_metric.get(c.seg), relation=None, ok=False)
        parts: list[str] | None = None   # subjects listed before 分别
        part_i = 0
        for q in qs:
            item_start = self._item_start(c, q, prev.end)
            raw_pre = strip_spans(text, item_start, q.start, spans)
            if raw_pre.endswith("(") and prev.end is not None:
                continue  # a quantity in parentheses restates the one before it: "3亿Ah(1.1GWh)"
            gov = self._gov_for(c, q)
            pre, baseline = _split_baseline(raw_pre)
            relation, qualifier = _relation(pre, q)
            noun, j = self._noun_after(q, qs)
            tail_end = j + len(noun) if noun else q.qual_end
            kind = "threshold" if noun and _is_scope(q, pre) else "target"
            scale_class = q.unit in SCALE_UNITS

            # the metric: what the quantity measures
            metric = clean(REL_WORD_RE.sub("", pre) if relation else pre)
            takes_noun = (kind == "threshold" or scale_class or q.is_counter
                          or (not q.is_percent and j == q.qual_end)             # "淘汰200万吨落后产能"
                          or (q.is_percent and text[q.qual_end:q.qual_end + 1] == "的"))  # "80%以上的企业…"
            if noun and takes_noun:
                metric = clean(metric + noun)
            bare_item = raw_pre.strip(",、和及与") == ""
            if not metric and prev.metric is not None and bare_item:
                metric, relation = prev.metric, relation or prev.relation  # "下降16%、20%"
            if "分别" in raw_pre and prev.end is None:
                subject = BASELINE_RE.sub("", clean(raw_pre.split("分别")[0]))
                parts, part_i = [p for p in _LIST_SEP_RE.split(subject) if p], 0
            elif parts is not None and bare_item and prev.end is not None:
                part_i += 1
            if parts is not None:
                n_items = 1 + sum(1 for q2 in qs if q2.start > qs[0].start and text[q2.start - 1:q2.start] in ",、")
                if len(parts) == n_items and part_i < len(parts):
                    metric = parts[part_i]
                elif not metric:
                    metric = "、".join(parts)
            if prev.metric and (ATTRIBUTE_RE.match(metric) or _RATE_WORD_RE.fullmatch(metric)):
                metric = prev.metric + metric  # "新增设施3座、处理能力6万吨/日"; "突破3000亿元，年均增长7%"
            if scope and kind == "target":
                metric = scope + metric

            ok = not past and bool(metric) and self._accept(q, c, kind, pre, gov, relation, qualifier, baseline,
                                                         noun, scale_class, prev)
            if ok:
                if scale_class:
                    relation = "at_least"  # "打造100亿级产业集群": a cluster of at least that size
                quote_start = clauses[ci - 1].start if scope and kind == "target" else self._quote_start(item_start, q)
                iso, dtext = self._dl(gov)
                self.out.append(Commitment(
                    kind=kind, quote=self.mt.quote(quote_start, tail_end), metric=metric,
                    relation=relation or "reach", value=q.value, unit=self._unit(q), qualifier=qualifier,
                    baseline=baseline, deadline=iso, deadline_text=dtext, paragraph=self.idx,
                ))
                found = True
                if metric:
                    self._seg_metric[c.seg] = metric
            prev = _Item(end=tail_end, metric=metric or prev.metric, relation=relation, ok=ok)
        return found

    def _accept(self, q: Quantity, c: Clause, kind: str, pre: str, gov: TimePhrase | None, relation: str | None,
                qualifier: str | None, baseline: str | None, noun: str, scale_class: bool, prev: _Item) -> bool:
        """Whether a quantity is something the document commits to (rather than a fact, a name or a means)."""
        text = self.text
        if not self._time_ok(gov):
            return False
        if gov is None and PROJECTION_RE.search(pre):
            return False  # "建成后年产值可达50亿元" projects an effect, it sets no goal
        if INCENTIVE_RE.search(pre):
            return False  # rewards, subsidies and fines are instruments, not goals
        if self.doc.report and (gov is None or not gov.explicit):
            return False  # in a report of facts only an explicitly dated goal counts
        verb = bool(TARGET_VERB_RE.search(strip_spans(text, c.start, q.start, [(t.start, t.end) for t in self.times])))
        if kind == "threshold":
            return gov is not None or verb or prev.ok
        if q.chinese and not q.is_percent:
            if q.value == 1:
                return False  # 一个/一家/一支: an article, not an amount
            if q.value < 10 and (not TARGET_VERB_RE.search(pre) or text[q.start - 1:q.start] in "的这该其此每前后近第"
                                 or noun):
                return False  # "的两家企业" points at known things, "二次包装" names a kind
        if scale_class:
            return not q.chinese and verb and prev.end is None
        if relation in ("decrease_by", "increase_by"):
            # "增长4.5%" alone reports a fact; a date, a base year, a qualifier or a modal makes it a goal
            return (gov is not None or baseline is not None or q.qualifier is not None
                    or bool(MODAL_RE.search(self._sentence_text)))
        strong = relation in ("at_least", "at_most", "about") or qualifier is not None
        return gov is not None or strong or verb or prev.ok

    def _scope(self, clauses: list[Clause], ci: int) -> str:
        """A clause before ending in 中/里 scopes the next one: "新增…车辆中，新能源汽车比例不低于95%"."""
        if ci == 0 or clauses[ci - 1].seg != clauses[ci].seg:
            return ""
        p = clauses[ci - 1]
        if not self.text[p.start:p.end].endswith(("中", "里")) or any(p.start <= q.start < p.end for q in self.quants):
            return ""
        return clean(strip_spans(self.text, p.start, p.end, [(t.start, t.end) for t in p.times]))

    def _item_start(self, c: Clause, q: Quantity, prev_end: int | None) -> int:
        """Where the list item holding `q` begins: the clause start, or just after the previous item."""
        text = self.text
        i = c.start if prev_end is None else min(prev_end, q.start)
        while i < q.start and text[i] in ",;:、和及与并且以":
            i += 2 if text.startswith("以及", i) else 1
        return i + enum_level(text[i:q.start])[2]

    def _noun_after(self, q: Quantity, qs: list[Quantity]) -> tuple[str, int]:
        """The noun a quantity counts or scopes ("2家左右十亿级…企业", "20万吨/年以下产能"), and where it starts."""
        text = self.text
        j = q.qual_end + (1 if text[q.qual_end:q.qual_end + 1] == "的" else 0)
        if text[j:j + 1] == "级" and q.unit in SCALE_UNITS:
            j += 1
        m = _NOUN_RE.match(text, j)
        if not m or _NOUN_BREAK_RE.match(text, j) or NOUN_STOP_RE.match(m.group(0)):
            return "", j
        noun = m.group(0)[:24]
        nxt = next((q2.start for q2 in qs if q2.start > q.start), None)
        if nxt is not None and j + len(noun) > nxt:  # never run into the next quantity
            noun = noun[: max(0, nxt - j)]
        return noun, j

    def _quote_start(self, item_start: int, q: Quantity) -> int:
        """Skip a leading time phrase and modal words: the quote holds the metric and the number."""
        i = item_start
        while True:
            t = next((t for t in self.times if t.start == i and t.end <= q.start), None)
            if t:
                i = t.end
                continue
            m = _QUOTE_SKIP_RE.match(self.text[i:q.start])
            if not m:
                return i
            i += m.end()

    def _unit(self, q: Quantity) -> str:
        """The unit as written in the original (Traditional kept), without spaces or annotations."""
        if q.unit in ("%", "‰"):
            return q.unit
        num_len = len(q.unit)
        a, b = self.mt.original_span(q.end - num_len, q.end)
        raw = self.mt.original[a:b]
        for s, e in reversed(pinyin_spans(raw)):
            raw = raw[:s] + raw[e:]
        raw = _SPACES_RE.sub("", raw)
        return raw if len(raw) == num_len else q.unit

    def _gov_for(self, c: Clause, q: Quantity) -> TimePhrase | None:
        """The time phrase a quantity falls under: its clause's, the sentence's, else the 时间节点 above."""
        before = [t for t in c.times if t.start < q.start]
        if before:
            return before[-1]
        if c.gov is not None and not c.times:
            return c.gov
        if c.times:
            return c.gov if c.gov is not None else c.times[0]
        return self.doc.section

    # -- dated tasks --------------------------------------------------------------------------------------
    def _deadlines(self, clauses: list[Clause], targets_in: set[int], inherited: TimePhrase | None) -> None:
        """Emit the dated tasks of a sentence: governed clauses that hold no target, grouped into tasks."""
        text = self.text
        entries: list[dict] = []
        pending: int | None = None
        prev_kind: str | None = None
        prev_seg = None
        prev_gov = None
        prev_subject = ""
        for ci, c in enumerate(clauses):
            ctext = text[c.start:c.end]
            t = c.gov
            own = bool(c.times)
            if t is not prev_gov or c.seg != prev_seg:
                prev_kind = None
                if t is not prev_gov:
                    pending = None
            prev_gov, prev_seg = t, c.seg
            subject = ""
            if own:
                subject = clean(_AT_END_RE.sub("", text[c.start:c.times[0].start]))
            if t is None or c.lead_in or (not own and t is not inherited and not any(
                    t in x.times for x in clauses[:ci])):
                prev_subject = subject or prev_subject
                continue
            if ci in targets_in:
                prev_kind, pending = None, None
                prev_subject = subject or prev_subject
                continue
            body_start = c.start
            head0 = text[c.start:c.times[0].start] if own else ""
            head0 = head0[enum_level(head0)[2]:]
            if own and (REPORTING_RE.search(head0) or AGENCY_RE.search(head0)):
                body_start = c.times[0].start
            raw = strip_spans(text, body_start, c.end, [(x.start, x.end) for x in c.times]).strip(",;:、")
            if own and body_start < c.times[0].start:  # "各县区于2023年9月30日前报送…": drop the 于 before the time
                head = _AT_END_RE.sub("", text[body_start:c.times[0].start])
                raw = head + strip_spans(text, c.times[0].start, c.end, [(x.start, x.end) for x in c.times])
            raw = raw[enum_level(raw)[2]:]
            content = clean(raw)
            label = not content or LABEL_RE.match(content) or (
                ci + 1 < len(clauses) and text[c.end:c.end + 1] == ":" and not own)
            if label:
                if own and pending is None:
                    pending = c.times[0].start
                continue
            if is_past(ctext) or not self._time_ok(t):
                prev_kind = None
                continue
            if CIRC_RE.match(raw):
                if pending is None:
                    pending = c.start
                continue
            if VAGUE_RE.search(content):
                if pending is None:
                    pending = c.start
                continue
            if not own and PROCESS_RE.match(raw) and not _DONE_RE.search(content):
                prev_kind, pending = None, None
                continue
            if len(_CJK_CHAR_RE.findall(content)) < 2:
                continue
            if not t.explicit and (t not in c.times or not completes(text[t.end:c.end])):
                continue  # a bare year dates a task only when the task is to be finished then
            kind = "task" if TASK_START_RE.match(raw) or (
                prev_kind == "task" and TASK_VERB_RE.search(raw[:6])) else "outcome"
            if kind == "outcome" and not own and not OUTCOME_RE.search(raw):
                continue  # "…，方便群众休闲": a purpose or a description, not a state to reach
            start = c.start
            if own:
                head = text[c.start:c.times[0].start]
                if REPORTING_RE.search(head) or not head.strip(",、"):
                    start = c.times[0].start
                elif clean(head) == "":
                    start = c.start + len(head) - len(head.lstrip(",、并在于对"))
            start += enum_level(text[start:c.end])[2]
            if pending is not None:
                start = min(start, pending)
            if own and len(content) <= 4 and not prev_subject and ci > 0 and clauses[ci - 1].lead_in:
                prev_subject = clean(text[clauses[ci - 1].start:clauses[ci - 1].end])
            if own and len(content) <= 4 and prev_subject:
                content = prev_subject + content  # "全面取消收费站，2019年底前基本完成": what is completed
            if kind == "task" and prev_kind == "task" and entries and not own:
                entries[-1]["end"] = c.end
                entries[-1]["metric"] += "," + content
            else:
                entries.append({"start": start, "end": c.end, "metric": content, "time": t})
            pending = None
            prev_kind = kind
            prev_subject = subject or prev_subject
        for e in entries:
            iso, dtext = self._dl(e["time"])
            self.out.append(Commitment(
                kind="deadline", quote=self.mt.quote(e["start"], e["end"]), metric=e["metric"], relation=None,
                value=None, unit=None, qualifier=None, baseline=None, deadline=iso, deadline_text=dtext,
                paragraph=self.idx,
            ))


def extract(paragraphs: Sequence[str]) -> list[Commitment]:
    """Commitments of a document, in document order (see the module docstring for the rules)."""
    mts = normalise_all(paragraphs)
    texts = [m.text for m in mts]
    doc = DocState(doc_year=doc_year(texts), report=is_report(texts))
    out: list[Commitment] = []
    prev_time = None
    for i, mt in enumerate(mts):
        if not mt.text:
            continue
        update_structure(doc, mt.text)
        if doc.review_level is not None:
            continue
        para = _Paragraph(i, mt, doc, prev_time if mt.text.startswith("其中") else None)
        prev_time = para.run()
        out.extend(para.out)
        after_paragraph(doc, mt.text, para.times)
    out.sort(key=lambda c: (c.paragraph, _pos(paragraphs[c.paragraph], c.quote)))
    return out


def _pos(paragraph: str, quote: str) -> int:
    i = paragraph.find(quote)
    return i if i >= 0 else len(paragraph)
