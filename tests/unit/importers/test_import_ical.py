"""The ``ical-sessions`` importer: calendars into session series and one-off sessions.

The sessions made must be the occurrences ``recurring-ical-events`` expands for the same
file (within the program year, for rules without an end).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from cpnetwork import Network
from cpnetwork.importers import ImportFileError
from cpnetwork.model import Modality, Program, SessionKind, SessionSeries
from cpnetwork.recurrence import instant, localize
from cpnetwork.testing import snapshot
from cpnetwork.testing.pytest_plugin import FrozenClock

FIXTURES = Path(__file__).parent / "fixtures"
SCHEDULE = FIXTURES / "program_schedule.ics"
REAL = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "real" / "ics"
LA = ZoneInfo("America/Los_Angeles")

#: Each real calendar and a program year that covers its events.
REAL_FILES = {
    "icalendar_period_with_timezone.ics": 2023,
    "ricalev_alarm_at_start_of_event.ics": 2024,
    "ricalev_each_week_but_one_deleted.ics": 2018,
    "ricalev_issue_151_macos_linux_difference.ics": 2016,
    "ricalev_issue_20_exdate_ignored.ics": 2019,
    "ricalev_issue_27_t1.ics": 2019,
    "ricalev_issue_48_dst.ics": 2020,
}


def calendar_text(*events: str, header: str = "") -> str:
    body = "".join(events)
    head = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//cpnetwork tests//EN\n"
    return f"{head}{header}{body}END:VCALENDAR\n"


def event(uid: str, *lines: str) -> str:
    return (
        "BEGIN:VEVENT\n"
        + f"UID:{uid}\nDTSTAMP:20240801T000000Z\n"
        + "".join(f"{line}\n" for line in lines)
        + "END:VEVENT\n"
    )


def write(tmp_path: Path, text: str, name: str = "calendar.ics") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def program_of(network: Network, year: int = 2024) -> Program:
    return network.programs.create(title="Science Leadership Academy", program_year=year)


def year_end(network: Network, program: Program) -> datetime:
    _, following = network.profile.program_year_bounds(program.program_year)
    return localize(datetime.combine(following, time()), ZoneInfo(network.profile.timezone))


def expected_starts(path: Path, network: Network, program: Program, zone: str) -> list[datetime]:
    """Starts ``recurring-ical-events`` lists, cancelled ones left out, as instants."""
    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    local = ZoneInfo(zone)
    found = []
    for occurrence in recurring_ical_events.of(calendar).between(
        date(1900, 1, 1), year_end(network, program)
    ):
        if str(occurrence.get("STATUS", "")).upper() == "CANCELLED":
            continue
        start: Any = occurrence["DTSTART"].dt
        if not isinstance(start, datetime):
            start = datetime.combine(start, time())
        if start.tzinfo is None:
            start = localize(start, local)
        found.append(instant(start))
    return sorted(found)


def made_starts(network: Network, program: Program) -> list[datetime]:
    return [instant(s.start) for s in network.sessions.find(program.id)]


# -- the real calendars ------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(REAL_FILES))
def test_real_calendars_match_recurring_ical_events(network: Network, name: str) -> None:
    path = REAL / name
    if not path.exists():
        pytest.skip(f"{name} not found: the shared real data is not beside this checkout")
    program = program_of(network, REAL_FILES[name])

    report = network.import_file("ical-sessions", path, program=program.id)

    made = made_starts(network, program)
    assert made == expected_starts(path, network, program, network.profile.timezone)
    assert report.created == len(made)
    assert max(made) < year_end(network, program)
    # Importing the file again finds every session it made.
    before = snapshot(network)
    again = network.import_file("ical-sessions", path, program=program.id)
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(made))
    assert snapshot(network) == before


def test_real_calendar_details(network: Network) -> None:
    path = REAL / "ricalev_issue_151_macos_linux_difference.ics"
    if not path.exists():
        pytest.skip(f"{path.name} not found: the shared real data is not beside this checkout")
    program = program_of(network, 2016)
    report = network.import_file("ical-sessions", path, program=program.id)
    first, second = network.sessions.find(program.id)
    # The RECURRENCE-ID override moved 2014's occurrence to 6:30 pm; 2016 is an EXDATE.
    assert first.start == datetime(2014, 8, 1, 18, 30, tzinfo=LA) and first.detached
    assert second.start == datetime(2015, 8, 1, 19, tzinfo=LA) and not second.detached
    assert any("starts 2014-08-01, before program year 2016" in note for note in report.notes)


# -- a program schedule kept in Outlook --------------------------------------------
def test_outlook_schedule(network: Network) -> None:
    program = program_of(network)
    report = network.import_file("ical-sessions", SCHEDULE, program=program.title)

    assert made_starts(network, program) == expected_starts(
        SCHEDULE, network, program, "America/Los_Angeles"
    )
    assert report.created == 9
    assert (
        report.notes[0]
        == "1 series and 2 one-off session(s) in the calendar; 0 session(s) cancelled"
    )
    sessions = network.sessions.find(program.id)
    kickoff, *communities, institute = sessions
    # "Pacific Standard Time" is Windows' name for America/Los_Angeles.
    assert {s.timezone for s in sessions} == {"America/Los_Angeles"}
    assert kickoff.start == datetime(2024, 9, 4, 16, tzinfo=LA)
    assert kickoff.end == datetime(2024, 9, 4, 18, tzinfo=LA)  # DURATION:PT2H
    assert kickoff.join_url == "https://zoom.example.org/j/80000000001"
    assert kickoff.modality is Modality.VIRTUAL and kickoff.kind is SessionKind.WORKSHOP
    # Monthly on the third Wednesday; December an EXDATE, February cancelled, November moved.
    assert [s.start.date() for s in communities] == [
        date(2024, 9, 18),
        date(2024, 10, 16),
        date(2024, 11, 19),
        date(2025, 1, 15),
        date(2025, 3, 19),
        date(2025, 4, 16),
        date(2025, 5, 21),
    ]
    moved = communities[2]
    assert moved.detached and moved.title == "Learning community (moved: conference week)"
    assert moved.recurrence_id == datetime(2024, 11, 20, 16, tzinfo=LA)
    assert all(
        s.start.time() == time(16) and s.duration == timedelta(minutes=90) for s in communities
    )
    series_id = communities[0].series_id
    assert series_id is not None
    series = network.sessions.series(series_id)
    assert series.exdates == {
        datetime(2024, 12, 18, 16, tzinfo=LA),
        datetime(2025, 2, 19, 16, tzinfo=LA),
    }
    # All-day: midnight to midnight over its two days, at the place LOCATION names.
    assert (institute.start, institute.end) == (
        datetime(2025, 6, 23, tzinfo=LA),
        datetime(2025, 6, 25, tzinfo=LA),
    )
    assert institute.venue == "Fresno County Office of Education, Room 204"
    assert institute.modality is Modality.IN_PERSON
    # The imported series is an ordinary one: calendar-style edits work on it.
    edited = network.sessions.edit(communities[0].id, scope="all", title="Learning community (all)")
    assert edited.title == "Learning community (all)"


def test_reimport_brings_sessions_in_line_and_keeps_their_ids(
    network: Network, tmp_path: Path
) -> None:
    program = program_of(network)
    network.import_file("ical-sessions", SCHEDULE, program=program.id)
    before = {s.start.date(): s.id for s in network.sessions.find(program.id)}
    october = before[date(2024, 10, 16)]
    maya = network.members.add(email="maya@example.org")
    network.attendance.record(october, maya.id, "present", minutes=90)

    text = SCHEDULE.read_text()
    text = text.replace(  # the series is renamed and January is dropped
        "SUMMARY:Learning community\nDTSTART;TZID=Pacific Standard Time:20240918T160000",
        "SUMMARY:Academy learning community\nDTSTART;TZID=Pacific Standard Time:20240918T160000",
    ).replace(
        "EXDATE;TZID=Pacific Standard Time:20241218T160000",
        "EXDATE;TZID=Pacific Standard Time:20241218T160000,20250115T160000",
    )
    override = "RECURRENCE-ID;TZID=Pacific Standard Time:20241120T160000"
    start = text.rindex("BEGIN:VEVENT", 0, text.index(override))
    end = text.index("END:VEVENT\n", start) + len("END:VEVENT\n")
    text = text[:start] + text[end:]  # November is back on its day
    text = text.replace("DTSTART:20240904T230000Z", "DTSTART:20240905T000000Z")  # kickoff at 5
    text = text.replace("SUMMARY:Summer institute", "SUMMARY:Summer institute\nSTATUS:CANCELLED")
    changed = write(tmp_path, text)

    report = network.import_file("ical-sessions", changed, program=program.id)

    # Six communities renamed (November also moved back), the kickoff moved, January and
    # the institute cancelled.
    assert (report.created, report.updated, report.unchanged) == (0, 9, 0)
    assert "2 session(s) cancelled" in report.notes[0]
    after = network.sessions.find(program.id, include_cancelled=True)
    assert {s.id for s in after} == set(before.values())
    cancelled = {s.start.date() for s in after if s.cancelled}
    assert cancelled == {date(2025, 1, 15), date(2025, 6, 23)}
    november = next(s for s in after if s.id == before[date(2024, 11, 19)])
    assert november.start == datetime(2024, 11, 20, 16, tzinfo=LA) and not november.detached
    assert november.title == "Academy learning community"
    assert network.attendance.get(october, maya.id) is not None
    assert made_starts(network, program) == expected_starts(
        changed, network, program, "America/Los_Angeles"
    )


def test_dry_run_counts_and_writes_nothing(network: Network) -> None:
    program = program_of(network)
    before = snapshot(network)
    report = network.import_file("ical-sessions", SCHEDULE, program=program.id, dry_run=True)
    assert (report.created, report.dry_run) == (9, True)
    assert snapshot(network) == before


def test_all_day_events_can_be_left_out(network: Network) -> None:
    program = program_of(network)
    report = network.import_file("ical-sessions", SCHEDULE, program=program.id, all_day="skip")
    assert report.created == 8
    assert (
        "event 5 ('Summer institute') is an all-day event: skipped (all_day=skip)" in report.notes
    )


def test_kind_and_modality_options(network: Network) -> None:
    program = program_of(network)
    network.import_file(
        "ical-sessions",
        SCHEDULE,
        program=program.id,
        session_kind="learning_community",
        modality="hybrid",
    )
    sessions = network.sessions.find(program.id)
    assert {s.kind for s in sessions} == {SessionKind.LEARNING_COMMUNITY}
    assert {s.modality for s in sessions} == {Modality.HYBRID}


# -- constructs read as calendars do ------------------------------------------------
def test_dtstart_off_its_rule_is_an_extra_session(network: Network, tmp_path: Path) -> None:
    # Created on a Monday, repeating on Tuesdays and Thursdays: calendars list the Monday.
    path = write(
        tmp_path,
        calendar_text(
            event(
                "coaching@example.org",
                "SUMMARY:Coaching cycle",
                "DTSTART;TZID=America/Los_Angeles:20240902T160000",
                "DURATION:PT1H",
                "RRULE:FREQ=WEEKLY;BYDAY=TU,TH;COUNT=4",
            )
        ),
    )
    program = program_of(network)
    report = network.import_file("ical-sessions", path, program=program.id)
    made = made_starts(network, program)
    assert made == expected_starts(path, network, program, "America/Los_Angeles")
    assert len(made) == 5 and report.notes[0].startswith("1 series and 1 one-off")
    first, *rest = network.sessions.find(program.id)
    assert first.series_id is None and {s.series_id for s in rest} != {None}


def test_floating_times_are_read_in_the_calendars_zone(network: Network, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        calendar_text(
            event(
                "f@example.org",
                "SUMMARY:Floating",
                "DTSTART:20241001T090000",
                "DTEND:20241001T100000",
            ),
            header="X-WR-TIMEZONE:America/Chicago\n",
        ),
    )
    program = program_of(network)
    network.import_file("ical-sessions", path, program=program.id)
    [session] = network.sessions.find(program.id)
    assert session.start == datetime(2024, 10, 1, 9, tzinfo=ZoneInfo("America/Chicago"))
    assert session.timezone == "America/Chicago"


def test_unknown_zone_names_need_the_timezone_option(network: Network, tmp_path: Path) -> None:
    zone = (
        "BEGIN:VTIMEZONE\nTZID:Company Time\nBEGIN:STANDARD\nDTSTART:16010101T020000\n"
        "TZOFFSETFROM:-0500\nTZOFFSETTO:-0600\nRRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11\n"
        "END:STANDARD\nBEGIN:DAYLIGHT\nDTSTART:16010101T020000\nTZOFFSETFROM:-0600\n"
        "TZOFFSETTO:-0500\nRRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3\nEND:DAYLIGHT\nEND:VTIMEZONE\n"
    )
    path = write(
        tmp_path,
        calendar_text(
            event(
                "c@example.org",
                "SUMMARY:Company meeting",
                "DTSTART;TZID=Company Time:20241001T090000",
                "DTEND;TZID=Company Time:20241001T100000",
            ),
            header=zone,
        ),
    )
    program = program_of(network)
    with pytest.raises(ImportFileError) as excinfo:
        network.import_file("ical-sessions", path, program=program.id)
    [error] = excinfo.value.errors
    assert (error.row, error.column) == (1, "DTSTART")
    assert "'Company Time' is neither an IANA nor a Windows zone name" in error.reason

    network.import_file("ical-sessions", path, program=program.id, timezone="America/Chicago")
    [session] = network.sessions.find(program.id)
    assert session.start == datetime(2024, 10, 1, 9, tzinfo=ZoneInfo("America/Chicago"))


def test_zone_from_x_lic_location(network: Network, tmp_path: Path) -> None:
    zone = (
        "BEGIN:VTIMEZONE\nTZID:Pacific\nX-LIC-LOCATION:America/Los_Angeles\n"
        "BEGIN:STANDARD\nDTSTART:19701101T020000\nTZOFFSETFROM:-0700\nTZOFFSETTO:-0800\n"
        "END:STANDARD\nEND:VTIMEZONE\n"
    )
    path = write(
        tmp_path,
        calendar_text(
            event(
                "z@example.org",
                "SUMMARY:Z",
                "DTSTART;TZID=Pacific:20241001T090000",
                "DURATION:PT1H",
            ),
            header=zone,
        ),
    )
    program = program_of(network)
    network.import_file("ical-sessions", path, program=program.id)
    [session] = network.sessions.find(program.id)
    assert (session.timezone, session.start) == (
        "America/Los_Angeles",
        datetime(2024, 10, 1, 9, tzinfo=LA),
    )


def test_an_event_that_becomes_recurring_replaces_its_one_off(
    network: Network, tmp_path: Path
) -> None:
    lines = [
        "SUMMARY:Office hours",
        "DTSTART;TZID=America/Los_Angeles:20240910T150000",
        "DURATION:PT1H",
    ]
    program = program_of(network)
    network.import_file(
        "ical-sessions",
        write(tmp_path, calendar_text(event("oh@example.org", *lines))),
        program=program.id,
    )
    recurring = write(
        tmp_path,
        calendar_text(event("oh@example.org", *lines, "RRULE:FREQ=WEEKLY;COUNT=3")),
        "again.ics",
    )
    report = network.import_file("ical-sessions", recurring, program=program.id)
    assert (report.created, report.updated) == (3, 1)
    assert len(network.sessions.find(program.id)) == 3
    assert len(network.sessions.find(program.id, include_cancelled=True)) == 4


def test_a_cancelled_event_never_imported_is_noted(network: Network, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        calendar_text(
            event(
                "x@example.org",
                "SUMMARY:Called off",
                "STATUS:CANCELLED",
                "DTSTART;TZID=America/Los_Angeles:20240910T150000",
                "DURATION:PT1H",
                "RRULE:FREQ=WEEKLY;COUNT=3",
            )
        ),
    )
    program = program_of(network)
    report = network.import_file("ical-sessions", path, program=program.id)
    assert report.created == 0
    assert (
        "event 1 ('Called off') is cancelled and was never imported: nothing to do" in report.notes
    )


def test_events_without_a_length_are_skipped(network: Network, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        calendar_text(event("r@example.org", "SUMMARY:Reminder", "DTSTART:20240910T220000Z")),
    )
    program = program_of(network)
    report = network.import_file("ical-sessions", path, program=program.id)
    assert report.created == 0
    assert "event 1 ('Reminder') has neither DTEND nor DURATION: skipped" in report.notes


# -- constructs refused, with the event and property named --------------------------
@pytest.mark.parametrize(
    ("lines", "column", "reason"),
    [
        (["RRULE:FREQ=HOURLY;COUNT=3"], "RRULE", "sessions recur at most daily"),
        (["RRULE:FREQ=DAILY;BYHOUR=9,15;COUNT=3"], "RRULE", "BYHOUR"),
        (["RRULE:FREQ=DAILY;COUNT=3", "RRULE:FREQ=WEEKLY;COUNT=3"], "RRULE", "more than one RRULE"),
        (["RRULE:FREQ=DAILY;COUNT=3", "EXRULE:FREQ=DAILY;COUNT=1"], "EXRULE", "EXRULE"),
        (["RRULE:FREQ=WEEKLY"], "DTSTART", "no occurrence before program year 2023 ends"),
    ],
    ids=["hourly", "byhour", "two-rules", "exrule", "after-the-year"],
)
def test_refused_constructs(
    network: Network, tmp_path: Path, lines: list[str], column: str, reason: str
) -> None:
    path = write(
        tmp_path,
        calendar_text(
            event(
                "r@example.org",
                "SUMMARY:Refused",
                "DTSTART;TZID=America/Los_Angeles:20240910T150000",
                "DURATION:PT1H",
                *lines,
            )
        ),
    )
    program = program_of(network, 2023)
    with pytest.raises(ImportFileError) as excinfo:
        network.import_file("ical-sessions", path, program=program.id)
    [error] = excinfo.value.errors
    assert (error.row, error.column) == (1, column)
    assert reason in error.reason


def test_every_bad_event_is_reported_and_nothing_is_written(
    network: Network, tmp_path: Path
) -> None:
    good = event("g@example.org", "SUMMARY:Good", "DTSTART:20240910T220000Z", "DURATION:PT1H")
    path = write(
        tmp_path,
        calendar_text(
            good,
            event(
                "t@example.org",
                "RECURRENCE-ID;RANGE=THISANDFUTURE:20240917T220000Z",
                "DTSTART:20240918T220000Z",
                "DURATION:PT1H",
            ),
            event("e@example.org", "DTSTART:20240910T220000Z", "DTEND:20240910T210000Z"),
            good,
        ),
    )
    program = program_of(network)
    before = snapshot(network)
    with pytest.raises(ImportFileError) as excinfo:
        network.import_file("ical-sessions", path, program=program.id)
    assert [(e.row, e.column) for e in excinfo.value.errors] == [
        (2, "RECURRENCE-ID"),
        (3, "DTEND"),
        (4, "UID"),
    ]
    assert snapshot(network) == before


def test_unreadable_values_are_named(network: Network, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        calendar_text(
            event("b@example.org", "SUMMARY:Broken", "DTSTART:2024-13-45", "DURATION:PT1H")
        ),
    )
    program = program_of(network)
    with pytest.raises(ImportFileError) as excinfo:
        network.import_file("ical-sessions", path, program=program.id)
    [error] = excinfo.value.errors
    assert (error.row, error.column) == (1, "DTSTART")
    assert "cannot read it" in error.reason


def test_not_a_calendar(network: Network, tmp_path: Path) -> None:
    program = program_of(network)
    with pytest.raises(ImportFileError, match="not an iCalendar file"):
        network.import_file("ical-sessions", write(tmp_path, "hello\n"), program=program.id)


def test_sqlite_store_imports_and_reimports(clock: FrozenClock, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'network.db'}"
    with Network.open(url, name="Test", clock=clock, load_entrypoints=False) as net:
        program = program_of(net)
        dry = net.import_file("ical-sessions", SCHEDULE, program=program.id, dry_run=True)
        assert dry.created == 9 and net.sessions.find(program.id) == []
        net.import_file("ical-sessions", SCHEDULE, program=program.id)
    with Network.open(url, clock=clock, load_entrypoints=False) as net:
        again = net.import_file("ical-sessions", SCHEDULE, program=program.id)
        assert (again.created, again.updated, again.unchanged) == (0, 0, 9)
        with net.storage.transaction() as tx:
            assert len(tx.find(SessionSeries)) == 1


# -- calendars as real tools write them ---------------------------------------------
def refused(network: Network, path: Path, program: Program) -> list[tuple[Any, Any, str]]:
    with pytest.raises(ImportFileError) as excinfo:
        network.import_file("ical-sessions", path, program=program.id)
    return [(e.row, e.column, e.reason) for e in excinfo.value.errors]


@pytest.mark.parametrize(
    ("lines", "column"),
    [
        (["DTSTART:20240910T220000Z", "DTSTART:20240910T230000Z", "DURATION:PT1H"], "DTSTART"),
        (["DTSTART:20240910T220000Z", "DTEND:20240910T230000Z", "DTEND:20240911T000000Z"], "DTEND"),
        (["DTSTART:20240910T220000Z", "DURATION:PT1H", "DURATION:PT2H"], "DURATION"),
        (
            ["DTSTART:20240910T220000Z", "DURATION:PT1H", "STATUS:CONFIRMED", "STATUS:CANCELLED"],
            "STATUS",
        ),
    ],
    ids=["dtstart", "dtend", "duration", "status"],
)
def test_a_property_given_twice_refuses_its_event(
    network: Network, tmp_path: Path, lines: list[str], column: str
) -> None:
    path = write(tmp_path, calendar_text(event("twice@example.org", "SUMMARY:Twice", *lines)))
    [(row, named, reason)] = refused(network, path, program_of(network))
    assert (row, named) == (1, column)
    assert f"{column} is given 2 times with different values" in reason


def test_all_day_series_end_at_midnight_across_a_clock_change(
    network: Network, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        calendar_text(
            event(
                "fair@example.org",
                "SUMMARY:Science fair",
                "DTSTART;VALUE=DATE:20241102",
                "DTEND;VALUE=DATE:20241103",
                "RRULE:FREQ=DAILY;COUNT=3",
            )
        ),
    )
    program = program_of(network)
    network.import_file("ical-sessions", path, program=program.id)
    sessions = network.sessions.find(program.id)
    # Clocks fall back on 3 November: that day lasts 25 hours, midnight to midnight.
    assert [(s.start, s.end) for s in sessions] == [
        (datetime(2024, 11, day, tzinfo=LA), datetime(2024, 11, day + 1, tzinfo=LA))
        for day in (2, 3, 4)
    ]


@pytest.mark.parametrize(
    "recurrence_id",
    [
        "RECURRENCE-ID:20241016T000000Z",
        "RECURRENCE-ID;TZID=GMT Standard Time:20241016T000000",
        "RECURRENCE-ID;VALUE=DATE:20241016",
    ],
    ids=["utc", "exchange", "date"],
)
def test_a_moved_all_day_occurrence_is_matched_by_its_day(
    network: Network, tmp_path: Path, recurrence_id: str
) -> None:
    series = event(
        "day@example.org",
        "SUMMARY:Lab day",
        "DTSTART;VALUE=DATE:20241009",
        "RRULE:FREQ=WEEKLY;COUNT=3",
    )
    moved = event(
        "day@example.org",
        recurrence_id,
        "SUMMARY:Lab day",
        "DTSTART;VALUE=DATE:20241017",
    )
    path = write(tmp_path, calendar_text(series, moved))
    program = program_of(network)
    network.import_file("ical-sessions", path, program=program.id)
    assert [s.start.date() for s in network.sessions.find(program.id)] == [
        date(2024, 10, 9),
        date(2024, 10, 17),
        date(2024, 10, 23),
    ]
    assert made_starts(network, program) == expected_starts(
        path, network, program, network.profile.timezone
    )


@pytest.mark.parametrize(
    ("lines", "note"),
    [
        (
            ["DTSTART:20240910T220000Z", "DTEND:20240910T220000Z"],
            "ends at its start (DTEND gives it no length): skipped",
        ),
        (
            ["DTSTART;VALUE=DATE:20241003", "DTEND;VALUE=DATE:20241003"],
            "ends at its start (DTEND gives it no length): skipped",
        ),
        (
            ["DTSTART:20240910T220000Z", "DURATION:PT0S"],
            "ends at its start (DURATION gives it no length): skipped",
        ),
        (["DTSTART:20240910T220000Z"], "has neither DTEND nor DURATION: skipped"),
    ],
    ids=["dtend", "all-day", "duration", "no-end"],
)
def test_zero_length_events_are_skipped_with_a_note(
    network: Network, tmp_path: Path, lines: list[str], note: str
) -> None:
    kept = event("kept@example.org", "SUMMARY:Kept", "DTSTART:20240911T220000Z", "DURATION:PT1H")
    path = write(tmp_path, calendar_text(event("z@example.org", "SUMMARY:Holiday", *lines), kept))
    program = program_of(network)
    report = network.import_file("ical-sessions", path, program=program.id)
    assert report.created == 1
    assert f"event 1 ('Holiday') {note}" in report.notes


def test_an_all_day_event_with_an_hour_duration_names_duration(
    network: Network, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        calendar_text(event("d@example.org", "DTSTART;VALUE=DATE:20241003", "DURATION:PT10H")),
    )
    [(row, column, reason)] = refused(network, path, program_of(network))
    assert (row, column) == (1, "DURATION")
    assert "DURATION PT10H is not whole days" in reason and "DTEND" not in reason


def test_the_highest_sequence_wins(network: Network, tmp_path: Path) -> None:
    old = event(
        "v@example.org",
        "SUMMARY:Version 1",
        "SEQUENCE:1",
        "DTSTART:20240910T220000Z",
        "DURATION:PT1H",
        "RRULE:FREQ=WEEKLY;COUNT=4",
    )
    new = event(
        "v@example.org",
        "SUMMARY:Version 2",
        "SEQUENCE:2",
        "DTSTART:20240910T220000Z",
        "DURATION:PT1H",
        "RRULE:FREQ=WEEKLY;COUNT=2",
    )
    # A change of the third occurrence, which version 2 no longer has.
    stale = event(
        "v@example.org",
        "SUMMARY:Version 1",
        "SEQUENCE:1",
        "RECURRENCE-ID:20240924T220000Z",
        "DTSTART:20240925T220000Z",
        "DURATION:PT1H",
    )
    path = write(tmp_path, calendar_text(new, stale, old))
    program = program_of(network)
    report = network.import_file("ical-sessions", path, program=program.id)
    sessions = network.sessions.find(program.id)
    assert [(s.title, s.start.date()) for s in sessions] == [
        ("Version 2", date(2024, 9, 10)),
        ("Version 2", date(2024, 9, 17)),
    ]
    # recurring-ical-events keeps the stale change unless it carries an RRULE itself.
    assert (
        "event 3 ('Version 1') is an older version (SEQUENCE 1) of event 1 (SEQUENCE 2): ignored"
        in report.notes
    )
    assert any("event 2 ('Version 1') changes an occurrence the newer" in n for n in report.notes)

    same = write(tmp_path, calendar_text(new, new.replace("Version 2", "Version 3")), "same.ics")
    [(row, column, reason)] = refused(network, same, program)
    assert (row, column) == (2, "UID")
    assert "event 1 has the same UID and SEQUENCE (2)" in reason


def test_rdate_periods_are_sessions_when_the_event_has_no_end(
    network: Network, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        calendar_text(
            event(
                "p@example.org",
                "SUMMARY:Office hours",
                "DTSTART:20240910T220000Z",
                "RDATE;VALUE=PERIOD:20240917T220000Z/PT2H,20240924T220000Z/20240924T233000Z",
            )
        ),
    )
    program = program_of(network)
    report = network.import_file("ical-sessions", path, program=program.id)
    assert [(instant(s.start), s.duration) for s in network.sessions.find(program.id)] == [
        (datetime(2024, 9, 17, 22, tzinfo=UTC), timedelta(hours=2)),
        (datetime(2024, 9, 24, 22, tzinfo=UTC), timedelta(minutes=90)),
    ]
    assert (
        "event 1 ('Office hours') has neither DTEND nor DURATION: skipped (its RDATE periods "
        "and changed occurrences with an end are imported)" in report.notes
    )


def test_events_without_uid_are_skipped_with_a_note(network: Network, tmp_path: Path) -> None:
    text = calendar_text(
        event("u@example.org", "SUMMARY:Kept", "DTSTART:20240910T220000Z", "DURATION:PT1H")
    )
    text = text.replace(
        "END:VCALENDAR",
        "BEGIN:VEVENT\nSUMMARY:Anonymous\n"
        "DTSTART:20240911T220000Z\nDURATION:PT1H\nEND:VEVENT\nEND:VCALENDAR",
    )
    program = program_of(network)
    report = network.import_file("ical-sessions", write(tmp_path, text), program=program.id)
    assert report.created == 1
    assert (
        "event 2 ('Anonymous') has no UID (what lets a re-import find its sessions): skipped"
        in report.notes
    )
