"""Re-check scheduling: old documents are fetched rarely, recently revised ones often, and never all at once."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from policywatch.schedule import document_due, parse_date, portal_due

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)
HOUR = 3600.0


@dataclass
class Doc:
    url: str
    first_seen_at: datetime
    last_checked_at: datetime | None
    last_changed_at: datetime | None = None
    published_at: datetime | None = None
    latest_seq: int = 1


def test_portal_interval():
    assert portal_due(None, HOUR, NOW)
    assert not portal_due(NOW - timedelta(minutes=30), HOUR, NOW)
    assert portal_due(NOW - timedelta(minutes=58), HOUR, NOW)  # a cron tick slightly early still polls


def test_old_document_found_today_is_not_rechecked_every_hour():
    docs = [Doc(f"http://x/t2019_{i}.html", first_seen_at=NOW - timedelta(hours=2), last_checked_at=NOW - timedelta(hours=2),
                published_at=datetime(2019, 5, 1, tzinfo=timezone.utc)) for i in range(200)]
    assert not any(document_due(d, portal_interval_s=HOUR, now=NOW) for d in docs)
    week_later = NOW + timedelta(days=7)
    due = [d for d in docs if document_due(d, portal_interval_s=HOUR, now=week_later)]
    assert 0 < len(due) < len(docs)  # spread over cycles, not all in one
    assert all(document_due(d, portal_interval_s=HOUR, now=NOW + timedelta(days=9)) for d in docs)


def test_recently_revised_document_is_rechecked_each_interval():
    d = Doc("http://x/a.html", first_seen_at=NOW - timedelta(days=300), last_checked_at=NOW - timedelta(hours=2),
            last_changed_at=NOW - timedelta(hours=3), latest_seq=3,
            published_at=datetime(2020, 1, 1, tzinfo=timezone.utc))
    assert document_due(d, portal_interval_s=HOUR, now=NOW)


def test_never_checked_is_due():
    assert document_due(Doc("http://x/b", NOW, None), portal_interval_s=HOUR, now=NOW)


def test_parse_date_forms():
    assert parse_date("2021年6月9日").date().isoformat() == "2021-06-09"
    assert parse_date("2021-06-19 09:30").date().isoformat() == "2021-06-19"
    assert parse_date("2021/6/1").date().isoformat() == "2021-06-01"
    assert parse_date("2021-13-40") is None and parse_date(None) is None and parse_date("无") is None
