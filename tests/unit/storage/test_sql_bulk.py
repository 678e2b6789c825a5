"""The SQL store's bulk insert path: generated row functions, batched writes, refusals.

Runs on a SQLite file and, when ``CPNETWORK_TEST_POSTGRES_URL`` is set, on PostgreSQL
(where big batches go through COPY) in a schema of its own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import psycopg

from cpnetwork import model as m
from cpnetwork.errors import DuplicateError, ValidationError
from cpnetwork.storage import CORE_KINDS
from cpnetwork.storage.sql import SQLStorage
from cpnetwork.storage.sql_bulk import CHUNK_ROWS, COPY_MIN_ROWS, row_function
from cpnetwork.storage.sql_engine import engine_url
from cpnetwork.storage.sql_schema import MappedKind
from cpnetwork.testing.storage import REVIEW_SCORES, T0, ReviewScore, sample_records
from cpnetwork.testing.synthetic import synthetic_network

POSTGRES_ENV = "CPNETWORK_TEST_POSTGRES_URL"
#: Big enough for COPY on PostgreSQL.
MANY = max(COPY_MIN_ROWS, 300)


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh SQLite file, or a fresh schema on the PostgreSQL test server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bulk.db'}"
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"set {POSTGRES_ENV} to run the PostgreSQL bulk tests")
    schema = f"cpnetwork_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(engine_url(base))
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    parsed = sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    yield parsed.render_as_string(hide_password=False)
    with admin.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def store(url: str) -> Iterator[SQLStorage]:
    with SQLStorage(url) as storage:
        storage.register_kinds([*CORE_KINDS, REVIEW_SCORES])
        yield storage


@pytest.fixture
def statements(store: SQLStorage) -> Iterator[list[tuple[str, bool]]]:
    """Every statement the store sends through SQLAlchemy: (SQL, executemany)."""
    seen: list[tuple[str, bool]] = []

    def spy(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        seen.append((sql, many))

    engine = store._engine
    sa.event.listen(engine, "before_cursor_execute", spy)
    yield seen
    sa.event.remove(engine, "before_cursor_execute", spy)


def _members(n: int, prefix: str = "bulk") -> list[m.Member]:
    return [
        m.Member(
            email=f"{prefix}{i}@example.org",
            given_name=f"Given{i}",
            roles={"teacher", "tosa"} if i % 2 else set(),
            county="19" if i % 3 else None,
            custom={"years": i, "ngss": bool(i % 2), "note": "tab\there, quote ' and \\"},
        )
        for i in range(n)
    ]


def _ids(records: list[Any]) -> list[str]:
    return sorted(r.id for r in records)


# -- row functions -------------------------------------------------------------------------
def _plain_value(value: Any) -> Any:
    """A bound value, unwrapped from psycopg's JSON wrapper for comparison."""
    return getattr(value, "obj", value)


@pytest.mark.parametrize("dialect", [sqlite.dialect(), psycopg.dialect()], ids=lambda d: d.name)
def test_row_functions_bind_what_statements_bind(dialect: sa.Dialect) -> None:
    """The fast path is derived from the converter and the column types: same values."""
    metadata = sa.MetaData()
    mapped = {k.cls: MappedKind.of(k, metadata) for k in (*CORE_KINDS, REVIEW_SCORES)}
    score = ReviewScore(
        enrollment_id="e1", reviewer_id="r1", score=4, scored_at=T0, comments=("clear", "kind")
    )
    for record in [*sample_records(), score]:
        kind = mapped[type(record)]
        expected = []
        for column in kind.table.columns:
            value = kind.to_row(record)[column.name]
            processor = column.type.dialect_impl(dialect).bind_processor(dialect)
            expected.append(_plain_value(processor(value) if processor else value))
        fast = row_function(kind, dialect)
        got = [_plain_value(value) for value in fast(record)]
        assert got == expected, type(record).__name__
        assert [_plain_value(v) for v in fast(record)] == got  # the memo changes nothing


# -- batched writes ------------------------------------------------------------------------
def test_insert_many_sends_a_few_statements_not_one_per_row(
    store: SQLStorage, statements: list[tuple[str, bool]]
) -> None:
    people = _members(CHUNK_ROWS * 2 + 1)
    with store.transaction() as tx:
        statements.clear()
        tx.insert_many(people)
        sent = list(statements)
    inserts = [(sql, many) for sql, many in sent if sql.lstrip().upper().startswith("INSERT")]
    if store.dialect == "sqlite":
        # One executemany per chunk (SQLAlchemy sends a chunk of one row as an execute).
        assert [many for _, many in inserts] == [True, True, False]
    else:
        assert inserts == []  # one COPY, which SQLAlchemy does not see
    assert len(sent) <= len(inserts) + 2  # and a savepoint around them
    with store.transaction() as tx:
        assert tx.count(m.Member) == {(): len(people)}
        assert tx.get(m.Member, people[-1].id) == people[-1]


