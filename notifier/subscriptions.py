"""Subscriptions: who wants to hear about which events, and how often."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from notifier.events import PORTAL_KINDS, Event

_DAILY = re.compile(r"^daily@([01]\d|2[0-3]):([0-5]\d)$")
_SPACE = re.compile(r"\s+")

#: Event kinds only delivered to subscriptions that name them explicitly.
OPT_IN_KINDS: frozenset[str] = frozenset({"formatting"})


@dataclass(frozen=True)
class Subscription:
    """A named set of Apprise URLs and the filters deciding what they receive.

    Empty ``portals``/``events``/``keywords`` mean "no filter". ``mode`` is
    ``"immediate"``, ``"digest"`` or ``"daily@HH:MM"``; anything else raises
    ``ValueError`` at construction, so a bad config fails early.
    """

    name: str
    urls: tuple[str, ...]
    portals: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    mode: str = "immediate"

    def __post_init__(self) -> None:
        for attr in ("urls", "portals", "events", "keywords"):
            value = getattr(self, attr)
            if isinstance(value, str):  # a lone string is a common config slip
                value = (value,)
            object.__setattr__(self, attr, tuple(value))
        if not self.name:
            raise ValueError("subscription name must not be empty")
        if self.mode not in ("immediate", "digest") and not _DAILY.match(self.mode):
            raise ValueError(
                f"subscription {self.name!r}: mode {self.mode!r} is not "
                "'immediate', 'digest' or 'daily@HH:MM'"
            )

    @property
    def daily_at(self) -> tuple[int, int] | None:
        """(hour, minute) for ``daily@HH:MM`` subscriptions, else None."""
        m = _DAILY.match(self.mode)
        return (int(m.group(1)), int(m.group(2))) if m else None


def fold(text: str) -> str:
    """Normalise text for matching: NFKC, case fold, whitespace removed.

    Whitespace is dropped because extracted Chinese text often carries line
    breaks or spaces inside words ("碳达\\n峰").
    """
    return _SPACE.sub("", unicodedata.normalize("NFKC", text).casefold())


def matches(sub: Subscription, event: Event) -> bool:
    """True if ``event`` passes every filter of ``sub``.

    - portals: the event's portal must be listed (compared after ``fold``).
    - events: at least one of the event's tags (or its kind) must be listed.
      Kinds in ``OPT_IN_KINDS`` ("formatting") must be listed by name: an
      empty filter means "everything except formatting-only changes".
    - keywords: any keyword occurs in the title or text (after ``fold``).
      Portal-level events (error, baseline) carry no document text and are
      not keyword-filtered, so a keyword subscriber still learns that a portal
      it depends on is failing.
    """
    if sub.portals and fold(event.portal) not in {fold(p) for p in sub.portals}:
        return False

    wanted = set(sub.events)
    if event.kind in OPT_IN_KINDS:
        if event.kind not in wanted:
            return False
    elif wanted and not event.all_tags & wanted:
        return False

    if sub.keywords and event.kind not in PORTAL_KINDS:
        haystack = fold(event.title) + "\n" + fold(event.text)
        if not any(fold(k) and fold(k) in haystack for k in sub.keywords):
            return False
    return True
