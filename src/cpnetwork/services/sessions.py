"""Sessions: one-off, multi-day and recurring, edited as people expect from calendars.

A recurring series is one RRULE (see :mod:`cpnetwork.recurrence`) whose occurrences
are materialized as :class:`Session` records, so attendance, materials and surveys can
refer to each one by a stable id.  An occurrence is the ``n``-th start its series' rule
generates (``recurrence_id`` is that original start), and edits of a series map
occurrences *by that position*: after "all" or "this and following" edits the ``n``-th
session of the edited range becomes the ``n``-th start of the new rule, keeping its id.

* ``EditScope.THIS`` changes one occurrence and marks it ``detached``;
* ``EditScope.ALL`` rewrites the series and every occurrence in place, leaving
  detached ones where they are (they only follow the renumbering);
* ``EditScope.THIS_AND_FOLLOWING`` splits the series: the old one ends before this
  occurrence and a new one starts at it, taking over the following sessions in place.

The occurrence an "all" / "this and following" edit is made from always takes the
changes (and is re-attached if it was detached).  Its new ``start`` gives the series its
new local time of day and moves the series' days as far as it moves (the rule is
re-anchored, see :func:`cpnetwork.recurrence.move_days`, and an UNTIL moves along);
an edit whose rule would not put this occurrence at the new start is refused.
Exception dates follow their occurrence's position too.

A session the new rule no longer reaches is cancelled and loses its ``recurrence_id``
(it stays in its series, so its history is kept); a start the rule newly reaches gets a
new session.  Durations are elapsed time, so a 90-minute session lasts 90 minutes on the
night clocks change.  Each call is one unit of work: bad input raises and changes nothing.

Every write that changes a session or series adds one to its ``sequence`` (iCalendar's
SEQUENCE, see :mod:`cpnetwork.calendars`); new ones start at 0.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, Unpack

from attrs import evolve, fields_dict

from cpnetwork import recurrence
from cpnetwork.errors import ConflictError, NotFoundError, ValidationError
from cpnetwork.events import SessionCancelled, SessionChanged, SessionScheduled, changed_fields
from cpnetwork.files import replace_file
from cpnetwork.model import (
    Enrollment,
    EnrollmentStatus,
    Member,
    Program,
    Session,
    SessionSeries,
    new_id,
)
from cpnetwork.model import _validators as v
from cpnetwork.model.arguments import SeriesOptions, SessionChanges, SessionFields
from cpnetwork.services.context import Context
from cpnetwork.services.unit_of_work import UnitOfWork
from cpnetwork.storage import Transaction

if TYPE_CHECKING:
    from cpnetwork.services.sessions_sync import PlannedSeries, PlannedSession, SyncResult

R = TypeVar("R")
Revisable = TypeVar("Revisable", Session, SessionSeries)
SessionEvent = type[SessionScheduled] | type[SessionChanged] | type[SessionCancelled]


class EditScope(v.Choice):
    """Which occurrences of a series an edit or cancellation applies to."""

    THIS = "this"
    THIS_AND_FOLLOWING = "this_and_following"
    ALL = "all"


#: Fields a series and its occurrences share; series edits copy them onto occurrences.
SHARED_FIELDS = (
    "title",
    "kind",
    "timezone",
    "modality",
    "venue",
    "join_url",
    "capacity",
    "counts_toward_completion",
)
#: Fields only sessions have; a series edit applies them to the occurrences it changes.
OCCURRENCE_FIELDS = ("facilitator_ids", "module", "track")
#: What ``edit`` accepts; ``start``, ``end`` and ``duration`` set the schedule.
_TIMING = ("start", "end", "duration")
_SESSION_EDITS = frozenset({*_TIMING, *SHARED_FIELDS, *OCCURRENCE_FIELDS} - {"timezone"})
_SERIES_EDITS = _SESSION_EDITS | {"rrule"}
#: Enrollments whose member's calendar shows the program's sessions.
CALENDAR_STATUSES = frozenset(
    {EnrollmentStatus.ACCEPTED, EnrollmentStatus.ENROLLED, EnrollmentStatus.COMPLETED}
)
#: Fields ``schedule`` decides itself (an importer may still give an ``id``).
_LINKS = ("program_id", "series_id", "recurrence_id", "detached", "cancelled", "sequence")


def _invalid(kind: str, record_id: str | None, reason: str, field: str | None = None) -> NoReturn:
    raise ValidationError(kind, record_id, reason, field=field)


def _check_keys(kind: str, given: Mapping[str, Any], allowed: frozenset[str] | set[str]) -> None:
    unknown = sorted(set(given) - allowed)
    if unknown:
        _invalid(
            kind, None, f"cannot set {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )


def _aware(kind: str, value: Any, name: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(
            kind, None, f"{value!r} is not a datetime with a time zone", field=name
        )
    if not v.MIN_YEAR <= value.year <= v.MAX_YEAR:  # before any arithmetic overflows
        reason = f"{value.isoformat()} is not between the years {v.MIN_YEAR} and {v.MAX_YEAR}"
        raise ValidationError(kind, None, reason, field=name)
    return value


def _duration(kind: str, value: Any) -> timedelta:
    if not isinstance(value, timedelta) or not timedelta(0) < value <= v.MAX_DURATION:
        raise ValidationError(
            kind,
            None,
            f"{value!r} is not a positive timedelta of at most 100 years",
            field="duration",
        )
    return value


def _plus(start: datetime, duration: timedelta, zone: tzinfo) -> datetime:
    """``start`` plus elapsed time (as RFC 5545 adds an hour duration), in ``zone``.

    Python adds to an aware datetime on the wall clock, which across a DST change
    gives an hour too much or little, or a local time that does not exist.  Whole days
    from local midnight are days on the calendar, as RFC 5545 adds a day duration: an
    all-day session ends at midnight, 23 or 25 hours later across a clock change.
    """
    local = _in_zone(start, zone)
    if local.time() == time() and duration % timedelta(days=1) == timedelta(0):
        return recurrence.localize(datetime.combine(local.date() + duration, time()), zone)
    return (recurrence.instant(start) + duration).astimezone(zone)


def _in_zone(moment: datetime, zone: tzinfo) -> datetime:
    """``moment`` in ``zone``, as a local time that exists.

    Through UTC, because ``astimezone`` to the zone a datetime already has returns it
    unchanged, even at a wall-clock time a DST gap skips.
    """
    return recurrence.instant(moment).astimezone(zone)


def _elapsed(session: Session) -> timedelta:
    # ``Session.duration`` subtracts wall clocks when both ends share a zone.
    return recurrence.instant(session.end) - recurrence.instant(session.start)


def _require(tx: Transaction, cls: type[R], record_id: str) -> R:
    record = tx.get(cls, record_id)
    if record is None:
        raise NotFoundError(cls.__name__, record_id)
    return record


def revised(before: Revisable, after: Revisable) -> Revisable:
    """``after`` as the next version of ``before``: calendars replace an event only
    with one of a higher SEQUENCE, so every change must raise it."""
    return evolve(after, sequence=before.sequence + 1)


def _visible(session: Session) -> Session:
    """The session without its links to a series, to tell real changes from relinking."""
    return evolve(session, series_id=None, recurrence_id=None, sequence=0)


class SessionService:
    def __init__(self, context: Context) -> None:
        self._context = context

    # -- reading -------------------------------------------------------------------
    def get(self, session_id: str) -> Session:
        with self._context.reading() as tx:
            return _require(tx, Session, session_id)

    def series(self, series_id: str) -> SessionSeries:
        with self._context.reading() as tx:
            return _require(tx, SessionSeries, series_id)

    def find(
        self,
        program_id: str | None = None,
        *,
        series_id: str | None = None,
        include_cancelled: bool = False,
    ) -> list[Session]:
        """Sessions of a program (or of every program), ordered by start."""
        where: dict[str, Any] = {}
        if program_id is not None:
            where["program_id"] = program_id
        if series_id is not None:
            where["series_id"] = series_id
        if not include_cancelled:
            where["cancelled"] = False
        with self._context.reading() as tx:
            found = tx.find(Session, where)
        # Sorted here by instant: a store may keep offsets that sort wrongly as text.
        return sorted(found, key=lambda s: (recurrence.instant(s.start), s.id))

    # -- scheduling ----------------------------------------------------------------
    def schedule(self, program_id: str, **given: Unpack[SessionFields]) -> Session:
        """Schedule a one-off or multi-day session.

        Give ``start`` and either ``end`` or ``duration``; ``timezone`` defaults to the
        network's.  Times are stored in the session's time zone.
        """
        fields: dict[str, Any] = dict(given)
        _check_keys("Session", fields, {*fields_dict(Session), "duration"} - set(_LINKS))
        fields.setdefault("timezone", self._context.profile.timezone)
        zone = recurrence.zone_of(fields["timezone"])
        start = _in_zone(_aware("Session", fields.get("start"), "start"), zone)
        fields["start"] = start
        if "duration" in fields:
            if "end" in fields:
                _invalid("Session", None, "give end or duration, not both", "duration")
            fields["end"] = _plus(start, _duration("Session", fields.pop("duration")), zone)
        fields["end"] = _in_zone(_aware("Session", fields.get("end"), "end"), zone)
        session = Session(program_id=program_id, **fields)
        with self._context.unit_of_work() as uow:
            uow.require(Program, program_id)
            _check_links(uow, fields)
            uow.tx.insert(session)
            emit_session(uow, SessionScheduled, session)
        return session

    def schedule_series(
        self,
        program_id: str,
        *,
        title: str,
        rrule: str,
        first_start: datetime,
        duration: timedelta,
        **options: Unpack[SeriesOptions],
    ) -> tuple[SessionSeries, list[Session]]:
        """Schedule a recurring session and create a session for each occurrence.

        ``first_start`` must be the rule's first occurrence; a rule with neither COUNT
        nor UNTIL runs to the end of the program's program year.  ``exdates`` lists
        original starts that do not take place.
        """
        fields: dict[str, Any] = dict(options)
        _check_keys(
            "SessionSeries", fields, set(fields_dict(SessionSeries)) - {"program_id", "sequence"}
        )
        fields.setdefault("timezone", self._context.profile.timezone)
        zone = recurrence.zone_of(fields["timezone"])
        series = SessionSeries(
            program_id=program_id,
            title=title,
            rrule=recurrence.normalize_rule(rrule),
            first_start=_in_zone(_aware("SessionSeries", first_start, "first_start"), zone),
            duration=_duration("SessionSeries", duration),
            **fields,
        )
        with self._context.unit_of_work() as uow:
            program = uow.require(Program, program_id)
            _check_links(uow, fields)
            starts = recurrence.occurrences(series, until=year_end(self._context, program))
            if not starts:
                _invalid("SessionSeries", series.id, "every occurrence is an exdate", "exdates")
            sessions = [occurrence(series, start, {}) for start in starts]
            uow.tx.insert(series)
            uow.tx.insert_many(sessions)
            for session in sessions:
                emit_session(uow, SessionScheduled, session)
        return series, sessions

    # -- editing -------------------------------------------------------------------
    def edit(
        self,
        session_id: str,
        scope: EditScope | str = EditScope.THIS,
        **given: Unpack[SessionChanges],
    ) -> Session:
        """Change a session; for an occurrence of a series, ``scope`` says which.

        Changes: ``title``, ``kind``, ``start``, ``end`` or ``duration``, ``modality``,
        ``venue``, ``join_url``, ``capacity``, ``counts_toward_completion``,
        ``facilitator_ids``, ``module``, ``track`` (and ``timezone``
        for a one-off session, ``rrule`` for a series scope).  In a series scope a new
        ``start`` sets the series' local time of day and moves its days as far as this
        occurrence moves (see :func:`cpnetwork.recurrence.move_days`).  A one-off
        session ignores ``scope``.  Returns the edited session as it now is.
        """
        scope = EditScope(scope)
        changes: dict[str, Any] = dict(given)
        with self._context.unit_of_work() as uow:
            uow.tx.lock(Session, session_id)
            session = uow.require(Session, session_id)
            if session.cancelled:
                raise ConflictError("Session", session_id, "is cancelled; it cannot be edited")
            _check_links(uow, changes)
            if session.series_id is None:
                _check_keys("Session", changes, _SESSION_EDITS | {"timezone"})
                return _edit_one(uow, session, changes, detach=False)
            if scope is EditScope.THIS:
                _check_keys("Session", changes, _SESSION_EDITS)
                return _edit_one(uow, session, changes, detach=True)
            _check_keys("SessionSeries", changes, _SERIES_EDITS)
            return _edit_series(uow, session, scope, changes)

    def cancel(self, session_id: str, scope: EditScope | str = EditScope.THIS) -> Session:
        """Cancel a session, or this and the following / all occurrences of its series.

        A cancelled occurrence's original start joins its series' exdates; cancelling
        "this and following" ends the series before this occurrence instead.
        """
        scope = EditScope(scope)
        with self._context.unit_of_work() as uow:
            uow.tx.lock(Session, session_id)
            session = uow.require(Session, session_id)
            if session.series_id is None or scope is EditScope.THIS:
                return _cancel_one(uow, session)
            return _cancel_series(uow, session, scope)

    # -- calendars -----------------------------------------------------------------
    def ics(
        self,
        program_id: str | None = None,
        *,
        member_id: str | None = None,
        name: str | None = None,
        domain: str | None = None,
    ) -> bytes:
        """The sessions as one iCalendar feed (``.ics``) that calendars subscribe to.

        The whole network's sessions; a program's (``program_id``); those of the
        programs a member takes part in (``member_id``: enrollment accepted, enrolled
        or completed); with both, the program's if the member takes part in it.  A
        series is one event with RRULE, EXDATEs and overrides, an open-ended rule
        ending with its program year; see :func:`cpnetwork.calendars.feed`.  ``name``
        defaults to the network's name (with the program's or member's); ``domain``
        (in every UID) to :data:`cpnetwork.calendars.DEFAULT_DOMAIN`.
        """
        with self._context.reading() as tx:
            programs = tx.find(Program)
            by_id = {program.id: program for program in programs}
            wanted = set(by_id)
            title = self._context.profile.name
            if program_id is not None:
                program = by_id.get(program_id)
                if program is None:
                    raise NotFoundError("Program", program_id)
                wanted = {program_id}
                title = f"{title}: {program.title}"
            if member_id is not None:
                member = _require(tx, Member, member_id)
                taking = tx.find(
                    Enrollment,
                    {"member_id": member_id, "status": sorted(CALENDAR_STATUSES)},
                )
                wanted &= {enrollment.program_id for enrollment in taking}
                title = f"{title}: {member.name}"
            where: dict[str, Any] = {}
            if program_id is not None or member_id is not None:
                where["program_id"] = sorted(wanted)
            sessions = tx.find(Session, where) if wanted else []
            series = tx.find(SessionSeries, where) if wanted else []
        from cpnetwork import calendars  # icalendar loads when a feed is first made

        return calendars.feed(
            sessions,
            series,
            name=name or title,
            programs=[by_id[program] for program in sorted(wanted)],
            until={s.id: year_end(self._context, by_id[s.program_id]) for s in series},
            timezone=self._context.profile.timezone,
            domain=domain or calendars.DEFAULT_DOMAIN,
            stamp=self._context.now(),
        )

    def write_ics(
        self,
        path: str | os.PathLike[str],
        program_id: str | None = None,
        *,
        member_id: str | None = None,
        name: str | None = None,
        domain: str | None = None,
    ) -> Path:
        """Write :meth:`ics` to ``path``, replacing the file atomically.

        Subscribers fetching the file while it is written get the old feed or the new
        one, never half of one (see :func:`cpnetwork.files.replace_file`).  A feed is
        meant to be published: a new file gets the umask's permissions, not 0600.
        """
        data = self.ics(program_id, member_id=member_id, name=name, domain=domain)
        return replace_file(path, data, private=False)

    # -- bringing a schedule kept elsewhere in line ---------------------------------
    def year_end(self, program: Program) -> datetime:
        """The last instant of the program's program year: where open-ended rules stop."""
        return year_end(self._context, program)

    def sync(
        self,
        program_id: str,
        series: Sequence[PlannedSeries] = (),
        sessions: Sequence[PlannedSession] = (),
        *,
        dry_run: bool = False,
    ) -> SyncResult:
        """Create or bring in line every planned series and session of a program.

        See :mod:`cpnetwork.services.sessions_sync`.  All or nothing: problems of every
        plan are raised together as a BatchError (references are the plans' ``ref``).
        With ``dry_run`` the changes are made, counted and rolled back.
        """
        from cpnetwork.services.sessions_sync import sync_program

        return sync_program(self._context, program_id, series, sessions, dry_run=dry_run)


