"""A calendar feed: one ``.ics`` file of sessions that calendar programs subscribe to."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

import icalendar

from cpnetwork import recurrence
from cpnetwork.calendars.components import (
    DEFAULT_DOMAIN,
    calendar,
    series_events,
    session_event,
    to_bytes,
)
from cpnetwork.model import Program, Session, SessionSeries

#: How often subscribers are asked to fetch the feed again.
REFRESH = timedelta(hours=12)


def feed(
    sessions: Iterable[Session],
    series: Iterable[SessionSeries] = (),
    *,
    name: str,
    programs: Iterable[Program] = (),
    until: Mapping[str, datetime] | None = None,
    timezone: str | None = None,
    domain: str = DEFAULT_DOMAIN,
    stamp: datetime | None = None,
    refresh: timedelta | None = REFRESH,
) -> bytes:
    """One VCALENDAR (METHOD:PUBLISH) holding ``sessions``, named ``name``.

    ``sessions`` are every session to show, cancelled ones included: a cancelled
    one-off session is shown as STATUS:CANCELLED (so a subscriber that had it sees it
    called off), a cancelled occurrence as an EXDATE of its series.  Each series in
    ``series`` is one event with its RRULE; give all of its sessions, since an
    occurrence without a live session is left out.  A session whose series is not
    given is shown on its own.  ``programs`` name each session's program in its
    description; ``until`` gives, by series id, where a rule with neither COUNT nor
    UNTIL stops (the end of its program year; else its last session).  ``timezone``
    is the calendar's own zone (X-WR-TIMEZONE), ``stamp`` its DTSTAMP (now if not
    given), ``domain`` the right-hand side of UIDs.
    """
    moment = (stamp or datetime.now(UTC)).astimezone(UTC)
    titles = {program.id: program for program in programs}
    bounds = dict(until or {})
    by_series: dict[str, list[Session]] = defaultdict(list)
    one_off: list[Session] = []
    for session in sessions:
        if session.series_id is None:
            one_off.append(session)
        else:
            by_series[session.series_id].append(session)
    groups: list[tuple[datetime, str, list[icalendar.Event]]] = []
    moments: list[datetime] = []
    for record in series:
        built = series_events(
            record,
            by_series.pop(record.id, ()),
            titles.get(record.program_id),
            until=bounds.get(record.id),
            domain=domain,
            stamp=moment,
        )
        if built.events:
            groups.append((built.moments[0], str(built.events[0]["UID"]), list(built.events)))
        moments += built.moments
        one_off += built.strays
    # Occurrences of a series not given: shown on their own, unless they do not happen.
    one_off += [s for held in by_series.values() for s in held if not s.cancelled]
    for session in one_off:
        event = session_event(session, titles.get(session.program_id), domain=domain, stamp=moment)
        groups.append((session.start, str(event["UID"]), [event]))
        moments += [session.start, session.end]
    texts = {"X-WR-CALNAME": name, "NAME": name}
    if timezone is not None:
        texts["X-WR-TIMEZONE"] = timezone
    shell = calendar("PUBLISH", texts)
    if refresh is not None:
        # RFC 7986's property, and the one Outlook and Google read.
        shell.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
        shell.add("x-published-ttl", icalendar.vDuration(refresh))
    groups.sort(key=lambda group: (recurrence.instant(group[0]), group[1]))
    for _, _, events in groups:
        for event in events:
            shell.add_component(event)
    return to_bytes(shell, moments)
