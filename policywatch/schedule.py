"""When to poll a portal and when to re-check a known document.

Portals are polled on their ``interval``. Known documents are re-checked on a decaying schedule (diffengine's
rule): the longer a document has gone unchanged, the less often it is fetched — at least once per portal interval,
at most once a week — so a steady-state cycle costs about one list page per portal plus a few re-checks.
"""
from __future__ import annotations

from datetime import datetime, timedelta

MAX_RECHECK = timedelta(days=7)
STALENESS_RATIO = 0.2
SLACK = 0.05  # a cron tick that comes a little early still counts


def portal_due(last_polled_at: datetime | None, interval_s: float, now: datetime) -> bool:
    if last_polled_at is None:
        return True
    return (now - last_polled_at).total_seconds() >= interval_s * (1 - SLACK)


def recheck_interval(*, first_seen_at: datetime, last_changed_at: datetime | None, portal_interval_s: float, now: datetime) -> timedelta:
    stable_for = now - (last_changed_at or first_seen_at)
    floor = timedelta(seconds=portal_interval_s)
    return max(floor, min(MAX_RECHECK, stable_for * STALENESS_RATIO))


def document_due(doc, *, portal_interval_s: float, now: datetime) -> bool:
    if doc.last_checked_at is None:
        return True
    interval = recheck_interval(
        first_seen_at=doc.first_seen_at, last_changed_at=doc.last_changed_at, portal_interval_s=portal_interval_s, now=now
    )
    return now - doc.last_checked_at >= interval * (1 - SLACK)
