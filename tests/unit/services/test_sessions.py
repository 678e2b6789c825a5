"""Sessions: one-off, multi-day and recurring, and calendar-style edits of a series."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpnetwork import ConflictError, CpnetworkError, Network, NotFoundError, ValidationError
from cpnetwork.events import Event, SessionCancelled, SessionChanged, SessionScheduled
from cpnetwork.model import Program, Session, SessionKind, SessionSeries
from cpnetwork.recurrence import instant, occurrences, rule_starts
from cpnetwork.services.sessions import EditScope
from cpnetwork.testing import snapshot
from cpnetwork.testing.pytest_plugin import FrozenClock

LA_NAME = "America/Los_Angeles"
LA = ZoneInfo(LA_NAME)
NY = ZoneInfo("America/New_York")
#: The last instant of program year 2024 (July 1 start), as the service bounds rules.
YEAR_END = datetime(2025, 7, 1, tzinfo=LA) - timedelta(microseconds=1)
MONTHLY = "FREQ=MONTHLY;BYDAY=3WE"
FIRST = datetime(2024, 9, 18, 16, tzinfo=LA)
HOUR_AND_HALF = timedelta(hours=1, minutes=30)

THIS = EditScope.THIS
FOLLOWING = EditScope.THIS_AND_FOLLOWING
ALL = EditScope.ALL


@pytest.fixture
def program(network: Network) -> Program:
    return network.programs.create(title="Science Leadership Academy", program_year=2024)


@pytest.fixture
def events(network: Network) -> list[Event]:
    seen: list[Event] = []
    network.subscribe(seen.append)
    return seen


def monthly(
    network: Network, program: Program, **fields: Any
) -> tuple[SessionSeries, list[Session]]:
    fields.setdefault("rrule", MONTHLY)
    fields.setdefault("first_start", FIRST)
    fields.setdefault("duration", HOUR_AND_HALF)
    return network.sessions.schedule_series(program.id, title="Learning community", **fields)


def local(moment: datetime) -> datetime:
    return moment.astimezone(LA)


def of(events: list[Event], kind: type[Event]) -> list[str]:
    return [e.session_id for e in events if isinstance(e, kind)]  # type: ignore[attr-defined]


def series_ids(network: Network, program: Program) -> set[str]:
    found = network.sessions.find(program.id, include_cancelled=True)
    return {s.series_id for s in found if s.series_id is not None}


def assert_consistent(network: Network, program: Program) -> None:
    """Every series' occurrences have exactly one live session, in step with the rule."""
    for series_id in series_ids(network, program):
        series = network.sessions.series(series_id)
        expected = [instant(s) for s in occurrences(series, until=YEAR_END)]
        every = network.sessions.find(series_id=series_id, include_cancelled=True)
        live = [s for s in every if not s.cancelled]
        linked = [instant(s.recurrence_id) for s in every if s.recurrence_id is not None]
        assert len(linked) == len(set(linked)), "two sessions share an occurrence"
        assert sorted(instant(s.recurrence_id) for s in live if s.recurrence_id) == expected
        exdates = {instant(d) for d in series.exdates}
        for session in every:
            if session.cancelled and session.recurrence_id is not None:
                assert instant(session.recurrence_id) in exdates
            if not session.detached and not session.cancelled:
                assert session.recurrence_id == session.start
                assert instant(session.end) - instant(session.start) == series.duration
                assert session.title == series.title
                assert session.start.tzinfo == LA


# -- one-off and multi-day sessions ---------------------------------------------------------
def test_schedule_a_one_off_session_in_the_networks_time_zone(
    network: Network, program: Program, events: list[Event]
) -> None:
    start = datetime(2024, 9, 5, 23, tzinfo=UTC)

    session = network.sessions.schedule(
        program.id, title="Virtual kickoff", kind="kickoff", start=start, duration=HOUR_AND_HALF
    )

    assert session.timezone == LA_NAME
    assert session.start == start and session.start.tzinfo == LA
    assert local(session.start).time() == time(16)
    assert session.end == start + HOUR_AND_HALF
    assert session.kind is SessionKind.KICKOFF
    assert session.series_id is None
    assert network.sessions.get(session.id) == session
    assert of(events, SessionScheduled) == [session.id]


def test_schedule_a_multi_day_institute_in_its_own_time_zone(
    network: Network, program: Program
) -> None:
    institute = network.sessions.schedule(
        program.id,
        title="Summer institute",
        kind=SessionKind.INSTITUTE,
        start=datetime(2025, 6, 24, 8, 30, tzinfo=NY),
        end=datetime(2025, 6, 25, 15, 30, tzinfo=NY),
        timezone="America/New_York",
        modality="in_person",
        venue="Science center",
        capacity=120,
    )

    assert institute.duration == timedelta(days=1, hours=7)
    assert institute.start.date() != institute.end.date()
    assert network.sessions.find(program.id) == [institute]


