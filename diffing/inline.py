"""Inline (within-paragraph) diff that never cuts through a number, a quantity or a deadline.

The texts are cut into tokens — quantities ("23%", "145万吨", "2.5个百分点", "百分之十五"), dates and deadline
phrases ("2020年年底前", "2021年6月底前", "“十四五”末"), comparator words ("以上", "不低于"), Latin words ("VOCs",
"PM2.5"), whitespace runs and single characters — each distinct token is mapped to one private-use code point, the
two code strings are diffed by fast_diff_match_patch (C++), and the result is mapped back (the line-to-char trick of
diff-match-patch, applied to tokens). A light clean-up then merges tiny equalities between edits (never across
punctuation) and slides edits onto punctuation boundaries.
"""
from __future__ import annotations

import re
import time

import fast_diff_match_patch as _dmp

__all__ = ["inline_diff", "tokenize"]

Span = tuple[str, str]

# --- tokens --------------------------------------------------------------------------------------------------------

_CN_DIG = "零〇一二两三四五六七八九"
_CN_NUM = f"[{_CN_DIG}十百千万亿]+(?:点[{_CN_DIG}]+)?"
_AR_NUM = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?"
_YEAR = rf"(?:\d{{4}}|[{_CN_DIG}]{{4}})年"
_MONTH = rf"(?:1[0-2]|0?[1-9]|十[一二]?|[{_CN_DIG}])月(?:份)?"
_DAY = rf"(?:[12]\d|3[01]|0?[1-9]|[二三]?十[一二三四五六七八九]?|[{_CN_DIG}])[日号]"
_WHEN = r"(?:年底|年末|年初|年中|上半年|下半年|底|末|初|中旬|上旬|下旬)"
_REL = r"(?:前后|以前|之前|以后|之后|以来|以内|前|内|起|后)"
_SUFFIX = rf"{_WHEN}?{_REL}?"
_DATE = (
    rf"\d{{4}}[-/.]\d{{1,2}}[-/.]\d{{1,2}}(?!\d)"  # 2021-06-19
    rf"|\d{{4}}\s?[-—–~至到]\s?\d{{4}}年(?:{_SUFFIX})"  # 2018-2020年
    rf"|{_YEAR}(?:{_MONTH}(?:{_DAY})?)?{_SUFFIX}"  # 2020年年底前, 2021年6月底前, 2025年
    rf"|{_MONTH}(?:{_DAY})?{_SUFFIX}"  # 6月底前
)
_FIVE_YEAR = (
    r"[“\"]?十[一二三四五六七八九]五[”\"]?(?:规划)?(?:期间|时期|前期|中期|后期|以来|末期|初期|末|初|中)?"
)
_UNITS = sorted(
    """个百分点 百分点 % ‰ 万千瓦时 千瓦时 万千瓦 千瓦 兆瓦 吉瓦 万吨标准煤 吨标准煤 吨标煤 标准煤 万吨 吨 万元 亿元 元
    平方公里 平方千米 平方米 立方米 公里 千米 公顷 万亩 亩 米 千克 公斤 克 微克/立方米 毫克/立方米 毫克 微克 倍 个 家 项
    座 台 套 辆 户 人次 人 所 处 条 批 只 名 天 小时 年 月 周 岁 度 件 种 类 场 张 部 次 轮 级 星 成 层 间 栋 艘 架 头 株
    棵 孔 公里/小时""".split(),
    key=len,
    reverse=True,
)
_UNIT = "|".join(re.escape(u) for u in _UNITS)
_LATIN_UNIT = r"[A-Za-zμ]+(?:/[A-Za-z0-9]+)?"
_QUANTITY = (
    rf"百分之{_CN_NUM}"
    rf"|(?:{_AR_NUM})(?:万亿|亿|万|千|百)?(?:{_UNIT}|{_LATIN_UNIT})?"
    rf"|{_CN_NUM}(?:{_UNIT})?"
)
_WORDS = (
    "不低于 不高于 不超过 不少于 不多于 不大于 不小于 以上 以下 以内 左右 上下 低于 高于 超过 少于 多于 达到 降低 提高 "
    "下降 上升 增长 减少 增加 控制在 力争 确保 基本 全面 原则上"
).split()
_WORD = "|".join(sorted(_WORDS, key=len, reverse=True))
_TOKEN = re.compile(
    rf"{_DATE}|{_FIVE_YEAR}|{_QUANTITY}|[A-Za-z]+(?:\d+(?:\.\d+)?)?|{_WORD}|\s+|.",
    re.S,
)


