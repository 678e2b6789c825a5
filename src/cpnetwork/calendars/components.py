"""Sessions and series as iCalendar components: what feeds and invites share.

A one-off session is one VEVENT.  A series is one VEVENT with its RRULE (and DTSTART in
the series' zone, so calendars keep its wall-clock time across daylight saving), an
EXDATE for every occurrence that does not take place, and an override (same UID,
RECURRENCE-ID = the occurrence's original start) for every occurrence that differs from
what the rule gives.  Built from the sessions the library holds, so a calendar expands
the events to exactly the sessions that take place.

A time with a TZID is a wall-clock time, and RFC 5545 reads one that happens twice
(the hour repeated when clocks fall back) as the first.  So a time is written on its
zone's wall clock only when it reads back as the same instant, else in UTC; and an
occurrence is compared with where a reader puts it (the rule's wall-clock time on its
day), not with where the library computed it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from attrs import frozen

from cpnetwork import recurrence
from cpnetwork.errors import ValidationError
from cpnetwork.model import Program, Session, SessionSeries

#: Control characters RFC 5545 TEXT may not hold (tab and line breaks it escapes).
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

#: The domain in UIDs when none is given: ``.invalid`` never names a real host (RFC 2606).
DEFAULT_DOMAIN = "cpnetwork.invalid"


def session_uid(session_id: str, domain: str = DEFAULT_DOMAIN) -> str:
    return f"session-{session_id}@{domain}"


def series_uid(series_id: str, domain: str = DEFAULT_DOMAIN) -> str:
    return f"series-{series_id}@{domain}"


def event_uid(session: Session, domain: str = DEFAULT_DOMAIN) -> str:
    """The UID of the event a session shows in: its series' for an occurrence.

    An occurrence the rule no longer reaches (no ``recurrence_id``) is its own event.
    """
    if session.series_id is not None and session.recurrence_id is not None:
        return series_uid(session.series_id, domain)
    return session_uid(session.id, domain)


def _label(value: str) -> str:
    return value.replace("_", " ")


def describe(record: Session | SessionSeries, program: Program | None) -> dict[str, str]:
    """SUMMARY, DESCRIPTION, LOCATION and URL of a session or a series."""
    lines = [program.title] if program is not None else []
    lines.append(f"{_label(record.kind).capitalize()}, {_label(record.modality)}")
    if isinstance(record, Session):
        for name, value in (("Module", record.module), ("Track", record.track)):
            if value:
                lines.append(f"{name}: {value}")
    if record.join_url:
        # Many calendar programs hide URL; the description is always shown.
        lines.append(f"Join: {record.join_url}")
    texts = {"SUMMARY": record.title, "DESCRIPTION": "\n".join(lines)}
    if record.venue:
        texts["LOCATION"] = record.venue
    if record.join_url:
        texts["URL"] = record.join_url
    # icalendar escapes commas, semicolons and line breaks but passes control
    # characters through, and some readers stop at a NUL.
    return {name: _CONTROLS.sub("", text) for name, text in texts.items()}


def vevent(
    uid: str,
    *,
    texts: Mapping[str, str],
    start: datetime,
    end: datetime | None = None,
    duration: timedelta | None = None,
    sequence: int,
    stamp: datetime,
    cancelled: bool = False,
) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("sequence", sequence)
    event.add("dtstart", start)
    if end is not None:
        event.add("dtend", end)
    if duration is not None:
        event.add("duration", duration)
    for name, text in texts.items():
        event.add(name, text)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def read_back(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant a reader takes a wall-clock time in ``zone`` for (RFC 5545 §3.3.5)."""
    return recurrence.instant(recurrence.localize(wall.replace(tzinfo=None, fold=0), zone))


def written(moment: datetime, zone: ZoneInfo) -> datetime:
    """``moment`` as it is written: on ``zone``'s wall clock if it reads back the same."""
    local = recurrence.instant(moment).astimezone(zone)
    if read_back(local, zone) == recurrence.instant(moment):
        return local
    return recurrence.instant(moment)