def test_schedule_refuses_bad_input_and_stores_nothing(network: Network, program: Program) -> None:
    before = snapshot(network)
    start = datetime(2024, 9, 5, 16, tzinfo=LA)
    cases: list[tuple[type[Exception], dict[str, Any]]] = [
        (NotFoundError, {"program_id": "nope", "start": start, "duration": HOUR_AND_HALF}),
        (ValidationError, {"start": datetime(2024, 9, 5, 16), "duration": HOUR_AND_HALF}),
        (ValidationError, {"start": start, "end": datetime(2024, 9, 5, 18)}),
        (ValidationError, {"start": start, "end": start - timedelta(hours=1)}),
        (ValidationError, {"start": start, "duration": timedelta(0)}),
        (ValidationError, {"start": start, "duration": HOUR_AND_HALF, "end": start}),
        (ValidationError, {"start": start, "duration": HOUR_AND_HALF, "series_id": "s"}),
        (ValidationError, {"start": start, "duration": HOUR_AND_HALF, "colour": "red"}),
        (ValidationError, {"start": start, "duration": HOUR_AND_HALF, "timezone": "Nowhere"}),
    ]
    for error, fields in cases:
        program_id = fields.pop("program_id", program.id)
        with pytest.raises(error):
            network.sessions.schedule(program_id, title="Workshop", **fields)
    assert snapshot(network) == before


def test_find_orders_by_instant_and_hides_cancelled(network: Network, program: Program) -> None:
    other = network.programs.create(title="Administrators' network", program_year=2024)
    late = network.sessions.schedule(
        program.id, title="b", start=datetime(2024, 10, 1, 9, tzinfo=LA), duration=HOUR_AND_HALF
    )
    # 11 am in New York is 8 am in Los Angeles: earlier, although 11 > 9.
    early = network.sessions.schedule(
        other.id,
        title="a",
        start=datetime(2024, 10, 1, 11, tzinfo=NY),
        duration=HOUR_AND_HALF,
        timezone="America/New_York",
    )
    gone = network.sessions.schedule(
        program.id, title="c", start=datetime(2024, 9, 1, 9, tzinfo=LA), duration=HOUR_AND_HALF
    )
    network.sessions.cancel(gone.id)

    assert [s.id for s in network.sessions.find()] == [early.id, late.id]
    assert [s.id for s in network.sessions.find(program.id)] == [late.id]
    every = network.sessions.find(program.id, include_cancelled=True)
    assert [s.id for s in every] == [gone.id, late.id]


def test_editing_a_one_off_session_ignores_scope(
    network: Network, program: Program, events: list[Event]
) -> None:
    session = network.sessions.schedule(
        program.id,
        title="Kickoff",
        start=datetime(2024, 9, 5, 16, tzinfo=LA),
        duration=HOUR_AND_HALF,
    )
    moved = network.sessions.edit(
        session.id, ALL, start=datetime(2024, 9, 6, 9, tzinfo=LA), venue="Room 2"
    )
    assert moved.id == session.id
    assert moved.start == datetime(2024, 9, 6, 9, tzinfo=LA)
    assert moved.end == datetime(2024, 9, 6, 10, 30, tzinfo=LA)  # duration kept
    assert moved.venue == "Room 2"
    assert not moved.detached
    assert network.sessions.edit(session.id, timezone="America/New_York").start.tzinfo == NY
    assert of(events, SessionChanged) == [session.id, session.id]


def test_schedule_takes_an_importers_id(network: Network, program: Program) -> None:
    session = network.sessions.schedule(
        program.id, id="archive-2016-01", title="Archived", start=FIRST, duration=HOUR_AND_HALF
    )
    assert network.sessions.get("archive-2016-01") == session


def test_a_session_across_the_fall_back_night_lasts_its_elapsed_duration(
    network: Network, program: Program
) -> None:
    start = datetime(2024, 11, 3, 0, 30, tzinfo=LA)  # PDT; clocks fall back at 2 am
    session = network.sessions.schedule(
        program.id, title="Late", start=start, duration=timedelta(hours=3)
    )
    assert instant(session.end) - instant(session.start) == timedelta(hours=3)
    assert local(session.end).time() == time(2, 30)
    # An end given on the wall clock is kept as given; moving keeps the elapsed time.
    longer = network.sessions.edit(session.id, end=datetime(2024, 11, 3, 4, tzinfo=LA))
    assert instant(longer.end) - instant(longer.start) == timedelta(hours=4, minutes=30)
    moved = network.sessions.edit(session.id, start=datetime(2024, 11, 4, 0, 30, tzinfo=LA))
    assert moved.end == datetime(2024, 11, 4, 5, tzinfo=LA)


