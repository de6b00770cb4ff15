"""The registry of background scenarios (see conftest.py): ``@scenario(seconds=...)`` on a function
``fn(tmp_dir) -> results`` of a test module (``fn(tmp_dir, database_url)`` with ``postgres=True``: a fresh
PostgreSQL database); the ``scenarios`` fixture starts them and hands out results."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Entry:
    seconds: float  # about how long it takes alone: the longest start first
    fn: Callable[..., dict[str, Any]]
    postgres: bool


REGISTRY: dict[str, Entry] = {}


def key_of(fn: Callable[..., Any]) -> str:
    return f"{fn.__module__}.{fn.__name__}"


def scenario(*, seconds: float, postgres: bool = False):
    """Register a scenario to run in the background from the start of the session."""

    def register(fn):
        REGISTRY[key_of(fn)] = Entry(seconds, fn, postgres)
        return fn

    return register
