"""The SQL store on a SQLite file against the shipped storage conformance suite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cpnetwork.storage import Storage
from cpnetwork.storage.sql import SQLStorage
from cpnetwork.testing.storage import StorageConformance


class TestSQLiteConformance(StorageConformance):
    @pytest.fixture
    def url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'network.db'}"

    @pytest.fixture
    def storage(self, url: str) -> Iterator[Storage]:
        with SQLStorage(url) as store:
            yield store

    @pytest.fixture
    def reopen(self, url: str) -> Callable[[], Storage]:
        return lambda: SQLStorage(url)
