"""Schema versions of SQLite databases: build, refuse, upgrade, and plugin tables.

A future release is simulated by a copy of the shipped migrations with one more
revision (adding a column), so upgrading and version checks run real migrations.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from attrs import evolve

from cpnetwork import model as m
from cpnetwork.errors import SchemaVersionError, StorageError
from cpnetwork.storage import CORE_KINDS, RecordKind, sql_migrate
from cpnetwork.storage.sql import SQLStorage, upgrade
from cpnetwork.storage.sql_engine import create_engine
from cpnetwork.storage.sql_migrate import UPGRADE_COMMAND, first_revision, head_revision
from cpnetwork.storage.sql_schema import core_metadata
from cpnetwork.testing.migrations import upgraded, write_below_head
from cpnetwork.testing.storage import REVIEW_SCORES, sample_records

FUTURE = "9001"
FUTURE_MIGRATION = '''"""A later release: members get a nickname."""

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("members", sa.Column("nickname", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("members", "nickname")
'''


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'network.db'}"


def _sql(url: str, statement: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        return connection.execute(statement).fetchall()


def _sql_write(url: str, statement: str, values: tuple[object, ...]) -> None:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        connection.execute(statement, values)


_T0 = datetime(2024, 9, 24, 16, tzinfo=ZoneInfo("America/Los_Angeles"))
_HOUR = timedelta(hours=1)


def _revision(url: str) -> str | None:
    rows = _sql(url, "SELECT version_num FROM alembic_version")
    return str(rows[0][0]) if rows else None


@pytest.fixture
def future_release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    """Call it to make the library one migration newer than the shipped one."""
    copy = tmp_path / "future-migrations"
    shutil.copytree(sql_migrate.MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    text = FUTURE_MIGRATION.format(revision=FUTURE, down=head_revision())
    (copy / "versions" / f"{FUTURE}_nickname.py").write_text(text)

    def switch() -> None:
        monkeypatch.setattr(sql_migrate, "MIGRATIONS", copy)
        sql_migrate._scripts.cache_clear()

    yield switch
    monkeypatch.undo()
    sql_migrate._scripts.cache_clear()


def test_a_new_database_is_brought_to_head(url: str) -> None:
    with SQLStorage(url) as store:
        store.register_kinds(CORE_KINDS)
    assert _revision(url) == head_revision()
    tables = {row[0] for row in _sql(url, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {kind.name for kind in CORE_KINDS} | {"alembic_version"}
    assert _sql(url, "PRAGMA journal_mode") == [("wal",)]


def test_the_migrated_schema_matches_the_model(url: str) -> None:
    """A model change without a migration fails here: write the migration."""
    SQLStorage(url).close()
    engine = create_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, core_metadata()) == []
    engine.dispose()


def test_upgrading_from_the_first_revision_keeps_the_data(
    url: str, future_release: Callable[[], None]
) -> None:
    future_release()
    upgrade(url, first_revision())
    samples = write_below_head(url, sample_records())
    upgrade(url)
    assert _revision(url) == FUTURE
    with SQLStorage(url) as store:
        store.register_kinds(CORE_KINDS)
        with store.transaction() as tx:
            for record in samples:
                assert tx.get(type(record), record.id) == upgraded(record, samples)


def test_upgrading_to_0003_gives_each_listed_resource_its_session(url: str) -> None:
    upgrade(url, "0002")
    program = m.Program(title="Academy", program_year=2024)
    session = m.Session(
        program_id=program.id,
        title="Kickoff",
        start=_T0,
        end=_T0 + _HOUR,
    )
    slides = "https://example.org/slides"
    listed = m.Resource(title="Slides", kind="slides", url=slides, program_id=program.id)
    elsewhere = m.Resource(
        title="Notes", kind="slides", url=slides, program_id=program.id, session_id="s2"
    )
    write_below_head(url, [program, session, listed, elsewhere])
    _sql_write(
        url,
        "UPDATE sessions SET resource_ids = ? WHERE id = ?",
        (f'["{listed.id}", "{elsewhere.id}"]', session.id),
    )
    upgrade(url)
    assert "resource_ids" not in {row[1] for row in _sql(url, "PRAGMA table_info(sessions)")}
    with SQLStorage(url) as store:
        store.register_kinds(CORE_KINDS)
        with store.transaction() as tx:
            assert tx.get(m.Resource, listed.id) == evolve(listed, session_id=session.id)
            assert tx.get(m.Resource, elsewhere.id) == elsewhere  # its own link wins
            assert tx.get(m.Session, session.id) == session


def test_upgrading_twice_changes_nothing(url: str) -> None:
    upgrade(url)
    upgrade(url)
    assert _revision(url) == head_revision()


def test_an_older_schema_is_refused_naming_the_command(
    url: str, future_release: Callable[[], None]
) -> None:
    member = m.Member(email="ada@example.org")
    with SQLStorage(url) as store:
        store.register_kinds(CORE_KINDS)
        with store.transaction() as tx:
            tx.insert(member)
    future_release()
    with pytest.raises(SchemaVersionError, match=f"older.*`{UPGRADE_COMMAND}`"):
        SQLStorage(url)
    upgrade(url)
    with SQLStorage(url) as store:
        store.register_kinds(CORE_KINDS)
        with store.transaction() as tx:
            assert tx.find(m.Member) == [member]
    assert ("nickname",) in [(row[1],) for row in _sql(url, "PRAGMA table_info(members)")]


def test_a_newer_schema_is_refused_naming_the_command(
    url: str, future_release: Callable[[], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    future_release()
    SQLStorage(url).close()
    assert _revision(url) == FUTURE
    monkeypatch.undo()
    sql_migrate._scripts.cache_clear()
    with pytest.raises(SchemaVersionError, match=f"newer.*`{UPGRADE_COMMAND}`") as raised:
        SQLStorage(url)
    assert FUTURE in str(raised.value)


def test_tables_without_a_recorded_revision_are_refused(url: str) -> None:
    SQLStorage(url).close()
    _sql(url, "DELETE FROM alembic_version")
    with pytest.raises(SchemaVersionError, match="no schema revision"):
        SQLStorage(url)


def test_a_missing_core_table_is_a_schema_error(url: str) -> None:
    SQLStorage(url).close()
    _sql(url, "DROP TABLE milestones")
    with SQLStorage(url) as store, pytest.raises(SchemaVersionError, match=UPGRADE_COMMAND):
        store.register_kinds(CORE_KINDS)


def test_a_plugin_kind_gets_its_table_and_core_tables_stay_as_they_are(url: str) -> None:
    core_sql = "SELECT name, sql FROM sqlite_master WHERE tbl_name NOT LIKE 'conformance%'"
    with SQLStorage(url) as store:
        store.register_kinds(CORE_KINDS)
        before = sorted(_sql(url, core_sql))
        store.register_kinds([REVIEW_SCORES])
    assert sorted(_sql(url, core_sql)) == before
    engine = create_engine(url)
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        unique = inspector.get_unique_constraints(REVIEW_SCORES.name)
        indexes = inspector.get_indexes(REVIEW_SCORES.name)
    engine.dispose()
    assert [(c["name"], c["column_names"]) for c in unique] == [
        (f"uq_{REVIEW_SCORES.name}_enrollment_id_reviewer_id", ["enrollment_id", "reviewer_id"])
    ]
    assert [(i["name"], i["column_names"]) for i in indexes] == [
        (f"ix_{REVIEW_SCORES.name}_enrollment_id", ["enrollment_id"])
    ]
    with SQLStorage(url) as again:  # an existing plugin table is used as it is
        again.register_kinds([*CORE_KINDS, REVIEW_SCORES])


def test_a_plugin_kind_cannot_take_a_core_table(url: str) -> None:
    impostor = RecordKind(name="members", cls=REVIEW_SCORES.cls)
    with SQLStorage(url) as store, pytest.raises(StorageError, match=r"'members'.* is taken"):
        store.register_kinds([impostor])


def test_a_plugin_table_missing_a_field_is_a_schema_error(url: str) -> None:
    SQLStorage(url).close()
    _sql(url, f"CREATE TABLE {REVIEW_SCORES.name} (id TEXT PRIMARY KEY, score INTEGER)")
    with SQLStorage(url) as store, pytest.raises(SchemaVersionError, match="enrollment_id"):
        store.register_kinds([REVIEW_SCORES])


def test_processes_opening_a_new_database_together_build_it_once(url: str) -> None:
    def open_and_count(_: int) -> int:
        with SQLStorage(url) as store:
            store.register_kinds([*CORE_KINDS, REVIEW_SCORES])
            with store.transaction() as tx:
                return tx.count(m.Member)[()]

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(open_and_count, range(4))) == [0, 0, 0, 0]
    assert _revision(url) == head_revision()
