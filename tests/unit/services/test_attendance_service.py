"""AttendanceService: one record per (session, member), bulk imports, summaries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cpnetwork import ConflictError, Network, NotFoundError, ValidationError
from cpnetwork.events import AttendanceRecorded, Event
from cpnetwork.model import (
    AttendanceSource,
    AttendanceStatus,
    Member,
    Program,
    Session,
)
from cpnetwork.services.attendance import LOOKUP_ROWS, AttendanceRow
from cpnetwork.storage.memory import MemoryTransaction
from cpnetwork.testing import snapshot
from cpnetwork.testing.pytest_plugin import FrozenClock

LA = ZoneInfo("America/Los_Angeles")
FIRST = datetime(2024, 9, 18, 16, 0, tzinfo=LA)


def add_session(
    network: Network,
    program_id: str,
    *,
    start: datetime = FIRST,
    cancelled: bool = False,
    title: str = "Learning community",
) -> Session:
    """Insert a session directly: these tests do not depend on the session service."""
    session = Session(
        program_id=program_id,
        title=title,
        start=start,
        end=start + timedelta(minutes=90),
        cancelled=cancelled,
    )
    with network._context.unit_of_work() as uow:
        uow.tx.insert(session)
    return session


@pytest.fixture
def program(network: Network) -> Program:
    return network.programs.create(title="Science Leadership Academy", program_year=2024)


@pytest.fixture
def sessions(network: Network, program: Program) -> list[Session]:
    # Added out of date order, so ordering by start is visible.
    return [
        add_session(network, program.id, start=FIRST + timedelta(weeks=8), title="third"),
        add_session(network, program.id, start=FIRST, title="first"),
        add_session(network, program.id, start=FIRST + timedelta(weeks=4), title="second"),
    ]


@pytest.fixture
def people(network: Network) -> list[Member]:
    return [network.members.add(email=f"leader{i}@example.org") for i in range(3)]


@pytest.fixture
def events(network: Network) -> Iterator[list[Event]]:
    seen: list[Event] = []
    network.subscribe(seen.append)
    yield seen
    network.unsubscribe(seen.append)


# -- record ---------------------------------------------------------------------------


def test_record_takes_the_program_from_the_session_and_emits(
    network: Network,
    sessions: list[Session],
    people: list[Member],
    events: list[Event],
    clock: FrozenClock,
) -> None:
    session = sessions[0]
    record = network.attendance.record(session.id, people[0].id, "present", minutes=85)
    assert record.program_id == session.program_id
    assert record.status is AttendanceStatus.PRESENT
    assert record.minutes == 85
    assert record.source is AttendanceSource.MANUAL
    assert record.recorded_at == clock.now
    assert network.attendance.get(session.id, people[0].id) == record
    assert events == [
        AttendanceRecorded(
            at=clock.now,
            session_id=session.id,
            member_id=people[0].id,
            status=AttendanceStatus.PRESENT,
        )
    ]


def test_recording_again_replaces_the_record(
    network: Network, sessions: list[Session], people: list[Member], clock: FrozenClock
) -> None:
    session, member = sessions[0], people[0]
    first = network.attendance.record(session.id, member.id, "absent")
    clock.advance(timedelta(days=1))
    second = network.attendance.record(
        session.id, member.id, AttendanceStatus.PARTIAL, minutes=40, source="video_report"
    )
    assert second.id == first.id
    assert second.source is AttendanceSource.VIDEO_REPORT
    assert second.recorded_at == clock.now
    assert network.attendance.for_session(session.id) == [second]


def test_get_is_none_before_anything_is_recorded(
    network: Network, sessions: list[Session], people: list[Member]
) -> None:
    assert network.attendance.get(sessions[0].id, people[0].id) is None


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        ({"session_id": "nope"}, NotFoundError, "Session 'nope'"),
        ({"member_id": "nobody"}, NotFoundError, "Member 'nobody'"),
        ({"status": "asleep"}, ValidationError, "'asleep'"),
        ({"minutes": -5}, ValidationError, "negative"),
        ({"source": "carrier pigeon"}, ValidationError, "carrier pigeon"),
    ],
)
def test_record_refuses_bad_input_and_changes_nothing(
    network: Network,
    sessions: list[Session],
    people: list[Member],
    events: list[Event],
    change: dict[str, Any],
    error: type[Exception],
    words: str,
) -> None:
    args: dict[str, Any] = {
        "session_id": sessions[0].id,
        "member_id": people[0].id,
        "status": "present",
    }
    args.update(change)
    before = snapshot(network)
    with pytest.raises(error, match=words):
        network.attendance.record(
            args.pop("session_id"), args.pop("member_id"), args.pop("status"), **args
        )
    assert snapshot(network) == before
    assert events == []


def test_record_refuses_a_cancelled_session(
    network: Network, program: Program, people: list[Member]
) -> None:
    cancelled = add_session(network, program.id, cancelled=True)
    before = snapshot(network)
    with pytest.raises(ConflictError, match=rf"Session '{cancelled.id}': is cancelled"):
        network.attendance.record(cancelled.id, people[0].id, "present")
    assert snapshot(network) == before


# -- record_many -------------------------------------------------------------------------


def test_record_many_inserts_and_corrects_in_one_go(
    network: Network, sessions: list[Session], people: list[Member], events: list[Event]
) -> None:
    s0, s1 = sessions[0], sessions[1]
    earlier = network.attendance.record(s0.id, people[0].id, "absent")
    events.clear()
    records = network.attendance.record_many(
        [
            AttendanceRow(
                session_id=s0.id, member_id=people[0].id, status="present", source="sign_in_sheet"
            ),
            (s0.id, people[1].id, "partial", 30),
            (s1.id, people[0].id, "excused", None, "import"),
            (s1.id, people[2].id, AttendanceStatus.PRESENT),
        ]
    )
    assert [(r.session_id, r.member_id, r.status.value) for r in records] == [
        (s0.id, people[0].id, "present"),
        (s0.id, people[1].id, "partial"),
        (s1.id, people[0].id, "excused"),
        (s1.id, people[2].id, "present"),
    ]
    assert records[0].id == earlier.id  # corrected, not doubled
    assert records[0].source is AttendanceSource.SIGN_IN_SHEET
    assert records[1].minutes == 30
    assert records[2].source is AttendanceSource.IMPORT
    assert len(network.attendance.for_session(s0.id)) == 2
    assert len(network.attendance.for_session(s1.id)) == 2
    assert [e.member_id for e in events if isinstance(e, AttendanceRecorded)] == [
        people[0].id,
        people[1].id,
        people[0].id,
        people[2].id,
    ]


def test_record_many_of_nothing_writes_nothing(network: Network) -> None:
    before = snapshot(network)
    assert network.attendance.record_many([]) == []
    assert snapshot(network) == before


def _rows(sessions: list[Session], people: list[Member]) -> list[tuple[Any, ...]]:
    return [(sessions[0].id, m.id, "present") for m in people]


@pytest.mark.parametrize(
    ("spoil", "error", "words"),
    [
        (lambda rows: rows.append(("nope", rows[0][1], "present")), NotFoundError, r"row 4"),
        (lambda rows: rows.append((rows[0][0], "nobody", "present")), NotFoundError, "nobody"),
        (lambda rows: rows.append(rows[0]), ValidationError, "rows 1 and 4"),
        (lambda rows: rows.append((rows[0][0],)), ValidationError, "row 4"),
        (lambda rows: rows.append("not a row"), ValidationError, "row 4"),
        (lambda rows: rows.insert(1, (rows[0][0], "x", "asleep")), ValidationError, "row 2"),
        (lambda rows: rows.append((rows[0][0], "x", "present", -1)), ValidationError, "row 4"),
    ],
)
def test_record_many_checks_every_row_before_writing_any(
    network: Network,
    sessions: list[Session],
    people: list[Member],
    events: list[Event],
    spoil: Callable[[list[Any]], None],
    error: type[Exception],
    words: str,
) -> None:
    rows: list[Any] = _rows(sessions, people)
    spoil(rows)
    before = snapshot(network)
    with pytest.raises(error, match=words):
        network.attendance.record_many(rows)
    assert snapshot(network) == before
    assert events == []


def test_record_many_names_the_first_unknown_member_by_row(
    network: Network, sessions: list[Session], people: list[Member]
) -> None:
    rows: list[Any] = [
        *_rows(sessions, people),
        (sessions[0].id, "zed", "present"),
        (sessions[0].id, "abe", "present"),
    ]
    with pytest.raises(NotFoundError, match=r"Member 'zed': not found \(row 4\) and 1 more"):
        network.attendance.record_many(rows)


def test_record_many_refuses_a_cancelled_session(
    network: Network, program: Program, sessions: list[Session], people: list[Member]
) -> None:
    cancelled = add_session(network, program.id, cancelled=True)
    rows: list[Any] = [*_rows(sessions, people), (cancelled.id, people[0].id, "present")]
    before = snapshot(network)
    with pytest.raises(ConflictError, match="row 4"):
        network.attendance.record_many(rows)
    assert snapshot(network) == before


def _store_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The storage calls the service makes from now on (not the store's own inner ones)."""
    calls: list[str] = []
    depth = [0]  # the store calls itself (insert checks with get); count only the service
    for name in ("get", "find", "count", "insert", "insert_many", "update"):
        original = getattr(MemoryTransaction, name)

        def spy(self: Any, *args: Any, _name: str = name, _orig: Any = original, **kw: Any) -> Any:
            if depth[0] == 0:
                calls.append(_name)
            depth[0] += 1
            try:
                return _orig(self, *args, **kw)
            finally:
                depth[0] -= 1

        monkeypatch.setattr(MemoryTransaction, name, spy)
    return calls