# -- recurring series ---------------------------------------------------------------------
def test_schedule_series_materializes_occurrences_at_4pm_local(
    network: Network, program: Program, events: list[Event]
) -> None:
    series, sessions = monthly(network, program, venue="Zoom")

    assert series.rrule == MONTHLY
    assert series.timezone == LA_NAME
    assert len(sessions) == 10  # third Wednesdays, September through June
    assert [s.start.month for s in sessions] == [9, 10, 11, 12, 1, 2, 3, 4, 5, 6]
    assert {local(s.start).time() for s in sessions} == {time(16)}
    assert {local(s.end).time() for s in sessions} == {time(17, 30)}
    assert {s.start.utcoffset() for s in sessions} == {timedelta(hours=-7), timedelta(hours=-8)}
    assert all(s.series_id == series.id and s.recurrence_id == s.start for s in sessions)
    assert all(s.kind is SessionKind.LEARNING_COMMUNITY and s.venue == "Zoom" for s in sessions)
    assert network.sessions.find(program.id) == sessions
    assert network.sessions.series(series.id) == series
    assert of(events, SessionScheduled) == [s.id for s in sessions]
    assert_consistent(network, program)


def test_a_series_without_count_or_until_ends_with_the_program_year(
    network: Network, program: Program
) -> None:
    _, sessions = network.sessions.schedule_series(
        program.id,
        title="Office hours",
        rrule="FREQ=WEEKLY;BYDAY=MO",
        first_start=datetime(2025, 5, 5, 15, tzinfo=LA),
        duration=timedelta(hours=1),
    )
    assert [s.start.date() for s in sessions][-1] == date(2025, 6, 30)
    assert len(sessions) == 9


def test_count_and_until_end_a_series_even_past_the_program_year(
    network: Network, program: Program
) -> None:
    _, counted = monthly(network, program, rrule="FREQ=MONTHLY;BYDAY=3WE;COUNT=3")
    assert [s.start.month for s in counted] == [9, 10, 11]
    _, until = monthly(
        network,
        program,
        rrule="FREQ=MONTHLY;BYDAY=3WE;UNTIL=20250901T000000Z",
        first_start=datetime(2025, 5, 21, 16, tzinfo=LA),
    )
    assert [s.start.month for s in until] == [5, 6, 7, 8]


def test_exdates_given_up_front_get_no_session(network: Network, program: Program) -> None:
    winter_break = datetime(2024, 12, 19, 0, tzinfo=UTC)  # Dec 18, 4 pm PST
    series, sessions = monthly(network, program, exdates={winter_break})
    assert len(sessions) == 9
    assert date(2024, 12, 18) not in {s.start.date() for s in sessions}
    assert_consistent(network, program)
    assert series.exdates == {winter_break}


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"rrule": "DTSTART:20240918T160000\nRRULE:FREQ=MONTHLY"}, "DTSTART"),
        ({"rrule": "FREQ=MONTHLY;BYDAY=3XX"}, "not a valid RRULE"),
        ({"rrule": "FREQ=HOURLY;COUNT=3"}, "at most daily"),
        ({"rrule": "FREQ=DAILY;COUNT=1500"}, "more than 1000"),
        ({"first_start": datetime(2024, 9, 17, 16, tzinfo=LA)}, "not an occurrence"),
        ({"first_start": datetime(2024, 9, 18, 16)}, "time zone"),
        ({"first_start": datetime(2025, 9, 17, 16, tzinfo=LA)}, "no occurrence"),
        ({"duration": timedelta(0)}, "positive"),
        ({"timezone": "Atlantis/Capital"}, "IANA"),
        ({"exdates": {FIRST.replace(tzinfo=None)}}, "no time zone"),
        ({"track": "k-5"}, "cannot set track"),
        ({"rrule": "FREQ=MONTHLY;BYDAY=3WE;COUNT=1", "exdates": {FIRST}}, "every occurrence"),
    ],
)
def test_schedule_series_refuses_bad_input_and_stores_nothing(
    network: Network, program: Program, fields: dict[str, Any], reason: str
) -> None:
    before = snapshot(network)
    with pytest.raises(ValidationError, match=reason):
        monthly(network, program, **fields)
    assert snapshot(network) == before


def test_schedule_series_needs_an_existing_program(network: Network) -> None:
    with pytest.raises(NotFoundError):
        network.sessions.schedule_series(
            "nope", title="x", rrule=MONTHLY, first_start=FIRST, duration=HOUR_AND_HALF
        )


# -- edits: this occurrence -----------------------------------------------------------------
def test_edit_this_occurrence_only_detaches_it(
    network: Network, program: Program, events: list[Event]
) -> None:
    series, sessions = monthly(network, program)
    target = sessions[2]
    facilitator = network.members.add(email="facilitator@example.org")

    edited = network.sessions.edit(
        target.id,
        THIS,
        start=datetime(2024, 11, 21, 10, tzinfo=LA),
        venue="County office",
        modality="in_person",
        facilitator_ids=[facilitator.id],
    )

    assert edited.id == target.id and edited.detached
    assert edited.start == datetime(2024, 11, 21, 10, tzinfo=LA)
    assert edited.end - edited.start == HOUR_AND_HALF
    assert edited.recurrence_id == target.recurrence_id
    assert edited.facilitator_ids == (facilitator.id,)
    others = [s for s in network.sessions.find(program.id) if s.id != target.id]
    assert others == [s for s in sessions if s.id != target.id]
    assert network.sessions.series(series.id) == series
    assert of(events, SessionChanged) == [target.id]
    assert_consistent(network, program)


