"""How many statements the commonest calls send, on SQLite and PostgreSQL.

Counted with SQLAlchemy's cursor events (``sent_statements``), leaving out the
``BEGIN`` that opens a transaction on SQLite (psycopg sends its own without one) and
the driver's ``COMMIT``.  A change that adds a query to a call fails here; lower the
figures when a change makes a call cheaper (see ``benchmarks/bench_calls.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from cpnetwork import Network
from cpnetwork.model import EnrollmentPolicy, Member
from cpnetwork.testing.pytest_plugin import FrozenClock
from cpnetwork.testing.statements import sent_statements

Count = Callable[[Callable[[], Any]], list[str]]


@pytest.fixture
def sql_network(sql_url: str, clock: FrozenClock) -> Iterator[Network]:
    with Network.open(sql_url, load_entrypoints=False) as network:
        yield network


@pytest.fixture
def sent(sql_network: Network) -> Count:
    """The first word of each statement ``action`` sends, BEGIN left out."""

    def count(action: Callable[[], Any]) -> list[str]:
        with sent_statements(sql_network) as statements:
            action()
        words = [statement.split()[0] for statement in statements]
        return [word for word in words if word != "BEGIN"]

    return count


@pytest.fixture
def people(sql_network: Network) -> list[Member]:
    office = sql_network.organizations.add(name="County Office", kind="county_office")
    return sql_network.members.add_many(
        Member(email=f"m{n}@example.org", affiliations=[{"organization_id": office.id}])
        for n in range(8)
    )


def test_reads_send_one_query(sql_network: Network, people: list[Member], sent: Count) -> None:
    assert sent(lambda: sql_network.members.get(people[0].id)) == ["SELECT"]
    assert sent(lambda: sql_network.members.find_by_email(people[1].email)) == ["SELECT"]
    program = sql_network.programs.create(title="Academy", program_year=2024)
    assert sent(lambda: sql_network.sessions.find(program.id)) == ["SELECT"]


def test_a_registration_with_a_seat_free_sends_five_statements(
    sql_network: Network, people: list[Member], sent: Count
) -> None:
    program = sql_network.programs.create(
        title="Academy", program_year=2024, policy=EnrollmentPolicy(capacity=5)
    )
    # The program, locked and read; its seats; the member with their organizations and
    # any enrollment of theirs in it; the enrollment; its first step.
    registered = sent(lambda: sql_network.enrollment.register(program.id, people[0].id))
    assert registered == ["SELECT", "SELECT", "SELECT", "INSERT", "INSERT"]


def test_enrollment_calls_send_at_most_these_statements(
    sql_network: Network, people: list[Member], sent: Count
) -> None:
    program = sql_network.programs.create(
        title="Academy",
        program_year=2024,
        policy=EnrollmentPolicy(capacity=1, offer_window=timedelta(days=5)),
    )
    enrollment = sql_network.enrollment
    enrollment.register(program.id, people[0].id)
    waiting = sent(lambda: enrollment.register(program.id, people[1].id))
    for member in people[2:]:
        enrollment.register(program.id, member.id)
    first = enrollment.of(program.id, people[0].id)
    assert first is not None
    withdrawn = sent(lambda: enrollment.withdraw(first.id))
    offered = enrollment.of(program.id, people[1].id)
    assert offered is not None and offered.status.value == "offered"
    accepted = sent(lambda: enrollment.accept_offer(offered.id))
    left = sent(lambda: enrollment.seats_left(program.id))
    history = sent(lambda: enrollment.history(offered.id))
    assert len(waiting) <= 6  # and the waitlist line's length
    # The enrollment and its program (on PostgreSQL, where writers run at once, the
    # program locked through the enrollment, then the enrollment), the seats, its update
    # and step; the head of the waitlist, the offer and its step: never the whole line.
    assert len(withdrawn) <= 8
    assert len(accepted) <= 5  # an offer out but none past its time: no sweep
    assert left == ["SELECT", "SELECT"] and history == ["SELECT"]
    for statements in (waiting, withdrawn, accepted):
        assert "SAVEPOINT" not in statements  # a refusal is kept from ending the transaction