def tokenize(text: str) -> list[str]:
    """Cut ``text`` into diff tokens; ``"".join(tokenize(t)) == t``."""
    return _TOKEN.findall(text)


# --- boundaries ----------------------------------------------------------------------------------------------------

_SENTENCE_END = set("。；！？;!?")
_CLAUSE = set("，、：,:")
_CLOSE = set("）)】]》〕」』”’")
_OPEN = set("（(【[《〔「『“‘")
_PUNCT = _SENTENCE_END | _CLAUSE | _CLOSE | _OPEN | set("…—·.")


def _has_boundary(text: str) -> bool:
    return any(ch in _PUNCT or ch.isspace() for ch in text)


def _boundary_score(left: str, right: str) -> int:
    """How good a place the gap between ``left`` and ``right`` (token strings, "" = edge) is for an edit to
    start or end. Higher is better; punctuation outranks everything, as in dmp's cleanupSemanticLossless."""
    if not left or not right:
        return 6
    lc, rc = left[-1], right[0]
    if lc in _SENTENCE_END:
        return 5
    if lc in _CLAUSE or lc in _CLOSE or rc in _OPEN:
        return 4
    if rc in _SENTENCE_END or rc in _CLAUSE or rc in _CLOSE:
        return 3
    if lc.isspace() or rc.isspace():
        return 2
    return 0


# --- clean-up on token lists ---------------------------------------------------------------------------------------

_Diff = list[tuple[str, list[str]]]


def _merge(diffs: _Diff) -> _Diff:
    """Drop empties, join runs of the same op, and order each run of edits as delete-then-insert."""
    out: _Diff = []
    pending_del: list[str] = []
    pending_ins: list[str] = []

    def flush() -> None:
        if pending_del:
            out.append(("delete", list(pending_del)))
            pending_del.clear()
        if pending_ins:
            out.append(("insert", list(pending_ins)))
            pending_ins.clear()

    for op, toks in diffs:
        if not toks:
            continue
        if op == "delete":
            pending_del.extend(toks)
        elif op == "insert":
            pending_ins.extend(toks)
        else:
            flush()
            if out and out[-1][0] == "equal":
                out[-1][1].extend(toks)
            else:
                out.append(("equal", list(toks)))
    flush()
    return out


def _chars(toks: list[str]) -> int:
    return sum(len(t) for t in toks)


def _eliminate_small_equalities(diffs: _Diff) -> _Diff:
    """Turn an equality into delete+insert when it is no longer than the edits on either side and holds no
    punctuation (dmp's semantic rule, measured in characters, stopping at clause boundaries)."""
    changed = True
    while changed:
        changed = False
        for k in range(1, len(diffs) - 1):
            op, toks = diffs[k]
            if op != "equal":
                continue
            text = "".join(toks)
            if _has_boundary(text):
                continue
            left = _edit_size(diffs, k, -1)
            right = _edit_size(diffs, k, +1)
            if left and right and len(text) <= min(left, right):
                diffs = diffs[:k] + [("delete", list(toks)), ("insert", list(toks))] + diffs[k + 1:]
                diffs = _merge(diffs)
                changed = True
                break
    return diffs


def _edit_size(diffs: _Diff, k: int, step: int) -> int:
    """max(deleted chars, inserted chars) of the run of edits next to position ``k`` in direction ``step``."""
    dele = ins = 0
    i = k + step
    while 0 <= i < len(diffs) and diffs[i][0] != "equal":
        if diffs[i][0] == "delete":
            dele += _chars(diffs[i][1])
        else:
            ins += _chars(diffs[i][1])
        i += step
    return max(dele, ins)


def _slide_to_boundaries(diffs: _Diff) -> _Diff:
    """Slide each single edit (pure insert or pure delete between two equalities) left or right, token by token,
    to where its two ends score best as boundaries. The concatenations are unchanged by construction."""
    for k in range(1, len(diffs) - 1):
        (op1, eq1), (op, edit), (op2, eq2) = diffs[k - 1], diffs[k], diffs[k + 1]
        if op1 != "equal" or op2 != "equal" or op == "equal":
            continue
        eq1, edit, eq2 = list(eq1), list(edit), list(eq2)
        # Shift fully left first.
        while eq1 and eq1[-1] == edit[-1]:
            tok = eq1.pop()
            edit = [tok] + edit[:-1]
            eq2 = [tok] + eq2
        best = (eq1[:], edit[:], eq2[:])
        best_score = _boundary_score("".join(eq1[-1:]), edit[0]) + _boundary_score(edit[-1], "".join(eq2[:1]))
        while eq2 and eq2[0] == edit[0]:
            tok = eq2.pop(0)
            eq1 = eq1 + [tok]
            edit = edit[1:] + [tok]
            score = _boundary_score("".join(eq1[-1:]), edit[0]) + _boundary_score(edit[-1], "".join(eq2[:1]))
            if score > best_score:  # strict: keep the leftmost among equals
                best, best_score = (eq1[:], edit[:], eq2[:]), score
        diffs[k - 1], diffs[k], diffs[k + 1] = ("equal", best[0]), (op, best[1]), ("equal", best[2])
    return _merge(diffs)