def test_editing_with_nothing_new_changes_nothing(
    network: Network, program: Program, events: list[Event]
) -> None:
    _, sessions = monthly(network, program)
    assert network.sessions.edit(sessions[1].id, THIS, title="Learning community") == sessions[1]
    assert not network.sessions.get(sessions[1].id).detached
    assert of(events, SessionChanged) == []


def test_edit_refuses_bad_changes_and_changes_nothing(network: Network, program: Program) -> None:
    _, sessions = monthly(network, program)
    before = snapshot(network)
    target = sessions[3].id
    bad: list[tuple[type[Exception], EditScope | str, dict[str, Any]]] = [
        (ValidationError, THIS, {"rrule": "FREQ=WEEKLY"}),
        (ValidationError, THIS, {"timezone": "America/New_York"}),
        (ValidationError, ALL, {"series_id": "x"}),
        (ValidationError, THIS, {"start": datetime(2024, 12, 18, 16)}),
        (ValidationError, ALL, {"end": datetime(2024, 12, 18, 15, tzinfo=LA)}),
        (ValidationError, FOLLOWING, {"duration": timedelta(hours=-1)}),
        (ValidationError, ALL, {"duration": HOUR_AND_HALF, "end": FIRST}),
        (ValidationError, ALL, {"rrule": "FREQ=MONTHLY;BYDAY=3WE;BYHOUR=3"}),
        (ValidationError, "sometimes", {"title": "x"}),
        (ValidationError, FOLLOWING, {"title": ""}),
        (ValidationError, ALL, {"capacity": -1}),
        (NotFoundError, THIS, {"title": "x", "session_id": "nope"}),
    ]
    for error, scope, changes in bad:
        session_id = changes.pop("session_id", target)
        with pytest.raises(error):
            network.sessions.edit(session_id, scope, **changes)
    assert snapshot(network) == before


def test_a_cancelled_session_cannot_be_edited(network: Network, program: Program) -> None:
    _, sessions = monthly(network, program)
    network.sessions.cancel(sessions[1].id)
    with pytest.raises(ConflictError, match="cancelled"):
        network.sessions.edit(sessions[1].id, THIS, title="Back on")


# -- edits: the whole series ------------------------------------------------------------------
def test_edit_all_moves_every_occurrence_in_place_and_leaves_detached_ones(
    network: Network, program: Program, events: list[Event]
) -> None:
    series, sessions = monthly(network, program)
    detached = network.sessions.edit(sessions[2].id, THIS, venue="Museum", title="Field trip")
    events.clear()

    edited = network.sessions.edit(
        sessions[5].id,
        ALL,
        start=datetime(2025, 2, 19, 17, tzinfo=LA),
        title="Community of practice",
        join_url="https://meet.example.org/cop",
    )

    after = network.sessions.find(program.id)
    assert [s.id for s in after] == [s.id for s in sessions]  # ids kept, same order
    assert edited == after[5]
    moved = [s for s in after if s.id != detached.id]
    assert {local(s.start).time() for s in moved} == {time(17)}
    assert {local(s.end).time() for s in moved} == {time(18, 30)}
    assert [s.start.date() for s in after] == [s.start.date() for s in sessions]
    assert {s.title for s in moved} == {"Community of practice"}
    assert {s.join_url for s in moved} == {"https://meet.example.org/cop"}
    # The detached occurrence keeps its own time, place and title, only renumbered.
    kept = network.sessions.get(detached.id)
    assert (kept.start, kept.title, kept.venue) == (detached.start, "Field trip", "Museum")
    assert kept.detached
    assert kept.recurrence_id == datetime(2024, 11, 20, 17, tzinfo=LA)
    updated = network.sessions.series(series.id)
    assert updated.id == series.id
    assert updated.first_start == datetime(2024, 9, 18, 17, tzinfo=LA)
    assert updated.title == "Community of practice"
    assert set(of(events, SessionChanged)) == {s.id for s in moved}
    assert of(events, SessionScheduled) == of(events, SessionCancelled) == []
    assert_consistent(network, program)


def test_edit_all_moving_the_day_re_anchors_the_rule(network: Network, program: Program) -> None:
    series, sessions = monthly(network, program)

    network.sessions.edit(sessions[1].id, ALL, start=datetime(2024, 10, 17, 16, tzinfo=LA))

    updated = network.sessions.series(series.id)
    assert updated.rrule == "FREQ=MONTHLY;BYDAY=3TH"
    after = network.sessions.find(program.id)
    assert [s.id for s in after] == [s.id for s in sessions]
    assert all(s.start.weekday() == 3 and 15 <= s.start.day <= 21 for s in after)
    assert_consistent(network, program)