# -- one session ------------------------------------------------------------------
def _check_links(uow: UnitOfWork, values: Mapping[str, Any]) -> None:
    """The facilitators a session names exist."""
    uow.require_all(Member, values.get("facilitator_ids", ()))


def emit_session(uow: UnitOfWork, event: SessionEvent, session: Session) -> None:
    uow.emit(
        event(at=uow.now, session_id=session.id, program_id=session.program_id, session=session)
    )


def emit_changed(uow: UnitOfWork, previous: Session, session: Session) -> None:
    """SessionChanged with the session before and after, and the fields that changed."""
    uow.emit(
        SessionChanged(
            at=uow.now,
            session_id=session.id,
            program_id=session.program_id,
            session=session,
            previous=previous,
            # The sequence is bookkeeping that every change moves, not a change itself.
            changed=tuple(name for name in changed_fields(previous, session) if name != "sequence"),
        )
    )


def _timing(
    session: Session, changes: Mapping[str, Any]
) -> tuple[datetime | None, timedelta | None]:
    """The new start (if moved) and duration (if changed) an edit asks for."""
    if "end" in changes and "duration" in changes:
        _invalid("Session", session.id, "give end or duration, not both", "duration")
    start = None
    if "start" in changes:
        start = _aware("Session", changes["start"], "start")
    duration = None
    if "duration" in changes:
        duration = _duration("Session", changes["duration"])
    elif "end" in changes:
        end = _aware("Session", changes["end"], "end")
        begin = start if start is not None else session.start
        duration = recurrence.instant(end) - recurrence.instant(begin)
        if duration <= timedelta(0):
            _invalid("Session", session.id, "ends before it starts", "end")
    return start, duration


