"""Text normalisation for comparing versions of Chinese policy documents.

Two strengths:

* ``light_normalize`` — Unicode and whitespace clean-up only. Two texts equal after it read the same to a person
  (full-width vs half-width, stray spaces inside Chinese text). It backs the "exact" fingerprint.
* ``normalize_paragraphs`` — document-level, for deciding whether content changed: light normalisation, stray
  pinyin glosses removed, Traditional -> Simplified (OpenCC ``t2s``), volatile page furniture (view counters,
  print/close links) removed, empty paragraphs dropped. It backs the "semantic" fingerprint and the aligner.

Nothing here touches the file system at import time; the OpenCC converter is built on first use.
"""
from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Sequence

__all__ = [
    "light_normalize",
    "light_each",
    "normalize_paragraphs",
    "strong_each",
    "strong_from_light",
    "fingerprint",
    "pinyin_hits",
    "to_simplified",
    "PINYIN_MIN_HITS",
]

# --- character classes ---------------------------------------------------------------------------------------------

_CJK_IDEO = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"

#: Characters NFKC leaves alone (ASCII, CJK ideographs, common Chinese punctuation) plus those it would rewrite
#: in a way that hurts readability or number parsing and that we therefore keep: circled / parenthesised numbers
#: ("①" -> "1" would glue onto a following number) and superscripts used in units ("m²").
_LATIN_LETTERS = (  # precomposed Latin letters that NFKC keeps (pinyin tone letters among them)
    r"A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u0131\u0134-\u013e\u0141-\u0148\u014a-\u017e\u0180-\u01c3"
    r"\u01cd-\u01f0\u01f4-\u024f\u1e00-\u1e99\u1e9c-\u1eff"
)
_NFKC_SAFE = (
    r"\x00-\x9f\u00b2\u00b3\u00b7\u00d7\u00f7\u2014\u2018\u2019\u201c\u201d\u2460-\u24ff\u3001\u3002"
    r"\u3008-\u3011\u3014-\u301b\u3220-\u3243\u3251-\u32bf\u3400-\u4dbf\u4e00-\u9fff" + _LATIN_LETTERS
)
_SAFE_RUN = re.compile(f"[{_NFKC_SAFE}]*")  # greedy runs of one class: sre scans them in a tight loop
_UNSAFE_RUN = re.compile(f"[^{_NFKC_SAFE}]*")
_LATIN_LETTER = re.compile(f"[{_LATIN_LETTERS}]")
_NFKC_CACHE: dict[str, str] = {}
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
_HSPACE = r"[^\S\n]"  # whitespace other than the paragraph separator used internally
_LATIN_CLOSE = set(".,;:!?)%]'\"")


def _latin(ch: str) -> bool:
    """A letter or digit of an alphabetic script (not CJK): words in such scripts are separated by spaces."""
    return ch.isalnum() and ord(ch) < 0x2E80


def _spaced(left: str, right: str) -> bool:
    """Whether the whitespace between the words ``left`` and ``right`` (of one line) stays as one space: only
    between two alphabetic-script words ("Copyright 2004-2022 ChinaBus", "a, b"); not next to Chinese text or
    Chinese punctuation, nor before punctuation."""
    last = left[-1]
    left_ok = _latin(last) or (last in _LATIN_CLOSE and len(left) >= 2 and _latin(left[-2]))
    return left_ok and (_latin(right[0]) or right[0] == "(")


def _fix_line(line: str) -> str:
    """``line`` with each whitespace run kept as one space or dropped (see ``_spaced``), and none at the ends.
    (``str.split()`` cuts at the characters ``str.isspace`` accepts: those ``\\s`` matches in a pattern.)"""
    words = line.split()
    if len(words) < 2:
        return words[0] if words else ""
    out = words[:1]
    for left, right in zip(words, words[1:]):
        # (a space stays only between two characters below U+2E80: test that before the full rule)
        if left[-1] < "\u2e80" and right[0] < "\u2e80" and _spaced(left, right):
            out.append(" ")
        out.append(right)
    return "".join(out)


