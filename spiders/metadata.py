"""The 政府信息公开 metadata block and the standard <meta> tags of Chinese government pages.

Label/value pairs are found by LABEL TEXT, never by position: a label is matched after removing every kind of
space (ASCII, NBSP, U+2002, U+3000, ...) and a trailing full-width or ASCII colon, so ``索 引 号：``,
``索\u2002引\u2002号：`` and ``<td>索引号</td>`` all match. The value is, in this order of preference: the text
after the label in the same text node (``文号：X``), the label element's tail text, its next sibling element,
or (climbing while the ancestor holds only the label) the ancestor's next sibling (``<td><b>文号：</b></td><td>X``).
"""
from __future__ import annotations

import re

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
_STRING = etree.XPath("string()")


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
        if not text or len(text) > 300:
            return
        for m in _INLINE.finditer(text):
            if text[: m.start()].strip() and not _ANY_LABEL_WITH_COLON.search(text[: m.start()]):
                return  # a label in the middle of running text (a sentence) is not metadata
            put(m.group(1), _cut_at_next_label(text[m.end():]))

    def visit(el: etree._Element) -> None:
        if exclude is not None and el is exclude:
            return
        tag = tag_of(el)
        if tag in SKIP_TAGS:
            return
        if len(el) < 12:  # labels live in small elements
            raw = _STRING(el)
            if len(raw) <= 60 and normalise_label(raw) in LABELS:
                label = normalise_label(raw)
                put(label, _following_value(el, label))
        inline(el.text)
        for child in el:
            if is_element(child):
                visit(child)
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