def _edit_one(
    uow: UnitOfWork, session: Session, changes: dict[str, Any], *, detach: bool
) -> Session:
    start, duration = _timing(session, changes)
    values = {k: v for k, v in changes.items() if k not in _TIMING}
    timezone = values.get("timezone", session.timezone)
    zone = recurrence.zone_of(timezone)
    new_start = _in_zone(start if start is not None else session.start, zone)
    values["start"] = new_start
    values["end"] = _plus(new_start, duration or _elapsed(session), zone)
    updated = evolve(session, **values)
    if updated == session:
        return session
    if detach:
        updated = evolve(updated, detached=True)
    updated = revised(session, updated)
    uow.tx.update(updated)
    emit_changed(uow, session, updated)
    return updated


def _cancel_one(uow: UnitOfWork, session: Session) -> Session:
    if session.cancelled:
        return session
    cancelled = revised(session, evolve(session, cancelled=True))
    uow.tx.update(cancelled)
    if session.series_id is not None and session.recurrence_id is not None:
        uow.tx.lock(SessionSeries, session.series_id)
        series = uow.require(SessionSeries, session.series_id)
        # The series' EXDATEs change, so its calendar event is a new version too.
        uow.tx.update(
            revised(series, evolve(series, exdates=series.exdates | {session.recurrence_id}))
        )
    emit_session(uow, SessionCancelled, cancelled)
    return cancelled


