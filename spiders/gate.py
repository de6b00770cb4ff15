"""Quality gate: recognise captures that must never become a document version.

Anti-bot challenges (瑞数 ``$_ts`` / WZWS, 加速乐 ``__jsl_clearance``, 412/521 answers, WAF block pages), HTTP
errors, maintenance pages, soft-404 pages ("页面不存在", "内容已删除"), meta-refresh stubs, empty bodies and
bodies that shrank to under 30 % of the previous capture. Page-content markers (WAF, maintenance, soft 404) only
count on pages with little visible text, so an article that merely mentions "网站维护" passes.
"""
from __future__ import annotations

import re
from typing import Any, Mapping
from urllib.parse import urljoin, urlsplit

SHRINK_RATIO = 0.3
_SHORT_PAGE = 1500  # visible characters; block/soft-404 pages are shorter than this

_RUISHU = re.compile(r"\$_ts\s*[=.\[]|window\[\s*['\"]\$_ts['\"]\s*\]|wzwschallenge|WZWSREL", re.I)
# Every _RUISHU match contains "$_ts" or "wzws" in some letter case (under re.I, t, w and z only pair with their
# ASCII capitals, s also with U+017F LONG S). Looking for those in the page's lower-cased ASCII characters first
# spares the slow case-insensitive scan on ordinary pages. Keep _may_be_ruishu in step with _RUISHU.
_LONG_S = "\u017f"
_JIASULE = re.compile(r"__jsl_clearance|__jsluid", re.I)
_WAF = re.compile(r"网站安全防护|云堤|访问被拦截|拦截了您的访问|您的访问(请求)?被(拒绝|阻断|拦截)|安全狗|疑似黑客攻击|"
                  r"Web应用防火墙|WAF拦截|防火墙拦截|触发了?安全(防护)?策略|请求已被网站管理员设置拦截|"
                  r"Access Denied|Request blocked|The requested URL was rejected", re.I)
_MAINTENANCE = re.compile(r"网站维护|系统维护|正在维护|升级维护|维护中|系统升级中|网站升级")
_SOFT_404 = re.compile(r"页面不存在|您访问的页面(不存在|已删除|找不到)|内容已删除|信息已删除|文章已删除|页面已删除|"
                       r"找不到(该|此)?页面|无法找到(该|此)?页面|该信息已(被)?(删除|撤销|撤回)|页面未找到|"
                       r"404\s*Not\s*Found|\b404\b.{0,20}(错误|页面)|Page Not Found", re.I)
_REFRESH = re.compile(r"""<meta[^>]+http-equiv\s*=\s*["']?refresh["']?[^>]*>""", re.I)
_REFRESH_URL = re.compile(r"""url\s*=\s*['"]?([^'">\s;]+)""", re.I)
_SCRIPT_STYLE = re.compile(r"<(script|style|noscript)\b.*?</\1\s*>|<!--.*?-->", re.I | re.S)
# _strip_script_style() gives _SCRIPT_STYLE.sub(" ", html) without its character-by-character lazy scans: an
# opening is found by the same pattern, its end with a search for a closing tag of any of the three names
# (every closing the back-reference accepts is one) that is then checked against the back-reference itself.
# Keep these in step with _SCRIPT_STYLE.
_OPENING = re.compile(r"<(?:(script|style|noscript)\b|!--)", re.I)
_CLOSING = re.compile(r"</(script|style|noscript)\s*>", re.I)
_SAME_NAME = re.compile(r"([^\x00]*)\x00\1\Z", re.I)
_TAG = re.compile(r"<[^>]+>")
_ENTITY = re.compile(r"&(nbsp|#160|#12288|ensp|emsp);", re.I)


def _header(headers: Any, name: str) -> str:
    if not headers:
        return ""
    value = None
    if hasattr(headers, "get"):
        for key in (name, name.lower(), name.encode(), name.lower().encode()):
            try:
                value = headers.get(key)
            except (TypeError, AttributeError):
                value = None
            if value:
                break
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return str(value or "")


def _strip_script_style(html: str) -> str:
    """``_SCRIPT_STYLE.sub(" ", html)``: every script/style/noscript element and comment becomes one space."""
    parts: list[str] = []
    last = pos = 0
    while True:
        m = _OPENING.search(html, pos)
        if m is None:
            break
        start, name = m.start(), m.group(1)
        if name is None:  # <!-- ... -->
            end = html.find("-->", start + 4)
            if end != -1:
                end += 3
        else:
            end = -1
            close = _CLOSING.search(html, m.end())
            while close is not None:
                if _SAME_NAME.match(name + "\x00" + close.group(1)):
                    end = close.end()
                    break
                close = _CLOSING.search(html, close.start() + 1)
        if end == -1:  # never closed: no match here, the scan goes on one character later
            pos = start + 1
            continue
        parts.append(html[last:start])
        parts.append(" ")
        last = pos = end
    if not parts:
        return html
    parts.append(html[last:])
    return "".join(parts)


