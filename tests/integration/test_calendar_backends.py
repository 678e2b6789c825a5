"""The calendar feed on the SQL backends: the same bytes as the memory store gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from cpnetwork import Network
from cpnetwork.recurrence import instant
from cpnetwork.testing.pytest_plugin import FrozenClock

LA = ZoneInfo("America/Los_Angeles")


def _build(net: Network) -> None:
    """A series across both DST changes, one occurrence cancelled, one moved, a split."""
    program = net.programs.create(title="Academy", program_year=2024)
    _, sessions = net.sessions.schedule_series(
        program.id,
        title="Learning community",
        rrule="FREQ=MONTHLY;BYDAY=2TU",
        first_start=datetime(2024, 9, 10, 16, tzinfo=LA),
        duration=timedelta(minutes=90),
    )
    net.sessions.cancel(sessions[2].id)
    net.sessions.edit(sessions[6].id, start=datetime(2025, 3, 13, 10, tzinfo=LA))
    net.sessions.edit(
        sessions[8].id, scope="this_and_following", start=datetime(2025, 5, 14, 17, tzinfo=LA)
    )
    net.sessions.schedule(
        program.id,
        title="Abroad",
        start=datetime(2024, 11, 3, 9, tzinfo=ZoneInfo("Europe/Berlin")),
        duration=timedelta(hours=2),
        timezone="Europe/Berlin",
    )


def test_a_sql_store_gives_the_feed_the_memory_store_gives(
    sql_url: str, clock: FrozenClock
) -> None:
    with Network.open("memory://", name="Net", clock=clock, load_entrypoints=False) as memory:
        _build(memory)
        exported = memory.export_data()
        expected = memory.sessions.ics()
    with Network.open(sql_url, name="Net", clock=clock, load_entrypoints=False) as sql:
        sql.import_data(exported)
        assert sql.sessions.ics() == expected


def test_built_on_a_sql_store_the_feed_expands_to_its_sessions(
    sql_url: str, clock: FrozenClock
) -> None:
    with Network.open(sql_url, name="Net", clock=clock, load_entrypoints=False) as net:
        _build(net)
        calendar = icalendar.Calendar.from_ical(net.sessions.ics())
        shown = recurring_ical_events.of(calendar).between(
            datetime(2024, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
        )
        assert sorted((instant(e["DTSTART"].dt), instant(e["DTEND"].dt)) for e in shown) == sorted(
            (instant(s.start), instant(s.end)) for s in net.sessions.find()
        )