# -- series -----------------------------------------------------------------------
def year_end(context: Context, program: Program) -> datetime:
    """The last instant of the program's program year, in the network's time zone."""
    _, next_start = context.profile.program_year_bounds(program.program_year)
    midnight = recurrence.localize(datetime.combine(next_start, time()), context.zone)
    return midnight - timedelta(microseconds=1)


def occurrence_values(
    series: SessionSeries, start: datetime, extra: Mapping[str, Any]
) -> dict[str, Any]:
    """What an occurrence at ``start`` takes from its series (and the edit's extras)."""
    zone = recurrence.zone_of(series.timezone)
    values = {name: getattr(series, name) for name in SHARED_FIELDS}
    values.update(
        start=start,
        end=_plus(start, series.duration, zone),
        series_id=series.id,
        recurrence_id=start,
        detached=False,
    )
    values.update(extra)
    return values


def occurrence(series: SessionSeries, start: datetime, extra: Mapping[str, Any]) -> Session:
    return Session(program_id=series.program_id, **occurrence_values(series, start, extra))


def _load(
    uow: UnitOfWork, session: Session
) -> tuple[SessionSeries, datetime, list[datetime], list[tuple[int, Session]], int]:
    """The series, its bound, its rule's starts, its sessions by position, and ours."""
    assert session.series_id is not None  # callers only pass occurrences
    uow.tx.lock(SessionSeries, session.series_id)
    series = uow.require(SessionSeries, session.series_id)
    bound = year_end(uow.context, uow.require(Program, series.program_id))
    # Not anchored: the stored series was checked when it was made, and a changed
    # program year must not make it unreadable.
    starts = recurrence.rule_starts(
        series.rrule, series.first_start, series.timezone, until=bound, anchored=False
    )
    positioned: list[tuple[int, Session]] = []
    for other in uow.tx.find(Session, {"series_id": series.id}):
        position = recurrence.index_of(starts, other.recurrence_id)
        if position is not None:
            positioned.append((position, other))
    positioned.sort(key=lambda pair: pair[0])
    index = recurrence.index_of(starts, session.recurrence_id)
    if index is None:
        raise ConflictError(
            "Session",
            session.id,
            "is no longer an occurrence of its series' rule; edit it with scope 'this'",
        )
    return series, bound, starts, positioned, index


