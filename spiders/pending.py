"""Bookkeeping for documents that wait for their attachments (no Scrapy, no I/O).

A document page is held until each of its attachments has an outcome; an attachment URL linked by several
documents in one cycle is requested once and its outcome shared.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from spiders.items import Attachment

P = TypeVar("P")


@dataclass(frozen=True)
class Outcome:
    """What fetching one attachment gave; copied onto every Attachment with that URL."""

    sha256: str | None = None
    size: int | None = None
    file_type: str | None = None
    text: str | None = None
    error: str | None = None

    def apply(self, attachment: Attachment) -> None:
        attachment.sha256, attachment.size, attachment.file_type = self.sha256, self.size, self.file_type
        attachment.text, attachment.error = self.text, self.error


@dataclass
class _Held(Generic[P]):
    page: P
    waiting: int = 0


@dataclass
class PendingDocuments(Generic[P]):
    """Pages waiting for attachments. ``add`` registers a page; ``resolve`` reports one URL's outcome."""

    _done: dict[str, Outcome] = field(default_factory=dict)
    _waiters: dict[str, list[tuple[_Held[P], Attachment]]] = field(default_factory=dict)
    held: int = 0  # pages currently waiting

    def add(self, page: P, attachments: list[Attachment]) -> tuple[list[Attachment], bool]:
        """Hold ``page`` until ``attachments`` are resolved.

        Returns (attachments whose URL must be requested now, whether the page is ready at once). URLs
        already resolved this cycle are filled in immediately; URLs already requested are not returned again.
        """
        held: _Held[P] = _Held(page)
        to_request: list[Attachment] = []
        for attachment in attachments:
            done = self._done.get(attachment.url)
            if done is not None:
                done.apply(attachment)
                continue
            waiters = self._waiters.get(attachment.url)
            if waiters is None:
                waiters = self._waiters[attachment.url] = []
                to_request.append(attachment)
            waiters.append((held, attachment))
            held.waiting += 1
        if held.waiting:
            self.held += 1
        return to_request, held.waiting == 0

    def resolve(self, url: str, outcome: Outcome) -> list[P]:
        """Record the outcome of ``url``; returns the pages that no longer wait for anything, in order."""
        self._done[url] = outcome
        ready: list[P] = []
        for held, attachment in self._waiters.pop(url, []):
            outcome.apply(attachment)
            held.waiting -= 1
            if held.waiting == 0:
                self.held -= 1
                ready.append(held.page)
        return ready