def session_event(
    session: Session, program: Program | None, *, domain: str, stamp: datetime
) -> icalendar.Event:
    """A one-off session (or an occurrence shown on its own) as a VEVENT."""
    zone = ZoneInfo(session.timezone)
    return vevent(
        session_uid(session.id, domain),
        texts=describe(session, program),
        start=written(session.start, zone),
        end=written(session.end, zone),
        sequence=session.sequence,
        stamp=stamp,
        cancelled=session.cancelled,
    )


def occurrence_event(
    session: Session,
    program: Program | None,
    *,
    recurrence_id: datetime,
    series_sequence: int,
    domain: str,
    stamp: datetime,
) -> icalendar.Event:
    """One occurrence as an override of its series' event.

    ``recurrence_id`` is the occurrence's original start as its series' event writes
    it (see :func:`rule_wall_time`).
    """
    assert session.series_id is not None
    own = ZoneInfo(session.timezone)
    event = vevent(
        series_uid(session.series_id, domain),
        texts=describe(session, program),
        start=written(session.start, own),
        end=written(session.end, own),
        # Some calendars ignore an override older than its series' event.
        sequence=max(series_sequence, session.sequence),
        stamp=stamp,
        cancelled=session.cancelled,
    )
    event.add("recurrence-id", recurrence_id)
    return event


def rule_wall_time(series: SessionSeries, start: datetime) -> datetime:
    """The occurrence at ``start`` as the series' event writes it: the series' wall-clock
    time on that day (where a reader expands it, in a gap or a repeated hour too)."""
    zone = ZoneInfo(series.timezone)
    wall = recurrence.instant(series.first_start).astimezone(zone).time()
    day = recurrence.instant(start).astimezone(zone).date()
    return datetime.combine(day, wall, tzinfo=zone)


def read_ends(wall: datetime, duration: timedelta, zone: ZoneInfo) -> set[datetime]:
    """Where readers end an occurrence starting at wall-clock ``wall`` that lasts
    DURATION ``duration``, as UTC instants.

    RFC 5545 (§3.3.6) counts a duration's days on the wall clock and its hours as
    elapsed time; some readers (Python's own arithmetic among them) count all of it on
    the wall clock.  They differ only when a clock change falls in the occurrence.
    """
    days = timedelta(days=duration.days)
    by_rfc = read_back(wall + days, zone) + (duration - days)
    return {by_rfc, read_back(wall + duration, zone)}


@frozen(kw_only=True)
class SeriesEvents:
    """A series' events: its VEVENT with overrides, and sessions to show on their own."""

    #: The series' VEVENT first, then its overrides by original start; empty when no
    #: occurrence takes place.
    events: tuple[icalendar.Event, ...]
    #: Sessions linked to the series that its rule does not generate.
    strays: tuple[Session, ...]
    #: The first and last times the events reach (for the VTIMEZONEs they need).
    moments: tuple[datetime, ...] = ()


def _ends(rrule: str) -> bool:
    """Whether the rule ends by itself (COUNT or UNTIL)."""
    names = {part.partition("=")[0] for part in recurrence.normalize_rule(rrule).split(";")}
    return bool(names & {"COUNT", "UNTIL"})


def _bound(series: SessionSeries, sessions: Sequence[Session]) -> datetime:
    """Where an open-ended rule stops when the caller gives no bound: its last session."""
    held = [s.recurrence_id for s in sessions if s.recurrence_id is not None]
    held += series.exdates
    if not held:
        raise ValidationError(
            "SessionSeries",
            series.id,
            "its rule has neither COUNT nor UNTIL; give where it ends (until=)",
            field="rrule",
        )
    return max(held, key=recurrence.instant)