def test_records_written_in_bulk_read_back_equal(store: SQLStorage) -> None:
    network = synthetic_network(members_count=MANY, programs_count=3, sessions_each=2)
    series = [
        m.SessionSeries(
            program_id=network.programs[0].id,
            title=f"Series {i}",
            rrule="FREQ=WEEKLY;COUNT=4",
            first_start=T0 + timedelta(days=i),
            duration=timedelta(minutes=90 + i),
            exdates={T0 + timedelta(days=i + 7)},
        )
        for i in range(MANY)
    ]
    scores = [
        ReviewScore(
            enrollment_id="e1", reviewer_id=f"r{i}", score=i, scored_at=T0, comments=("a", "b")
        )
        for i in range(MANY)
    ]
    written: list[list[Any]] = [
        network.organizations,
        network.members,
        network.programs,
        network.sessions,
        network.enrollments,
        network.attendance,
        series,
        scores,
    ]
    with store.transaction() as tx:
        tx.insert_many([record for records in written for record in records])
    with store.transaction() as tx:
        for records in written:
            stored = {r.id: r for r in tx.find(type(records[0]))}
            assert stored == {r.id: r for r in records}, type(records[0]).__name__


# -- refusals ------------------------------------------------------------------------------
def test_a_taken_key_refuses_the_whole_batch_naming_the_key(store: SQLStorage) -> None:
    ada = m.Member(email="ada@example.org")
    with store.transaction() as tx:
        tx.insert(ada)
    people = _members(MANY)
    clash = m.Member(email="ADA@example.org")
    people.insert(MANY - 10, clash)
    with store.transaction() as tx:
        with pytest.raises(DuplicateError) as raised:
            tx.insert_many(people)
        assert raised.value.record_id == clash.id
        assert "email='ada@example.org' is already taken" in str(raised.value)
        tx.insert(m.Member(email="grace@example.org"))  # the transaction goes on
    with store.transaction() as tx:
        assert tx.count(m.Member) == {(): 2}


def test_a_key_repeated_within_a_batch_is_refused(store: SQLStorage) -> None:
    people = _members(CHUNK_ROWS + 50)
    again = m.Member(email=people[3].email)
    people.insert(CHUNK_ROWS + 20, again)  # in another chunk than the first
    with pytest.raises(DuplicateError) as raised, store.transaction() as tx:
        tx.insert_many(people)
    assert raised.value.record_id == again.id
    with store.transaction() as tx:
        assert tx.count(m.Member) == {(): 0}


def test_a_taken_id_in_a_batch_is_refused(store: SQLStorage) -> None:
    first = m.Member(email="first@example.org", id="m-taken")
    with store.transaction() as tx:
        tx.insert(first)
    people = [*_members(MANY), m.Member(email="other@example.org", id="m-taken")]
    with pytest.raises(DuplicateError, match="id is already taken"), store.transaction() as tx:
        tx.insert_many(people)
    with store.transaction() as tx:
        assert tx.find(m.Member) == [first]


def test_a_batch_of_several_kinds_is_refused_whole(store: SQLStorage) -> None:
    program = m.Program(title="Academy", program_year=2024)
    people = _members(MANY)
    enrollments = [
        m.Enrollment(
            program_id=program.id,
            member_id=p.id,
            status="enrolled",
            created_at=T0,
            updated_at=T0,
        )
        for p in people
    ]
    repeated = attrs.evolve(enrollments[0], id="again")
    with pytest.raises(DuplicateError, match="program_id"), store.transaction() as tx:
        tx.insert_many([program, *people, *enrollments, repeated])
    with store.transaction() as tx:
        assert tx.count(m.Member) == {(): 0}
        assert tx.count(m.Program) == {(): 0}


def test_a_naive_datetime_in_a_batch_is_a_validation_error(store: SQLStorage) -> None:
    scores = [
        ReviewScore(enrollment_id="e1", reviewer_id=f"r{i}", score=i, scored_at=T0)
        for i in range(MANY)
    ]
    scores.append(
        ReviewScore(enrollment_id="e2", reviewer_id="r", score=1, scored_at=datetime(2024, 1, 1))
    )
    with pytest.raises(ValidationError, match="no time zone"), store.transaction() as tx:
        tx.insert_many(scores)
    with store.transaction() as tx:
        assert tx.count(ReviewScore) == {(): 0}
