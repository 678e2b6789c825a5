"""The SQL store on PostgreSQL: the conformance suite and the schema-version rules.

Each test works in a schema of its own (made by the ``pg_url`` fixture, found through
``search_path``, dropped afterwards), so tests never see each other's tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import attrs
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from cpnetwork import model as m
from cpnetwork.errors import SchemaVersionError
from cpnetwork.storage import CORE_KINDS, Storage
from cpnetwork.storage.sql import SQLStorage, upgrade
from cpnetwork.storage.sql_engine import engine_url
from cpnetwork.storage.sql_migrate import UPGRADE_COMMAND, first_revision
from cpnetwork.storage.sql_schema import core_metadata
from cpnetwork.testing.migrations import upgraded, write_below_head
from cpnetwork.testing.postgres import require_postgres
from cpnetwork.testing.storage import REVIEW_SCORES, StorageConformance, sample_records

require_postgres()

pytestmark = pytest.mark.postgres


@pytest.fixture
def url(pg_url: str) -> str:
    """A URL whose connections work in a fresh schema of their own."""
    return pg_url


class TestPostgresConformance(StorageConformance):
    @pytest.fixture
    def storage(self, url: str) -> Iterator[Storage]:
        with SQLStorage(url) as store:
            yield store

    @pytest.fixture
    def reopen(self, url: str) -> Callable[[], Storage]:
        return lambda: SQLStorage(url)


def _set_revision(url: str, revision: str) -> None:
    engine = sa.create_engine(engine_url(url))
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    engine.dispose()


def test_a_new_database_is_built_in_its_own_schema(url: str) -> None:
    with SQLStorage(url) as store:
        assert store.dialect == "postgresql"
        store.register_kinds(CORE_KINDS)
        with store.transaction() as tx:
            tx.insert_many(sample_records())
    engine = sa.create_engine(engine_url(url))
    with engine.connect() as connection:
        tables = set(sa.inspect(connection).get_table_names())
        types = {c["name"]: c["type"] for c in sa.inspect(connection).get_columns("sessions")}
    engine.dispose()
    assert {kind.name for kind in CORE_KINDS} | {"alembic_version"} <= tables
    assert "TIMESTAMP" in str(types["start"]).upper()


def test_upgrading_from_the_first_revision_keeps_the_data(url: str) -> None:
    upgrade(url, first_revision())
    samples = write_below_head(url, sample_records())
    upgrade(url)
    with SQLStorage(url) as store:
        store.register_kinds(CORE_KINDS)
        with store.transaction() as tx:
            for record in samples:
                assert tx.get(type(record), record.id) == upgraded(record, samples)


def test_upgrading_to_0003_gives_each_listed_resource_its_session(url: str) -> None:
    upgrade(url, "0002")
    samples = sample_records()
    session = next(r for r in samples if isinstance(r, m.Session))
    program = next(r for r in samples if isinstance(r, m.Program) and r.id == session.program_id)
    listed = m.Resource(
        title="Slides", kind="slides", url="https://example.org/s", program_id=program.id
    )
    write_below_head(url, [program, session, listed])
    engine = sa.create_engine(engine_url(url))
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE sessions SET resource_ids = CAST(:ids AS jsonb) WHERE id = :id"),
            {"ids": f'["{listed.id}"]', "id": session.id},
        )
    engine.dispose()
    upgrade(url)
    with SQLStorage(url) as store:
        store.register_kinds(CORE_KINDS)
        with store.transaction() as tx:
            assert tx.get(m.Resource, listed.id) == attrs.evolve(listed, session_id=session.id)


def test_the_migrated_schema_matches_the_model(url: str) -> None:
    SQLStorage(url).close()
    engine = sa.create_engine(engine_url(url))
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, core_metadata()) == []
    engine.dispose()


def test_a_newer_schema_is_refused_naming_the_command(url: str) -> None:
    SQLStorage(url).close()
    _set_revision(url, "9999_from_a_newer_release")
    with pytest.raises(SchemaVersionError, match=f"newer.*`{UPGRADE_COMMAND}`"):
        SQLStorage(url)


def test_a_plugin_kind_gets_its_table(url: str) -> None:
    with SQLStorage(url) as store:
        store.register_kinds([*CORE_KINDS, REVIEW_SCORES])
        with store.transaction() as tx:
            tx.insert(m.Member(email="ada@example.org"))
    engine = sa.create_engine(engine_url(url))
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        assert REVIEW_SCORES.name in inspector.get_table_names()
        unique = inspector.get_unique_constraints(REVIEW_SCORES.name)
    engine.dispose()
    assert [c["column_names"] for c in unique] == [["enrollment_id", "reviewer_id"]]
