"""Chinese notification messages, sized for the channel they go to.

A message is a list of lines: a head per event (kind, title, links), then its
headlines, then its changed paragraphs, then a note on what was left out.
Lines are whole units: when the channel's limit is reached, lines are left
out, never cut, so no marker, link or character is ever split, and each
event's head (with its review link) is kept before anything else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from notifier.channels import FORMATS, Channel, channel_for, channel_format
from notifier.events import PORTAL_KINDS, Event, ParagraphChange
from notifier.markup import Markup, clean, head, safe_link, tail

__all__ = ["Message", "build_message", "channel_format", "message_size"]

_BEIJING = timezone(timedelta(hours=8))

_KIND_LABELS = {
    "new": "新文件",
    "revised": "修订",
    "formatting": "格式变化",
    "reverted": "恢复旧版",
    "withdrawn": "撤回",
    "error": "抓取失败",
    "baseline": "基线",
}
_OP_LABELS = {
    "replace": "修改",
    "insert": "新增",
    "delete": "删除",
    "move": "移动",
    "renumber": "编号调整",
}


@dataclass(frozen=True)
class Message:
    """A rendered notification; ``format`` is "markdown", "html" or "text"."""

    title: str
    body: str
    format: str

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"unknown message format {self.format!r}")


def message_size(message: Message, url: str) -> int:
    """Bytes ``message`` costs against the limit of ``url``'s channel.

    Counts title, the line break Apprise inserts when it merges title and
    body, and body; see ``notifier.channels`` for how each channel counts.
    """
    channel = channel_for(url)
    return channel.size(message.title) + channel.size("\r\n") + channel.size(message.body)


def label(event: Event) -> str:
    """The bracketed Chinese kind shown in titles ("目标变更", "修订"…).

    Revisions that change a quantitative target or a deadline are named after
    that change (tags ``target_changed`` / ``deadline_changed``, or headlines
    starting with "目标"/"期限").
    """
    if event.kind == "revised":
        if "target_changed" in event.tags or any(h.startswith("目标") for h in event.headlines):
            return "目标变更"
        if "deadline_changed" in event.tags or any(h.startswith("期限") for h in event.headlines):
            return "期限变更"
    return _KIND_LABELS[event.kind]


def _when(moment: datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(_BEIJING)
    return moment.strftime("%Y-%m-%d %H:%M")


def _subject(event: Event) -> str:
    return clean(event.portal if event.kind in PORTAL_KINDS else event.title).strip()


# ---------------------------------------------------------------- paragraphs


@dataclass(frozen=True)
class _Sizes:
    """Excerpt lengths (characters), smaller for small channels."""

    context: int  # unchanged text kept on each side of a change
    span: int  # longest changed run shown
    whole: int  # longest inserted/deleted/moved paragraph shown

    @staticmethod
    def for_limit(limit: int) -> _Sizes:
        if limit >= 8000:
            return _Sizes(context=30, span=300, whole=200)
        return _Sizes(context=12, span=80, whole=60)


def _inline(m: Markup, change: ParagraphChange, sz: _Sizes) -> str:
    spans = change.spans or (("delete", change.old or ""), ("insert", change.new or ""))
    spans = tuple((tag, clean(text)) for tag, text in spans if text)
    out = []
    last = len(spans) - 1
    for i, (tag, text) in enumerate(spans):
        if tag == "equal":
            if i == 0 and i == last:
                piece = head(text, sz.whole)
            elif i == 0:
                piece = tail(text, sz.context)
            elif i == last:
                piece = head(text, sz.context)
            elif len(text) > 2 * sz.context + 1:
                piece = head(text, sz.context) + tail(text, sz.context)[1:]
            else:
                piece = text
            out.append(m.esc(piece))
        elif tag == "insert":
            out.append(m.ins(m.esc(head(text, sz.span))))
        else:
            out.append(m.dele(m.esc(head(text, sz.span))))
    return "".join(out).strip()


def _paragraph(m: Markup, change: ParagraphChange, sz: _Sizes) -> str:
    """One changed paragraph as inline-marked text, prefixed by its operation."""
    old, new = clean(change.old).strip(), clean(change.new).strip()
    if change.op == "replace":
        body = _inline(m, change, sz)
    elif change.op == "insert":
        body = m.ins(m.esc(head(new, sz.whole)))
    elif change.op == "delete":
        body = m.dele(m.esc(head(old, sz.whole)))
    elif change.op == "move":
        body = m.esc(head(new or old, sz.whole))
    else:  # renumber: the start of both versions is what changed
        body = m.esc(head(old, sz.context)) + " → " + m.esc(head(new, sz.context))
    return f"【{_OP_LABELS[change.op]}】{body}"


# ---------------------------------------------------------------- layout


@dataclass
class _Section:
    """One event's lines, with the choice of which optional lines are shown."""

    heads: list[tuple[str, list[str]]]  # (title, head lines), richest first
    items: list[tuple[str, str]]  # (group, line): "headline" items first
    groups: dict[str, list[str]]  # lines shown before a group's first item
    omission: Callable[[int], list[str]]  # lines noting n items left out
    head_index: int = 0
    chosen: list[int] = field(default_factory=list)

    def title(self) -> str:
        return self.heads[self.head_index][0]

    def lines(self) -> list[str]:
        out = list(self.heads[self.head_index][1])
        seen: set[str] = set()
        for i in sorted(self.chosen):
            group, line = self.items[i]
            if group not in seen:
                seen.add(group)
                out.extend(self.groups.get(group, []))
            out.append(line)
        out.extend(self.omission(len(self.items) - len(self.chosen)))
        return out