def visible_text(html: str) -> str:
    """Markup-free text (scripts, styles, comments and tags removed, spaces collapsed)."""
    # str.split() splits on exactly the characters regex \s matches (str.isspace), so this is
    # re.sub(r"\s+", " ", text).strip() without a regex pass
    return " ".join(_ENTITY.sub(" ", _TAG.sub(" ", _strip_script_style(html))).split())


_TS = frozenset({"ts", "tS", "Ts", "TS"})
_WS = frozenset({"ws", "wS", "Ws", "WS"})
_Z_SCAN_LIMIT = 200  # "z"/"Z" occurrences checked one by one; past this the whole text is lower-cased instead


def _may_be_ruishu(text: str) -> bool:
    """False only when ``text`` holds neither "$_ts" nor "wzws" in any letter case (a _RUISHU precondition).

    Without a LONG S, such a match is a run of ASCII characters: "$_" followed by t/T and s/S, or a "z"/"Z" with
    w/W before it and w/W, s/S after it. Both are found with plain substring searches (no lower-casing or
    re-encoding of the page); a page with very many z's falls back to lower-casing its ASCII characters."""
    if _LONG_S in text:
        return True
    find = text.find
    i = find("$_")
    while i != -1:
        if text[i + 2:i + 4] in _TS:
            return True
        i = find("$_", i + 1)
    seen = 0
    for z in "zZ":
        i = find(z, 1)
        while i != -1:
            if text[i - 1] in "wW" and text[i + 1:i + 3] in _WS:
                return True
            seen += 1
            if seen > _Z_SCAN_LIMIT:
                low = text.encode("ascii", "ignore").lower()
                return b"wzws" in low
            i = find(z, i + 1)
    return False


def _ruishu(text: str) -> bool:
    head = text[:200_000]
    return _may_be_ruishu(head) and _RUISHU.search(head) is not None


def _jiasule(head: str) -> bool:
    # every _JIASULE match starts with "__", which most pages never hold: a substring search spares the regex scan
    return "__" in head and _JIASULE.search(head) is not None


def _refresh_target(html: str) -> str | None:
    tag = _REFRESH.search(html[:20_000])
    if not tag:
        return None
    m = _REFRESH_URL.search(tag.group(0))
    return m.group(1) if m else ""


def _is_parent(target: str, url: str | None) -> bool:
    if url is None:
        return target in ("./", "../", "/", ".", "..") or target.endswith(("/", "index.html", "index.shtml"))
    here, there = urlsplit(url).path, urlsplit(urljoin(url, target)).path
    return here != there and here.startswith(there.rsplit("/", 1)[0] + "/") and (
        there.endswith("/") or re.search(r"/(index|default)\.\w+$", there) is not None)


def classify_failure(status: int, headers: Mapping[str, Any] | Any, text: str, previous_len: int | None,
                     *, url: str | None = None, body_len: int | None = None) -> tuple[str, str] | None:
    """``(kind, one-line reason)`` when a capture is not a usable document page, else None.

    ``kind`` is one of challenge, not_found, error, empty (the FetchFailure kinds). ``previous_len`` is the
    size of the previous good capture and ``body_len`` the size of this one in the same unit (default
    ``len(text)``); the body is rejected when it shrank below 30 % of the previous size. 2xx and 304 answers
    without markers give None.
    """
    challenge = None
    if _ruishu(text):
        challenge = "瑞数 $_ts" if "$_ts" in text else "瑞数 WZWS"
    elif _jiasule(text[:200_000]) or "__jsl_clearance" in _header(headers, "Set-Cookie"):
        challenge = "加速乐 __jsl_clearance"
    if challenge and (status >= 400 or len(visible_text(text)) < _SHORT_PAGE):
        return "challenge", f"challenge page ({challenge}), HTTP {status}"
    if status in (412, 521):
        return "challenge", f"HTTP {status} (anti-bot challenge)"

    visible = visible_text(text) if len(text) < 400_000 else text
    short = len(visible) < _SHORT_PAGE
    if short and _WAF.search(visible):
        return "challenge", f"WAF block page ({_WAF.search(visible).group(0)}), HTTP {status}"
    if status in (404, 410):
        return "not_found", f"HTTP {status}"
    if status == 429:
        return "error", "HTTP 429 (rate limited)"
    if status >= 400:
        return "error", f"HTTP {status}"
    if status == 304:
        return None

    if not text.strip():
        return "empty", f"empty body (HTTP {status})"
    if short and _MAINTENANCE.search(visible):
        return "error", f"maintenance page ({_MAINTENANCE.search(visible).group(0)})"
    if short and _SOFT_404.search(visible):
        return "not_found", f"soft 404 page ({_SOFT_404.search(visible).group(0)})"
    target = _refresh_target(text)
    if target is not None and short:
        where = "parent directory" if _is_parent(target, url) else (target or "same page")
        return "not_found", f"meta-refresh to {where} (document removed or moved)"
    if not visible:
        return "empty", "no visible text"
    size = len(text) if body_len is None else body_len
    if previous_len and size < SHRINK_RATIO * previous_len:
        pct = 100 * size / previous_len
        return "empty", f"body shrank to {pct:.0f}% of the previous capture ({size} of {previous_len} bytes)"
    return None
