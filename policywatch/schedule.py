"""When to poll a portal and when to re-check a known document.

Portals are polled on their ``interval``. Known documents are re-checked on a decaying schedule (diffengine's
rule): the longer a document has gone unchanged, the less often it is fetched — at least once per portal interval,
at most once a week. "Unchanged since" is the last revision we saw, or, for a document never revised since we found
it, its publication date: a plan published years ago is not re-fetched every hour just because we found it today.
Each document's interval is stretched by a stable per-URL factor in [0.75, 1.25) so that documents found together
do not all fall due in the same cycle.
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta, timezone

MAX_RECHECK = timedelta(days=7)
STALENESS_RATIO = 0.2
SLACK = 0.05  # a cron tick that comes a little early still counts


def portal_due(last_polled_at: datetime | None, interval_s: float, now: datetime) -> bool:
    if last_polled_at is None:
        return True
    return (now - last_polled_at).total_seconds() >= interval_s * (1 - SLACK)


def _spread(url: str) -> float:
    h = int.from_bytes(hashlib.blake2b(url.encode(), digest_size=4).digest(), "big")
    return 0.75 + 0.5 * (h / 2**32)


def recheck_interval(
    *, url: str, stable_since: datetime, portal_interval_s: float, now: datetime
) -> timedelta:
    floor = timedelta(seconds=portal_interval_s)
    return max(floor, min(MAX_RECHECK, (now - stable_since) * STALENESS_RATIO)) * _spread(url)


def stable_since(doc) -> datetime:
    if doc.latest_seq > 1 and doc.last_changed_at is not None:
        return doc.last_changed_at
    candidates = [t for t in (doc.published_at, doc.first_seen_at) if t is not None]
    return min(candidates)


def document_due(doc, *, portal_interval_s: float, now: datetime) -> bool:
    if doc.last_checked_at is None:
        return True
    interval = recheck_interval(url=doc.url, stable_since=stable_since(doc), portal_interval_s=portal_interval_s, now=now)
    return now - doc.last_checked_at >= interval * (1 - SLACK)


def parse_date(text: str | None) -> datetime | None:
    """'2021-06-19', '2021年6月19日', '2021/6/19 09:30' -> midnight UTC of that day; None when there is no date."""
    if not text:
        return None
    m = re.search(r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})", text)
    if not m:
        return None
    try:
        return datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=timezone.utc)
    except ValueError:
        return None


def next_daily(at: tuple[int, int], *, after: datetime, tz) -> datetime:
    """The first HH:MM (in ``tz``) strictly after ``after``, as an aware UTC datetime."""
    local = after.astimezone(tz)
    candidate = local.replace(hour=at[0], minute=at[1], second=0, microsecond=0)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate.astimezone(timezone.utc)