# --- engine --------------------------------------------------------------------------------------------------------

_PUA_RANGES = ((0xF0000, 0xFFFFD), (0x100000, 0x10FFFD))
_MAX_DISTINCT = sum(hi - lo + 1 for lo, hi in _PUA_RANGES)
#: Beyond this many tokens (after trimming the common ends) a paragraph pair is treated as pathological.
MAX_TOKENS = 50_000


def _code(n: int) -> str:
    lo, hi = _PUA_RANGES[0]
    if n <= hi - lo:
        return chr(lo + n)
    return chr(_PUA_RANGES[1][0] + n - (hi - lo + 1))


def _whole(old: str, new: str) -> list[Span]:
    out: list[Span] = []
    if old:
        out.append(("delete", old))
    if new:
        out.append(("insert", new))
    return out


def inline_diff(old: str, new: str, *, timelimit: float = 0.5) -> list[Span]:
    """Diff two paragraphs into ``("equal"|"delete"|"insert", text)`` spans.

    Guarantees: joining the equal+delete texts gives ``old`` and joining equal+insert gives ``new``; numbers,
    quantities and deadline phrases are atomic ("下降23%以上"->"下降20%以上" is
    ``[equal 下降, delete 23%, insert 20%, equal 以上]``, never a digit-level edit); adjacent spans never share an op,
    and within a change the delete comes before the insert.

    Time budget: ``timelimit`` seconds is handed to the C++ engine (0 = no limit). If the engine needed the whole
    budget (its answer is then valid but not minimal), or the pair is pathological (more than ``MAX_TOKENS`` tokens
    after trimming the common ends, or too many distinct tokens to encode), the result falls back to one delete of
    ``old`` and one insert of ``new``.
    """
    if old == new:
        return [("equal", old)] if old else []
    if not old or not new:
        return _whole(old, new)
    a, b = tokenize(old), tokenize(new)
    # Trim common ends here too, so the size guard looks at what really differs.
    pre = 0
    while pre < len(a) and pre < len(b) and a[pre] == b[pre]:
        pre += 1
    suf = 0
    while suf < len(a) - pre and suf < len(b) - pre and a[-1 - suf] == b[-1 - suf]:
        suf += 1
    mid_a, mid_b = a[pre:len(a) - suf], b[pre:len(b) - suf]
    if len(mid_a) > MAX_TOKENS or len(mid_b) > MAX_TOKENS:
        return _whole(old, new)
    codes: dict[str, str] = {}
    for tok in (*mid_a, *mid_b):
        if tok not in codes:
            if len(codes) >= _MAX_DISTINCT:
                return _whole(old, new)
            codes[tok] = _code(len(codes))
    enc_a = "".join(codes[t] for t in mid_a)
    enc_b = "".join(codes[t] for t in mid_b)
    started = time.perf_counter()
    raw = _dmp.diff(enc_a, enc_b, timelimit=max(timelimit, 0.0), checklines=False, cleanup="No", counts_only=True)
    if timelimit > 0 and time.perf_counter() - started >= timelimit:
        return _whole(old, new)
    diffs: _Diff = [("equal", a[:pre])]
    ia = ib = 0
    for op, n in raw:
        if op == "=":
            diffs.append(("equal", mid_a[ia:ia + n]))
            ia += n
            ib += n
        elif op == "-":
            diffs.append(("delete", mid_a[ia:ia + n]))
            ia += n
        else:
            diffs.append(("insert", mid_b[ib:ib + n]))
            ib += n
    diffs.append(("equal", a[len(a) - suf:]))
    diffs = _merge(diffs)
    diffs = _eliminate_small_equalities(diffs)
    diffs = _slide_to_boundaries(diffs)
    return [(op, "".join(toks)) for op, toks in diffs]
