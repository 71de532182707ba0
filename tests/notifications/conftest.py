"""Fixtures of the notification tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from painrewire import migrate
from tests.conftest import drop_database, new_empty_database


@pytest.fixture
def committed_database(tmp_path: Path) -> Iterator[str]:
    """A database of its own, committed to for real: worker processes read it from outside the test."""
    url, token = new_empty_database(tmp_path, "outbox")
    migrate.upgrade(url)
    try:
        yield url
    finally:
        drop_database(url, token)
