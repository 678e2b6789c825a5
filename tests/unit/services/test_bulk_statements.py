"""Bulk imports through the public API send batched statements, not one per row.

Counted on a SQLite network with SQLAlchemy's ``before_cursor_execute`` event: the
number of statements a bulk call sends must not grow with the number of rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cpnetwork import DuplicateError, Network
from cpnetwork.model import Attendance, Member, Program, Session
from cpnetwork.testing import snapshot
from cpnetwork.testing.pytest_plugin import FrozenClock
from cpnetwork.testing.statements import sent_statements
from cpnetwork.testing.storage import T0


@pytest.fixture
def sql_network(tmp_path: Path, clock: FrozenClock) -> Iterator[Network]:
    url = f"sqlite:///{tmp_path / 'network.db'}"
    with Network.open(url, clock=clock, load_entrypoints=False) as network:
        yield network


@pytest.fixture
def count_statements(sql_network: Network) -> Callable[[Callable[[], Any]], int]:
    """``count(action)``: how many statements ``action()`` sends to the database."""

    def count(action: Callable[[], Any]) -> int:
        with sent_statements(sql_network) as sent:
            action()
        return len(sent)

    return count


def _members(n: int, prefix: str) -> list[Member]:
    return [Member(email=f"{prefix}{i}@example.org", county="19") for i in range(n)]


def _sessions(network: Network, n: int) -> tuple[Program, list[Session]]:
    program = network.programs.create(title="Academy", program_year=2024)
    sessions = [
        Session(
            program_id=program.id,
            title=f"Session {i}",
            start=T0 + timedelta(weeks=i),
            end=T0 + timedelta(weeks=i, minutes=90),
        )
        for i in range(n)
    ]
    with network.storage.transaction() as tx:
        tx.insert_many(sessions)
    return program, sessions


def test_add_many_sends_as_many_statements_for_3000_members_as_for_30(
    sql_network: Network, count_statements: Callable[[Callable[[], Any]], int]
) -> None:
    few = count_statements(lambda: sql_network.members.add_many(_members(30, "few")))
    many = count_statements(lambda: sql_network.members.add_many(_members(3000, "many")))
    assert many == few <= 5  # BEGIN, SAVEPOINT, one INSERT (executemany), RELEASE
    with sql_network.storage.transaction() as tx:
        assert tx.count(Member) == {(): 3030}


def test_record_many_sends_as_many_statements_for_3000_rows_as_for_30(
    sql_network: Network, count_statements: Callable[[Callable[[], Any]], int]
) -> None:
    _, sessions = _sessions(sql_network, 2)
    people = sql_network.members.add_many(_members(3000, "leader"))

    def record(session: Session, n: int) -> Callable[[], Any]:
        return lambda: sql_network.attendance.record_many(
            (session.id, m.id, "present", 90) for m in people[:n]
        )

    few = count_statements(record(sessions[0], 30))
    many = count_statements(record(sessions[1], 3000))
    assert many == few <= 8  # the checks (sessions, members, earlier records) and one write
    with sql_network.storage.transaction() as tx:
        assert tx.count(Attendance, group_by=("session_id",)) == {
            (sessions[0].id,): 30,
            (sessions[1].id,): 3000,
        }


def test_import_many_sends_as_many_statements_for_3000_rows_as_for_30(
    sql_network: Network, count_statements: Callable[[Callable[[], Any]], int]
) -> None:
    people = sql_network.members.add_many(_members(3000, "leader"))
    first = sql_network.programs.create(title="First", program_year=2024)
    second = sql_network.programs.create(title="Second", program_year=2024)

    def load(program: Program, n: int) -> Callable[[], Any]:
        return lambda: sql_network.enrollment.import_many(
            [(m.id, program.id, "completed") for m in people[:n]]
        )

    few = count_statements(load(first, 30))
    many = count_statements(load(second, 3000))
    assert many == few


def test_add_many_refuses_an_email_already_stored_and_writes_nothing(
    sql_network: Network,
) -> None:
    sql_network.members.add(email="taken@example.org")
    batch = [*_members(500, "new"), Member(email="Taken@Example.org")]
    before = snapshot(sql_network)
    with pytest.raises(DuplicateError, match=r"email='taken@example\.org' is already taken"):
        sql_network.members.add_many(batch)
    assert snapshot(sql_network) == before