def _edit_series(
    uow: UnitOfWork, session: Session, scope: EditScope, changes: dict[str, Any]
) -> Session:
    series, bound, starts, positioned, index = _load(uow, session)
    zone = recurrence.zone_of(series.timezone)
    start, duration = _timing(session, changes)
    anchor_old = starts[index].astimezone(zone)
    # The series' own wall-clock time: an occurrence on a day that skips it (a DST
    # gap) starts later, and that later time must not become the series' time.
    nominal = _in_zone(series.first_start, zone)
    new_anchor = _in_zone(start, zone) if start is not None else anchor_old
    wall, fold = (
        (new_anchor.time(), new_anchor.fold)
        if start is not None
        else (nominal.time(), nominal.fold)
    )
    shift = new_anchor.date() - anchor_old.date()
    split = scope is EditScope.THIS_AND_FOLLOWING and index > 0
    if split:
        # The old series keeps the occurrences before this one ...
        head = evolve(
            series,
            rrule=recurrence.end_before(series.rrule, starts, index),
            exdates={d for d in series.exdates if recurrence.instant(d) < starts[index]},
        )
        uow.tx.update(revised(series, head))
        # ... and a new one takes this and the following, renumbered from 0.
        base = evolve(series, id=new_id(), sequence=0)
        base_rule = recurrence.continue_from(series.rrule, index)
        first_day, offset = anchor_old.date(), index
    else:
        base, base_rule = series, series.rrule
        first_day, offset = nominal.date(), 0
    if "rrule" in changes:
        rule = recurrence.normalize_rule(changes["rrule"])
    else:
        rule = recurrence.move_days(base_rule, anchor_old.date(), new_anchor.date())
        # The series moves as a whole, its UNTIL with it (or it would lose its last).
        moved_by = datetime.combine(new_anchor.date(), wall) - datetime.combine(
            anchor_old.date(), nominal.time()
        )
        rule = recurrence.shift_until(rule, moved_by, series.timezone)
    dtstart = recurrence.localize(datetime.combine(first_day + shift, wall), zone, fold)
    new_starts = recurrence.rule_starts(rule, dtstart, series.timezone, until=bound, anchored=False)
    if not new_starts:
        _invalid("SessionSeries", series.id, f"{rule!r} has no occurrences", "rrule")
    first = new_starts[0].astimezone(zone)
    if first.time() != wall:
        # A series' first start is an instant; begun at a time its first day skips,
        # it would read as the later time and every occurrence would follow that.
        _invalid(
            "SessionSeries",
            series.id,
            f"{wall} does not exist on {first.date()} (a daylight-saving gap), so the "
            "series cannot begin there; give a start that exists",
            "start",
        )
    position = index - offset
    if start is not None and (
        position >= len(new_starts)
        or recurrence.instant(new_starts[position]) != recurrence.instant(new_anchor)
    ):
        found = new_starts[position].isoformat() if position < len(new_starts) else "nothing"
        _invalid(
            "SessionSeries",
            series.id,
            f"with rule {rule!r} this occurrence would start at {found}, "
            f"not {new_anchor.isoformat()}; give a rule that has that start",
            "start",
        )
    shared = {k: changes[k] for k in SHARED_FIELDS if k in changes}
    extra = {k: changes[k] for k in OCCURRENCE_FIELDS if k in changes}
    old_exdates = {recurrence.instant(d) for d in series.exdates}
    new_series = evolve(
        base,
        rrule=rule,
        first_start=new_starts[0],
        duration=duration or series.duration,
        # An exception date follows its occurrence's position into the new rule.
        exdates={
            new_starts[i - offset]
            for i, start_i in enumerate(starts)
            if i >= offset
            and i - offset < len(new_starts)
            and recurrence.instant(start_i) in old_exdates
        },
        **shared,
    )
    if new_series.id == series.id:
        if new_series != series:
            uow.tx.update(revised(series, new_series))
    else:
        uow.tx.insert(new_series)
    moved = [(i - offset, s) for i, s in positioned if i >= offset]
    edited = _retarget(uow, new_series, new_starts, moved, session.id, extra)
    return edited