def test_edit_all_that_the_rule_cannot_follow_changes_nothing(
    network: Network, program: Program
) -> None:
    _, sessions = monthly(network, program, rrule="FREQ=MONTHLY;BYDAY=WE;BYSETPOS=3")
    before = snapshot(network)
    with pytest.raises(ValidationError, match="give the new rule"):
        network.sessions.edit(sessions[1].id, ALL, start=datetime(2024, 10, 17, 16, tzinfo=LA))
    # A new rule that does not put this occurrence at the new start is refused too.
    with pytest.raises(ValidationError, match="would start at"):
        network.sessions.edit(
            sessions[1].id,
            ALL,
            start=datetime(2024, 10, 17, 16, tzinfo=LA),
            rrule="FREQ=MONTHLY;BYDAY=1TH",
        )
    assert snapshot(network) == before


def test_edit_all_with_a_shorter_rule_cancels_the_surplus_and_a_longer_one_adds(
    network: Network, program: Program, events: list[Event]
) -> None:
    series, sessions = monthly(network, program)
    events.clear()

    network.sessions.edit(sessions[0].id, ALL, rrule="FREQ=MONTHLY;BYDAY=3WE;COUNT=4")

    live = network.sessions.find(program.id)
    assert [s.id for s in live] == [s.id for s in sessions[:4]]
    surplus = network.sessions.find(program.id, include_cancelled=True)[4:]
    assert [s.id for s in surplus] == [s.id for s in sessions[4:]]
    assert all(s.cancelled and s.recurrence_id is None for s in surplus)
    assert of(events, SessionCancelled) == [s.id for s in sessions[4:]]
    assert_consistent(network, program)
    events.clear()

    network.sessions.edit(sessions[0].id, ALL, rrule="FREQ=MONTHLY;BYDAY=3WE;COUNT=6")

    live = network.sessions.find(program.id)
    assert len(live) == 6
    assert [s.id for s in live[:4]] == [s.id for s in sessions[:4]]
    assert of(events, SessionScheduled) == [s.id for s in live[4:]]
    assert network.sessions.series(series.id).rrule == "FREQ=MONTHLY;BYDAY=3WE;COUNT=6"
    assert_consistent(network, program)


def test_edit_all_with_a_denser_rule_keeps_ids_by_position(
    network: Network, program: Program
) -> None:
    _series, sessions = monthly(network, program, rrule="FREQ=MONTHLY;BYDAY=3WE;COUNT=3")
    network.sessions.edit(sessions[0].id, ALL, rrule="FREQ=WEEKLY;COUNT=5")
    live = network.sessions.find(program.id)
    assert [s.id for s in live[:3]] == [s.id for s in sessions]
    assert [s.start.date() for s in live] == [
        date(2024, 9, 18) + timedelta(weeks=n) for n in range(5)
    ]
    assert_consistent(network, program)


def test_edit_all_with_a_sparser_rule_reuses_starts_other_sessions_held(
    network: Network, program: Program
) -> None:
    _, sessions = monthly(network, program, rrule="FREQ=WEEKLY;COUNT=6")

    # Session 1 moves to Oct 2, which session 2 held until this edit.
    network.sessions.edit(sessions[0].id, ALL, rrule="FREQ=WEEKLY;INTERVAL=2;COUNT=3")

    live = network.sessions.find(program.id)
    assert [s.id for s in live] == [s.id for s in sessions[:3]]
    assert [s.start.date() for s in live] == [
        date(2024, 9, 18),
        date(2024, 10, 2),
        date(2024, 10, 16),
    ]
    assert_consistent(network, program)


def test_moving_a_series_with_until_later_keeps_its_last_occurrence(
    network: Network, program: Program
) -> None:
    series, sessions = monthly(network, program)
    network.sessions.edit(sessions[3].id, FOLLOWING, title="Winter")
    head = network.sessions.series(series.id)
    assert head.rrule.endswith("UNTIL=20241121T000000Z")  # exactly the Nov 20 occurrence

    network.sessions.edit(sessions[0].id, ALL, start=datetime(2024, 9, 19, 18, tzinfo=LA))

    head = network.sessions.series(series.id)
    assert head.rrule == "FREQ=MONTHLY;BYDAY=3TH;UNTIL=20241122T020000Z"
    moved = [network.sessions.get(s.id) for s in sessions[:3]]
    assert [s.start for s in moved] == [
        datetime(2024, 9, 19, 18, tzinfo=LA),
        datetime(2024, 10, 17, 18, tzinfo=LA),
        datetime(2024, 11, 21, 18, tzinfo=LA),
    ]
    assert not any(s.cancelled for s in moved)
    assert_consistent(network, program)


def test_edit_all_carries_exdates_and_cancelled_occurrences_along(
    network: Network, program: Program
) -> None:
    series, sessions = monthly(network, program)
    network.sessions.cancel(sessions[3].id)

    network.sessions.edit(sessions[0].id, ALL, start=datetime(2024, 9, 18, 15, tzinfo=LA))

    cancelled = network.sessions.get(sessions[3].id)
    assert cancelled.cancelled
    assert local(cancelled.start).time() == time(15)
    assert network.sessions.series(series.id).exdates == {cancelled.recurrence_id}
    assert len(network.sessions.find(program.id)) == 9
    assert_consistent(network, program)


