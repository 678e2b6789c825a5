"""The SQL store on PostgreSQL agrees with the memory store (the model).

Each state-machine run works in a fresh schema, dropped in its teardown.  The default
profile runs a fifth of its examples here; ``HYPOTHESIS_PROFILE=soak`` scales up with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import pytest
from hypothesis import settings

from cpnetwork.network import Network
from cpnetwork.testing.lifecycle import EnrollmentMachine
from cpnetwork.testing.postgres import Schemas, require_postgres
from cpnetwork.testing.pytest_plugin import FrozenClock

require_postgres()

pytestmark = pytest.mark.postgres


class PostgresAgrees(EnrollmentMachine):
    urls = ("memory://", "postgresql://")
    #: The test server's schemas, handed over by the fixture below for the test's length.
    schemas: ClassVar[Schemas | None] = None

    def open_network(self, url: str, clock: FrozenClock) -> Network:
        if url.startswith("postgresql"):
            assert self.schemas is not None, "the pg_schemas fixture did not run"
            url = self.schemas.create()
            self.resources.callback(self.schemas.drop, url)
        return super().open_network(url, clock)


@pytest.fixture(autouse=True)
def _schemas(pg_schemas: Schemas) -> Iterator[None]:
    PostgresAgrees.schemas = pg_schemas
    yield
    PostgresAgrees.schemas = None


TestPostgresAgrees = PostgresAgrees.TestCase
TestPostgresAgrees.settings = settings(
    max_examples=max(settings().max_examples // 5, 5), stateful_step_count=40
)
