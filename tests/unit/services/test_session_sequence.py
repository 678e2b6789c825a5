"""Every change to a session or series raises its ``sequence`` (iCalendar's SEQUENCE)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cpnetwork import Network, ValidationError
from cpnetwork.events import Event, SessionChanged
from cpnetwork.model import Program, Session, SessionSeries
from cpnetwork.services.sessions_sync import PlannedSeries, PlannedSession

LA = ZoneInfo("America/Los_Angeles")
FIRST = datetime(2024, 9, 18, 16, tzinfo=LA)
HOUR = timedelta(hours=1)


@pytest.fixture
def program(network: Network) -> Program:
    return network.programs.create(title="Academy", program_year=2024)


def monthly(network: Network, program: Program) -> tuple[SessionSeries, list[Session]]:
    return network.sessions.schedule_series(
        program.id,
        title="Community",
        rrule="FREQ=MONTHLY;BYDAY=3WE;COUNT=6",
        first_start=FIRST,
        duration=HOUR,
    )


def sequences(network: Network, series_id: str) -> list[int]:
    found = network.sessions.find(series_id=series_id, include_cancelled=True)
    return [s.sequence for s in found]


def test_new_sessions_and_series_start_at_zero_and_cannot_be_given_one(
    network: Network, program: Program
) -> None:
    series, sessions = monthly(network, program)
    one_off = network.sessions.schedule(program.id, title="Kickoff", start=FIRST, duration=HOUR)
    assert series.sequence == 0 and {s.sequence for s in [*sessions, one_off]} == {0}
    with pytest.raises(ValidationError, match="sequence"):
        network.sessions.schedule(
            program.id,
            title="Kickoff",
            start=FIRST,
            duration=HOUR,
            sequence=3,  # type: ignore[typeddict-unknown-key]
        )
    with pytest.raises(ValidationError, match="sequence"):
        network.sessions.schedule_series(
            program.id,
            title="Community",
            rrule="FREQ=WEEKLY;COUNT=2",
            first_start=FIRST,
            duration=HOUR,
            sequence=3,  # type: ignore[typeddict-unknown-key]
        )


def test_a_one_off_session_counts_its_changes_but_not_edits_that_change_nothing(
    network: Network, program: Program
) -> None:
    kickoff = network.sessions.schedule(program.id, title="Kickoff", start=FIRST, duration=HOUR)
    seen: list[Event] = []
    network.subscribe(seen.append)
    assert network.sessions.edit(kickoff.id, title="Kickoff").sequence == 0
    assert network.sessions.edit(kickoff.id, start=FIRST + HOUR).sequence == 1
    assert network.sessions.edit(kickoff.id, venue="Hall A").sequence == 2
    assert network.sessions.cancel(kickoff.id).sequence == 3
    assert network.sessions.cancel(kickoff.id).sequence == 3
    changed = [e.changed for e in seen if isinstance(e, SessionChanged)]
    assert changed == [("start", "end"), ("venue",)]


def test_one_occurrence_changed_or_cancelled(network: Network, program: Program) -> None:
    series, sessions = monthly(network, program)
    network.sessions.edit(sessions[1].id, start=FIRST + timedelta(days=35))
    assert network.sessions.series(series.id).sequence == 0
    assert sequences(network, series.id) == [0, 1, 0, 0, 0, 0]
    network.sessions.cancel(sessions[2].id)
    # The series gains an EXDATE: a new version of its calendar event.
    assert network.sessions.series(series.id).sequence == 1
    assert sequences(network, series.id) == [0, 1, 1, 0, 0, 0]


def test_the_whole_series_changed_and_cancelled(network: Network, program: Program) -> None:
    series, sessions = monthly(network, program)
    network.sessions.edit(sessions[0].id, scope="all", title="Learning community")
    assert network.sessions.series(series.id).sequence == 1
    assert sequences(network, series.id) == [1] * 6
    network.sessions.cancel(sessions[3].id)
    network.sessions.cancel(sessions[0].id, scope="all")
    assert network.sessions.series(series.id).sequence == 3
    assert sequences(network, series.id) == [2, 2, 2, 2, 2, 2]


def test_a_split_series_starts_again_at_zero(network: Network, program: Program) -> None:
    series, sessions = monthly(network, program)
    network.sessions.edit(
        sessions[3].id, scope="this_and_following", start=sessions[3].start + HOUR
    )
    assert network.sessions.series(series.id).sequence == 1
    following = network.sessions.get(sessions[3].id)
    assert following.series_id != series.id and following.sequence == 1
    assert network.sessions.series(following.series_id or "").sequence == 0
    assert [network.sessions.get(s.id).sequence for s in sessions[:3]] == [0, 0, 0]


def test_cancelling_this_and_following_ends_the_series(network: Network, program: Program) -> None:
    series, sessions = monthly(network, program)
    network.sessions.cancel(sessions[4].id, scope="this_and_following")
    assert network.sessions.series(series.id).sequence == 1
    assert sequences(network, series.id) == [0, 0, 0, 0, 1, 1]


def test_a_sync_counts_what_it_changes_and_nothing_else(network: Network, program: Program) -> None:
    plan = PlannedSeries(
        ref=1,
        id="community",
        fields={
            "title": "Community",
            "rrule": "FREQ=WEEKLY;COUNT=3",
            "first_start": FIRST,
            "duration": HOUR,
            "timezone": "America/Los_Angeles",
        },
    )
    kickoff = PlannedSession(
        ref=2, id="kickoff", fields={"title": "Kickoff", "start": FIRST, "end": FIRST + HOUR}
    )
    network.sessions.sync(program.id, [plan], [kickoff])
    network.sessions.sync(program.id, [plan], [kickoff])
    assert network.sessions.series("community").sequence == 0
    assert sequences(network, "community") == [0, 0, 0]
    assert network.sessions.get("kickoff").sequence == 0
    retitled = PlannedSeries(ref=1, id="community", fields={**plan.fields, "title": "Circle"})
    moved = PlannedSession(
        ref=2, id="kickoff", fields={**kickoff.fields, "venue": "Hall A"}, cancelled=True
    )
    network.sessions.sync(program.id, [retitled], [moved])
    assert network.sessions.series("community").sequence == 1
    assert sequences(network, "community") == [1, 1, 1]
    assert network.sessions.get("kickoff").sequence == 1