class _Layout:
    """Sections plus fixed lines, sized incrementally against the channel limit.

    Section costs are cached; after changing a section, call ``refresh(i)``.
    """

    def __init__(
        self,
        channel: Channel,
        m: Markup,
        title: Callable[[], str],
        sections: list[_Section],
        prefix: list[str] = (),  # type: ignore[assignment]
        suffix: Callable[[int], list[str]] = lambda hidden: [],
    ) -> None:
        self.channel, self.title, self.sections = channel, title, sections
        self.prefix, self.suffix = list(prefix), suffix
        self.shown = len(sections)
        self._sep = channel.size(m.sep)
        self._crlf = channel.size("\r\n")
        self._sizes: dict[str, int] = {}
        self._costs = [self._cost(s.lines()) for s in sections]

    def _cost(self, lines: list[str]) -> tuple[int, int]:
        total = 0
        for line in lines:
            size = self._sizes.get(line)
            if size is None:
                size = self._sizes[line] = self.channel.size(line)
            total += size
        return total, len(lines)

    def refresh(self, index: int) -> None:
        self._costs[index] = self._cost(self.sections[index].lines())

    def fits(self) -> bool:
        parts = [self._cost(self.prefix), *self._costs[: self.shown]]
        parts.append(self._cost(self.suffix(len(self.sections) - self.shown)))
        size = sum(p[0] for p in parts)
        count = sum(p[1] for p in parts)
        body = size + self._sep * max(count - 1, 0)
        return self._cost([self.title()])[0] + self._crlf + body <= self.channel.limit

    def set_heads(self, level: int) -> None:
        for i, section in enumerate(self.sections):
            section.head_index = min(level, len(section.heads) - 1)
            self.refresh(i)

    def fill(self) -> None:
        """Add optional lines while the message fits: all headlines, then paragraphs."""
        for group in ("headline", "paragraph"):
            for index, section in enumerate(self.sections[: self.shown]):
                for i, (g, _) in enumerate(section.items):
                    if g != group:
                        continue
                    section.chosen.append(i)
                    self.refresh(index)
                    if not self.fits():
                        section.chosen.pop()
                        self.refresh(index)

    def grow_heads(self) -> None:
        """Give shown sections back richer heads, in order, while they fit."""
        for index, section in enumerate(self.sections[: self.shown]):
            while section.head_index > 0:
                section.head_index -= 1
                self.refresh(index)
                if not self.fits():
                    section.head_index += 1
                    self.refresh(index)
                    break

    def lines(self) -> list[str]:
        out = list(self.prefix)
        for section in self.sections[: self.shown]:
            out.extend(section.lines())
        return out + self.suffix(len(self.sections) - self.shown)


def _doc_head(m: Markup, event: Event, subject_chars: int, *, rich: bool) -> list[str]:
    lines = []
    name = m.esc(head(clean(event.title).strip(), subject_chars))
    if rich:
        lines.append(m.strong("来源") + "：" + m.esc(event.portal))
    if subject_chars > 0:
        lines.append(m.strong("文件") + "：" + name)
    if rich:
        lines.append(m.strong("发现时间") + "：" + _when(event.detected_at))
        if event.detail:
            lines.append(m.strong("说明") + "：" + m.esc(event.detail))
    lines.extend(m.links([("审阅页面", event.review_url), ("原文", event.url)]))
    return lines


def _portal_head(m: Markup, event: Event, subject_chars: int, *, rich: bool) -> list[str]:
    lines = []
    if subject_chars > 0:
        lines.append(m.strong("门户") + "：" + m.esc(head(_subject(event), subject_chars)))
    if rich:
        lines.append(m.strong("时间") + "：" + _when(event.detected_at))
    if event.detail:
        detail = clean(event.detail) if rich else head(clean(event.detail), max(subject_chars, 20))
        lines.append(m.strong("详情") + "：" + m.esc(detail))
    lines.extend(m.links([("审阅页面", event.review_url), ("起始页", event.url)]))
    return lines