@pytest.mark.parametrize("rows", [40, LOOKUP_ROWS + 50])
def test_record_many_reads_per_batch_not_per_row(
    network: Network, program: Program, monkeypatch: pytest.MonkeyPatch, rows: int
) -> None:
    """The number of queries does not grow with the rows: lookups are batched."""
    session = add_session(network, program.id)
    many = network.members.add_many(Member(email=f"importee{i}@example.org") for i in range(rows))
    network.attendance.record(session.id, many[0].id, "absent")
    calls = _store_calls(monkeypatch)
    network.attendance.record_many((session.id, m.id, "present") for m in many)
    # sessions, members (counted, not loaded), earlier records; one bulk insert; and
    # one update for the earlier record this import corrects.  A long call first asks
    # which sessions held records before (counted), to look for earlier ones there only.
    held_before = ["count"] if rows > LOOKUP_ROWS else []
    assert sorted(calls) == sorted(["count", *held_before, "find", "find", "insert_many", "update"])
    assert len(network.attendance.for_session(session.id)) == rows


def test_attendance_row_of_accepts_rows_and_tuples() -> None:
    row = AttendanceRow(session_id="s", member_id="m", status="present")
    assert AttendanceRow.of(row) is row
    assert AttendanceRow.of(("s", "m", "present")) == row
    assert AttendanceRow.of(["s", "m", "partial", 12, "video_report"]) == AttendanceRow(
        session_id="s", member_id="m", status="partial", minutes=12, source="video_report"
    )
    with pytest.raises(ValidationError, match="not \\(session, member, status"):
        AttendanceRow.of(("s", "m", "present", 1, "manual", "extra"))


