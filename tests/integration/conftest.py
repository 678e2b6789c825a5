"""Fixtures shared by the integration tests: a fresh PostgreSQL schema per test.

The server comes from ``CPNETWORK_TEST_POSTGRES_URL`` (see :mod:`cpnetwork.testing.postgres`);
without it the tests asking for these fixtures skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cpnetwork.testing.postgres import Schemas, postgres_url, skip_reason


@pytest.fixture(scope="session")
def pg_schemas() -> Iterator[Schemas]:
    """Creates and drops the test schemas; every schema left over is dropped at the end."""
    base = postgres_url()
    if base is None:
        pytest.skip(skip_reason())
    with Schemas(base) as schemas:
        yield schemas


@pytest.fixture
def pg_url(pg_schemas: Schemas) -> Iterator[str]:
    """A URL whose connections work in a fresh schema of their own, dropped afterwards."""
    url = pg_schemas.create()
    yield url
    pg_schemas.drop(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database on each SQL backend: a SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'network.db'}"
    request.applymarker(pytest.mark.postgres)
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh network on every store: memory, a SQLite file, a PostgreSQL schema."""
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'network.db'}"
    request.applymarker(pytest.mark.postgres)
    url: str = request.getfixturevalue("pg_url")
    return url