def _retarget(
    uow: UnitOfWork,
    series: SessionSeries,
    starts: list[datetime],
    sessions: list[tuple[int, Session]],
    edited_id: str,
    extra: Mapping[str, Any],
) -> Session:
    """Move each session to the start at its position in ``starts``, ids kept."""
    updates: list[tuple[Session, Session]] = []
    taken: set[int] = set()
    for position, session in sorted(sessions, key=lambda pair: pair[0]):
        if position >= len(starts) or position in taken:
            updated = evolve(session, series_id=series.id, recurrence_id=None, cancelled=True)
        elif session.detached and session.id != edited_id:
            updated = evolve(session, series_id=series.id, recurrence_id=starts[position])
        else:
            # Cancelled sessions move too (and stay cancelled) so they keep their slot.
            updated = evolve(session, **occurrence_values(series, starts[position], extra))
        taken.add(position)
        updates.append((session, updated))
    # Clear moved recurrence ids first when a new one is still held by another
    # session, so no intermediate state breaks the (series, recurrence) key.
    held = {
        (s.series_id, recurrence.instant(s.recurrence_id)): s.id
        for s, _ in updates
        if s.recurrence_id is not None
    }
    if any(
        held.get((new.series_id, recurrence.instant(new.recurrence_id)), new.id) != new.id
        for _, new in updates
        if new.recurrence_id is not None
    ):
        for old, new in updates:
            if old.recurrence_id is not None and old != new:
                uow.tx.update(evolve(old, recurrence_id=None))
    edited: Session | None = None
    for old, new in updates:
        if new != old:
            new = revised(old, new)
            uow.tx.update(new)
            if new.cancelled and not old.cancelled:
                emit_session(uow, SessionCancelled, new)
            elif not new.cancelled and _visible(new) != _visible(old):
                emit_changed(uow, old, new)
        if new.id == edited_id:
            edited = new
    exdates = {recurrence.instant(d) for d in series.exdates}
    created = [
        occurrence(series, start, extra)
        for position, start in enumerate(starts)
        if position not in taken and recurrence.instant(start) not in exdates
    ]
    uow.tx.insert_many(created)
    for session in created:
        emit_session(uow, SessionScheduled, session)
    assert edited is not None  # the edited session is always among ``sessions``
    return edited


