"""Invitations for mail: one event as an iTIP (RFC 5546) REQUEST or CANCEL.

An invite carries the same UID as the event in the feed (:mod:`cpnetwork.calendars.feeds`),
so a calendar that holds the session, by subscription or an earlier invite, replaces it
with the invite's version when that has a higher SEQUENCE.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import icalendar

from cpnetwork.calendars.components import (
    DEFAULT_DOMAIN,
    calendar,
    occurrence_event,
    rule_wall_time,
    series_events,
    session_event,
    to_bytes,
)
from cpnetwork.errors import ValidationError
from cpnetwork.model import Program, Session, SessionSeries
from cpnetwork.model import _validators as v

#: A person in an invite: an email address, or a ``(name, address)`` pair as
#: :func:`email.utils.formataddr` takes.
Address = str | tuple[str, str]

#: One address, nothing around it: a line break or blank would end the property.
_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+")


class Method(v.Choice):
    """What an invite asks of the calendar that receives it."""

    #: Add the event, or replace the version it holds.
    REQUEST = "REQUEST"
    #: Remove the event (or the one occurrence).
    CANCEL = "CANCEL"


def _address(person: Address, field: str, **parameters: str) -> icalendar.vCalAddress:
    name, email = ("", person) if isinstance(person, str) else person
    if not isinstance(email, str) or not _EMAIL.fullmatch(email):
        raise ValidationError("Invite", None, f"{email!r} is not an email address", field=field)
    address = icalendar.vCalAddress(f"mailto:{email}")
    # A display name is one line, whatever the record it came from holds.
    shown = " ".join(str(name).split())
    if shown:
        address.params["CN"] = shown
    address.params.update(parameters)
    return address


def _addressed(
    event: icalendar.Event, method: Method, organizer: Address, attendees: Iterable[Address]
) -> None:
    event.add("organizer", _address(organizer, "organizer"))
    listed = list(attendees)
    if not listed:
        raise ValidationError("Invite", None, "an invite needs attendees", field="attendees")
    for person in listed:
        event.add(
            "attendee",
            _address(
                person,
                "attendees",
                CUTYPE="INDIVIDUAL",
                ROLE="REQ-PARTICIPANT",
                PARTSTAT="NEEDS-ACTION",
                # The network records who comes; replies would go nowhere.
                RSVP="FALSE",
            ),
        )
    _replace(event, "status", "CANCELLED" if method is Method.CANCEL else "CONFIRMED")


def _replace(event: icalendar.Event, name: str, value: object) -> None:
    event.pop(name.upper(), None)
    event.add(name, value)


def invite(
    session: Session,
    *,
    series: SessionSeries | None = None,
    method: Method | str = Method.REQUEST,
    organizer: Address,
    attendees: Iterable[Address],
    sequence: int | None = None,
    program: Program | None = None,
    domain: str = DEFAULT_DOMAIN,
    stamp: datetime | None = None,
) -> bytes:
    """A calendar with one session's event, to attach to mail (``text/calendar``).

    A one-off session is its own event; an occurrence of a series is that occurrence
    of the series' event (the series' UID and RECURRENCE-ID), so ``CANCEL`` removes
    only it.  ``series`` (the session's series, if given) supplies the zone of
    RECURRENCE-ID and the series' SEQUENCE.  ``sequence`` defaults to the session's
    (for an occurrence, the higher of the session's and the series').  Attendees get
    PARTSTAT=NEEDS-ACTION and RSVP=FALSE.
    """
    method = Method(method)
    moment = (stamp or datetime.now(UTC)).astimezone(UTC)
    if series is not None and series.id != session.series_id:
        raise ValidationError(
            "Invite", session.id, f"is not an occurrence of series {series.id}", field="series"
        )
    if session.series_id is not None and session.recurrence_id is not None:
        if series is not None:
            recurrence_id = rule_wall_time(series, session.recurrence_id)
        else:
            recurrence_id = session.recurrence_id.astimezone(ZoneInfo(session.timezone))
        event = occurrence_event(
            session,
            program,
            recurrence_id=recurrence_id,
            series_sequence=series.sequence if series is not None else 0,
            domain=domain,
            stamp=moment,
        )
    else:
        event = session_event(session, program, domain=domain, stamp=moment)
    if sequence is not None:
        _replace(event, "sequence", sequence)
    _addressed(event, method, organizer, attendees)
    shell = calendar(method.value)
    shell.add_component(event)
    return to_bytes(shell, [session.start, session.end])


def series_invite(
    series: SessionSeries,
    sessions: Iterable[Session],
    *,
    method: Method | str = Method.REQUEST,
    organizer: Address,
    attendees: Iterable[Address],
    sequence: int | None = None,
    program: Program | None = None,
    until: datetime | None = None,
    domain: str = DEFAULT_DOMAIN,
    stamp: datetime | None = None,
) -> bytes:
    """A calendar with a whole series' event, as the feed shows it, to attach to mail.

    ``sessions`` are the series' sessions (cancelled ones too): the REQUEST carries its
    RRULE, EXDATEs and overrides; ``CANCEL`` removes the whole series.  ``until`` is
    where a rule with neither COUNT nor UNTIL stops; ``sequence`` overrides the
    series' own on every component.
    """
    method = Method(method)
    moment = (stamp or datetime.now(UTC)).astimezone(UTC)
    built = series_events(
        series,
        sessions,
        program,
        until=until,
        domain=domain,
        stamp=moment,
        cancelled=method is Method.CANCEL,
    )
    if not built.events:
        raise ValidationError(
            "Invite", series.id, "no occurrence of the series takes place; send CANCEL"
        )
    shell = calendar(method.value)
    for event in built.events:
        if sequence is not None:
            _replace(event, "sequence", sequence)
        _addressed(event, method, organizer, attendees)
        shell.add_component(event)
    return to_bytes(shell, built.moments)
