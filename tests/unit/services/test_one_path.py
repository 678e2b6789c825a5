"""One path for one record and for many: handlers, the seat ledger, streams, one clock.

A single call runs the same handler as the many call (one item), every rule is asked
of the same seat ledger, many calls read any iterable in chunks, and each change
reads the clock once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cpnetwork import Network
from cpnetwork.errors import (
    BatchError,
    CapacityFullError,
    DuplicateError,
    NotFoundError,
    QuotaReachedError,
    ValidationError,
)
from cpnetwork.events import (
    EnrollmentChanged,
    Event,
    NetworkProfileUpdated,
    OrganizationUpdated,
    SessionChanged,
    SessionScheduled,
)
from cpnetwork.model import (
    EnrollmentPolicy,
    Member,
    Organization,
    Program,
    Quota,
    Session,
)
from cpnetwork.services import attendance as attendance_module
from cpnetwork.services import enrollment_handlers as handlers
from cpnetwork.services import unit_of_work as unit_of_work_module
from cpnetwork.services.enrollment import ApplicationRow
from cpnetwork.services.handling import apply_all, run, run_one
from cpnetwork.services.seats import SeatLedger, open_program
from cpnetwork.services.unit_of_work import UnitOfWork
from cpnetwork.storage.memory import MemoryTransaction
from cpnetwork.testing import snapshot
from cpnetwork.testing.storage import T0


class TickingClock:
    """A clock that moves one second every time it is read."""

    def __init__(self) -> None:
        self.now = datetime(2024, 8, 1, 9, 0, tzinfo=UTC)
        self.reads = 0

    def __call__(self) -> datetime:
        self.reads += 1
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def events(network: Network) -> Iterator[list[Event]]:
    seen: list[Event] = []
    network.subscribe(seen.append)
    yield seen
    network.unsubscribe(seen.append)


@pytest.fixture
def ticking() -> TickingClock:
    return TickingClock()


@pytest.fixture
def ticking_network(ticking: TickingClock) -> Iterator[Network]:
    with Network.open("memory://", clock=ticking, load_entrypoints=False) as net:
        yield net


def _people(network: Network, n: int, **fields: Any) -> list[Member]:
    return network.members.add_many(
        Member(email=f"person{i}@example.org", **fields) for i in range(n)
    )


def _kickoff(network: Network) -> Session:
    """A one-hour session of a new program, written straight to the store."""
    program = network.programs.create(title="Academy", program_year=2024)
    session = Session(program_id=program.id, title="Kickoff", start=T0, end=T0 + timedelta(hours=1))
    with network.storage.transaction() as tx:
        tx.insert(session)
    return session


# -- handlers and the runner -------------------------------------------------------------
def _double(uow: UnitOfWork, value: int) -> int:
    if value < 0:
        raise ValidationError("Number", str(value), "is negative")
    return value * 2


def test_the_many_call_collects_every_problem_and_the_single_call_raises_its_own(
    network: Network,
) -> None:
    context = network._context
    assert run(context, _double, iter([1, 2, 3]), kind="Number") == [2, 4, 6]
    with pytest.raises(BatchError) as raised:
        run(context, _double, [1, -2, 3, -4], kind="Number")
    assert [ref for ref, _ in raised.value.problems] == [2, 4]
    assert "2 item(s) refused" in str(raised.value)
    with pytest.raises(ValidationError, match="'-5': is negative") as single:
        run_one(context, _double, -5)
    assert not isinstance(single.value, BatchError)


def test_problems_can_be_named_by_the_commands_own_reference(network: Network) -> None:
    with network._context.unit_of_work() as uow, pytest.raises(BatchError) as raised:
        apply_all(uow, _double, [5, -1, -7], kind="Number", ref=lambda value: value * 10)
    assert [ref for ref, _ in raised.value.problems] == [-10, -70]


def test_a_batch_with_a_problem_writes_nothing(network: Network, events: list[Event]) -> None:
    academy = network.programs.create(
        title="Academy", program_year=2024, policy=EnrollmentPolicy(mode="application")
    )
    people = _people(network, 3)
    rows = [ApplicationRow(member_id=m.id) for m in people] + [ApplicationRow(member_id="ghost")]
    before = snapshot(network)
    events.clear()
    with pytest.raises(BatchError) as raised:
        network.enrollment.apply_many(academy.id, rows)
    [(ref, problem)] = raised.value.problems
    assert ref == 4 and isinstance(problem, NotFoundError)
    assert snapshot(network) == before
    assert events == []


# -- the seat ledger ---------------------------------------------------------------------
def test_the_ledger_counts_seats_once_per_unit_of_work(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    academy = network.programs.create(
        title="Academy",
        program_year=2024,
        policy=EnrollmentPolicy(capacity=3, quotas=(Quota(scope="county", limit=2),)),
    )
    people = _people(network, 5, county="19")
    loads: list[str] = []
    original = SeatLedger.load.__func__  # type: ignore[attr-defined]

    def counting(cls: type[SeatLedger], uow: UnitOfWork, program: Program) -> SeatLedger:
        loads.append(program.id)
        ledger: SeatLedger = original(cls, uow, program)
        return ledger

    monkeypatch.setattr(SeatLedger, "load", classmethod(counting))
    with network._context.unit_of_work() as uow:
        program = open_program(uow, academy.id)
        first = handlers.enter(
            uow, handlers.Enter(action="register", program_id=program.id, member_id=people[0].id)
        )
        second = handlers.enter(
            uow, handlers.Enter(action="register", program_id=program.id, member_id=people[1].id)
        )
        with pytest.raises(QuotaReachedError, match="county quota of 2 for '19' is filled"):
            handlers.enter(
                uow,
                handlers.Enter(action="register", program_id=program.id, member_id=people[2].id),
            )
        assert uow.ledgers[program.id].taken == 2
        assert uow.ledgers[program.id].held["county"]["19"] == 2
    assert loads == [academy.id]
    assert first.status.value == second.status.value == "enrolled"


def test_a_seat_freed_in_the_same_unit_of_work_is_known_to_the_ledger(network: Network) -> None:
    academy = network.programs.create(
        title="Academy",
        program_year=2024,
        policy=EnrollmentPolicy(capacity=1, waitlist=False),
    )
    ada, bea = _people(network, 2)
    seated = network.enrollment.register(academy.id, ada.id)
    with pytest.raises(CapacityFullError):
        network.enrollment.register(academy.id, bea.id)
    network.enrollment.withdraw(seated.id)
    assert network.enrollment.seats_left(academy.id) == 1
    assert network.enrollment.register(academy.id, bea.id).status.value == "enrolled"


# -- streams -----------------------------------------------------------------------------
def test_members_from_a_generator_are_written_in_chunks(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(unit_of_work_module, "STAGED_ROWS", 7)
    writes: list[int] = []
    real = MemoryTransaction.insert_many

    def spy(self: Any, records: Any) -> None:
        batch = list(records)
        writes.append(len(batch))
        real(self, batch)

    monkeypatch.setattr(MemoryTransaction, "insert_many", spy)
    added = network.members.add_many(Member(email=f"m{i}@example.org") for i in range(30))
    assert len(added) == 30
    assert writes == [7, 7, 7, 7, 2]
    assert len(network.members.find()) == 30


def test_attendance_streams_in_sheets_and_a_repeat_across_sheets_is_refused(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(attendance_module, "CHUNK_ROWS", 4)
    session = _kickoff(network)
    people = _people(network, 10)
    rows = ((session.id, m.id, "present") for m in people)
    assert network.attendance.record_many(rows, keep=False) == []
    assert len(network.attendance.for_session(session.id)) == 10

    before = snapshot(network)
    again = [(session.id, m.id, "absent") for m in people[:6]] + [(session.id, people[1].id, "x")]
    with pytest.raises(ValidationError, match="row 7"):
        network.attendance.record_many(again)
    repeat = [(session.id, m.id, "absent") for m in people[:5]] + [
        (session.id, people[0].id, "present")
    ]
    with pytest.raises(ValidationError, match=r"row 6 records member .* again"):
        network.attendance.record_many(repeat)
    assert snapshot(network) == before


# -- one clock per change, and every change raises an event -----------------------------
def test_a_change_reads_the_clock_once(ticking_network: Network, ticking: TickingClock) -> None:
    net = ticking_network
    events: list[Event] = []
    net.subscribe(events.append)
    academy = net.programs.create(
        title="Academy", program_year=2024, policy=EnrollmentPolicy(capacity=1)
    )
    ada, bea = _people(net, 2)
    net.enrollment.register(academy.id, ada.id)
    waiting = net.enrollment.register(academy.id, bea.id)
    events.clear()
    reads = ticking.reads
    seated = net.enrollment.of(academy.id, ada.id)
    assert seated is not None
    withdrawn = net.enrollment.withdraw(seated.id)
    assert ticking.reads == reads + 1
    offered = net.enrollment.get(waiting.id)
    assert offered.status.value == "offered"
    assert withdrawn.updated_at == offered.updated_at
    moments = {e.at for e in events if isinstance(e, EnrollmentChanged)}
    assert moments == {withdrawn.updated_at}
    history = net.enrollment.history(waiting.id)
    assert history[-1].at == withdrawn.updated_at


def test_organization_and_profile_updates_raise_events(
    network: Network, events: list[Event]
) -> None:
    office = network.organizations.add(name="Fresno COE", kind="county_office", county="10")
    network.organizations.update(office.id, name="Fresno County Superintendent of Schools")
    renamed = Organization(id=office.id, name="FCSS", kind="county_office", county="10")
    network.organizations.save_many(changed=[renamed])
    network.update_profile(name="Renamed")
    updated = [e.organization_id for e in events if isinstance(e, OrganizationUpdated)]
    assert updated == [office.id, office.id]
    assert any(isinstance(e, NetworkProfileUpdated) for e in events)


def test_update_events_say_what_changed(network: Network, events: list[Event]) -> None:
    ada = network.members.add(email="ada@example.org", county="19")
    network.members.update(ada.id, county="10", given_name="Ada")
    office = network.organizations.add(name="Fresno COE", kind="county_office")
    network.organizations.update(office.id, county="10")
    program = network.programs.create(title="Academy", program_year=2024)
    network.programs.update(program.id, description="Year-long")
    network.update_profile(name="Renamed")
    changed = [getattr(e, "changed", None) for e in events if hasattr(e, "changed")]
    assert changed == [("given_name", "county"), ("county",), ("description",), ("name",)]


def test_a_moved_session_event_carries_it_before_and_after(
    network: Network, events: list[Event]
) -> None:
    program = network.programs.create(title="Academy", program_year=2024)
    institute = network.sessions.schedule(
        program.id, title="Institute", start=T0, duration=timedelta(hours=6)
    )
    moved = network.sessions.edit(institute.id, start=T0 + timedelta(days=7))
    [event] = [e for e in events if isinstance(e, SessionChanged)]
    assert event.previous == institute and event.session == moved
    assert event.changed == ("start", "end")
    [scheduled] = [e for e in events if isinstance(e, SessionScheduled)]
    assert scheduled.session == institute


def test_a_repeat_across_sheets_of_a_new_session_is_refused_by_the_store(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(attendance_module, "CHUNK_ROWS", 3)
    session = _kickoff(network)
    people = _people(network, 5)
    rows = [(session.id, m.id, "present") for m in people] + [(session.id, people[0].id, "absent")]
    before = snapshot(network)
    with pytest.raises(DuplicateError, match="is already taken"):
        network.attendance.record_many(iter(rows))
    assert snapshot(network) == before


def test_an_affiliation_names_an_organization_that_exists(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    office = network.organizations.add(name="Fresno COE", kind="county_office", county="10")
    counts: list[Any] = []
    real = MemoryTransaction.count

    def spy(self: Any, cls: type, *args: Any, **kwargs: Any) -> Any:
        counts.append(cls)
        return real(self, cls, *args, **kwargs)

    monkeypatch.setattr(MemoryTransaction, "count", spy)
    staff = [
        Member(email=f"staff{n}@example.org", affiliations=[{"organization_id": office.id}])
        for n in range(50)
    ]
    network.members.add_many(staff)
    assert counts.count(Organization) == 1  # asked once for fifty members
    before = snapshot(network)
    with pytest.raises(NotFoundError, match="Organization 'nowhere': not found"):
        network.members.add(email="x@example.org", affiliations=[{"organization_id": "nowhere"}])
    with pytest.raises(NotFoundError, match="Organization 'nowhere'"):
        network.members.update(staff[0].id, affiliations=[{"organization_id": "nowhere"}])
    assert snapshot(network) == before
