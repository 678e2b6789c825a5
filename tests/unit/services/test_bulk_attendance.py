"""AttendanceService.record_many on big and awkward batches: checks, their order, chunking."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from cpnetwork import ConflictError, Network, NotFoundError, ValidationError
from cpnetwork.model import Attendance, Member, Program, Session
from cpnetwork.services import unit_of_work as unit_of_work_module
from cpnetwork.services.attendance import AttendanceRow
from cpnetwork.testing import snapshot
from cpnetwork.testing.storage import T0


@pytest.fixture
def program(network: Network) -> Program:
    return network.programs.create(title="Academy", program_year=2024)


def add_sessions(network: Network, program: Program, n: int, **fields: Any) -> list[Session]:
    sessions = [
        Session(
            program_id=program.id,
            title=f"Session {i}",
            start=T0 + timedelta(weeks=i),
            end=T0 + timedelta(weeks=i, minutes=90),
            **fields,
        )
        for i in range(n)
    ]
    with network.storage.transaction() as tx:
        tx.insert_many(sessions)
    return sessions


@pytest.fixture
def people(network: Network) -> list[Member]:
    return network.members.add_many(Member(email=f"leader{i}@example.org") for i in range(40))


def test_a_row_that_is_no_sequence_is_named(
    network: Network, program: Program, people: list[Member]
) -> None:
    [session] = add_sessions(network, program, 1)
    with pytest.raises(ValidationError, match=r"row 2: .*is not"):
        network.attendance.record_many([(session.id, people[0].id, "present"), 42])


def test_a_bad_field_is_reported_as_the_row_words_it(
    network: Network, program: Program, people: list[Member]
) -> None:
    [session] = add_sessions(network, program, 1)
    rows: list[Any] = [(session.id, people[0].id, "present", -5)]
    with pytest.raises(ValidationError) as raised:
        network.attendance.record_many(rows)
    with pytest.raises(ValidationError) as own:
        AttendanceRow.of(rows[0])
    assert str(raised.value) == f"AttendanceRow: row 1: {own.value}"


def test_field_errors_come_before_session_errors_and_repeats_before_both(
    network: Network, program: Program, people: list[Member]
) -> None:
    [session] = add_sessions(network, program, 1)
    [cancelled] = add_sessions(network, program, 1, cancelled=True)
    ok = (session.id, people[0].id, "present")
    before = snapshot(network)
    with pytest.raises(ValidationError, match="row 3"):
        network.attendance.record_many([("nope", people[1].id, "present"), ok, (*ok[:2], "?")])
    with pytest.raises(ValidationError, match="rows 2 and 3"):
        network.attendance.record_many([("nope", people[1].id, "present"), ok, ok])
    with pytest.raises(NotFoundError, match=r"Session 'nope': not found \(row 2\)"):
        network.attendance.record_many([ok, ("nope", people[1].id, "present")])
    with pytest.raises(ConflictError, match=r"cancelled.*\(row 1\)"):
        network.attendance.record_many([(cancelled.id, people[1].id, "present"), ok])
    with pytest.raises(ValidationError, match="row 2"):  # a row with a bad session is checked too
        network.attendance.record_many([ok, ("nope", people[1].id, "asleep")])
    assert snapshot(network) == before


def test_attendance_rows_and_tuples_mix(
    network: Network, program: Program, people: list[Member]
) -> None:
    [session] = add_sessions(network, program, 1)
    records = network.attendance.record_many(
        [
            AttendanceRow(session_id=session.id, member_id=people[0].id, status="present"),
            [session.id, people[1].id, "partial", 30],
            (session.id, people[2].id, "excused", None, "import"),
        ]
    )
    assert [(r.status.value, r.minutes, r.source.value) for r in records] == [
        ("present", None, "manual"),
        ("partial", 30, "manual"),
        ("excused", None, "import"),
    ]
    assert all(r.program_id == program.id for r in records)


def test_record_many_splits_long_id_lists(
    network: Network, program: Program, people: list[Member], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lookups by IN list are chunked, so any number of rows stays within driver limits."""
    monkeypatch.setattr(unit_of_work_module, "ID_CHUNK", 7)
    sessions = add_sessions(network, program, 3)
    earlier = network.attendance.record(sessions[1].id, people[33].id, "absent")
    rows = [(s.id, m.id, "present") for s in sessions for m in people]
    records = network.attendance.record_many(rows)
    assert len(records) == 120
    assert records[40 + 33].id == earlier.id  # corrected, found in a later chunk
    with network.storage.transaction() as tx:
        assert tx.count(Attendance, group_by=("status",)) == {("present",): 120}
    with pytest.raises(NotFoundError, match="Member 'ghost': not found"):
        network.attendance.record_many([*rows[:50], (sessions[0].id, "ghost", "present")])
