"""EnrollmentService.import_many: historical enrollments in bulk, checked first, all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from cpnetwork import (
    CapacityFullError,
    DuplicateError,
    Network,
    NotFoundError,
    QuotaReachedError,
    ValidationError,
)
from cpnetwork.events import EnrollmentChanged, Event
from cpnetwork.model import (
    Affiliation,
    Enrollment,
    EnrollmentMode,
    EnrollmentPolicy,
    EnrollmentStatus,
    Member,
    Module,
    Organization,
    Program,
    Quota,
    Transition,
)
from cpnetwork.services.enrollment_import import EnrollmentRow
from cpnetwork.testing import snapshot
from cpnetwork.testing.pytest_plugin import FrozenClock

S = EnrollmentStatus


def make_program(network: Network, **policy: Any) -> Program:
    policy.setdefault("mode", EnrollmentMode.APPLICATION)
    return network.programs.create(
        title="Academy",
        program_year=2024,
        policy=EnrollmentPolicy(**policy),
        tracks=(Module(key="elementary"), Module(key="secondary")),
    )


@pytest.fixture
def people(network: Network) -> list[Member]:
    return network.members.add_many(
        Member(email=f"leader{i}@example.org", county="19" if i % 2 else "01", roles={"tosa"})
        for i in range(6)
    )


@pytest.fixture
def events(network: Network) -> Iterator[list[Event]]:
    seen: list[Event] = []
    network.subscribe(seen.append)
    yield seen
    network.unsubscribe(seen.append)


def test_import_writes_enrollments_transitions_and_events(
    network: Network, people: list[Member], events: list[Event], clock: FrozenClock
) -> None:
    academy = make_program(network, capacity=10)
    then = clock.now - timedelta(days=400)
    imported = network.enrollment.import_many(
        [
            (people[0].id, academy.id, "completed"),
            (people[1].id, academy.id, S.WITHDRAWN, "secondary"),
            EnrollmentRow(
                member_id=people[2].id, program_id=academy.id, status="enrolled", at=then
            ),
        ]
    )
    assert [(e.member_id, e.status) for e in imported] == [
        (people[0].id, S.COMPLETED),
        (people[1].id, S.WITHDRAWN),
        (people[2].id, S.ENROLLED),
    ]
    assert imported[1].track == "secondary"
    assert imported[0].created_at == clock.now
    assert imported[2].created_at == imported[2].updated_at == then
    assert [e.county for e in imported] == ["01", "19", "01"]
    assert all(e.role == "tosa" for e in imported)
    stored = network.enrollment.find(academy.id)
    assert sorted(stored, key=lambda e: e.id) == sorted(imported, key=lambda e: e.id)
    for enrollment in imported:
        [step] = network.enrollment.history(enrollment.id)
        assert (step.from_status, step.to_status, step.reason) == (
            None,
            enrollment.status,
            "imported",
        )
        assert step.at == enrollment.created_at
    changes = [e for e in events if isinstance(e, EnrollmentChanged)]
    assert [(c.enrollment_id, c.from_status, c.to_status, c.reason) for c in changes] == [
        (e.id, None, e.status, "imported") for e in imported
    ]
    assert network.enrollment.seats_left(academy.id) == 8  # completed and enrolled hold seats


def test_import_of_nothing_writes_nothing(network: Network) -> None:
    before = snapshot(network)
    assert network.enrollment.import_many([]) == []
    assert snapshot(network) == before


def test_the_snapshot_follows_the_affiliation_on_the_day_enrolled(
    network: Network, clock: FrozenClock
) -> None:
    old = network.organizations.add(name="Old District", kind="district", county="07")
    new = network.organizations.add(name="New District", kind="district", county="01")
    switched = clock.now.date() - timedelta(days=100)
    member = network.members.add(
        email="mover@example.org",
        affiliations=(
            Affiliation(organization_id=old.id, end=switched - timedelta(days=1)),
            Affiliation(organization_id=new.id, start=switched),
        ),
    )
    academy = make_program(network)
    other = network.programs.create(title="Later", program_year=2024)
    earlier, later = network.enrollment.import_many(
        [
            (member.id, academy.id, "completed", None, clock.now - timedelta(days=200)),
            (member.id, other.id, "enrolled"),
        ]
    )
    assert (earlier.organization_id, earlier.county) == (old.id, "07")
    assert (later.organization_id, later.county) == (new.id, "01")


def test_waitlisted_rows_join_the_end_of_the_line_in_order(
    network: Network, people: list[Member], clock: FrozenClock
) -> None:
    academy = make_program(network, mode=EnrollmentMode.REGISTRATION, capacity=1)
    network.enrollment.register(academy.id, people[0].id)
    waiting = network.enrollment.register(academy.id, people[1].id)
    assert waiting.queue_number == 1
    imported = network.enrollment.import_many(
        [
            (people[2].id, academy.id, "waitlisted"),
            (people[3].id, academy.id, "waitlisted", None, clock.now - timedelta(days=3)),
        ]
    )
    assert [(e.queue_number, e.waitlisted_at) for e in imported] == [
        (3, clock.now),
        (2, clock.now - timedelta(days=3)),
    ]
    line = [e.member_id for e in network.enrollment.waitlist_of(academy.id)]
    assert line == [people[1].id, people[3].id, people[2].id]


Spoil = Callable[[list[Any], Program, list[Member]], None]


@pytest.mark.parametrize(
    ("spoil", "error", "words"),
    [
        (lambda rows, p, m: rows.append(("nobody", p.id, "enrolled")), NotFoundError, r"row 4"),
        (
            lambda rows, p, m: rows.append((m[4].id, "nowhere", "enrolled")),
            NotFoundError,
            "nowhere",
        ),
        (lambda rows, p, m: rows.append(rows[0]), ValidationError, "rows 1 and 4"),
        (lambda rows, p, m: rows.append((m[4].id,)), ValidationError, "row 4"),
        (lambda rows, p, m: rows.append(42), ValidationError, "row 4"),
        (lambda rows, p, m: rows.append((m[4].id, p.id, "asleep")), ValidationError, "row 4"),
        (lambda rows, p, m: rows.append((m[4].id, p.id, "offered")), ValidationError, "offer"),
        (
            lambda rows, p, m: rows.append((m[4].id, p.id, "enrolled", "graduate")),
            ValidationError,
            "row 4: .*no track 'graduate'",
        ),
        (
            lambda rows, p, m: rows.append((m[4].id, p.id, "enrolled", None, "2024-01-01")),
            ValidationError,
            "row 4",
        ),
    ],
)
def test_every_row_is_checked_before_anything_is_written(
    network: Network,
    people: list[Member],
    events: list[Event],
    spoil: Spoil,
    error: type[Exception],
    words: str,
) -> None:
    academy = make_program(network)
    rows: list[Any] = [(m.id, academy.id, "enrolled") for m in people[:3]]
    spoil(rows, academy, people)
    before = snapshot(network)
    events.clear()
    with pytest.raises(error, match=words):
        network.enrollment.import_many(rows)
    assert snapshot(network) == before
    assert events == []


def test_a_row_dated_in_the_future_is_refused(
    network: Network, people: list[Member], clock: FrozenClock
) -> None:
    academy = make_program(network)
    with pytest.raises(ValidationError, match=r"row 1: .* is in the future"):
        network.enrollment.import_many(
            [(people[0].id, academy.id, "enrolled", None, clock.now + timedelta(days=1))]
        )


def test_a_member_already_in_the_program_is_refused(network: Network, people: list[Member]) -> None:
    academy = make_program(network)
    network.enrollment.apply(academy.id, people[1].id)
    before = snapshot(network)
    with pytest.raises(DuplicateError, match=rf"{people[1].id}' is already in .* \(row 2\)"):
        network.enrollment.import_many(
            [(people[0].id, academy.id, "completed"), (people[1].id, academy.id, "completed")]
        )
    assert snapshot(network) == before


def test_seat_holding_rows_must_fit_the_capacity_with_the_seats_held(
    network: Network, people: list[Member]
) -> None:
    academy = make_program(network, mode=EnrollmentMode.REGISTRATION, capacity=3)
    network.enrollment.register(academy.id, people[0].id)
    rows: list[Any] = [
        (people[1].id, academy.id, "withdrawn"),  # holds no seat
        (people[2].id, academy.id, "completed"),
        (people[3].id, academy.id, "declined"),
        (people[4].id, academy.id, "incomplete"),
        (people[5].id, academy.id, "accepted"),
    ]
    before = snapshot(network)
    with pytest.raises(CapacityFullError, match=r"row 5 .* seat 4 of 3"):
        network.enrollment.import_many(rows)
    assert snapshot(network) == before
    imported = network.enrollment.import_many(rows[:4])
    assert len(imported) == 4
    assert network.enrollment.seats_left(academy.id) == 0


def test_seat_holding_rows_must_fit_the_quotas(network: Network, people: list[Member]) -> None:
    academy = make_program(
        network,
        capacity=None,
        quotas=(Quota(scope="county", limit=2), Quota(scope="county", value="19", limit=1)),
    )
    network.enrollment.import_many([(people[0].id, academy.id, "enrolled")])  # county 01
    before = snapshot(network)
    with pytest.raises(QuotaReachedError, match=r"county quota of 1 for '19' .* row 2"):
        network.enrollment.import_many(
            [(people[1].id, academy.id, "enrolled"), (people[3].id, academy.id, "completed")]
        )
    assert snapshot(network) == before
    with pytest.raises(QuotaReachedError, match=r"county quota of 2 for '01' .* row 2"):
        network.enrollment.import_many(
            [(people[2].id, academy.id, "completed"), (people[4].id, academy.id, "completed")]
        )
    assert snapshot(network) == before
    # Statuses that hold no seat never count against a quota.
    imported = network.enrollment.import_many(
        [
            (people[1].id, academy.id, "enrolled"),
            (people[3].id, academy.id, "withdrawn"),
            (people[2].id, academy.id, "enrolled"),
            (people[4].id, academy.id, "declined"),
        ]
    )
    assert len(imported) == 4


def test_many_rows_go_in_with_one_bulk_write(network: Network, clock: FrozenClock) -> None:
    members = network.members.add_many(Member(email=f"many{i}@example.org") for i in range(300))
    programs = [make_program(network) for _ in range(3)]
    rows = [(m.id, p.id, "completed") for p in programs for m in members]
    imported = network.enrollment.import_many(rows)
    assert len(imported) == 900
    with network.storage.transaction() as tx:
        assert tx.count(Enrollment, group_by=("status",)) == {("completed",): 900}
        assert tx.count(Transition, {"reason": "imported"}) == {(): 900}


def test_an_organization_gone_from_the_store_leaves_the_snapshot_empty(
    network: Network, clock: FrozenClock
) -> None:
    closed = network.organizations.add(name="Closed School", kind="school", county="19")
    member = network.members.add(
        email="ghost@example.org",
        affiliations=(Affiliation(organization_id=closed.id, start=date(2020, 1, 1)),),
    )
    with network.storage.transaction() as tx:  # removed behind the library's back
        tx.delete(Organization, closed.id)
    academy = make_program(network)
    [imported] = network.enrollment.import_many([(member.id, academy.id, "enrolled")])
    assert (imported.organization_id, imported.county) == (None, None)
