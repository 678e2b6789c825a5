"""Fixtures the SQL store's unit tests share: a SQLite file and a store on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from cpnetwork.storage import CORE_KINDS
from cpnetwork.storage.sql import SQLStorage


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "network.db"


@pytest.fixture
def store(db: Path) -> SQLStorage:
    """A SQLite store on ``db`` that knows the core record kinds."""
    store = SQLStorage(f"sqlite:///{db}")
    store.register_kinds(CORE_KINDS)
    return store
