"""Chinese wording for the review pages: kind names, times in Beijing time, one-line change descriptions."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

#: China has had no daylight saving time since 1991; a fixed offset needs no tz database.
BEIJING = timezone(timedelta(hours=8), "北京时间")

KIND_LABELS: dict[str, str] = {
    "new": "新文件",
    "revised": "修订",
    "formatting": "仅格式",
    "reverted": "回退",
    "withdrawn": "撤下",
    "target_changed": "目标变更",
    "deadline_changed": "期限变更",
    "error": "抓取错误",
}
#: The kinds offered in the change filter, in reading order.
FILTER_KINDS = ("new", "revised", "target_changed", "deadline_changed", "reverted", "withdrawn", "formatting", "error")

DOC_STATUS = {"active": "在线", "withdrawn": "已撤下", "missing": "暂时无法访问", "gone": "已删除"}

OP_LABELS = {"insert": "新增", "delete": "删除", "replace": "修改", "move": "移动", "renumber": "重新编号"}

COMMITMENT_KINDS = {"target": "目标", "deadline": "期限", "threshold": "门槛"}

_RELATION_WORDS = {"decrease_by": "下降", "increase_by": "提高", "reach": "达到"}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def doc_status(status: str) -> str:
    return DOC_STATUS.get(status, status)


def as_utc(dt: datetime | None) -> datetime | None:
    """Stored timestamps are UTC; SQLite hands them back naive."""
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def local_time(dt: datetime | None, *, seconds: bool = False) -> str:
    """'2026-11-22 16:00' in Beijing time, or '—'."""
    utc = as_utc(dt)
    if utc is None:
        return "—"
    return utc.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def local_date(dt: datetime | None) -> str:
    utc = as_utc(dt)
    return utc.astimezone(BEIJING).strftime("%Y-%m-%d") if utc else "—"


def day_start_utc(day: date) -> datetime:
    """The UTC instant at which ``day`` begins in Beijing."""
    return datetime.combine(day, time(0), BEIJING).astimezone(timezone.utc)


def relative_age(dt: datetime | None, now: datetime) -> str:
    """'3 小时前', '2 天前' — for portal health at a glance."""
    utc = as_utc(dt)
    if utc is None:
        return "从未"
    seconds = max(0, int((now - utc).total_seconds()))
    if seconds < 90:
        return "刚刚"
    if seconds < 90 * 60:
        return f"{seconds // 60} 分钟前"
    if seconds < 36 * 3600:
        return f"{seconds // 3600} 小时前"
    return f"{seconds // 86400} 天前"


def ops_count_line(ops: list[dict[str, Any]] | None) -> str:
    """'修改 3 段，新增 1 段' from paragraph ops, or '' when there are none."""
    counts = Counter(op.get("op") for op in ops or [])
    parts = [f"{OP_LABELS[name]} {counts[name]} 段" for name in OP_LABELS if counts.get(name)]
    return "，".join(parts)


def commitment_value(c: dict[str, Any] | None) -> str:
    """'下降23%以上（2020年底）' from a commitment dict; '—' for None."""
    if not c:
        return "—"
    text = ""
    value = c.get("value")
    if value is not None:
        number = f"{value:g}" if isinstance(value, (int, float)) else str(value)
        text = f"{_RELATION_WORDS.get(c.get('relation') or '', '')}{number}{c.get('unit') or ''}{c.get('qualifier') or ''}"
    when = c.get("deadline_text") or c.get("deadline")
    if when and text:
        return f"{text}（{when}）"
    return text or str(when or c.get("quote") or "—")


def target_line(t: dict[str, Any]) -> str:
    """One Chinese line for a stored target change (``Change.targets`` item)."""
    change, metric = t.get("change"), t.get("metric") or ""
    old, new = t.get("old") or {}, t.get("new") or {}
    if change == "deadline_changed":
        before = old.get("deadline_text") or old.get("deadline") or "—"
        after = new.get("deadline_text") or new.get("deadline") or "—"
        return f"期限 {metric}：{before} → {after}"
    if change == "added":
        return f"新增目标 {metric}：{commitment_value(new)}"
    if change == "removed":
        return f"删除目标 {metric}：{commitment_value(old)}"
    return f"目标 {metric}：{commitment_value(old)} → {commitment_value(new)}"


def change_line(kind: str, summary: str, ops: list[dict[str, Any]] | None, targets: list[dict[str, Any]] | None) -> str:
    """What changed, in one line: the summary's first line, else the first target change, else a count of
    paragraph ops, else a phrase for the kind."""
    first = (summary or "").strip().splitlines()
    if first and first[0].strip():
        return first[0].strip()
    if targets:
        return target_line(targets[0])
    counted = ops_count_line(ops)
    if counted:
        return counted
    return {
        "new": "首次收录",
        "formatting": "仅格式变化，内容未变",
        "withdrawn": "页面已撤下或无法访问",
        "reverted": "恢复为较早的版本",
        "error": "抓取失败",
    }.get(kind, "内容有变化")