def test_edit_all_from_a_detached_occurrence_reattaches_it(
    network: Network, program: Program
) -> None:
    _, sessions = monthly(network, program)
    network.sessions.edit(sessions[2].id, THIS, start=datetime(2024, 11, 21, 16, tzinfo=LA))

    edited = network.sessions.edit(sessions[2].id, ALL, start=datetime(2024, 11, 20, 17, tzinfo=LA))

    assert not edited.detached
    assert edited.start == datetime(2024, 11, 20, 17, tzinfo=LA)
    assert_consistent(network, program)


def test_edit_all_changing_duration_only_keeps_starts(network: Network, program: Program) -> None:
    series, sessions = monthly(network, program)
    network.sessions.edit(sessions[4].id, ALL, duration=timedelta(hours=2))
    after = network.sessions.find(program.id)
    assert [s.start for s in after] == [s.start for s in sessions]
    assert {local(s.end).time() for s in after} == {time(18)}
    assert network.sessions.series(series.id).duration == timedelta(hours=2)


# -- edits: this and following ----------------------------------------------------------------
def test_edit_this_and_following_splits_the_series(
    network: Network, program: Program, events: list[Event]
) -> None:
    series, sessions = monthly(network, program)
    detached_later = network.sessions.edit(sessions[7].id, THIS, venue="Library")
    events.clear()

    edited = network.sessions.edit(
        sessions[4].id,
        FOLLOWING,
        start=datetime(2025, 1, 15, 15, 30, tzinfo=LA),
        title="Spring community",
    )

    head = network.sessions.series(series.id)
    assert head.rrule == "FREQ=MONTHLY;BYDAY=3WE;UNTIL=20241219T000000Z"  # Dec 18, 4 pm PST
    assert rule_starts(head.rrule, head.first_start, LA_NAME) == [s.start for s in sessions[:4]]
    tail = network.sessions.series(edited.series_id or "")
    assert tail.id != series.id
    assert tail.first_start == datetime(2025, 1, 15, 15, 30, tzinfo=LA)
    assert tail.rrule == MONTHLY
    assert tail.title == "Spring community"

    after = network.sessions.find(program.id)
    assert [s.id for s in after] == [s.id for s in sessions]  # every id kept
    assert after[:4] == sessions[:4]  # earlier occurrences untouched
    assert all(s.series_id == tail.id for s in after[4:])
    following = [s for s in after[4:] if s.id != detached_later.id]
    assert {local(s.start).time() for s in following} == {time(15, 30)}
    assert {s.title for s in following} == {"Spring community"}
    kept = network.sessions.get(detached_later.id)
    assert (kept.start, kept.title, kept.venue) == (
        detached_later.start,
        "Learning community",
        "Library",
    )
    assert set(of(events, SessionChanged)) == {s.id for s in following}
    assert_consistent(network, program)


def test_this_and_following_of_a_count_rule_splits_the_count(
    network: Network, program: Program
) -> None:
    series, sessions = monthly(network, program, rrule="FREQ=MONTHLY;BYDAY=3WE;COUNT=8")
    network.sessions.cancel(sessions[1].id)
    network.sessions.cancel(sessions[6].id)

    edited = network.sessions.edit(sessions[3].id, FOLLOWING, venue="Hybrid hub")

    head = network.sessions.series(series.id)
    tail = network.sessions.series(edited.series_id or "")
    assert head.rrule == "FREQ=MONTHLY;BYDAY=3WE;COUNT=3"
    assert tail.rrule == "FREQ=MONTHLY;BYDAY=3WE;COUNT=5"
    assert head.exdates == {sessions[1].start}
    assert tail.exdates == {sessions[6].start}
    assert tail.first_start == sessions[3].start
    assert network.sessions.get(sessions[6].id).series_id == tail.id
    assert [s.venue for s in network.sessions.find(program.id)] == [None, None] + ["Hybrid hub"] * 4
    assert_consistent(network, program)


def test_this_and_following_moving_the_day_re_anchors_the_new_series(
    network: Network, program: Program
) -> None:
    _series, sessions = monthly(network, program)

    edited = network.sessions.edit(
        sessions[4].id, FOLLOWING, start=datetime(2025, 1, 16, 16, tzinfo=LA)
    )

    tail = network.sessions.series(edited.series_id or "")
    assert tail.rrule == "FREQ=MONTHLY;BYDAY=3TH"
    after = network.sessions.find(program.id)
    assert [s.id for s in after] == [s.id for s in sessions]
    assert [s.start.day for s in after[4:]] == [16, 20, 20, 17, 15, 19]
    assert_consistent(network, program)


def test_this_and_following_with_a_new_rule_creates_and_cancels(
    network: Network, program: Program, events: list[Event]
) -> None:
    _series, sessions = monthly(network, program)
    events.clear()

    edited = network.sessions.edit(
        sessions[8].id, FOLLOWING, rrule="FREQ=WEEKLY", title="Final sprint"
    )

    live = network.sessions.find(program.id)
    tail = [s for s in live if s.series_id == edited.series_id]
    # From May 21 weekly to the end of June: May 21, 28, June 4, 11, 18, 25.
    assert [s.start.date() for s in tail] == [
        date(2025, 5, 21) + timedelta(weeks=n) for n in range(6)
    ]
    assert [s.id for s in tail[:2]] == [sessions[8].id, sessions[9].id]
    assert len(of(events, SessionScheduled)) == 4
    assert_consistent(network, program)


