"""pytest fixtures for cpnetwork: list this module in a conftest's ``pytest_plugins``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from cpnetwork.network import Network


class FrozenClock:
    """A clock tests move by hand; ``clock()`` returns the current instant."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2024, 8, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def network(clock: FrozenClock) -> Iterator[Network]:
    """A fresh in-memory network with only the built-in plugins."""
    with Network.open("memory://", name="Test Network", clock=clock, load_entrypoints=False) as net:
        yield net
