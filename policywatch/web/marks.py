"""Safe HTML marks inside scraped text: commitments in a document, search hits in a snippet, inline diff spans.

Every function escapes the text itself and returns ``Markup``; nothing scraped ever reaches a page unescaped.
"""
from __future__ import annotations

import string
from collections.abc import Iterable, Sequence
from typing import Any

from markupsafe import Markup, escape

from .labels import COMMITMENT_KINDS, commitment_value


def _wrap(text: str, spans: Iterable[tuple[int, int, Markup]]) -> Markup:
    """Escape ``text`` and wrap each non-overlapping (start, end, opening tag) span, given in order."""
    out: list[str] = []
    pos = 0
    for start, end, tag in spans:
        out.append(str(escape(text[pos:start])))
        out.append(str(tag) + str(escape(text[start:end])) + "</mark>")
        pos = end
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


def _non_overlapping(found: list[tuple[int, int, Markup]]) -> list[tuple[int, int, Markup]]:
    found.sort(key=lambda t: (t[0], -(t[1] - t[0])))
    kept: list[tuple[int, int, Markup]] = []
    for item in found:
        if kept and item[0] < kept[-1][1]:
            continue  # overlaps an earlier, longer mark
        kept.append(item)
    return kept


def mark_commitments(paragraphs: Sequence[str], commitments: Sequence[dict[str, Any]] | None) -> list[Markup]:
    """Each paragraph as HTML with the quote of every commitment on it wrapped in ``<mark class="c-KIND">``.

    A commitment is placed by its ``paragraph`` index and found by its exact ``quote``; one whose quote is not in
    that paragraph (e.g. quoted from normalised text) is left out of the text, not guessed."""
    by_paragraph: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    for number, c in enumerate(commitments or (), start=1):
        index = c.get("paragraph")
        if isinstance(index, int) and 0 <= index < len(paragraphs) and c.get("quote"):
            by_paragraph.setdefault(index, []).append((number, c))
    out = []
    for index, text in enumerate(paragraphs):
        found: list[tuple[int, int, Markup]] = []
        for number, c in by_paragraph.get(index, []):
            start = text.find(c["quote"])
            if start < 0:
                continue
            kind = c.get("kind") if c.get("kind") in COMMITMENT_KINDS else "target"
            title = f"{COMMITMENT_KINDS[kind]}：{c.get('metric') or ''} {commitment_value(c)}"
            tag = Markup('<mark class="c-{}" id="k{}" title="{}">').format(kind, number, title)
            found.append((start, start + len(c["quote"]), tag))
        out.append(_wrap(text, _non_overlapping(found)))
    return out


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def snippet(text: str, query: str, *, width: int = 60) -> Markup:
    """A window of ``text`` around the first occurrence of ``query``, with every occurrence marked; Latin letters
    A–Z match in either case, as the text search does (storage.queries.search_text)."""
    folded, query = text.translate(_ASCII_LOWER), query.translate(_ASCII_LOWER)  # same length, same positions
    at = folded.find(query) if query else -1
    if at < 0:
        cut = text[: 2 * width]
        return Markup(escape(cut + ("…" if len(text) > len(cut) else "")))
    start = max(0, at - width)
    end = min(len(text), at + len(query) + width)
    window = text[start:end]
    found = []
    pos = folded.find(query, start, end)
    while pos >= 0:
        found.append((pos - start, pos - start + len(query), Markup('<mark class="hit">')))
        pos = folded.find(query, pos + len(query), end)
    body = _wrap(window, found)
    return Markup(("…" if start else "") + str(body) + ("…" if end < len(text) else ""))


def spans_html(spans: Sequence[Sequence[str]], side: str) -> Markup:
    """Inline diff spans as HTML: ``side='old'`` keeps equal+delete (``<del>``), ``'new'`` equal+insert (``<ins>``),
    ``'both'`` all three in reading order."""
    parts: list[str] = []
    for op, text in spans:
        if op == "equal":
            parts.append(str(escape(text)))
        elif op == "delete" and side in ("old", "both"):
            parts.append(f"<del>{escape(text)}</del>")
        elif op == "insert" and side in ("new", "both"):
            parts.append(f"<ins>{escape(text)}</ins>")
    return Markup("".join(parts))