def test_this_and_following_from_the_first_occurrence_edits_the_whole_series(
    network: Network, program: Program
) -> None:
    series, sessions = monthly(network, program)
    edited = network.sessions.edit(sessions[0].id, FOLLOWING, title="Renamed")
    assert edited.series_id == series.id
    assert series_ids(network, program) == {series.id}
    assert network.sessions.series(series.id).title == "Renamed"


def test_a_series_cannot_be_split_at_an_occurrence_a_dst_gap_moved(
    network: Network, program: Program
) -> None:
    _, sessions = network.sessions.schedule_series(
        program.id,
        title="Night owls",
        rrule="FREQ=DAILY;COUNT=4",
        first_start=datetime(2025, 3, 8, 2, 30, tzinfo=LA),
        duration=timedelta(minutes=30),
    )
    assert local(sessions[1].start).time() == time(3, 30)  # 2:30 is skipped on Mar 9
    with pytest.raises(ValidationError, match="daylight-saving gap"):
        network.sessions.edit(sessions[1].id, FOLLOWING, title="Split")
    # ... but a whole-series edit from that day keeps the series at 2:30.
    network.sessions.edit(sessions[1].id, ALL, title="Still 2:30")
    after = network.sessions.find(program.id)
    assert [local(s.start).time() for s in after] == [time(2, 30), time(3, 30)] + [time(2, 30)] * 2
    # With a start that exists, the split is fine, on that day or another.
    network.sessions.edit(sessions[1].id, FOLLOWING, start=datetime(2025, 3, 9, 4, tzinfo=LA))
    assert [local(s.start).time() for s in network.sessions.find(program.id)][1:] == [time(4)] * 3
    assert_consistent(network, program)


def test_a_series_cannot_be_moved_to_begin_at_a_time_its_first_day_skips(
    network: Network, program: Program
) -> None:
    _, sessions = network.sessions.schedule_series(
        program.id,
        title="Early birds",
        rrule="FREQ=WEEKLY;COUNT=3",
        first_start=datetime(2025, 3, 9, 4, tzinfo=LA),
        duration=timedelta(minutes=30),
    )
    before = snapshot(network)
    with pytest.raises(ValidationError, match="daylight-saving gap"):
        network.sessions.edit(sessions[1].id, ALL, start=datetime(2025, 3, 16, 2, 30, tzinfo=LA))
    assert snapshot(network) == before


def test_a_start_given_at_a_skipped_wall_time_is_read_as_rfc_5545_says(
    network: Network, program: Program
) -> None:
    session = network.sessions.schedule(
        program.id,
        title="Odd hour",
        start=datetime(2025, 3, 9, 2, 30, tzinfo=LA),  # does not exist: 3:30 am PDT
        duration=timedelta(hours=1),
    )
    assert session.start.isoformat() == "2025-03-09T03:30:00-07:00"
    assert local(session.end).time() == time(4, 30)


# -- cancelling -----------------------------------------------------------------------------------
def test_cancel_one_occurrence_adds_an_exdate(
    network: Network, program: Program, events: list[Event]
) -> None:
    series, sessions = monthly(network, program)

    cancelled = network.sessions.cancel(sessions[3].id)

    assert cancelled.cancelled and cancelled.id == sessions[3].id
    assert network.sessions.series(series.id).exdates == {sessions[3].start}
    assert sessions[3].id not in {s.id for s in network.sessions.find(program.id)}
    assert of(events, SessionCancelled) == [sessions[3].id]
    # Cancelling again changes nothing and says nothing.
    assert network.sessions.cancel(sessions[3].id) == cancelled
    assert of(events, SessionCancelled) == [sessions[3].id]
    assert_consistent(network, program)


def test_cancel_this_and_following_ends_the_series(
    network: Network, program: Program, events: list[Event]
) -> None:
    series, sessions = monthly(network, program)
    network.sessions.edit(sessions[8].id, THIS, venue="Elsewhere")
    events.clear()

    network.sessions.cancel(sessions[6].id, FOLLOWING)

    assert [s.id for s in network.sessions.find(program.id)] == [s.id for s in sessions[:6]]
    head = network.sessions.series(series.id)
    assert rule_starts(head.rrule, head.first_start, LA_NAME) == [s.start for s in sessions[:6]]
    assert of(events, SessionCancelled) == [s.id for s in sessions[6:]]
    assert_consistent(network, program)


def test_cancel_all_cancels_every_occurrence(
    network: Network, program: Program, events: list[Event]
) -> None:
    series, sessions = monthly(network, program)
    network.sessions.cancel(sessions[0].id)
    events.clear()

    network.sessions.cancel(sessions[5].id, "all")

    assert network.sessions.find(program.id) == []
    assert of(events, SessionCancelled) == [s.id for s in sessions[1:]]
    assert network.sessions.series(series.id).exdates == {s.start for s in sessions}
    assert_consistent(network, program)