def _fix_spaces(text: str) -> str:
    """Each line of ``text`` through ``_fix_line``."""
    return "\n".join([_fix_line(line) for line in text.split("\n")])


def _nfkc_piece(run: str) -> str:
    out = _NFKC_CACHE.get(run)
    if out is None:
        out = _ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", run))
        if len(run) <= 8:
            if len(_NFKC_CACHE) > 4096:
                _NFKC_CACHE.clear()
            _NFKC_CACHE[run] = out
    return out


def _nfkc(text: str) -> str:
    """NFKC of ``text`` except the kept characters, normalising only the pieces that can change (much faster than
    normalising the whole text, whose CJK bulk is already stable). A piece is a maximal run of characters outside
    the kept set, started one character early when that run starts with a combining mark (U+0300–U+036F) right
    after a precomposed Latin letter, so that "e" + U+0301 composes as NFKC would."""
    pieces: list[str] = []
    pos, end = 0, len(text)
    while (unsafe := _SAFE_RUN.match(text, pos).end()) < end:
        start = unsafe
        if unsafe > pos and "\u0300" <= text[unsafe] <= "\u036f" and _LATIN_LETTER.match(text, unsafe - 1):
            start -= 1
        stop = _UNSAFE_RUN.match(text, unsafe).end()
        pieces += (text[pos:start], _nfkc_piece(text[start:stop]))
        pos = stop
    if not pieces:
        return text
    pieces.append(text[pos:])
    return "".join(pieces)


def _light_block(text: str) -> str:
    """Light-normalise a block whose paragraphs are separated by "\\n" (no other newlines inside)."""
    text = _nfkc(text)  # also drops zero-width characters (none of them is in the NFKC-safe set)
    fixed = _fix_spaces(text)
    if fixed != text and not fixed.isascii():
        # removing a space can join a letter to a combining mark NFKC made from a spacing accent ("A´" -> "A" + U+0301);
        # compose again so that light_normalize stays idempotent
        fixed = _nfkc(fixed)
    return fixed


def light_each(paragraphs: Sequence[str]) -> list[str]:
    """``light_normalize`` applied to each paragraph, done in one pass over the joined text (same result)."""
    if not paragraphs:
        return []
    joined = "\n".join(p.replace("\r", " ").replace("\n", " ") for p in paragraphs)
    # NFKC never produces or removes "\n", and no pattern above crosses it, so the split is 1:1.
    return [line.strip() for line in _light_block(joined).split("\n")]


def light_normalize(text: str) -> str:
    """Return ``text`` in NFKC (full-width ASCII folded; circled numbers kept), with zero-width characters removed,
    whitespace inside or next to Chinese text and next to punctuation removed ("到 2025 年" -> "到2025年",
    "23 %" -> "23%", "( 2021年版)" -> "(2021年版)"), whitespace between two words of an alphabetic script
    collapsed to one space ("ChinaBus.Info All Rights"), and the ends stripped. Idempotent."""
    return light_each([text])[0]


# --- pinyin glosses ------------------------------------------------------------------------------------------------

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
# "(" first, then look behind it for the ideograph: much faster to scan than a leading look-behind.
_PINYIN_GLOSS = re.compile(rf"\((?<=[{_CJK_IDEO}]\()([a-zü]{{0,5}}[{_TONED}][a-zü{_TONED}]{{0,5}})\)")
_SYLLABLE = re.compile(
    r"(?:[bpmfdtnlgkhjqxrzcsyw]|zh|ch|sh)?"
    r"(?:a|o|e|ai|ei|ao|ou|an|en|ang|eng|ong|er|i|ia|ie|iao|iu|ian|in|iang|ing|iong|u|ua|uo|uai|ui|uan|un|uang|ueng"
    r"|ü|üe|üan|ün|ue|v|n|ng|m)"
)
_DEACCENT = str.maketrans(
    "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ",
    "aaaaeeeeiiiioooouuuuüüüünnnm",
)
#: A document needs at least this many glosses before any is stripped (guards genuine glosses in normal text).
PINYIN_MIN_HITS = 3


_GLOSS_CACHE: dict[str, bool] = {}


