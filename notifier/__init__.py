"""Notifications: subscription matching, Chinese messages, Apprise delivery.

Imports only Apprise and the standard library. Delivery lives in
``notifier.send`` (``from notifier.send import send, validate_url``), which is
not imported here so matching and message building do not load Apprise.

The names below are loaded on first use (``from notifier import build_message``
works as before): importing one submodule, e.g. ``notifier.events`` in the
ingest path, then costs only that submodule, not the message builder.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from notifier.channels import channel_format
    from notifier.events import Event, ParagraphChange
    from notifier.message import Message, build_message, message_size
    from notifier.redaction import mask_url
    from notifier.subscriptions import Subscription, matches

_SOURCES = {
    "Event": "notifier.events",
    "Message": "notifier.message",
    "ParagraphChange": "notifier.events",
    "Subscription": "notifier.subscriptions",
    "build_message": "notifier.message",
    "channel_format": "notifier.channels",
    "mask_url": "notifier.redaction",
    "matches": "notifier.subscriptions",
    "message_size": "notifier.message",
}

__all__ = [
    "Event",
    "Message",
    "ParagraphChange",
    "Subscription",
    "build_message",
    "channel_format",
    "mask_url",
    "matches",
    "message_size",
]


def __getattr__(name: str) -> Any:
    source = _SOURCES.get(name)
    if source is None:
        raise AttributeError(f"module 'notifier' has no attribute {name!r}")
    value = getattr(importlib.import_module(source), name)
    globals()[name] = value
    return value