def test_cancel_a_one_off_session_ignores_scope(network: Network, program: Program) -> None:
    session = network.sessions.schedule(
        program.id, title="Keynote", start=FIRST, duration=HOUR_AND_HALF
    )
    assert network.sessions.cancel(session.id, ALL).cancelled


def test_unknown_ids_are_not_found(network: Network) -> None:
    with pytest.raises(NotFoundError):
        network.sessions.get("nope")
    with pytest.raises(NotFoundError):
        network.sessions.series("nope")
    with pytest.raises(NotFoundError):
        network.sessions.cancel("nope")


# -- any sequence of edits keeps series and sessions in step -----------------------------------
@st.composite
def operations(draw: st.DrawFn) -> tuple[str, int, int, int]:
    """An edit or cancellation: kind, which live session, days to move, new hour."""
    kind = draw(st.sampled_from(["this", "all", "following", "cancel", "cancel_following"]))
    return kind, draw(st.integers(0, 20)), draw(st.integers(-3, 3)), draw(st.integers(8, 18))


def apply(network: Network, kind: str, target: Session, start: datetime) -> None:
    sessions = network.sessions
    if kind == "this":
        sessions.edit(target.id, THIS, start=start)
    elif kind == "all":
        sessions.edit(target.id, ALL, start=start, title=f"At {start:%H}")
    elif kind == "following":
        sessions.edit(target.id, FOLLOWING, start=start, title=f"From {start:%d %H}")
    elif kind == "cancel":
        sessions.cancel(target.id)
    else:
        sessions.cancel(target.id, FOLLOWING)


@settings(max_examples=40)
@given(
    ops=st.lists(operations(), min_size=1, max_size=6),
    rule=st.sampled_from(
        [
            MONTHLY,
            "FREQ=WEEKLY;COUNT=8",
            "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=9",
            "FREQ=WEEKLY;UNTIL=20241201",
        ]
    ),
)
def test_any_sequence_of_edits_keeps_series_and_sessions_in_step(
    ops: list[tuple[str, int, int, int]], rule: str
) -> None:
    with Network.open(
        "memory://", name="Test", clock=FrozenClock(), load_entrypoints=False
    ) as network:
        program = network.programs.create(title="Academy", program_year=2024)
        first = datetime(2024, 9, 18, 16, tzinfo=LA)
        _, sessions = network.sessions.schedule_series(
            program.id, title="Series", rrule=rule, first_start=first, duration=HOUR_AND_HALF
        )
        ids = {s.id for s in sessions}
        for kind, pick, days, hour in ops:
            live = network.sessions.find(program.id)
            if not live:
                break
            target = live[pick % len(live)]
            slot = local(target.recurrence_id or target.start).date() + timedelta(days=days)
            before = snapshot(network)
            try:
                apply(network, kind, target, datetime.combine(slot, time(hour), tzinfo=LA))
            except CpnetworkError:
                # A refused edit (a move the rule cannot follow) changes nothing.
                assert snapshot(network) == before
            every = network.sessions.find(program.id, include_cancelled=True)
            assert ids <= {s.id for s in every}, "a session id disappeared"
            ids = {s.id for s in every}
            assert_consistent(network, program)


def test_local_start_shows_the_sessions_own_zone_whatever_the_store_returns(
    network: Network,
) -> None:
    program = network.programs.create(title="Local times", program_year=2024)
    session = network.sessions.schedule(
        program.id,
        title="Kickoff",
        start=datetime(2024, 10, 16, 23, tzinfo=UTC),
        duration=timedelta(hours=1),
    )
    assert session.local_start.strftime("%H:%M %Z") == "16:00 PDT"
    assert session.local_end.strftime("%H:%M %Z") == "17:00 PDT"


def test_facilitators_named_must_exist(
    network: Network, program: Program, events: list[Event]
) -> None:
    _series, sessions = monthly(network, program)
    before = snapshot(network)
    with pytest.raises(NotFoundError, match="Member 'nobody': not found"):
        network.sessions.edit(sessions[0].id, THIS, facilitator_ids=["nobody"])
    with pytest.raises(NotFoundError, match="Member 'nobody': not found"):
        network.sessions.schedule(
            program.id,
            title="Institute",
            start=datetime(2024, 12, 5, 9, tzinfo=LA),
            duration=timedelta(hours=6),
            facilitator_ids=["nobody"],
        )
    assert snapshot(network) == before


def test_a_sessions_materials_are_the_resources_that_name_it(
    network: Network, program: Program
) -> None:
    """The link has one owner, the resource; the session's side is a query."""
    _series, sessions = monthly(network, program)
    slides = network.resources.add(
        "Slides", "slides", "https://example.org/slides", session_id=sessions[1].id
    )
    assert network.resources.find(session_id=sessions[1].id) == [slides]
    assert network.resources.find(session_id=sessions[0].id) == []
    assert not hasattr(sessions[1], "resource_ids")
