"""The SQL store on PostgreSQL: the conformance suite and the schema-version rules.

Each test works in a schema of its own (made by the ``pg_url`` fixture, found through
``search_path``, dropped afterwards), so tests never see each other's tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

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
from cpnetwork.storage.sql_schema import MappedKind, core_metadata
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


def _write_raw(url: str, records: list[object]) -> None:
    """Write records into whatever tables the database has now, column by column.

    (A store refuses to open a database at an older revision, so this writes below it.)
    """
    engine = sa.create_engine(engine_url(url))
    metadata = sa.MetaData()
    mapped = {kind.cls: MappedKind.of(kind, metadata) for kind in CORE_KINDS}
    with engine.begin() as connection:
        inspector = sa.inspect(connection)
        for record in records:
            kind = mapped[type(record)]
            present = {c["name"] for c in inspector.get_columns(kind.kind.name)}
            row = {k: v for k, v in kind.to_row(record).items() if k in present}
            connection.execute(sa.insert(kind.table).values(**row))
    engine.dispose()


def test_upgrading_from_the_first_revision_keeps_the_data(url: str) -> None:
    upgrade(url, first_revision())
    samples = sample_records()
    _write_raw(url, samples)
    upgrade(url)
    with SQLStorage(url) as store:
        store.register_kinds(CORE_KINDS)
        with store.transaction() as tx:
            for record in samples:
                assert tx.get(type(record), record.id) == record


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
