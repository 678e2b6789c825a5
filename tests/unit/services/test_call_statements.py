"""How many statements the commonest calls send on SQLite: a call that grows is seen here.

Counted with SQLAlchemy's ``before_cursor_execute`` (``BEGIN`` included, ``COMMIT``
not: the driver commits without a statement).  The figures are upper bounds; lower
them when a change makes a call cheaper (see ``benchmarks/bench_calls.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cpnetwork import Network
from cpnetwork.model import EnrollmentPolicy, Member
from cpnetwork.testing.pytest_plugin import FrozenClock
from cpnetwork.testing.statements import sent_statements

Count = Callable[[Callable[[], Any]], list[str]]


@pytest.fixture
def sql_network(tmp_path: Path, clock: FrozenClock) -> Iterator[Network]:
    with Network.open(f"sqlite:///{tmp_path / 'calls.db'}", load_entrypoints=False) as network:
        yield network


@pytest.fixture
def sent(sql_network: Network) -> Count:
    def count(action: Callable[[], Any]) -> list[str]:
        with sent_statements(sql_network) as statements:
            action()
        return [statement.split()[0] for statement in statements]

    return count


@pytest.fixture
def people(sql_network: Network) -> list[Member]:
    office = sql_network.organizations.add(name="County Office", kind="county_office")
    return sql_network.members.add_many(
        Member(email=f"m{n}@example.org", affiliations=[{"organization_id": office.id}])
        for n in range(5)
    )


def test_reads_send_one_query(sql_network: Network, people: list[Member], sent: Count) -> None:
    assert sent(lambda: sql_network.members.get(people[0].id)) == ["BEGIN", "SELECT"]
    assert sent(lambda: sql_network.members.find_by_email(people[1].email)) == [
        "BEGIN",
        "SELECT",
    ]


def test_enrollment_calls_send_at_most_these_statements(
    sql_network: Network, people: list[Member], sent: Count
) -> None:
    program = sql_network.programs.create(
        title="Academy", program_year=2024, policy=EnrollmentPolicy(capacity=1)
    )
    enrollment = sql_network.enrollment
    seated = sent(lambda: enrollment.register(program.id, people[0].id))
    waiting = sent(lambda: enrollment.register(program.id, people[1].id))
    first = enrollment.of(program.id, people[0].id)
    assert first is not None
    withdrawn = sent(lambda: enrollment.withdraw(first.id))
    left = sent(lambda: enrollment.seats_left(program.id))
    assert len(seated) <= 8 and len(waiting) <= 9 and len(withdrawn) <= 11 and len(left) <= 3
    assert "SAVEPOINT" not in withdrawn  # SQLite keeps a transaction going past a refusal
