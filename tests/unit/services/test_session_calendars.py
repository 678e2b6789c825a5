"""``net.sessions.ics``: what calendars expand from the feed is what the library holds."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from hypothesis import given, settings
from hypothesis import strategies as st

from cpnetwork import CpnetworkError, Network, NotFoundError
from cpnetwork.model import EnrollmentPolicy, Program, Session, SessionSeries
from cpnetwork.recurrence import instant
from cpnetwork.testing.pytest_plugin import FrozenClock

LA = ZoneInfo("America/Los_Angeles")
#: Second Tuesday, 4 pm Los Angeles, September 2024 to August 2025: both DST changes.
MONTHLY = "FREQ=MONTHLY;BYDAY=2TU;COUNT=12"
FIRST = datetime(2024, 9, 10, 16, tzinfo=LA)
NINETY_MINUTES = timedelta(minutes=90)
#: Wider than anything scheduled here.
WINDOW = (datetime(2023, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))

Instants = list[tuple[datetime, datetime]]


@pytest.fixture(params=["memory", "sqlite"])
def net(request: pytest.FixtureRequest, tmp_path: Path, clock: FrozenClock) -> Iterator[Network]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'network.db'}"
    with Network.open(url, name="Test Network", clock=clock, load_entrypoints=False) as network:
        yield network


@pytest.fixture
def academy(net: Network) -> Program:
    return net.programs.create(title="Science Leadership Academy", program_year=2024)


def expanded(data: bytes) -> Instants:
    """The UTC start and end of every occurrence a calendar shows, as recurring-ical-events
    expands the feed; cancelled events are not shown."""
    calendar = icalendar.Calendar.from_ical(data)
    return sorted(
        (instant(event["DTSTART"].dt), instant(event["DTEND"].dt))
        for event in recurring_ical_events.of(calendar).between(*WINDOW)
        if event.get("STATUS") != "CANCELLED"
    )


def held(sessions: list[Session]) -> Instants:
    return sorted((instant(s.start), instant(s.end)) for s in sessions if not s.cancelled)


def test_a_monthly_4_pm_series_across_both_dst_changes_expands_to_the_sessions_held(
    net: Network, academy: Program
) -> None:
    series, sessions = net.sessions.schedule_series(
        academy.id,
        title="Learning community",
        rrule=MONTHLY,
        first_start=FIRST,
        duration=NINETY_MINUTES,
    )
    # November, just after clocks fall back: called off.
    net.sessions.cancel(sessions[2].id)
    # March, just after clocks spring forward: moved to the Thursday morning.
    moved = net.sessions.edit(sessions[6].id, start=datetime(2025, 3, 13, 10, tzinfo=LA))
    data = net.sessions.ics(academy.id)

    library = held(net.sessions.find(academy.id))
    assert len(library) == 11
    assert expanded(data) == library
    local = {start.astimezone(LA).time() for start, _ in expanded(data)}
    assert local == {time(16), time(10)}
    # The wall clock stays at 4 pm while the UTC hour moves with daylight saving.
    assert {start.hour for start, _ in expanded(data)} == {23, 0, 17}

    calendar = icalendar.Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [f"series-{series.id}@cpnetwork.invalid"] * 2
    master, override = events
    assert master["DTSTART"].dt == FIRST
    assert master["DTSTART"].params["TZID"] == "America/Los_Angeles"
    assert master["RRULE"].to_ical() == b"FREQ=MONTHLY;COUNT=12;BYDAY=2TU"
    assert [d.dt for d in master["EXDATE"].dts] == [datetime(2024, 11, 12, 16, tzinfo=LA)]
    assert override["RECURRENCE-ID"].dt == datetime(2025, 3, 11, 16, tzinfo=LA)
    assert override["DTSTART"].dt == moved.start
    assert [tz.tz_name for tz in calendar.timezones] == ["America/Los_Angeles"]


def test_edits_of_the_whole_series_and_a_split_still_expand_to_the_sessions_held(
    net: Network, academy: Program
) -> None:
    _, sessions = net.sessions.schedule_series(
        academy.id,
        title="Learning community",
        rrule="FREQ=MONTHLY;BYDAY=2TU",
        first_start=FIRST,
        duration=NINETY_MINUTES,
    )
    net.sessions.edit(sessions[1].id, title="Kickoff community", venue="Room 4, 2nd floor")
    net.sessions.cancel(sessions[3].id)
    # From January on at 5 pm on the second Wednesday, and everything an hour long.
    net.sessions.edit(
        sessions[4].id,
        scope="this_and_following",
        start=datetime(2025, 1, 15, 17, tzinfo=LA),
        duration=timedelta(hours=1),
    )
    net.sessions.edit(sessions[0].id, scope="all", join_url="https://zoom.example/j/9")
    net.sessions.cancel(sessions[8].id, scope="this_and_following")
    one_off = net.sessions.schedule(
        academy.id,
        title="Institute",
        start=datetime(2025, 2, 1, 9, tzinfo=LA),
        duration=timedelta(days=2),
    )
    called_off = net.sessions.schedule(
        academy.id,
        title="Dinner",
        start=datetime(2025, 2, 1, 18, tzinfo=LA),
        duration=timedelta(hours=2),
    )
    net.sessions.cancel(called_off.id)
    data = net.sessions.ics(academy.id)

    assert expanded(data) == held(net.sessions.find(academy.id))
    events = icalendar.Calendar.from_ical(data).walk("VEVENT")
    by_uid = {str(e["UID"]): e for e in events if "RRULE" not in e}
    assert by_uid[f"session-{called_off.id}@cpnetwork.invalid"]["STATUS"] == "CANCELLED"
    assert by_uid[f"session-{one_off.id}@cpnetwork.invalid"]["STATUS"] == "CONFIRMED"
    # The rule without an end stops where the library stops it: the program year's end.
    rules = [e["RRULE"] for e in events if "RRULE" in e]
    assert len(rules) == 2 and all("UNTIL" in rule or "COUNT" in rule for rule in rules)


def test_the_feed_names_the_calendar_and_its_zone_and_asks_to_be_refreshed(
    net: Network, academy: Program
) -> None:
    net.sessions.schedule(academy.id, title="Kickoff", start=FIRST, duration=NINETY_MINUTES)
    calendar = icalendar.Calendar.from_ical(net.sessions.ics(academy.id))
    assert calendar["METHOD"] == "PUBLISH" and calendar["VERSION"] == "2.0"
    assert str(calendar["PRODID"]).startswith("-//cpnetwork//")
    assert calendar.calendar_name == "Test Network: Science Leadership Academy"
    assert calendar["X-WR-TIMEZONE"] == "America/Los_Angeles"
    assert calendar["REFRESH-INTERVAL"].dt == timedelta(hours=12)
    event = calendar.walk("VEVENT")[0]
    assert event["DTSTAMP"].dt == datetime(2024, 8, 1, 9, tzinfo=UTC)
    assert str(event["DESCRIPTION"]).startswith("Science Leadership Academy\n")


def test_a_members_feed_holds_only_the_programs_they_take_part_in(net: Network) -> None:
    ada = net.members.add(email="ada@example.org", given_name="Ada", family_name="Lovelace")
    taken = {}
    for title, mode in (
        ("Registered", "registration"),
        ("Accepted", "application"),
        ("Applied", "application"),
        ("Elsewhere", "registration"),
    ):
        program = net.programs.create(
            title=title, program_year=2024, policy=EnrollmentPolicy(mode=mode)
        )
        net.sessions.schedule(
            program.id, title=f"{title} kickoff", start=FIRST, duration=NINETY_MINUTES
        )
        taken[title] = program
    net.enrollment.register(taken["Registered"].id, ada.id)
    accepted = net.enrollment.apply(taken["Accepted"].id, ada.id)
    net.enrollment.start_review(accepted.id)
    net.enrollment.accept(accepted.id)
    net.enrollment.apply(taken["Applied"].id, ada.id)

    calendar = icalendar.Calendar.from_ical(net.sessions.ics(member_id=ada.id))
    summaries = sorted(str(e["SUMMARY"]) for e in calendar.walk("VEVENT"))
    assert summaries == ["Accepted kickoff", "Registered kickoff"]
    assert calendar.calendar_name == "Test Network: Ada Lovelace"
    both = icalendar.Calendar.from_ical(net.sessions.ics(taken["Applied"].id, member_id=ada.id))
    assert both.walk("VEVENT") == []
    everything = icalendar.Calendar.from_ical(net.sessions.ics())
    assert len(everything.walk("VEVENT")) == 4


def test_unknown_programs_and_members_are_not_found(net: Network) -> None:
    with pytest.raises(NotFoundError):
        net.sessions.ics("nope")
    with pytest.raises(NotFoundError):
        net.sessions.ics(member_id="nobody")


def test_an_empty_network_gives_an_empty_calendar(net: Network) -> None:
    calendar = icalendar.Calendar.from_ical(net.sessions.ics())
    assert calendar.walk("VEVENT") == [] and calendar.walk("VTIMEZONE") == []


def test_write_ics_replaces_the_file_with_the_feed(
    net: Network, academy: Program, tmp_path: Path
) -> None:
    target = tmp_path / "academy.ics"
    target.write_bytes(b"old")
    net.sessions.schedule(academy.id, title="Kickoff", start=FIRST, duration=NINETY_MINUTES)
    assert net.sessions.write_ics(target, academy.id) == target
    assert target.read_bytes() == net.sessions.ics(academy.id)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_the_memory_store_and_sqlite_give_the_same_feed(clock: FrozenClock, tmp_path: Path) -> None:
    with Network.open(
        "memory://", name="Test Network", clock=clock, load_entrypoints=False
    ) as memory:
        program = memory.programs.create(title="Academy", program_year=2024)
        _, sessions = memory.sessions.schedule_series(
            program.id,
            title="Community",
            rrule="FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20250401T000000Z",
            first_start=datetime(2024, 10, 1, 16, tzinfo=LA),
            duration=NINETY_MINUTES,
            timezone="America/Los_Angeles",
        )
        memory.sessions.cancel(sessions[5].id)
        memory.sessions.edit(sessions[9].id, start=datetime(2024, 11, 2, 9, tzinfo=LA))
        memory.sessions.schedule(
            program.id,
            title="Abroad",
            start=datetime(2024, 11, 3, 9, tzinfo=ZoneInfo("Europe/Berlin")),
            duration=NINETY_MINUTES,
            timezone="Europe/Berlin",
        )
        exported = memory.export_data()
        expected = memory.sessions.ics()
    url = f"sqlite:///{tmp_path / 'network.db'}"
    with Network.open(url, name="Test Network", clock=clock, load_entrypoints=False) as sqlite:
        sqlite.import_data(exported)
        assert sqlite.sessions.ics() == expected
    calendar = icalendar.Calendar.from_ical(expected)
    assert sorted(tz.tz_name for tz in calendar.timezones) == [
        "America/Los_Angeles",
        "Europe/Berlin",
    ]


# -- any sequence of edits: the feed still shows exactly the sessions held ---------------------
@st.composite
def operations(draw: st.DrawFn) -> tuple[str, int, int, int]:
    """An edit or cancellation: kind, which live session, days to move, new hour."""
    kind = draw(st.sampled_from(["this", "all", "following", "cancel", "cancel_following"]))
    return kind, draw(st.integers(0, 20)), draw(st.integers(-3, 3)), draw(st.sampled_from(HOURS))


#: Hours to move to, the ones daylight-saving nights repeat or skip among them.
HOURS = (1, 2, 9, 16, 23)


def _apply(net: Network, kind: str, target: Session, start: datetime) -> None:
    if kind == "this":
        net.sessions.edit(target.id, start=start)
    elif kind == "all":
        net.sessions.edit(target.id, "all", start=start, title=f"At {start:%H}")
    elif kind == "following":
        net.sessions.edit(target.id, "this_and_following", start=start, venue=f"Room {start:%d}")
    elif kind == "cancel":
        net.sessions.cancel(target.id)
    else:
        net.sessions.cancel(target.id, "this_and_following")


def _sequences(net: Network) -> dict[str, int]:
    found: list[Session | SessionSeries] = [*net.sessions.find(include_cancelled=True)]
    with net.storage.transaction() as tx:
        found += tx.find(SessionSeries)
    return {record.id: record.sequence for record in found}


@settings(max_examples=40)
@given(
    ops=st.lists(operations(), min_size=1, max_size=6),
    plan=st.sampled_from(
        [
            (MONTHLY, FIRST),
            # Sundays at 1 am: the night clocks fall back repeats that hour.
            ("FREQ=WEEKLY;BYDAY=SU,TU", datetime(2024, 10, 27, 1, tzinfo=LA)),
            ("FREQ=DAILY;INTERVAL=4;UNTIL=20241201", datetime(2024, 10, 26, 1, tzinfo=LA)),
        ]
    ),
    duration=st.sampled_from([NINETY_MINUTES, timedelta(hours=3), timedelta(days=1)]),
)
def test_after_any_edits_the_feed_expands_to_the_sessions_held(
    ops: list[tuple[str, int, int, int]], plan: tuple[str, datetime], duration: timedelta
) -> None:
    rule, first = plan
    with Network.open("memory://", name="Test", clock=FrozenClock(), load_entrypoints=False) as net:
        program = net.programs.create(title="Academy", program_year=2024)
        net.sessions.schedule_series(
            program.id, title="Series", rrule=rule, first_start=first, duration=duration
        )
        assert expanded(net.sessions.ics()) == held(net.sessions.find())
        seen = _sequences(net)
        for kind, pick, days, hour in ops:
            live = net.sessions.find(program.id)
            if not live:
                break
            target = live[pick % len(live)]
            day = (target.recurrence_id or target.start).astimezone(LA).date()
            start = datetime.combine(day + timedelta(days=days), time(hour), tzinfo=LA)
            with contextlib.suppress(CpnetworkError):
                _apply(net, kind, target, start)
            assert expanded(net.sessions.ics()) == held(net.sessions.find())
            now = _sequences(net)
            assert all(now[key] >= before for key, before in seen.items() if key in now)
            seen = now
