"""Quantities in normalised Chinese policy text: a number (Arabic or Chinese numerals, ranges, 百分之N)
with its unit ("23%", "2-3个", "100万千瓦", "6万吨/日", "2.5个百分点", "一千二百台") and the qualifier
that follows it ("以上", "及以下", "左右").

Works on text from `targets_text.normalise` (no whitespace, half-width ASCII, Simplified script).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

_AR = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_CN = r"[零〇一二两三四五六七八九十百千万亿]+(?:点[零〇一二三四五六七八九]+)?"
_MAG = r"万亿|千亿|百亿|十亿|亿|千万|百万|十万|万|千|百"

# Counters count things ("15家", "3座"); a counted quantity may be followed by the noun it counts.
COUNTERS = (
    "家 个 台 套 座 种 户 辆 条 项 所 处 人次 人 名 张 件 只 头 间 栋 幢 部 架 艘 片 块 棵 株 口 根 支 类 款 宗 场 次 "
    "床 个村 个乡镇 个县"
).split()
# Measures measure amounts ("145万吨", "100万千瓦"); a measure directly before a noun usually sets a scope.
MEASURES = (
    "吨标准煤 吨标煤 吨二氧化碳 标准煤 蒸吨 吨 千克 公斤 立方米 平方米 平方公里 平方千米 公顷 亩 公里 千米 米 "
    "千瓦时 千瓦 兆瓦 吉瓦 瓦 千伏安 千伏 元 美元 欧元 倍 微克/立方米 毫克/立方米 毫克/升 分贝 度 "
    "GWh GWH Gwh MWh kWh GW MW kW"
).split()
_RATE = r"(?:/(?:年|日|天|小时|时|秒|月|人|户|亩|吨|平方米|立方米))"
_BASE = "|".join(re.escape(u) for u in sorted(COUNTERS + MEASURES, key=len, reverse=True))
_UNIT = rf"(?:(?:{_MAG})?(?:{_BASE}){_RATE}?|(?:{_MAG})(?=级))"
_RANGE_SEP = r"[-–—~〜至到]"

QUANTITY_RE = re.compile(
    rf"(?P<pct_cn>百分之(?P<pcv>{_CN}))"
    rf"|(?P<num>{_AR}|{_CN})(?:{_RANGE_SEP}(?P<num2>{_AR}|{_CN}))?"
    rf"(?P<unit>%|‰|个百分点|百分点|{_UNIT})"
)
QUALIFIER_RE = re.compile(r"及以上|及以下|以上|以下|以内|之内|左右|上下")
_CN_ONLY = re.compile(rf"^(?:{_CN})$")


_MAG_RE = re.compile(rf"(?:{_MAG})")
_MAG_START_RE = re.compile(rf"^(?:{_MAG})")
_MAG_END_RE = re.compile(r"(万亿|亿|万)$")
_INT_RE = re.compile(r"\d+")
_DEC_RE = re.compile(r"\d+\.\d+")
_LATIN_DOT_RE = re.compile(r"[A-Za-z\.]")
_LATIN_RE = re.compile(r"[A-Za-z]")
_CN_DIGIT_RE = re.compile("[零〇一二两三四五六七八九十]")


@dataclass(frozen=True)
class Quantity:
    """A number with its unit at text[start:end]; `qualifier` spans text[end:qual_end]."""

    start: int
    end: int
    value: float | int
    value2: float | int | None    # upper end of a range ("2-3个")
    unit: str
    qualifier: str | None
    qual_end: int
    chinese: bool                 # written in Chinese numerals

    @property
    def is_percent(self) -> bool:
        return self.unit in ("%", "‰", "个百分点", "百分点")

    @property
    def is_counter(self) -> bool:
        base = _MAG_START_RE.sub("", self.unit)
        return base in COUNTERS

    @property
    def is_rate(self) -> bool:
        return "/" in self.unit


def _number(s: str) -> float | int:
    s = s.replace(",", "")
    if _INT_RE.fullmatch(s):
        return int(s)
    if _DEC_RE.fullmatch(s):
        return float(s)
    import cn2an

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        v = cn2an.cn2an(s, "smart")
    return int(v) if float(v).is_integer() else float(v)


def _split_magnitude(num: str, unit: str) -> tuple[str, str]:
    """Move a trailing 万/亿 of a Chinese numeral into the unit, as Arabic figures write it ("五万个" → 5, 万个)."""
    m = _MAG_END_RE.search(num)
    if m and len(num) > len(m.group(1)) and not _MAG_START_RE.match(unit):
        return num[: m.start()], m.group(1) + unit
    return num, unit


# Every QUANTITY_RE match starts with one of these (百 of 百分之, a digit or a Chinese numeral).
_FIRST_CHAR_RE = re.compile(r"[\d零〇一二两三四五六七八九十百千万亿]")


def matches_at(pat: re.Pattern[str], text: str, starts):
    """What `pat.finditer(text)` yields when its matches can only start at `starts` (increasing positions; the
    pattern matches no empty string): the pattern is tried there only, which is faster when it has no cheap
    first-character test of its own."""
    pos = 0
    for s in starts:
        if s < pos:
            continue
        m = pat.match(text, s)
        if m:
            yield m
            pos = m.end()


def find_quantities(text: str, masked: list[tuple[int, int]] = ()) -> list[Quantity]:
    """Quantities in `text` outside the `masked` spans (time phrases, years, document numbers).

    Skips numbers glued to Latin letters ("PM2.5", "5G"), ordinals ("第3"), and lone Chinese numerals
    that are idioms rather than amounts ("一批", "两网融合", "二次包装"): a Chinese numeral counts only when it
    is 十 or more, a percentage, or a 两/二…九 right after a verb of building or changing (checked by the caller
    through `chinese`).
    """
    blocked = [False] * (len(text) + 1)
    for a, b in masked:
        for i in range(max(0, a), min(len(text), b)):
            blocked[i] = True
    out: list[Quantity] = []
    for m in matches_at(QUANTITY_RE, text, (c.start() for c in _FIRST_CHAR_RE.finditer(text))):
        s, e = m.span()
        if any(blocked[s:e]):
            continue
        prev = text[s - 1] if s > 0 else ""
        if _LATIN_DOT_RE.match(prev) or prev == "第":
            continue
        nxt = text[e:e + 1]
        if m.group("pct_cn"):
            num, num2, unit, chinese = m.group("pcv"), None, "%", True
        else:
            num, num2, unit = m.group("num"), m.group("num2"), m.group("unit")
            chinese = bool(_CN_ONLY.match(num))
            if chinese:
                num, unit = _split_magnitude(num, unit)
                if not num or not _CN_ONLY.match(num) or not _CN_DIGIT_RE.search(num):
                    continue
            if unit[-1:].isascii() and unit[-1:].isalpha() and _LATIN_RE.match(nxt):
                continue  # "5GW" ok, "5GWx" is a word
            if not chinese and _LATIN_RE.match(nxt) and not unit[:1].isascii():
                continue
        if chinese and _MAG_RE.fullmatch(unit):
            continue  # 十亿级, 百亿级: a size class written as a name, not an amount
        try:
            value = _number(num)
            value2 = _number(num2) if num2 else None
        except Exception:
            continue
        q = QUALIFIER_RE.match(text, e)
        qualifier, qual_end = (q.group(0), q.end()) if q else (None, e)
        out.append(Quantity(s, e, value, value2, unit, qualifier, qual_end, chinese))
    return out
