"""The 政府信息公开 metadata block and the standard <meta> tags of Chinese government pages.

Label/value pairs are found by LABEL TEXT, never by position: a label is matched after removing every kind of
space (ASCII, NBSP, U+2002, U+3000, ...) and a trailing full-width or ASCII colon, so ``索 引 号：``,
``索\u2002引\u2002号：`` and ``<td>索引号</td>`` all match. The value is, in this order of preference: the text
after the label in the same text node (``文号：X``), the label element's tail text, its next sibling element,
or (climbing while the ancestor holds only the label) the ancestor's next sibling (``<td><b>文号：</b></td><td>X``).
"""
from __future__ import annotations

import re
from typing import NamedTuple

from lxml import etree

from spiders.htmltext import SKIP_TAGS, collapse, is_element, tag_of, text_of

# label -> metadata key. The first label found for a key wins, except that a label listed in _FALLBACK only
# fills a key that no regular label provides (发布时间 also appears in "发布时间：… 浏览次数：…" info lines).
LABELS: dict[str, str] = {
    "索引号": "index_no",
    "发文机关": "issuer", "发布机构": "issuer", "责任部门": "issuer", "发文单位": "issuer", "发布单位": "issuer",
    "制发机关": "issuer", "发文机构": "issuer",
    "成文日期": "written", "生成日期": "written", "发文日期": "written", "印发日期": "written",
    "发布日期": "published", "公布日期": "published", "发布时间": "published",
    "文号": "doc_number", "发文字号": "doc_number", "文件编号": "doc_number", "发文文号": "doc_number",
    "主题分类": "topic",
    "标题": "title",
}
_FALLBACK = frozenset({"发布时间"})
DATE_KEYS = frozenset({"written", "published"})
_SPACES = re.compile(r"\s+")
_LABEL_PATTERN = "|".join(r"\s*".join(map(re.escape, lab)) for lab in sorted(LABELS, key=len, reverse=True))
# A known label followed by a colon, anywhere in a text node; values run to the next label of any kind.
_INLINE = re.compile(r"(?<![\w])(" + _LABEL_PATTERN + r")\s*[:：]\s*")
_ANY_LABEL_WITH_COLON = re.compile(
    r"(?:" + _LABEL_PATTERN + r"|公开方式|公开时限|公开范围|组配分类|主\s*题\s*词|信息来源|来\s*源|浏览次数|访问量|字号)\s*[:：]")
_DATE = re.compile(r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})")


def normalise_label(text: str) -> str:
    """Remove every kind of space and a trailing colon: ``'索\u2002引\u2002号：'`` -> ``'索引号'``."""
    return _SPACES.sub("", text).rstrip(":：")


_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
_CN_DATE = re.compile(r"([〇○零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日")


def _cn_small(text: str) -> int:
    """一 .. 三十一 -> 1 .. 31."""
    if "十" not in text:
        return _CN_DIGITS.get(text, 0)
    tens, _, ones = text.partition("十")
    return (_CN_DIGITS.get(tens, 0) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)


def normalise_date(value: str) -> str:
    """``2018年12月07日`` / ``2023-10-23 08:59`` / ``2023/4/18`` / ``2007-08-20-23:59:59`` / ``二〇二三年十月十六日``
    -> ``YYYY-MM-DD``; text without a recognisable date is returned unchanged."""
    cn = _CN_DATE.search(value)
    if cn:
        year = int("".join(str(_CN_DIGITS[c]) for c in cn.group(1)))
        value = f"{year}-{_cn_small(cn.group(2))}-{_cn_small(cn.group(3))}"
    m = _DATE.search(value) or _DATE_COMPACT.search(value.strip())
    if not m:
        return value
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return value
    return f"{y:04d}-{mo:02d}-{d:02d}"


def _following_value(el: etree._Element, label: str) -> str:
    """Value for an element whose whole text is a label."""
    node = el
    for _ in range(4):
        if node.tail and node.tail.strip():
            return collapse(node.tail)
        sib = node.getnext()
        while sib is not None and not is_element(sib):
            if sib.tail and sib.tail.strip():
                return collapse(sib.tail)
            sib = sib.getnext()
        if sib is not None:
            return text_of(sib)
        parent = node.getparent()
        if parent is None or normalise_label(text_of(parent)) != label:
            return ""
        node = parent
    return ""


def _cut_at_next_label(value: str) -> str:
    m = _ANY_LABEL_WITH_COLON.search(value)
    return value[: m.start()] if m else value


# Every label match (by element or inline) contains a label's first character.
_FIRST_CHAR = re.compile("[" + "".join(sorted({label[0] for label in LABELS})) + "]")
_LABEL_TEXT_MAX = 60  # a label element's whole text is at most this long
_INLINE_TEXT_MAX = 300  # inline labels are only read in texts at most this long


def _short_string(el: etree._Element) -> str | None:
    """``string(el)`` when it is at most _LABEL_TEXT_MAX characters long, else None; reading stops at the first
    text piece that goes past the limit (itertext yields exactly the text nodes that string() joins)."""
    size = 0
    pieces: list[str] = []
    for piece in el.itertext():
        size += len(piece)
        if size > _LABEL_TEXT_MAX:
            return None
        pieces.append(piece)
    return "".join(pieces)


