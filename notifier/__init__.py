"""Notifications: subscription matching, Chinese messages, Apprise delivery.

Imports only Apprise and the standard library. Delivery lives in
``notifier.send`` (``from notifier.send import send, validate_url``), which is
not imported here so matching and message building do not load Apprise.
"""

from __future__ import annotations

from notifier.channels import channel_format
from notifier.events import Event, ParagraphChange
from notifier.message import Message, build_message, message_size
from notifier.redaction import mask_url
from notifier.subscriptions import Subscription, matches

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
