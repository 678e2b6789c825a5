"""The reference in-memory store against the shipped storage conformance suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cpnetwork.storage import MemoryStorage, Storage
from cpnetwork.testing.storage import StorageConformance


class TestMemoryConformance(StorageConformance):
    concurrent_readers = False  # one lock serializes every transaction

    @pytest.fixture
    def storage(self) -> Iterator[Storage]:
        with MemoryStorage() as store:
            yield store