def series_events(
    series: SessionSeries,
    sessions: Iterable[Session],
    program: Program | None,
    *,
    until: datetime | None,
    domain: str,
    stamp: datetime,
    cancelled: bool = False,
) -> SeriesEvents:
    """The VEVENTs of a series, from the sessions the library holds for it.

    ``sessions`` are the series' sessions, cancelled ones too; ``until`` is where a
    rule with neither COUNT nor UNTIL stops (the end of the program year).  With
    ``cancelled`` the series' event is STATUS:CANCELLED and has no overrides.
    """
    own = [s for s in sessions if s.series_id == series.id]
    zone = ZoneInfo(series.timezone)
    bound = until
    if bound is None and not _ends(series.rrule):
        bound = _bound(series, own)
    # Not anchored: a stored series was checked when it was made; expanding from the
    # rule's own first start keeps DTSTART an occurrence, as RFC 5545 expects.
    starts = recurrence.rule_starts(
        series.rrule, series.first_start, series.timezone, until=bound, anchored=False
    )
    key = recurrence.instant
    live = {key(s.recurrence_id): s for s in own if s.recurrence_id is not None and not s.cancelled}
    generated = {recurrence.instant(start) for start in starts}
    strays = tuple(
        s
        for s in own
        if not s.cancelled
        and (s.recurrence_id is None or recurrence.instant(s.recurrence_id) not in generated)
    )
    if not starts or (not live and not cancelled):
        return SeriesEvents(events=(), strays=strays)
    walls = [rule_wall_time(series, start) for start in starts]
    master = vevent(
        series_uid(series.id, domain),
        texts=describe(series, program),
        start=walls[0],
        duration=series.duration,
        sequence=series.sequence,
        stamp=stamp,
        cancelled=cancelled,
    )
    # COUNT stays; any other end becomes UNTIL in UTC, as RFC 5545 asks of a zoned rule.
    rule = recurrence.end_before(series.rrule, starts, len(starts))
    master.add("rrule", icalendar.vRecur.from_ical(rule))
    events = [master]
    moments = [starts[0], starts[-1] + series.duration]
    if cancelled:
        return SeriesEvents(events=tuple(events), strays=(), moments=tuple(moments))
    skipped = [wall for start, wall in zip(starts, walls, strict=True) if key(start) not in live]
    if skipped:
        master.add("exdate", skipped)
    expected = describe(series, program)
    for start, wall in zip(starts, walls, strict=True):
        session = live.get(key(start))
        if session is None:
            continue
        # Where readers put this occurrence; anywhere else needs an override, and so
        # does an end readers could compute otherwise.
        moved = recurrence.instant(session.start) != read_back(wall, zone) or (
            read_ends(wall, series.duration, zone) != {recurrence.instant(session.end)}
        )
        if session.detached or moved or describe(session, program) != expected:
            moments += [session.start, session.end]
            events.append(
                occurrence_event(
                    session,
                    program,
                    recurrence_id=wall,
                    series_sequence=series.sequence,
                    domain=domain,
                    stamp=stamp,
                )
            )
    return SeriesEvents(events=tuple(events), strays=strays, moments=tuple(moments))


def calendar(method: str, texts: Mapping[str, str] | None = None) -> icalendar.Calendar:
    """An empty VCALENDAR of ``method``, with extra text properties (``X-WR-CALNAME``)."""
    from cpnetwork import __version__  # here: cpnetwork's package imports this module

    shell = icalendar.Calendar()
    shell.add("prodid", f"-//cpnetwork//cpnetwork {__version__}//EN")
    shell.add("version", "2.0")
    shell.add("calscale", "GREGORIAN")
    shell.add("method", method)
    for name, text in (texts or {}).items():
        # As vText explicitly: icalendar leaves properties it does not know unescaped.
        shell.add(name, icalendar.vText(text))
    return shell


def to_bytes(shell: icalendar.Calendar, moments: Iterable[datetime]) -> bytes:
    """The calendar as RFC 5545 text, with a VTIMEZONE for every zone its events name.

    Each VTIMEZONE covers whole years around ``moments`` (the first and last times the
    events reach): enough for any reader, far shorter than icalendar's 1970-2038.
    """
    known = sorted(moments, key=recurrence.instant)
    if known:
        first = date(known[0].year - 1, 1, 1)
        last = date(known[-1].year + 2, 1, 1)
        zones = [
            icalendar.Timezone.from_tzid(name, first_date=first, last_date=last)
            for name in sorted(shell.get_missing_tzids())
        ]
        # Before the events, so a reader that reads in one pass knows the zones.
        shell.subcomponents[:0] = zones
    return bytes(shell.to_ical())