def _cancel_series(uow: UnitOfWork, session: Session, scope: EditScope) -> Session:
    series, _, starts, positioned, index = _load(uow, session)
    if scope is EditScope.THIS_AND_FOLLOWING and index > 0:
        cut = starts[index]
        uow.tx.update(
            revised(
                series,
                evolve(
                    series,
                    rrule=recurrence.end_before(series.rrule, starts, index),
                    exdates={d for d in series.exdates if recurrence.instant(d) < cut},
                ),
            )
        )
        ending = [s for i, s in positioned if i >= index]
        result = session
        for other in ending:
            # Past the series' new end: cancelled, and no longer an occurrence.
            updated = revised(other, evolve(other, cancelled=True, recurrence_id=None))
            uow.tx.update(updated)
            if not other.cancelled:
                emit_session(uow, SessionCancelled, updated)
            if other.id == session.id:
                result = updated
        return result
    result = session
    exdates = set(series.exdates)
    for _, other in positioned:
        if other.recurrence_id is not None:
            exdates.add(other.recurrence_id)
        if other.cancelled:
            continue
        updated = revised(other, evolve(other, cancelled=True))
        uow.tx.update(updated)
        emit_session(uow, SessionCancelled, updated)
        if other.id == session.id:
            result = updated
    if exdates != series.exdates:
        uow.tx.update(revised(series, evolve(series, exdates=exdates)))
    return result
