"""Event kinds and links shared by ingest, the outbox and the review pages."""
from __future__ import annotations

from collections.abc import Iterable

TARGET_EVENT = {"value_changed": "target_changed", "added": "target_changed", "removed": "target_changed",
                "deadline_changed": "deadline_changed"}


def event_tags(kind: str, target_changes: Iterable[str]) -> set[str]:
    """The event kinds a change carries, for subscription filters: its own kind plus target/deadline events."""
    tags = {kind}
    for change in target_changes:
        tags.add(TARGET_EVENT[change])
    return tags


def review_url(base_url: str | None, change_id: int | None) -> str | None:
    if not base_url or change_id is None:
        return None
    return f"{base_url.rstrip('/')}/changes/{change_id}"