def is_pinyin_syllable(syllable: str) -> bool:
    """True for one tone-marked Mandarin syllable such as "wǎng" (the inside of a "網(wǎng)" gloss)."""
    known = _GLOSS_CACHE.get(syllable)
    if known is None:
        known = _GLOSS_CACHE[syllable] = _SYLLABLE.fullmatch(syllable.translate(_DEACCENT)) is not None
    return known


def _is_gloss(match: re.Match[str]) -> bool:
    return is_pinyin_syllable(match.group(1))


def pinyin_hits(light_text: str, *, enough: int | None = None) -> int:
    """Number of pinyin glosses such as "網(wǎng)" in already light-normalised text (counting stops at
    ``enough`` when given)."""
    n = 0
    for m in _PINYIN_GLOSS.finditer(light_text):
        if _is_gloss(m):
            n += 1
            if enough is not None and n >= enough:
                break
    return n


def _strip_pinyin(light_text: str) -> str:
    return _PINYIN_GLOSS.sub(lambda m: "" if _is_gloss(m) else m.group(0), light_text)


# --- Traditional -> Simplified -------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc  # local import: building the converter reads its dictionaries

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """OpenCC ``t2s`` (character and phrase level only; never the Taiwan/Hong Kong vocabulary variants)."""
    return _t2s().convert(text) if text else text


def _fold_quotes(text: str) -> str:
    """「」『』 -> “”‘’ (corner brackets are the Traditional-text way of writing quotes)."""
    return text.replace("「", "“").replace("」", "”").replace("『", "‘").replace("』", "’")

# --- volatile page furniture ---------------------------------------------------------------------------------------

#: Page-furniture counters only; words that also occur in policy text ("人气", "点击率") are left out on purpose.
_COUNTER_WORDS = r"浏览次数|浏览量|访问次数|访问量|阅读次数|阅读量|阅读数|点击次数|点击数|点击量|访问人次|浏览人次"
_TOOL_WORDS = (
    r"打印本页|打印本文|打印文章|打印此页|打印|关闭窗口|关闭本页|关闭|收藏本页|加入收藏|收藏|返回顶部|顶部|"
    r"放大字体|缩小字体|字体[:：]?大中小|字号[:：]?大中小|大中小|下载Word|下载PDF|下载word|下载pdf|分享到|分享|"
    r"保存本页|纠错|我要纠错|告诉好友|违规举报|返回列表|返回"
)
_COUNTER = re.compile(rf"(?:{_COUNTER_WORDS})[:：]?{_HSPACE}*\d+{_HSPACE}*次?")
_GENERATED = re.compile(rf"页面生成时间[:：]?{_HSPACE}*[\d.:/\-]+(?:{_HSPACE}*[\d.:]+)?{_HSPACE}*(?:毫秒|秒|ms|s)?")
_BRACKETED = re.compile(r"【[^】\n]{1,40}】|\[[^\]\n]{1,40}\]")
_TOOLS_ONLY = re.compile(rf"(?:{_HSPACE}*(?:{_TOOL_WORDS}))+{_HSPACE}*")
#: A paragraph made only of tool links ("放大字体 缩小字体", "打印 关闭") without brackets (to ``fullmatch``).
_TOOL_LINE = re.compile(rf"(?:(?:{_TOOL_WORDS}){_HSPACE}*)+")
# what a text must hold for a pattern to match: cheap to look for (each word begins with a plain character)
_COUNTER_STARTS = tuple({word[:2] for word in _COUNTER_WORDS.split("|")})
_TOOL_FIRST = frozenset(word[0] for word in _TOOL_WORDS.split("|"))
if any(re.escape(start) != start for start in (*_COUNTER_STARTS, *_TOOL_FIRST)):  # pragma: no cover
    raise AssertionError("the counter and tool-link prefilters need words that start with plain characters")


def _drop_tool_link(match: re.Match[str]) -> str:
    """"【打印本页】", "[ 关闭窗口 ]" -> ""; any other bracketed text (e.g. "【重要】") is kept."""
    text = match.group()
    return "" if _TOOLS_ONLY.fullmatch(text[1:-1]) else text


