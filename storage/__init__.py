"""Persistence: SQLModel models, engines, and keyword-only query functions."""
from .db import StorageError, display_url, init_db, make_engine, session
from .models import (
    Blob,
    Change,
    CommitmentCache,
    Delivery,
    DeliveryChange,
    Document,
    FetchError,
    ParagraphChunk,
    Portal,
    Run,
    Version,
)

__all__ = [
    "Blob", "Change", "CommitmentCache", "Delivery", "DeliveryChange", "Document", "FetchError", "ParagraphChunk",
    "Portal", "Run",
    "StorageError", "Version", "display_url", "init_db", "make_engine", "session",
]
