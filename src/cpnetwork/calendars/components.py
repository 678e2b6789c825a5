"""Sessions and series as iCalendar components: what feeds and invites share.

A one-off session is one VEVENT.  A series is one VEVENT with its RRULE (and DTSTART in
the series' zone, so calendars keep its wall-clock time across daylight saving), an
EXDATE for every occurrence that does not take place, and an override (same UID,
RECURRENCE-ID = the occurrence's original start) for every occurrence that differs from
what the rule gives.  Built from the sessions the library holds, so a calendar expands
the events to exactly the sessions that take place.
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


def session_event(
    session: Session, program: Program | None, *, domain: str, stamp: datetime
) -> icalendar.Event:
    """A one-off session (or an occurrence shown on its own) as a VEVENT."""
    zone = ZoneInfo(session.timezone)
    return vevent(
        session_uid(session.id, domain),
        texts=describe(session, program),
        start=session.start.astimezone(zone),
        end=session.end.astimezone(zone),
        sequence=session.sequence,
        stamp=stamp,
        cancelled=session.cancelled,
    )


def occurrence_event(
    session: Session,
    program: Program | None,
    *,
    zone: ZoneInfo,
    series_sequence: int,
    domain: str,
    stamp: datetime,
) -> icalendar.Event:
    """One occurrence as an override of its series' event (RECURRENCE-ID in ``zone``)."""
    assert session.series_id is not None and session.recurrence_id is not None
    own = ZoneInfo(session.timezone)
    event = vevent(
        series_uid(session.series_id, domain),
        texts=describe(session, program),
        start=session.start.astimezone(own),
        end=session.end.astimezone(own),
        # Some calendars ignore an override older than its series' event.
        sequence=max(series_sequence, session.sequence),
        stamp=stamp,
        cancelled=session.cancelled,
    )
    event.add("recurrence-id", recurrence.instant(session.recurrence_id).astimezone(zone))
    return event


def nominal_ends(start: datetime, duration: timedelta, zone: ZoneInfo) -> set[datetime]:
    """Where calendars end an occurrence of DURATION ``duration``, as UTC instants.

    RFC 5545 (§3.3.6) counts the days of a duration on the wall clock and its hours
    as elapsed time; some readers (Python's own arithmetic among them) count it all on
    the wall clock.  The two differ only for an occurrence a clock change falls in.
    """
    local = recurrence.instant(start).astimezone(zone)
    days = timedelta(days=duration.days)
    by_days = local
    if days:
        by_days = recurrence.localize(local.replace(tzinfo=None) + days, zone, local.fold)
    wall = recurrence.localize(local.replace(tzinfo=None) + duration, zone, local.fold)
    return {
        recurrence.instant(by_days) + (duration - days),
        recurrence.instant(wall),
    }


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
    live = {
        recurrence.instant(s.recurrence_id): s
        for s in own
        if s.recurrence_id is not None and not s.cancelled
    }
    generated = {recurrence.instant(start) for start in starts}
    strays = tuple(
        s
        for s in own
        if not s.cancelled
        and (s.recurrence_id is None or recurrence.instant(s.recurrence_id) not in generated)
    )
    if not starts or (not live and not cancelled):
        return SeriesEvents(events=(), strays=strays)
    master = vevent(
        series_uid(series.id, domain),
        texts=describe(series, program),
        start=starts[0].astimezone(zone),
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
    skipped = [start for start in starts if recurrence.instant(start) not in live]
    if skipped:
        master.add("exdate", [start.astimezone(zone) for start in skipped])
    expected = describe(series, program)
    for start in starts:
        session = live.get(recurrence.instant(start))
        if session is None:
            continue
        # An end readers could compute otherwise is given explicitly, by an override.
        ends = nominal_ends(start, series.duration, zone)
        moved = recurrence.instant(session.start) != recurrence.instant(start) or (
            ends != {recurrence.instant(session.end)}
        )
        if session.detached or moved or describe(session, program) != expected:
            moments += [session.start, session.end]
            events.append(
                occurrence_event(
                    session,
                    program,
                    zone=zone,
                    series_sequence=series.sequence,
                    domain=domain,
                    stamp=stamp,
                )
            )
    return SeriesEvents(events=tuple(events), strays=strays, moments=tuple(moments))


def calendar(method: str, **texts: str) -> icalendar.Calendar:
    """An empty VCALENDAR of ``method``, with extra text properties (``X_WR_CALNAME=``)."""
    from cpnetwork import __version__  # here: cpnetwork's package imports this module

    shell = icalendar.Calendar()
    shell.add("prodid", f"-//cpnetwork//cpnetwork {__version__}//EN")
    shell.add("version", "2.0")
    shell.add("calscale", "GREGORIAN")
    shell.add("method", method)
    for name, text in texts.items():
        # As vText explicitly: icalendar leaves properties it does not know unescaped.
        shell.add(name.replace("_", "-"), icalendar.vText(text))
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
