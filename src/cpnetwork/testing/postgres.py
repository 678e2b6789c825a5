"""Throwaway PostgreSQL schemas for tests: every test (or state-machine run) its own.

Tests that need PostgreSQL read the server's URL from ``CPNETWORK_TEST_POSTGRES_URL``
and skip when it is unset.  :class:`Schemas` creates a fresh schema on that server and
gives back a URL whose connections find it first on their ``search_path``, so tests
never see each other's tables; dropping it removes everything the test wrote::

    with Schemas(base_url) as schemas:
        url = schemas.create()
        with Network.open(url, load_entrypoints=False) as net:
            ...
        schemas.drop(url)

Usable outside pytest fixtures (a Hypothesis state machine opens one per run).
"""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa

from cpnetwork.storage.sql_engine import engine_url

#: The environment variable naming the test server, e.g. postgresql://postgres@127.0.0.1/test
ENV = "CPNETWORK_TEST_POSTGRES_URL"


def postgres_url() -> str | None:
    """The test server's URL, or None when PostgreSQL tests should not run."""
    return os.environ.get(ENV) or None


def skip_reason() -> str:
    return f"PostgreSQL tests: set {ENV}=postgresql://postgres@127.0.0.1:5432/test to run them"


def require_postgres() -> str:
    """The test server's URL; skips the calling test module (one line) without it."""
    url = postgres_url()
    if url is None:
        pytest.skip(skip_reason(), allow_module_level=True)
    return url


class Schemas:
    """Creates and drops uniquely named schemas on one PostgreSQL server."""

    PREFIX = "cpnetwork_test_"

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._admin = sa.create_engine(engine_url(base_url))
        self._schemas: dict[str, str] = {}

    def create(self) -> str:
        """A new, empty schema; returns a URL whose connections work inside it."""
        schema = f"{self.PREFIX}{uuid.uuid4().hex[:12]}"
        with self._admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        parsed = sa.make_url(self.base_url)
        url = parsed.update_query_dict({"options": f"-csearch_path={schema}"})
        rendered = url.render_as_string(hide_password=False)
        self._schemas[rendered] = schema
        return rendered

    def drop(self, url: str) -> None:
        """Drop the schema behind ``url`` and everything in it."""
        schema = self._schemas.pop(url)
        with self._admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))

    def close(self) -> None:
        """Drop every schema still left, then release the admin connection."""
        try:
            for url in list(self._schemas):
                self.drop(url)
        finally:
            self._admin.dispose()

    def __enter__(self) -> Schemas:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
