"""What the notifier knows about a change.

The wiring package fills these from storage and diffing results; the notifier
never looks further than these two frozen records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

#: Event kinds, in the order a reader would rank them.
KINDS: tuple[str, ...] = (
    "new",
    "revised",
    "formatting",
    "reverted",
    "withdrawn",
    "error",
    "baseline",
)

#: Kinds that describe a portal rather than a document.
PORTAL_KINDS: frozenset[str] = frozenset({"error", "baseline"})

#: Paragraph operations produced by the aligner.
OPS: tuple[str, ...] = ("insert", "delete", "replace", "move", "renumber")

#: Inline span tags used in ParagraphChange.spans.
SPAN_TAGS: frozenset[str] = frozenset({"equal", "delete", "insert"})


@dataclass(frozen=True)
class ParagraphChange:
    """One changed paragraph.

    ``spans`` is the inline diff of a replaced paragraph, as
    ``("equal"|"delete"|"insert", text)`` pairs; it may be empty, in which case
    renderers fall back to ``old``/``new``.
    """

    op: str
    old: str | None
    new: str | None
    spans: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"unknown paragraph op {self.op!r}; expected one of {OPS}")
        spans = tuple((str(tag), str(text)) for tag, text in self.spans)
        for tag, _ in spans:
            if tag not in SPAN_TAGS:
                raise ValueError(f"unknown span tag {tag!r}")
        object.__setattr__(self, "spans", spans)


@dataclass(frozen=True)
class Event:
    """A change (or a portal-level happening) worth telling a subscriber about.

    ``title``/``url`` name the document, or the portal for ``error`` and
    ``baseline`` events. ``tags`` holds the kinds a subscription may filter on
    (``kind`` itself is always treated as one of them). ``headlines`` are
    ready-made Chinese lines about target/deadline changes; ``detail`` is free
    Chinese text for error/baseline/reverted events.
    """

    kind: str
    portal: str
    title: str
    url: str
    review_url: str | None
    detected_at: datetime
    tags: frozenset[str] = field(default_factory=frozenset)
    headlines: tuple[str, ...] = ()
    paragraphs: tuple[ParagraphChange, ...] = ()
    text: str = ""
    detail: str = ""
    change_id: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown event kind {self.kind!r}; expected one of {KINDS}")
        # Accept any iterable from callers (lists from config/JSON) but store immutables.
        object.__setattr__(self, "tags", frozenset(self.tags))
        object.__setattr__(self, "headlines", tuple(self.headlines))
        object.__setattr__(self, "paragraphs", tuple(self.paragraphs))

    @property
    def all_tags(self) -> frozenset[str]:
        """``tags`` plus ``kind``: everything a subscription filter may match."""
        return self.tags | {self.kind}
