"""The feed as a function of records: escaping, zones, and occurrences readers could misread."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from attrs import evolve

from cpnetwork import Network, ValidationError
from cpnetwork.calendars import event_uid, feed
from cpnetwork.model import Program, Session
from cpnetwork.recurrence import instant

LA = ZoneInfo("America/Los_Angeles")
STAMP = datetime(2024, 8, 1, 9, tzinfo=UTC)
WINDOW = (datetime(2023, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


@pytest.fixture
def program(network: Network) -> Program:
    return network.programs.create(title="Academy", program_year=2024)


def expanded(data: bytes) -> list[tuple[datetime, datetime]]:
    calendar = icalendar.Calendar.from_ical(data)
    return sorted(
        (instant(e["DTSTART"].dt), instant(e["DTEND"].dt))
        for e in recurring_ical_events.of(calendar).between(*WINDOW)
        if e.get("STATUS") != "CANCELLED"
    )


def held(sessions: list[Session]) -> list[tuple[datetime, datetime]]:
    return sorted((instant(s.start), instant(s.end)) for s in sessions if not s.cancelled)


def test_text_with_line_breaks_commas_semicolons_and_html_round_trips(
    network: Network,
) -> None:
    title = 'Kickoff, part 1; "intro"\nDTSTART:19700101T000000Z <b>bold</b> \\ end'
    venue = "Room 4, 2nd floor; 1 Main St.\nEND:VEVENT"
    program = network.programs.create(title="<script>alert(1)</script>, 2024", program_year=2024)
    session = network.sessions.schedule(
        program.id,
        title=title,
        start=datetime(2024, 10, 1, 9, tzinfo=LA),
        duration=timedelta(hours=1),
        venue=venue,
        join_url="https://zoom.example/j/1?pwd=a;b,c",
        module="Module 1: Phenomena, models",
    )
    name = "Science, leaders; \n<i>network</i>"
    data = feed([session], name=name, programs=[program], stamp=STAMP)
    calendar = icalendar.Calendar.from_ical(data)
    [event] = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == title
    assert str(event["LOCATION"]) == venue
    assert str(event["URL"]) == session.join_url
    assert str(event["DESCRIPTION"]).splitlines() == [
        program.title,
        "Workshop, virtual",
        "Module: Module 1: Phenomena, models",
        f"Join: {session.join_url}",
    ]
    unfolded = data.replace(b"\r\n ", b"").split(b"\r\n")
    # icalendar reads NAME and X-WR-CALNAME back without unescaping: check the text.
    for field in (b"NAME", b"X-WR-CALNAME"):
        assert field + rb":Science\, leaders\; \n<i>network</i>" in unfolded
    assert b"DTSTART:19700101T000000Z" not in unfolded
    assert unfolded.count(b"END:VEVENT") == 1
    assert event["DTSTART"].dt == session.start


def test_control_characters_are_left_out(network: Network, program: Program) -> None:
    session = network.sessions.schedule(
        program.id,
        title="Kick\x00off\x1b\tday",
        start=datetime(2024, 10, 1, 9, tzinfo=LA),
        duration=timedelta(hours=1),
    )
    data = feed([session], name="Network", stamp=STAMP)
    assert b"\x00" not in data and b"\x1b" not in data
    [event] = icalendar.Calendar.from_ical(data).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Kickoff\tday"


def test_an_occurrence_a_clock_change_falls_in_gets_its_own_end(
    network: Network, program: Program
) -> None:
    """1 am plus two hours on the night clocks fall back: RFC 5545 counts two elapsed
    hours (2 am PST), wall-clock readers three; the override says which."""
    series, sessions = network.sessions.schedule_series(
        program.id,
        title="Night shift",
        rrule="FREQ=DAILY;COUNT=4",
        first_start=datetime(2024, 11, 1, 1, tzinfo=LA),
        duration=timedelta(hours=2),
    )
    data = feed(sessions, [series], name="Network", stamp=STAMP)
    assert expanded(data) == held(sessions)
    events = icalendar.Calendar.from_ical(data).walk("VEVENT")
    assert [e["RECURRENCE-ID"].dt for e in events if "RECURRENCE-ID" in e] == [
        datetime(2024, 11, 3, 1, tzinfo=LA)
    ]


def test_a_series_in_utc_needs_no_vtimezone(network: Network, program: Program) -> None:
    series, sessions = network.sessions.schedule_series(
        program.id,
        title="Global call",
        rrule="FREQ=WEEKLY;COUNT=3",
        first_start=datetime(2024, 10, 1, 15, tzinfo=UTC),
        duration=timedelta(hours=1),
        timezone="UTC",
    )
    data = feed(sessions, [series], name="Network", stamp=STAMP)
    assert b"BEGIN:VTIMEZONE" not in data and b"DTSTART:20241001T150000Z" in data
    assert expanded(data) == held(sessions)


def test_an_open_ended_rule_without_a_bound_stops_at_its_last_session(
    network: Network, program: Program
) -> None:
    series, sessions = network.sessions.schedule_series(
        program.id,
        title="Community",
        rrule="FREQ=MONTHLY;BYDAY=3WE",
        first_start=datetime(2024, 9, 18, 16, tzinfo=LA),
        duration=timedelta(hours=1),
    )
    assert expanded(feed(sessions, [series], name="Network", stamp=STAMP)) == held(sessions)
    with pytest.raises(ValidationError, match="until="):
        feed([], [series], name="Network", stamp=STAMP)


def test_sessions_apart_from_their_series_are_shown_on_their_own(
    network: Network, program: Program
) -> None:
    series, sessions = network.sessions.schedule_series(
        program.id,
        title="Community",
        rrule="FREQ=WEEKLY;COUNT=3",
        first_start=datetime(2024, 10, 1, 16, tzinfo=LA),
        duration=timedelta(hours=1),
    )
    # Without its series, each live occurrence is an event of its own.
    alone = feed(sessions, name="Network", stamp=STAMP)
    uids = [str(e["UID"]) for e in icalendar.Calendar.from_ical(alone).walk("VEVENT")]
    assert uids == [f"session-{s.id}@cpnetwork.invalid" for s in sessions]
    assert expanded(alone) == held(sessions)
    # A session linked to the series that its rule does not generate.
    stray = evolve(sessions[1], recurrence_id=None)
    mixed = [sessions[0], stray, sessions[2]]
    data = feed(mixed, [series], name="Network", stamp=STAMP)
    assert expanded(data) == held(mixed)
    assert event_uid(stray) == f"session-{stray.id}@cpnetwork.invalid"
    assert event_uid(sessions[0], "example.org") == f"series-{series.id}@example.org"


def test_a_series_with_no_session_left_is_left_out(network: Network, program: Program) -> None:
    series, sessions = network.sessions.schedule_series(
        program.id,
        title="Community",
        rrule="FREQ=WEEKLY;COUNT=3",
        first_start=datetime(2024, 10, 1, 16, tzinfo=LA),
        duration=timedelta(hours=1),
    )
    network.sessions.cancel(sessions[0].id, scope="all")
    gone = network.sessions.find(series_id=series.id, include_cancelled=True)
    data = feed(gone, [network.sessions.series(series.id)], name="Network", stamp=STAMP)
    assert icalendar.Calendar.from_ical(data).walk("VEVENT") == []


def test_the_same_records_give_the_same_bytes_in_start_order(
    network: Network, program: Program
) -> None:
    later = network.sessions.schedule(
        program.id,
        title="Later",
        start=datetime(2024, 12, 1, 9, tzinfo=LA),
        duration=timedelta(hours=1),
    )
    earlier = network.sessions.schedule(
        program.id,
        title="Earlier",
        start=datetime(2024, 11, 1, 9, tzinfo=ZoneInfo("America/New_York")),
        duration=timedelta(hours=1),
        timezone="America/New_York",
    )
    one = feed([later, earlier], name="Network", stamp=STAMP, domain="example.org", refresh=None)
    two = feed([earlier, later], name="Network", stamp=STAMP, domain="example.org", refresh=None)
    assert one == two
    calendar = icalendar.Calendar.from_ical(one)
    assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")] == ["Earlier", "Later"]
    assert [str(e["UID"]).endswith("@example.org") for e in calendar.walk("VEVENT")] == [True] * 2
    assert "REFRESH-INTERVAL" not in calendar
    assert sorted(tz.tz_name for tz in calendar.timezones) == [
        "America/Los_Angeles",
        "America/New_York",
    ]


def test_the_second_of_a_repeated_hour_is_written_in_utc(
    network: Network, program: Program
) -> None:
    """Clocks fall back at 2 am on 3 November 2024: 1:30 happens twice, and a wall-clock
    1:30 reads as the first."""
    second = datetime(2024, 11, 3, 1, 30, fold=1, tzinfo=LA)
    session = network.sessions.schedule(
        program.id, title="Night owls", start=second, duration=timedelta(minutes=20)
    )
    data = feed([session], name="Network", stamp=STAMP)
    assert b"DTSTART:20241103T093000Z" in data
    assert b"DTEND:20241103T095000Z" in data
    assert expanded(data) == held([session])


def test_an_occurrence_on_a_day_that_skips_its_time(network: Network, program: Program) -> None:
    """Clocks spring forward at 2 am on 9 March 2025: the 2 am session starts at 3 am
    and lasts its 90 minutes, where a wall-clock reader would end it at 3:30."""
    series, sessions = network.sessions.schedule_series(
        program.id,
        title="Early birds",
        rrule="FREQ=WEEKLY;BYDAY=SU;COUNT=3",
        first_start=datetime(2025, 3, 2, 2, tzinfo=LA),
        duration=timedelta(minutes=90),
    )
    data = feed(sessions, [series], name="Network", stamp=STAMP)
    assert expanded(data) == held(sessions)
    _, override = icalendar.Calendar.from_ical(data).walk("VEVENT")
    assert override["RECURRENCE-ID"].to_ical() == b"20250309T020000"
    assert override["DTSTART"].dt == datetime(2025, 3, 9, 3, tzinfo=LA)
    assert override["DTEND"].dt == datetime(2025, 3, 9, 4, 30, tzinfo=LA)