def _remove_volatile(text: str) -> str:
    """Remove view counters, page-generation times and print/close/font-size links (separate simple patterns:
    one big alternation scans several times slower; each runs only where the text holds what it needs)."""
    if any(start in text for start in _COUNTER_STARTS):
        text = _COUNTER.sub("", text)
    if "页面生成时间" in text:
        text = _GENERATED.sub("", text)
    if "【" in text or "[" in text:
        text = _BRACKETED.sub(_drop_tool_link, text)
    # paragraphs made of tool links are emptied; only those starting as a tool word does can be
    return "\n".join(["" if line[:1] in _TOOL_FIRST and _TOOL_LINE.fullmatch(line) else line
                      for line in text.split("\n")])


# --- strong normalisation ------------------------------------------------------------------------------------------


def strong_each(paragraphs: Sequence[str], *, strip_pinyin: bool | None = None) -> list[str]:
    """Strong-normalise each paragraph, keeping positions: the result has ``len(paragraphs)`` items and an item is
    "" when nothing of substance is left. ``strip_pinyin=None`` decides from this document's own gloss count."""
    return strong_from_light(light_each(paragraphs), strip_pinyin=strip_pinyin)


def strong_from_light(light: Sequence[str], *, strip_pinyin: bool | None = None) -> list[str]:
    """``strong_each`` for paragraphs that are already light-normalised."""
    if not light:
        return []
    joined = "\n".join(light)
    if strip_pinyin is None:
        strip_pinyin = pinyin_hits(joined, enough=PINYIN_MIN_HITS) >= PINYIN_MIN_HITS
    stripped = _strip_pinyin(joined) if strip_pinyin else joined
    # a gloss cut out can leave a space that light normalisation keeps only after a Latin letter and ")": "戰(zhàn) 0%"
    cut = len(stripped) != len(joined)
    joined = _fold_quotes(to_simplified(stripped))
    removed = _remove_volatile(joined)
    if cut or len(removed) != len(joined):  # something was cut out: tidy the spaces it may have left
        joined = _fix_spaces(removed)
    out = [line.strip() for line in joined.split("\n")]
    if len(out) != len(light):  # pragma: no cover - t2s never adds or removes newlines
        raise AssertionError("paragraph count changed during normalisation")
    return out


def normalize_paragraphs(paragraphs: Sequence[str]) -> list[str]:
    """Return the document's paragraphs normalised for comparison: ``light_normalize``; pinyin glosses such as
    "網(wǎng)站" -> "網站" stripped when the document holds at least 3 of them (never "VOCs(挥发性有机物)", "(1)",
    "(1.1GWH)"); Traditional -> Simplified with OpenCC ``t2s``; 「」 folded to “”; view counters, page-generation
    times and print/close links removed; empty paragraphs dropped. Idempotent."""
    return [p for p in strong_each(paragraphs) if p]


def fingerprint(paragraphs: Sequence[str], *, level: str) -> str:
    """SHA-256 hex digest of the document at ``level``:

    * ``"exact"``: each paragraph ``light_normalize``-d, empties dropped — changes whenever a reader would see a
      difference in wording, numbers or punctuation;
    * ``"semantic"``: ``normalize_paragraphs`` — equal for a Traditional copy, a pinyin-annotated copy, or a copy
      whose view counter moved. Exact differs but semantic equal means a "formatting" revision.
    """
    if level == "exact":
        items = [p for p in light_each(paragraphs) if p]
    elif level == "semantic":
        items = normalize_paragraphs(paragraphs)
    else:
        raise ValueError(f"unknown fingerprint level {level!r}; expected 'exact' or 'semantic'")
    return _digest(items)


def fingerprints(paragraphs: Sequence[str]) -> tuple[str, str]:
    """``(fingerprint(level="exact"), fingerprint(level="semantic"))``, light-normalising the text once."""
    light = light_each(paragraphs)
    return _digest([p for p in light if p]), _digest([p for p in strong_from_light(light) if p])


def _digest(items: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(items).encode("utf-8")).hexdigest()
