"""Per-format primitives: neutralising scraped text, inline marks, links.

Scraped text (titles, paragraphs, portal names) is never trusted as markup:

- markdown: ASCII characters that carry markdown or HTML meaning are replaced
  by their full-width forms (``*`` → ``＊``, ``[`` → ``［``, ``<`` → ``＜``…).
  Unlike backslash escapes this works in every renderer, including DingTalk's
  limited one, and reads naturally in Chinese text.
- html: ``html.escape`` with quotes.
- text: only whitespace and control characters are normalised.

Links are emitted only for http(s) URLs, with characters that could end the
link (spaces, brackets, quotes, non-ASCII) percent-encoded.
"""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import quote

_SPACE = re.compile(r"\s+")
_MD_MAP = str.maketrans(
    {
        "\\": "＼", "`": "｀", "*": "＊", "_": "＿", "~": "～", "[": "［", "]": "］",
        "<": "＜", ">": "＞", "#": "＃", "|": "｜", "&": "＆", "$": "＄",
    }
)
_URL_SAFE = "/:?#&=%+;,@!$'*~-._"


def clean(text: str | None) -> str:
    """Single-line text: control/format characters dropped, whitespace collapsed.

    Zero-width joiners and variation selectors are kept (they belong to emoji).
    """
    if not text:
        return ""
    text = _SPACE.sub(" ", text)
    if text.isprintable():  # fast path: nothing but printable characters and spaces
        return text
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cc" or (cat == "Cf" and ch != "\u200d"):
            continue
        out.append(ch)
    return "".join(out)


def _glued(text: str, i: int) -> bool:
    """True if a cut before ``text[i]`` would split a user-perceived character."""
    ch = text[i]
    return (
        unicodedata.combining(ch) != 0
        or ch == "\u200d"
        or "\ufe00" <= ch <= "\ufe0f"
        or "\U0001f3fb" <= ch <= "\U0001f3ff"
        or "\U000e0100" <= ch <= "\U000e01ef"
        or (i > 0 and text[i - 1] == "\u200d")
    )


def head(text: str, n: int) -> str:
    """At most ``n`` leading characters, "…" appended when cut; never splits a grapheme."""
    if len(text) <= n:
        return text
    i = max(n, 0)
    while 0 < i < len(text) and _glued(text, i):
        i -= 1
    return text[:i].rstrip() + "…"


def tail(text: str, n: int) -> str:
    """At most ``n`` trailing characters, "…" prepended when cut; never splits a grapheme."""
    if len(text) <= n:
        return text
    i = len(text) - max(n, 0)
    while i < len(text) and _glued(text, i):
        i += 1
    return "…" + text[i:].lstrip()


def safe_link(url: str | None) -> str | None:
    """``url`` percent-encoded for use as a link target, or None if not http(s)."""
    url = (url or "").strip()
    if not re.match(r"(?i)^https?://[^/\s]", url):
        return None
    return quote(url, safe=_URL_SAFE)


class Markup:
    """Renders inline pieces in one format ("markdown", "html" or "text")."""

    def __init__(self, fmt: str) -> None:
        if fmt not in ("markdown", "html", "text"):
            raise ValueError(f"unknown message format {fmt!r}")
        self.fmt = fmt
        #: Separator between lines of the body.
        self.sep = {"markdown": "\n\n", "html": "<br>\n", "text": "\n"}[fmt]
        #: Lines making a visual gap between blocks (markdown's separator is one already).
        self.gap: list[str] = [] if fmt == "markdown" else [""]

    def esc(self, text: str | None) -> str:
        """Scraped text made inert in this format (also cleaned to one line)."""
        text = clean(text)
        if self.fmt == "markdown":
            return text.translate(_MD_MAP)
        if self.fmt == "html":
            return html.escape(text, quote=True)
        return text

    def title(self, text: str) -> str:
        """A notification title: one line; markdown-neutral where it is rendered."""
        text = clean(text).strip()
        return text.translate(_MD_MAP) if self.fmt == "markdown" else text

    def strong(self, escaped: str) -> str:
        if self.fmt == "markdown":
            return f"**{escaped}**"
        if self.fmt == "html":
            return f"<b>{escaped}</b>"
        return escaped

    def _mark(self, escaped: str, kind: str) -> str:
        core = escaped.strip()
        if not core:
            return escaped if kind == "insert" else ""
        lead = escaped[: len(escaped) - len(escaped.lstrip())]
        trail = escaped[len(escaped.rstrip()):]
        if self.fmt == "markdown":
            core = f"**{core}**" if kind == "insert" else f"~~{core}~~"
        elif self.fmt == "html":
            core = f"<ins>{core}</ins>" if kind == "insert" else f"<del>{core}</del>"
        else:
            core = f"{{+{core}+}}" if kind == "insert" else f"[-{core}-]"
        return lead + core + trail

    def ins(self, escaped: str) -> str:
        """Inserted text (markdown ``**…**``, html ``<ins>``, text ``{+…+}``)."""
        return self._mark(escaped, "insert")

    def dele(self, escaped: str) -> str:
        """Deleted text (markdown ``~~…~~``, html ``<del>``, text ``[-…-]``)."""
        return self._mark(escaped, "delete")

    def link(self, label: str, url: str | None) -> str:
        """A clickable link; non-http(s) URLs are shown inert and unlinked."""
        target = safe_link(url)
        if self.fmt == "markdown":
            return f"[{label}]({target})" if target else f"{label}：{self.esc(url)}"
        if self.fmt == "html":
            if target:
                return f'<a href="{html.escape(target, quote=True)}">{label}</a>'
            return f"{label}：{self.esc(url)}"
        return f"{label}：{target or clean(url)}"

    def links(self, pairs: list[tuple[str, str | None]]) -> list[str]:
        """Lines holding the given links (one line; one per link in text)."""
        pairs = [(label, url) for label, url in pairs if url]
        if not pairs:
            return []
        rendered = [self.link(label, url) for label, url in pairs]
        return rendered if self.fmt == "text" else [" ｜ ".join(rendered)]
