from __future__ import annotations

import pytest

from .helpers import seed001_body


@pytest.fixture
def seed001() -> list[str]:
    """Body of seed 001, 121 paragraphs."""
    return seed001_body()