# -- reading -------------------------------------------------------------------------------


def test_for_session_lists_everyone_recorded(
    network: Network, sessions: list[Session], people: list[Member], clock: FrozenClock
) -> None:
    for member in people:
        network.attendance.record(sessions[0].id, member.id, "present")
        clock.advance(timedelta(minutes=1))
    network.attendance.record(sessions[1].id, people[0].id, "present")
    assert [a.member_id for a in network.attendance.for_session(sessions[0].id)] == [
        m.id for m in people
    ]
    assert network.attendance.for_session(sessions[2].id) == []


def test_for_session_of_an_unknown_session_is_not_found(network: Network) -> None:
    with pytest.raises(NotFoundError, match="Session 'nope'"):
        network.attendance.for_session("nope")


def test_for_member_is_in_session_order_and_filters_by_program(
    network: Network, program: Program, sessions: list[Session], people: list[Member]
) -> None:
    other = network.programs.create(title="Administrators' Network", program_year=2024)
    elsewhere = add_session(network, other.id, start=FIRST - timedelta(days=30))
    member = people[0]
    for session in [*sessions, elsewhere]:
        network.attendance.record(session.id, member.id, "present")
    network.attendance.record(sessions[0].id, people[1].id, "absent")
    titles = {s.id: s.title for s in [*sessions, elsewhere]}
    everything = network.attendance.for_member(member.id)
    assert [titles[a.session_id] for a in everything] == [
        "Learning community",
        "first",
        "second",
        "third",
    ]
    in_program = network.attendance.for_member(member.id, program_id=program.id)
    assert [titles[a.session_id] for a in in_program] == ["first", "second", "third"]
    assert network.attendance.for_member(people[2].id) == []


@pytest.mark.parametrize(
    ("member", "program_id", "words"),
    [("nobody", None, "Member 'nobody'"), (None, "nope", "Program 'nope'")],
)
def test_for_member_with_unknown_ids_is_not_found(
    network: Network,
    people: list[Member],
    member: str | None,
    program_id: str | None,
    words: str,
) -> None:
    with pytest.raises(NotFoundError, match=words):
        network.attendance.for_member(member or people[0].id, program_id=program_id)


def test_summary_counts_each_status_in_the_store(
    network: Network,
    program: Program,
    sessions: list[Session],
    people: list[Member],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    network.attendance.record_many(
        [
            (sessions[0].id, people[0].id, "present"),
            (sessions[0].id, people[1].id, "present"),
            (sessions[0].id, people[2].id, "absent"),
            (sessions[1].id, people[0].id, "partial"),
        ]
    )
    other = network.programs.create(title="Other", program_year=2024)
    network.attendance.record(add_session(network, other.id).id, people[0].id, "excused")

    def no_loading(self: Any, cls: type, *args: Any, **kw: Any) -> Any:
        raise AssertionError(f"summary loaded {cls.__name__} records")

    monkeypatch.setattr(MemoryTransaction, "find", no_loading)
    assert network.attendance.summary(program.id) == {
        AttendanceStatus.PRESENT: 2,
        AttendanceStatus.PARTIAL: 1,
        AttendanceStatus.ABSENT: 1,
        AttendanceStatus.EXCUSED: 0,
    }


def test_summary_of_an_unknown_program_is_not_found(network: Network) -> None:
    with pytest.raises(NotFoundError, match="Program 'nope'"):
        network.attendance.summary("nope")