def _single(m: Markup, event: Event, sz: _Sizes) -> _Section:
    tag = f"【{label(event)}】"
    subject = _subject(event)
    heads = []
    for title_chars, body_chars, rich in ((80, 200, True), (30, 60, True), (12, 20, False), (0, 0, False)):
        title = m.title(tag + head(subject, title_chars)) if title_chars else m.title(tag)
        if event.kind in PORTAL_KINDS:
            lines = _portal_head(m, event, body_chars, rich=rich)
        else:
            lines = _doc_head(m, event, body_chars, rich=rich)
        heads.append((title, lines))

    items = [("headline", ("- " if m.fmt == "markdown" else "• ") + m.esc(h)) for h in event.headlines]
    items += [
        ("paragraph", f"{n}. {_paragraph(m, p, sz)}") for n, p in enumerate(event.paragraphs, 1)
    ]
    groups = {
        "headline": [*m.gap, m.strong("要点") + ("" if m.fmt != "text" else "：")],
        "paragraph": [*m.gap, m.strong("修改内容") + ("" if m.fmt != "text" else "：")],
    }
    more_url = event.review_url or event.url

    def omission(n: int) -> list[str]:
        if n <= 0:
            return []
        if not more_url:
            where = "审阅页面"
        elif m.fmt == "text":
            where = safe_link(more_url) or clean(more_url)
        else:
            where = m.link("审阅页面" if event.review_url else "原文", more_url)
        return [*m.gap, f"另有 {n} 处修改未显示，详见：{where}"]

    return _Section(heads, items, groups, omission)


def _digest_section(m: Markup, event: Event, index: int, sz: _Sizes) -> _Section:
    tag = f"{index}.【{label(event)}】"
    subject = _subject(event)
    meta_parts = [] if event.kind in PORTAL_KINDS else [m.esc(event.portal)]
    meta_parts.append(_when(event.detected_at))
    if event.detail:
        meta_parts.append(m.esc(event.detail))
    original = "起始页" if event.kind in PORTAL_KINDS else "原文"
    links = m.links([("审阅页面", event.review_url), (original, event.url)])
    # Short heads keep one link: the review page, else the original.
    one_link = m.links([("审阅页面", event.review_url)] if event.review_url else [(original, event.url)])
    heads = [
        ("", [*m.gap, m.strong(m.esc(tag + head(subject, 80))), " · ".join(meta_parts), *links]),
        ("", [*m.gap, m.strong(m.esc(tag + head(subject, 24))), *one_link]),
        ("", [*m.gap, m.strong(m.esc(tag + head(subject, 10))), *one_link]),
    ]
    bullet = "- " if m.fmt == "markdown" else "• "
    items = [("headline", bullet + m.esc(h)) for h in event.headlines]
    items += [("paragraph", bullet + _paragraph(m, p, sz)) for p in event.paragraphs]

    def omission(n: int) -> list[str]:
        return [f"（另有 {n} 处修改未显示）"] if n > 0 else []

    return _Section(heads, items, {}, omission)


def build_message(events: Sequence[Event], *, url: str) -> Message:
    """A Chinese message about ``events`` in the format and size ``url``'s channel takes.

    One event: title "【kind】document title" (or portal, for error/baseline);
    body with portal, title, time, review and original links, headlines, then
    changed paragraphs with inline marks, then "另有 N 处修改未显示，详见：…"
    if anything was left out. Several events: a digest titled
    "policywatch 摘要：N 项变更" with one section per event.

    Guarantees: scraped text cannot inject markup or links; the result fits
    the channel's limit (``message_size(result, url) <= channel_format(url)[1]``)
    whenever the smallest head (kind and links) fits, shedding paragraphs,
    then headlines, then head details, then (digests) whole trailing events;
    every event shown keeps its review link.
    """
    if not events:
        raise ValueError("build_message needs at least one event")
    channel = channel_for(url)
    m = Markup(channel.format)
    sz = _Sizes.for_limit(channel.limit)

    if len(events) == 1:
        section = _single(m, events[0], sz)
        layout = _Layout(channel, m, section.title, [section])
        while not layout.fits() and section.head_index < len(section.heads) - 1:
            layout.set_heads(section.head_index + 1)
        layout.fill()
        return Message(section.title(), m.sep.join(layout.lines()), channel.format)

    title = m.title(f"policywatch 摘要：{len(events)} 项变更")
    counts: dict[str, int] = {}
    for event in events:
        counts[label(event)] = counts.get(label(event), 0) + 1
    summary = "，".join(f"{name} {n}" for name, n in counts.items())
    sections = [_digest_section(m, e, i, sz) for i, e in enumerate(events, 1)]

    def hidden_note(hidden: int) -> list[str]:
        return [*m.gap, f"另有 {hidden} 项变更未显示，请在审阅页面查看。"] if hidden else []

    layout = _Layout(
        channel, m, lambda: title, sections, [f"共 {len(events)} 项变更：{summary}"], hidden_note
    )
    # Shorter heads for everyone before dropping whole events.
    level = 0
    while not layout.fits() and level < 2:
        level += 1
        layout.set_heads(level)
    while not layout.fits() and layout.shown > 1:
        layout.shown -= 1
    layout.fill()
    if level:  # room left over: give heads back their details, in order
        layout.grow_heads()
    return Message(title, m.sep.join(layout.lines()), channel.format)