class _Candidates(NamedTuple):
    """Where label_pairs can find something: ``wanted`` are the elements on the way from the root to text that
    can hold a label (no other element can yield a label pair), ``small`` those of them whose whole text is at
    most 60 characters (with that text), ``tails`` the nodes whose tail text can hold a label."""

    wanted: set[etree._Element]
    small: dict[etree._Element, str]
    tails: set[etree._Element]


def _label_candidates(root: etree._Element, exclude: etree._Element | None) -> _Candidates:
    """Text that can hold a label contains a label's first character and is at most 300 characters long (a
    label element's whole text is at most 60 characters, inline labels are only read in texts of at most 300).
    Text inside ``exclude`` is never read by label_pairs, but it is part of its ancestors' whole text, so the
    excluded element is a starting point as well when its own whole text is short and has such a character."""
    first_char = _FIRST_CHAR.search
    holders: list[etree._Element] = []
    tails: set[etree._Element] = set()
    inside: set[etree._Element] | tuple[()] = ()
    if exclude is not None:
        inside = set(exclude.iterdescendants())
        raw = _short_string(exclude)
        if raw is not None and first_char(raw):
            holders.append(exclude)
    for node in root.iter(etree.Element):
        if node in inside:
            continue
        if node is not exclude:
            text = node.text
            if text and len(text) <= _INLINE_TEXT_MAX and first_char(text):
                holders.append(node)
        if node is not root:
            tail = node.tail
            if tail and len(tail) <= _INLINE_TEXT_MAX and first_char(tail):
                tails.add(node)
                holders.append(node.getparent())
    for node in root.iter(etree.Comment, etree.ProcessingInstruction, etree.Entity):  # own text: not page text
        if node not in inside:
            tail = node.tail
            if tail and len(tail) <= _INLINE_TEXT_MAX and first_char(tail):
                tails.add(node)
                holders.append(node.getparent())
    wanted: set[etree._Element] = set()
    small: dict[etree._Element, str] = {}
    checked: set[etree._Element] = set()
    for holder in holders:
        el = holder
        while el is not None and el not in checked:  # an element's whole text only grows going up
            checked.add(el)
            raw = _short_string(el)
            if raw is None:
                break
            small[el] = raw
            if el is root:
                break
            el = el.getparent()
        el = holder
        while el is not None and el not in wanted:
            wanted.add(el)
            if el is root:
                break
            el = el.getparent()
    return _Candidates(wanted, small, tails)


def label_pairs(root: etree._Element, exclude: etree._Element | None = None) -> dict[str, str]:
    """Metadata keys found by label text anywhere in ``root`` except the ``exclude`` subtree.

    Keys: index_no, issuer, written, published, doc_number, topic, title. Dates are ``YYYY-MM-DD``.
    Empty values are never returned.
    """
    found: dict[str, str] = {}
    weak: dict[str, str] = {}

    def put(label: str, value: str) -> None:
        label = normalise_label(label)
        key = LABELS.get(label)
        value = collapse(value)
        target = weak if label in _FALLBACK else found
        if key and value and key not in target:
            target[key] = normalise_date(value) if key in DATE_KEYS else value

    def inline(text: str | None) -> None:
        if not text or len(text) > _INLINE_TEXT_MAX:
            return
        for m in _INLINE.finditer(text):
            if text[: m.start()].strip() and not _ANY_LABEL_WITH_COLON.search(text[: m.start()]):
                return  # a label in the middle of running text (a sentence) is not metadata
            put(m.group(1), _cut_at_next_label(text[m.end():]))

    # Document order (labels found first win); only elements on the way to possible label text are entered and
    # only tails that can hold a label are read (inline() finds nothing in the others).
    wanted, small, tails = _label_candidates(root, exclude)

    def visit(el: etree._Element) -> None:
        if exclude is not None and el is exclude:
            return
        tag = tag_of(el)
        if tag in SKIP_TAGS:
            return
        raw = small.get(el)
        if raw is not None and len(el) < 12:  # labels live in small elements
            label = normalise_label(raw)
            if label in LABELS:
                put(label, _following_value(el, label))
        inline(el.text)
        for child in el:
            if child in wanted:
                visit(child)
            if child in tails:
                inline(child.tail)

    visit(root)
    for key, value in weak.items():
        found.setdefault(key, value)
    return found


def meta_tags(root: etree._Element) -> dict[str, str]:
    """``<meta name=... content=...>`` values keyed by lower-cased name (first occurrence wins, empty skipped)."""
    out: dict[str, str] = {}
    for m in root.iter("meta"):
        name = (m.get("name") or "").strip().lower()
        content = collapse(m.get("content") or "")
        if name and content and name not in out:
            out[name] = content
    return out


def document_metadata(root: etree._Element, exclude: etree._Element | None = None,
                      meta: dict[str, str] | None = None) -> tuple[dict[str, str], str | None]:
    """``(metadata, title_label)``: label pairs plus the standard meta tags. ``published`` falls back to
    PubDate / firstpublishedtime and ``source`` comes from ContentSource; ``<meta name="others">`` (page
    generation time, changes on every republish) is never read. ``title_label`` is the 标题 value, if any."""
    found = label_pairs(root, exclude)
    title = found.pop("title", None)
    meta = meta_tags(root) if meta is None else meta
    if "published" not in found:
        for name in ("pubdate", "firstpublishedtime", "publishdate"):
            if name in meta:
                found["published"] = normalise_date(meta[name])
                break
    if "contentsource" in meta:
        found["source"] = meta["contentsource"]
    return found, title
