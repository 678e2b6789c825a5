"""Fixtures of the report tests: the small network of report_network.py on every store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cpnetwork import Network
from cpnetwork.testing.postgres import Schemas, postgres_url, skip_reason
from cpnetwork.testing.pytest_plugin import FrozenClock
from report_network import build_small_network, open_network


@pytest.fixture(scope="session")
def report_schemas() -> Iterator[Schemas | None]:
    base = postgres_url()
    if base is None:
        yield None
        return
    with Schemas(base) as schemas:
        yield schemas


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store_url(
    request: pytest.FixtureRequest, tmp_path: Path, report_schemas: Schemas | None
) -> Iterator[str]:
    if request.param == "memory":
        yield "memory://"
    elif request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'network.db'}"
    else:
        request.applymarker(pytest.mark.postgres)
        if report_schemas is None:
            pytest.skip(skip_reason())
        url = report_schemas.create()
        yield url
        report_schemas.drop(url)


@pytest.fixture
def small(store_url: str) -> Iterator[tuple[Network, dict[str, Any]]]:
    clock = FrozenClock()
    with open_network(store_url, clock) as net:
        records = build_small_network(net, clock)
        yield net, records
