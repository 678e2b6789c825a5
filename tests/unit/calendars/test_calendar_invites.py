"""Invites for mail: iTIP REQUEST and CANCEL that replace what a calendar holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from cpnetwork import Network, ValidationError
from cpnetwork.calendars import invite, series_invite
from cpnetwork.model import Program
from cpnetwork.recurrence import instant

LA = ZoneInfo("America/Los_Angeles")
START = datetime(2024, 10, 16, 9, tzinfo=LA)
STAMP = datetime(2024, 8, 1, 9, tzinfo=UTC)
ORGANIZER = ("Science Network", "network@example.org")
ADA = ("Ada Lovelace", "ada@example.org")


@pytest.fixture
def program(network: Network) -> Program:
    return network.programs.create(title="Academy", program_year=2024)


def parsed(data: bytes) -> tuple[icalendar.Calendar, list[icalendar.Event]]:
    calendar = icalendar.Calendar.from_ical(data)
    return calendar, calendar.walk("VEVENT")


def test_a_request_carries_the_event_its_zone_organizer_and_attendees(
    network: Network, program: Program
) -> None:
    kickoff = network.sessions.schedule(
        program.id, title="Kickoff", start=START, duration=timedelta(hours=2), venue="Hall A"
    )
    data = invite(
        kickoff,
        organizer=ORGANIZER,
        attendees=[ADA, "bo@example.org"],
        program=program,
        stamp=STAMP,
    )
    calendar, [event] = parsed(data)
    assert calendar["METHOD"] == "REQUEST"
    assert [tz.tz_name for tz in calendar.timezones] == ["America/Los_Angeles"]
    assert event["UID"] == f"session-{kickoff.id}@cpnetwork.invalid"
    assert event["SEQUENCE"] == 0 and event["STATUS"] == "CONFIRMED"
    assert event["DTSTART"].dt == START and event["DTEND"].dt == START + timedelta(hours=2)
    assert event["DTSTAMP"].dt == STAMP
    assert event["LOCATION"] == "Hall A"
    assert event["ORGANIZER"] == "mailto:network@example.org"
    assert event["ORGANIZER"].params["CN"] == "Science Network"
    ada, bo = event["ATTENDEE"]
    assert ada == "mailto:ada@example.org" and bo == "mailto:bo@example.org"
    assert ada.params["CN"] == "Ada Lovelace" and "CN" not in bo.params
    for attendee in (ada, bo):
        assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
        assert attendee.params["RSVP"] == "FALSE"
    assert b"\r\n" in data and all(len(line) <= 75 for line in data.split(b"\r\n"))


def test_an_update_has_the_same_uid_and_a_higher_sequence_and_a_cancel_cancels(
    network: Network, program: Program
) -> None:
    kickoff = network.sessions.schedule(
        program.id, title="Kickoff", start=START, duration=timedelta(hours=2)
    )
    first = parsed(invite(kickoff, organizer=ORGANIZER, attendees=[ADA]))[1][0]
    moved = network.sessions.edit(kickoff.id, start=START + timedelta(days=1))
    update = parsed(invite(moved, organizer=ORGANIZER, attendees=[ADA]))[1][0]
    cancelled = network.sessions.cancel(kickoff.id)
    calendar, [cancel] = parsed(
        invite(cancelled, method="CANCEL", organizer=ORGANIZER, attendees=[ADA])
    )
    assert first["UID"] == update["UID"] == cancel["UID"]
    assert first["SEQUENCE"] < update["SEQUENCE"] < cancel["SEQUENCE"]
    assert update["DTSTART"].dt == START + timedelta(days=1)
    assert calendar["METHOD"] == "CANCEL" and cancel["STATUS"] == "CANCELLED"


def test_the_sequence_given_wins(network: Network, program: Program) -> None:
    kickoff = network.sessions.schedule(
        program.id, title="Kickoff", start=START, duration=timedelta(hours=2)
    )
    event = parsed(invite(kickoff, organizer=ORGANIZER, attendees=[ADA], sequence=7))[1][0]
    assert event["SEQUENCE"] == 7


def test_an_occurrence_is_that_occurrence_of_the_series_event(
    network: Network, program: Program
) -> None:
    series, sessions = network.sessions.schedule_series(
        program.id,
        title="Community",
        rrule="FREQ=MONTHLY;BYDAY=2TU;COUNT=6",
        first_start=datetime(2024, 9, 10, 16, tzinfo=LA),
        duration=timedelta(minutes=90),
    )
    cancelled = network.sessions.cancel(sessions[2].id)
    series = network.sessions.series(series.id)
    _, [event] = parsed(
        invite(cancelled, series=series, method="CANCEL", organizer=ORGANIZER, attendees=[ADA])
    )
    assert event["UID"] == f"series-{series.id}@cpnetwork.invalid"
    assert event["RECURRENCE-ID"].dt == datetime(2024, 11, 12, 16, tzinfo=LA)
    assert event["SEQUENCE"] == max(series.sequence, cancelled.sequence) == 1
    assert event["STATUS"] == "CANCELLED"
    with pytest.raises(ValidationError, match="not an occurrence"):
        other, _ = network.sessions.schedule_series(
            program.id,
            title="Other",
            rrule="FREQ=WEEKLY;COUNT=2",
            first_start=START,
            duration=timedelta(hours=1),
        )
        invite(sessions[0], series=other, organizer=ORGANIZER, attendees=[ADA])


def test_a_series_invite_expands_to_its_sessions_and_cancels_as_a_whole(
    network: Network, program: Program
) -> None:
    series, sessions = network.sessions.schedule_series(
        program.id,
        title="Community",
        rrule="FREQ=MONTHLY;BYDAY=2TU;COUNT=12",
        first_start=datetime(2024, 9, 10, 16, tzinfo=LA),
        duration=timedelta(minutes=90),
    )
    network.sessions.cancel(sessions[1].id)
    network.sessions.edit(sessions[5].id, start=datetime(2025, 2, 12, 9, tzinfo=LA))
    series = network.sessions.series(series.id)
    held = network.sessions.find(series_id=series.id, include_cancelled=True)
    calendar, events = parsed(
        series_invite(series, held, organizer=ORGANIZER, attendees=[ADA], program=program)
    )
    assert calendar["METHOD"] == "REQUEST" and len(events) == 2
    assert all(e["ATTENDEE"] == "mailto:ada@example.org" for e in events)
    occurrences = recurring_ical_events.of(calendar).between(
        datetime(2024, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert sorted(instant(e["DTSTART"].dt) for e in occurrences) == sorted(
        instant(s.start) for s in held if not s.cancelled
    )
    calendar, [cancel] = parsed(
        series_invite(series, held, method="CANCEL", organizer=ORGANIZER, attendees=[ADA])
    )
    assert calendar["METHOD"] == "CANCEL" and cancel["STATUS"] == "CANCELLED"
    assert "RRULE" in cancel and "RECURRENCE-ID" not in cancel


def test_a_series_with_nothing_left_cannot_be_requested(network: Network, program: Program) -> None:
    series, sessions = network.sessions.schedule_series(
        program.id,
        title="Community",
        rrule="FREQ=WEEKLY;COUNT=2",
        first_start=START,
        duration=timedelta(hours=1),
    )
    network.sessions.cancel(sessions[0].id, scope="all")
    held = network.sessions.find(series_id=series.id, include_cancelled=True)
    with pytest.raises(ValidationError, match="send CANCEL"):
        series_invite(series, held, organizer=ORGANIZER, attendees=[ADA])


@pytest.mark.parametrize(
    "address",
    ["ada@example.org\r\nBCC: eve@example.org", "ada example.org", "", "ada@example.org\x00"],
)
def test_an_address_that_is_not_one_is_refused(
    network: Network, program: Program, address: str
) -> None:
    kickoff = network.sessions.schedule(
        program.id, title="Kickoff", start=START, duration=timedelta(hours=2)
    )
    with pytest.raises(ValidationError, match="not an email address"):
        invite(kickoff, organizer=ORGANIZER, attendees=[("Ada", address)])
    with pytest.raises(ValidationError, match="not an email address"):
        invite(kickoff, organizer=address, attendees=[ADA])


def test_names_stay_on_one_line_and_an_invite_needs_attendees(
    network: Network, program: Program
) -> None:
    kickoff = network.sessions.schedule(
        program.id, title="Kickoff", start=START, duration=timedelta(hours=2)
    )
    name = 'Ada "the Countess"\r\nATTENDEE:mailto:eve@example.org; Lovelace, PhD'
    event = parsed(invite(kickoff, organizer=ORGANIZER, attendees=[(name, "ada@example.org")]))[1][
        0
    ]
    attendee = event["ATTENDEE"]
    assert attendee == "mailto:ada@example.org"
    assert attendee.params["CN"] == " ".join(name.split())
    with pytest.raises(ValidationError, match="needs attendees"):
        invite(kickoff, organizer=ORGANIZER, attendees=[])
