"""The fallback family: no special markup, only the shared selectors and heuristics."""
from __future__ import annotations

from spiders.families.base import Family


class Generic(Family):
    name = "generic"
