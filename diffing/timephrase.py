"""Time phrases of Chinese policy text ("到2020年年底前", "2019年上半年", "十三五末", "三年内") and their due dates.

All functions work on text already normalised by `targets_text.normalise` (no whitespace, half-width ASCII,
Simplified script). A time phrase that names a due date gets an ISO date; a relative or recurring one
("三年内", "年底前", "每月25日前") keeps its text with no date.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

from .numbers import matches_at

_CN_DIGIT = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

YEAR = r"(?:19|20)\d{2}|[二][〇零][〇零一二三四五六七八九]{2}"
_MONTH = r"1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九]"
_DAY = r"3[01]|[12]\d|0?[1-9]|三十一?|二十[一二三四五六七八九]?|十[一二三四五六七八九]?|[一二三四五六七八九]"
_BEFORE = r"(?:之前|以前|前)"
_LEAD = r"(?:到|(?<![\d时日月年号截])至)?"  # 截至/截止 ("as of") introduce facts, not due dates
_PERIOD_END = {"十一五": 2010, "十二五": 2015, "十三五": 2020, "十四五": 2025, "十五五": 2030, "十六五": 2035}
_QUOTE_L = "“\"'‘「『"
_QUOTE_R = "”\"'’」』"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # 2019年6月25日之前 / 2021年1月1日起
    ("day", re.compile(rf"{_LEAD}(?P<y>{YEAR})年(?P<m>{_MONTH})月(?P<d>{_DAY})[日号](?P<sfx>{_BEFORE}|起|开始)?")),
    # 2019年3月底前 / 2019年6月
    ("month", re.compile(rf"{_LEAD}(?P<y>{YEAR})年(?P<m>{_MONTH})月(?:份)?(?:底|末|下旬)?{_BEFORE}?(?!\d|[一二三四五六七八九十]+[日号])")),
    # 2019年上半年 / 2020年第三季度末
    ("half", re.compile(rf"{_LEAD}(?P<y>{YEAR})年(?P<h>上半年|下半年|第?[一二三四1-4]季度)(?:末|底)?{_BEFORE}?")),
    # 2020年年底前 / 2020年底 / 2020年末
    ("yearend", re.compile(rf"{_LEAD}(?P<y>{YEAR})年(?:年底|年末|底|末){_BEFORE}?")),
    # 2019—2020年 (a period; due at its end)
    ("span", re.compile(rf"{_LEAD}(?P<y0>{YEAR})年?[-–—~〜至到](?P<y>{YEAR})年(?:底|末)?{_BEFORE}?")),
    # 到2020年 / 2025年 / 2020年前
    ("year", re.compile(rf"{_LEAD}(?P<y>{YEAR})年{_BEFORE}?")),
    # 十三五末 / “十四五”期间
    ("plan", re.compile(rf"{_LEAD}[{_QUOTE_L}]?(?P<p>十[一二三四五六]五)[{_QUOTE_R}]?(?:规划)?(?P<s>期末|末期|时期末|末|期间|时期)")),
    # 每月25日前 / 每年3月底前 / 每季度末 (recurring)
    ("recurring", re.compile(rf"每(?:月|年|季度|半年)(?:(?:{_MONTH})月)?(?:(?:{_DAY})[日号]{_BEFORE}|(?:底|末){_BEFORE}?)")),
    # 三年内 / 6个月内 / 30个工作日内 / 年内 / 年底前 / 今年底 (relative)
    # 7月15日前 / 9月底前 with no year: the year of the time phrase before it in the paragraph
    ("monthday", re.compile(rf"(?<![年\d])(?P<m>{_MONTH})月(?:(?P<d>{_DAY})[日号]|底|末){_BEFORE}")),
    ("relative", re.compile(
        r"(?:自|从)[^,;:。]{1,15}?之日起(?:\d+|[一二两三四五六七八九十]+)(?:个)?(?:日|天|工作日|月|年)(?:之内|以内|内)"
        r"|(?:\d+|[一二两三四五六七八九十]+)(?:个)?(?:年|月|季度|周|日|天|工作日)(?:之内|以内|内)"
        r"|(?:用|经过|通过)(?:\d+|[一二两三四五六七八九十]+)(?:个)?(?:年|月)(?:左右)?(?:的)?(?:时间|努力)"
        rf"|(?:今年|明年|本年度?)(?:年内|年底{_BEFORE}?|年末{_BEFORE}?|底{_BEFORE}?|上半年|下半年)"
        rf"|年内|年底{_BEFORE}|年末{_BEFORE}"
        rf"|(?:今年|明年)(?:{_MONTH})月(?:底|末)?{_BEFORE}?"
    )),
]

_PATTERNS_BY_FORM = dict(_PATTERNS)

# Cheap tests that spare a pattern's scan of the text (keep them in step with _PATTERNS). Every match of a
# _YEAR_FORMS pattern holds a "YYYY年" (its group y) that starts 0-1 characters (span: 5-7) after the match does,
# so those patterns are tried only there; every match of another form holds one of its _WORDS.
_YEAR_FORMS = frozenset(("day", "month", "half", "yearend", "span", "year"))
_YEAR_NIAN_RE = re.compile(rf"(?:{YEAR})年")
_START_BEFORE_Y = {"span": (7, 6, 5)}  # lead 到/至 (0-1) + y0 (4) + 年 (0-1) + separator (1)
_WORDS = {
    "plan": ("五",),
    "recurring": ("每",),
    "monthday": ("月",),
    "relative": ("年内", "月内", "度内", "周内", "日内", "天内", "之内", "以内", "时间", "努力", "今年", "明年", "本年",
                 "年底", "年末"),
}
_HINT_RE = {form: re.compile("|".join(words)) for form, words in _WORDS.items()}


# A year right after these is a comparison base or a starting point, not a due date.
_NOT_DUE_BEFORE = ("比", "较", "与", "同", "相比", "自", "从", "(", "〔", "[", "《")
# ... and a year followed by these is a period of the past, an edition or a fiscal year.
_NOT_DUE_AFTER = re.compile(r"^(?:以来|来|版|度|的|起|开始|之后|以后|后|[)）〕\]》]|同期|水平|基础上|基数)")


@dataclass(frozen=True)
class TimePhrase:
    """A time phrase found at text[start:end]."""

    start: int
    end: int
    text: str
    iso: str | None          # due date, or None when relative/recurring
    form: str                # which pattern matched: day, month, half, yearend, span, year, plan, recurring, relative
    explicit: bool           # carries a 到/前/底/末 marker (not just a bare year)
    written: str = ""        # the phrase as written in the original paragraph (filled in by the caller)

    @property
    def year(self) -> int | None:
        return int(self.iso[:4]) if self.iso else None


def cn_int(s: str) -> int:
    """Small Chinese or Arabic integer ("12", "十二", "二〇二〇") to int."""
    if s.isdigit():
        return int(s)
    if all(c in _CN_DIGIT for c in s):  # digit by digit: 二〇二〇
        n = 0
        for c in s:
            n = n * 10 + _CN_DIGIT[c]
        return n
    total, cur = 0, 0
    for c in s:
        if c == "十":
            total += (cur or 1) * 10
            cur = 0
        else:
            cur = _CN_DIGIT.get(c, 0)
    return total + cur


def _last_day(y: int, m: int) -> int:
    return calendar.monthrange(y, m)[1]


def _iso(y: int, m: int, d: int) -> str | None:
    try:
        if not (1 <= m <= 12 and 1 <= d <= _last_day(y, m)):
            return None
    except ValueError:
        return None
    return f"{y:04d}-{m:02d}-{d:02d}"


def _resolve(form: str, m: re.Match[str]) -> tuple[str | None, bool]:
    g = m.groupdict()
    text = m.group(0)
    # A bare year, month or day ("2015年，…", "2025年4月…表", "2012年6月16日发射") may date a fact or name an
    # edition; only 到…/…前/…底/…末/…起 or a half-year, quarter or plan period mark a due date for sure.
    explicit = text.startswith(("到", "至")) or text.endswith(("前", "底", "末", "起", "开始")) or form in (
        "half", "plan", "yearend", "recurring", "relative", "monthday")
    if form in ("recurring", "relative", "monthday"):
        return None, explicit
    if form == "plan":
        return f"{_PERIOD_END[g['p']]}-12-31", explicit
    y = cn_int(g["y"])
    if form == "day":
        return _iso(y, cn_int(g["m"]), cn_int(g["d"])), explicit
    if form == "month":
        mo = cn_int(g["m"])
        return (_iso(y, mo, _last_day(y, mo)) if 1 <= mo <= 12 else None), explicit
    if form == "half":
        h = g["h"]
        if h == "上半年":
            return f"{y}-06-30", explicit
        if h == "下半年":
            return f"{y}-12-31", explicit
        q = cn_int(h.strip("第季度"))
        return _iso(y, q * 3, _last_day(y, q * 3)), explicit
    return f"{y}-12-31", explicit


def find_time_phrases(text: str) -> list[TimePhrase]:
    """All time phrases in `text`, left to right and non-overlapping (longest form wins at a position).

    Years used as comparison bases ("比2015年"), starting points ("2018年以来", "自2019年起"), editions
    ("2021年版") or inside document numbers and titles are not time phrases.
    """
    found: list[TimePhrase] = []
    taken = [False] * (len(text) + 1)
    years = [m.start() for m in _YEAR_NIAN_RE.finditer(text)] if "年" in text else []
    for form, pat in _PATTERNS:
        if form in _YEAR_FORMS:
            if not years:
                continue
            back = _START_BEFORE_Y.get(form, (1, 0))
            matches = matches_at(pat, text, sorted({y - k for y in years for k in back if y >= k}))
        elif form in _HINT_RE and not _HINT_RE[form].search(text):
            continue
        else:
            matches = pat.finditer(text)
        for m in matches:
            s, e = m.span()
            if s == e or any(taken[s:e]):
                continue
            core = s
            while core < e and text[core] in "到至截止":
                core += 1
            before = text[max(0, core - 2):core]
            if form not in ("recurring", "relative", "plan", "monthday") and before.endswith(_NOT_DUE_BEFORE):
                if not (form == "day" and m.group("sfx") in ("起", "开始")):
                    continue
            if form == "plan" and before.endswith(("比", "较")):
                continue
            sfx_ok = form == "day" and (m.group("sfx") or "") in ("起", "开始")
            if not sfx_ok and _NOT_DUE_AFTER.match(text[e:]):
                continue
            if form in ("year", "span") and text[e:e + 1] in "版度":
                continue
            if form == "relative" and s > 0 and text[s - 1] in "近过前":  # 近三年内: the past
                continue
            iso, explicit = _resolve(form, m)
            if form not in ("recurring", "relative", "monthday") and iso is None:
                continue
            found.append(TimePhrase(s, e, m.group(0), iso, form, explicit))
            for i in range(s, e):
                taken[i] = True
    found.sort(key=lambda t: t.start)
    # a year-less "7月15日前" takes the year of the dated phrase before it
    for k, t in enumerate(found):
        if t.form == "monthday":
            prev = next((p for p in reversed(found[:k]) if p.iso), None)
            m = _PATTERNS_BY_FORM["monthday"].fullmatch(t.text)
            if prev is not None and m is not None:
                y, mo = int(prev.iso[:4]), cn_int(m.group("m"))
                d = cn_int(m.group("d")) if m.group("d") else _last_day(y, mo)
                found[k] = TimePhrase(t.start, t.end, t.text, _iso(y, mo, d), t.form, True)
    return found


_YEAR_TOKEN_RE = re.compile(rf"(?:{YEAR})年(?:\d{{1,2}}月(?:\d{{1,2}}[日号])?)?")
_DOC_NUMBER_YEAR_RE = re.compile(r"[〔\[(（]\s*(?:19|20)\d{2}\s*[〕\]）)]\s*\d*\s*号?")
_NUMERIC_DATE_RE = re.compile(r"(?:19|20)\d{2}[-/.](?:1[0-2]|0?[1-9])[-/.](?:3[01]|[12]\d|0?[1-9])")


def year_spans(text: str) -> list[tuple[int, int]]:
    """Spans of every "YYYY年" token and document-number year ("〔2018〕"), used to mask numbers."""
    if "年" not in text and "19" not in text and "20" not in text:
        return []  # every span holds 年 or a year written 19xx/20xx
    spans = [m.span() for m in _YEAR_TOKEN_RE.finditer(text)] if "年" in text else []
    if "19" in text or "20" in text:
        spans += [m.span() for m in _DOC_NUMBER_YEAR_RE.finditer(text)]
        spans += [m.span() for m in _NUMERIC_DATE_RE.finditer(text)]
    return spans


def format_date_zh(iso: str | None) -> str:
    """ISO due date as a short Chinese phrase: 2020-12-31 → "2020年底", 2021-06-30 → "2021年6月底"."""
    if not iso:
        return ""
    y, m, d = (int(x) for x in iso.split("-"))
    if m == 12 and d == 31:
        return f"{y}年底"
    if d == _last_day(y, m):
        return f"{y}年{m}月底"
    return f"{y}年{m}月{d}日"
