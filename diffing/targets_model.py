"""The records the targets extractor returns: a `Commitment` found in one version and a `TargetChange`
between two versions."""

from __future__ import annotations

from collections.abc import Sequence

from dataclasses import dataclass

from .timephrase import format_date_zh

SCHEMA_FIELDS = ("kind", "quote", "metric", "relation", "value", "unit", "qualifier", "baseline", "deadline",
                 "deadline_text")

_VERB = {"decrease_by": "下降", "increase_by": "提高", "at_least": "不低于", "at_most": "不超过", "reach": "",
         "about": ""}
_LEFT_QUALIFIERS = ("不低于", "不少于", "不小于", "高于", "超过", "大于", "多于", "至少", "不超过", "不高于",
                    "不大于", "低于", "少于", "小于")


@dataclass(frozen=True)
class Commitment:
    """One target, dated task or scope threshold a document commits to (see tests/data/labels/SCHEMA.md)."""

    kind: str                 # "target" | "deadline" | "threshold"
    quote: str                # exact substring of the paragraph as given
    metric: str               # simplified Chinese, no pinyin annotations
    relation: str | None      # decrease_by|increase_by|at_least|at_most|reach|about|None
    value: float | int | None
    unit: str | None
    qualifier: str | None
    baseline: str | None
    deadline: str | None      # ISO date
    deadline_text: str | None
    paragraph: int = 0        # index of the paragraph it came from

    def to_json(self) -> dict:
        """The SCHEMA.md fields (without id), in SCHEMA order."""
        return {k: getattr(self, k) for k in SCHEMA_FIELDS}

    def amount_zh(self) -> str:
        """The quantity as a reader would say it: "下降23%以上", "不低于80%", "2家左右", "30个"; "" for a task."""
        if self.value is None:
            return ""
        v = f"{self.value:g}{self.unit or ''}"
        q = self.qualifier or ""
        if q in _LEFT_QUALIFIERS:
            return f"{q}{v}"
        return f"{_verb_of(self)}{v}{q}"

    def when_zh(self) -> str:
        """The due date as short Chinese text, or the relative time phrase, or ""."""
        if self.deadline:
            return format_date_zh(self.deadline)
        return _plain(self.deadline_text or "")


def _plain(s: str) -> str:
    from .targets_text import normalise

    return normalise(s).text


def _when_text(c: Commitment) -> str:
    """A deadline as written (Simplified, no spaces) when there is one, else the formatted ISO date."""
    return _plain(c.deadline_text) if c.deadline_text else format_date_zh(c.deadline)


@dataclass(frozen=True)
class TargetChange:
    """How one commitment differs between two versions of a document."""

    change: str               # "value_changed" | "deadline_changed" | "added" | "removed"
    metric: str
    old: Commitment | None
    new: Commitment | None

    def to_json(self) -> dict:
        return {
            "change": self.change,
            "metric": self.metric,
            "old": self.old.to_json() if self.old else None,
            "new": self.new.to_json() if self.new else None,
        }

    def summary_zh(self) -> str:
        """One line of Chinese for an alert, e.g. "目标变更：单位工业增加值能耗下降 23% → 20%（2020年底）"."""
        metric = _short(self.metric)
        if self.change == "value_changed" and self.old and self.new:
            o, n = self.old, self.new
            when = n.when_zh()
            tail = f"（{when}）" if when else ""
            if o.relation == n.relation and o.qualifier == n.qualifier and o.relation is not None:
                verb = _verb_of(o)
                verb = f"{verb} " if verb else " "
                ov, nv = f"{o.value:g}{o.unit or ''}", f"{n.value:g}{n.unit or ''}"
                if (o.baseline or "") != (n.baseline or ""):
                    ov, nv = f"{ov}（比{o.baseline or '—'}）", f"{nv}（比{n.baseline or '—'}）"
                return f"目标变更：{metric}{verb}{ov} → {nv}{tail}"
            return f"目标变更：{metric} {o.amount_zh()} → {n.amount_zh()}{tail}"
        if self.change == "deadline_changed" and self.old and self.new:
            return f"期限变更：{metric} {_when_text(self.old) or '无期限'} → {_when_text(self.new) or '无期限'}"
        c = self.new if self.change == "added" else self.old
        noun = "期限" if c is not None and c.kind == "deadline" else "目标"
        label = ("新增" if self.change == "added" else "删除") + noun
        if c is None:
            return f"{label}：{metric}"
        amount = c.amount_zh()
        when = _when_text(c) if c.deadline_text or c.deadline else ""
        parts = f"{metric} {amount}".strip()
        return f"{label}：{parts}" + (f"（{when}）" if when else "")


def _verb_of(c: Commitment) -> str:
    """The word that goes before the number: 下降/提高 for changes, 不低于/不超过 for bare floors/ceilings."""
    q = c.qualifier or ""
    if q in _LEFT_QUALIFIERS:
        return q
    if c.relation in ("at_least", "at_most") and q:
        return ""  # the qualifier after the number says it: "80%以上", "3500万吨以内"
    return _VERB.get(c.relation or "", "")


def _short(metric: str, limit: int = 40) -> str:
    return metric if len(metric) <= limit else metric[: limit - 1] + "…"


def summary_lines(changes: "Sequence[TargetChange]", *, limit: int = 3) -> list[str]:
    """One Chinese line per change for an alert, with deadline changes that moved the same time phrase the same way
    (one edited 时间节点 governing several items) merged into one line naming the first ``limit`` items:
    "期限变更：2020年年底前 → 2021年6月底前（全面淘汰落后产能、退出独立铝用炭素企业等 5 项）"."""
    groups: dict[tuple[str, str], list[TargetChange]] = {}
    for c in changes:
        if c.change == "deadline_changed" and c.old and c.new:
            groups.setdefault((_when_text(c.old) or "无期限", _when_text(c.new) or "无期限"), []).append(c)
    lines: list[str] = []
    emitted: set[tuple[str, str]] = set()
    for c in changes:
        key = (_when_text(c.old) or "无期限", _when_text(c.new) or "无期限") if c.change == "deadline_changed" and c.old and c.new else None
        if key is None or len(groups[key]) == 1:
            lines.append(c.summary_zh())
        elif key not in emitted:
            emitted.add(key)
            items = groups[key]
            names = "、".join(_short(i.metric, 24) for i in items[:limit])
            more = f"等 {len(items)} 项" if len(items) > limit else f"共 {len(items)} 项"
            lines.append(f"期限变更：{key[0]} → {key[1]}（{names}{more}）")
    return lines
