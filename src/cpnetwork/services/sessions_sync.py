"""Bringing a program's sessions in line with a schedule kept elsewhere (a calendar file).

The caller describes what should exist: series (an RRULE, exception dates, and
occurrences moved or retitled on their own) and one-off sessions, each under an id it
derives from the outside schedule, so describing the same schedule again finds the same
records.  :meth:`~cpnetwork.services.sessions.SessionService.sync` then, in one unit of
work,

* creates what does not exist yet: a series and one session per occurrence, as
  ``schedule_series`` would, or a one-off session as ``schedule`` would;
* brings what exists in line, matching a series' sessions by their original start
  (``recurrence_id``), as a calendar matches an occurrence by its RECURRENCE-ID: an
  occurrence changed on its own is ``detached``, one that is no longer scheduled is
  cancelled (an exception date keeps its ``recurrence_id``, an occurrence the rule no
  longer reaches loses it, as in :mod:`cpnetwork.services.sessions`), one scheduled
  again is un-cancelled.  Session ids, and so attendance, stay;
* leaves alone what the description does not mention: other series and sessions of the
  program, and fields the schedule does not set (capacity, facilitators, resources...).
  Session-only fields given for a series (:data:`OCCURRENCE_FIELDS`) are set on each of
  its occurrences.

Every plan is checked; the problems of all of them are raised together as a
:class:`~cpnetwork.errors.BatchError` and nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from attrs import evolve, field, frozen

from cpnetwork import recurrence
from cpnetwork.errors import (
    ConflictError,
    ValidationError,
)
from cpnetwork.events import SessionCancelled, SessionScheduled
from cpnetwork.model import Member, Program, Session, SessionSeries
from cpnetwork.services.context import Context
from cpnetwork.services.handling import apply_all, unit_of_work
from cpnetwork.services.sessions import (
    emit_changed,
    emit_session,
    occurrence_values,
    revised,
    year_end,
)
from cpnetwork.services.unit_of_work import UnitOfWork

#: Fields only sessions have: given for a series, they are set on each occurrence.
OCCURRENCE_FIELDS = frozenset({"facilitator_ids", "module", "track"})
#: Fields a plan may set on a series or a one-off session alike.
_SHARED_FIELDS = frozenset(
    {
        "title",
        "kind",
        "timezone",
        "modality",
        "venue",
        "join_url",
        "capacity",
        "counts_toward_completion",
    }
)
#: Fields a plan may set on a series (the rest are the store's or the user's).
SERIES_FIELDS = _SHARED_FIELDS | {"rrule", "first_start", "duration", "exdates"} | OCCURRENCE_FIELDS
#: Fields a plan may set on a one-off session.
SESSION_FIELDS = _SHARED_FIELDS | {"start", "end"} | OCCURRENCE_FIELDS
#: Fields a plan may change on one occurrence of a series.
_OVERRIDE_FIELDS = frozenset({"title", "start", "end", "modality", "venue", "join_url"})


_SERIES_REQUIRED = ("title", "rrule", "first_start", "duration", "timezone")


def _require(what: str, values: Mapping[str, Any], names: Sequence[str]) -> None:
    missing = [name for name in names if name not in values]
    if missing:
        raise ValidationError(what, None, f"a new one needs {', '.join(missing)}")


def _fields(values: Mapping[str, Any]) -> dict[str, Any]:
    return dict(values)


def _check_fields(what: str, values: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ValidationError(what, None, f"cannot set {', '.join(unknown)}")


@frozen(kw_only=True)
class OccurrenceChange:
    """One occurrence of a series that differs from the rule: moved, retitled, elsewhere."""

    #: The occurrence's original start, as the rule generates it.
    recurrence_id: datetime
    #: Any of ``start``, ``end``, ``title``, ``modality``, ``venue``, ``join_url``.
    changes: dict[str, Any] = field(factory=dict, converter=_fields)


@frozen(kw_only=True)
class PlannedSeries:
    """A series as it should be; ``ref`` is the caller's number for it in errors."""

    ref: int
    id: str
    #: SessionSeries fields (see :data:`SERIES_FIELDS`); a new series needs ``title``,
    #: ``rrule``, ``first_start``, ``duration`` and ``timezone``.
    fields: dict[str, Any] = field(converter=_fields)
    changes: tuple[OccurrenceChange, ...] = ()
    #: The whole series is called off: its existing sessions are cancelled (a series
    #: not synced before is skipped, so ``fields`` may then be empty).
    cancelled: bool = False


@frozen(kw_only=True)
class PlannedSession:
    """A one-off session as it should be; a new one needs ``title``, ``start``, ``end``."""

    ref: int
    id: str
    fields: dict[str, Any] = field(converter=_fields)
    cancelled: bool = False


@frozen(kw_only=True)
class SyncResult:
    """How many sessions a sync created, changed, cancelled or left as they were."""

    created: int = 0
    updated: int = 0
    cancelled: int = 0
    unchanged: int = 0
    #: References of cancelled plans that had nothing to cancel (never synced before).
    skipped: tuple[int, ...] = ()


class _Tally:
    def __init__(self) -> None:
        self.created = self.updated = self.cancelled = self.unchanged = 0
        self.skipped: list[int] = []

    def result(self) -> SyncResult:
        return SyncResult(
            created=self.created,
            updated=self.updated,
            cancelled=self.cancelled,
            unchanged=self.unchanged,
            skipped=tuple(self.skipped),
        )


def _in_zone(moment: datetime, zone_name: str) -> datetime:
    return recurrence.instant(moment).astimezone(recurrence.zone_of(zone_name))


def _ref(plan: PlannedSeries | PlannedSession) -> int:
    return plan.ref


def sync_program(
    context: Context,
    program_id: str,
    series: Sequence[PlannedSeries] = (),
    sessions: Sequence[PlannedSession] = (),
    *,
    dry_run: bool = False,
) -> SyncResult:
    """What :meth:`SessionService.sync` does (see the module docstring)."""
    tally = _Tally()
    with unit_of_work(context, dry_run=dry_run) as uow:
        uow.tx.lock(Program, program_id)
        program = uow.require(Program, program_id)
        bound = year_end(context, program)

        def sync_plan(uow: UnitOfWork, plan: PlannedSeries | PlannedSession) -> None:
            if isinstance(plan, PlannedSeries):
                _sync_series(uow, program, bound, plan, tally)
            else:
                _sync_session(uow, program, plan, tally)

        plans: list[PlannedSeries | PlannedSession] = [*series, *sessions]
        apply_all(uow, sync_plan, plans, kind="Session", keep=False, ref=_ref)
    return tally.result()


# -- one-off sessions --------------------------------------------------------------
def _sync_session(uow: UnitOfWork, program: Program, plan: PlannedSession, tally: _Tally) -> None:
    _check_fields("Session", plan.fields, SESSION_FIELDS)
    uow.tx.lock(Session, plan.id)
    current = uow.tx.get(Session, plan.id)
    if current is None and plan.cancelled:
        tally.skipped.append(plan.ref)
        return
    values = dict(plan.fields)
    if current is None:
        _require("Session", values, ("title", "start", "end"))
    uow.require_all(Member, values.get("facilitator_ids", ()))
    zone = values.get("timezone") or (current.timezone if current else uow.context.profile.timezone)
    values["timezone"] = zone
    for name in ("start", "end"):
        if name in values:
            values[name] = _in_zone(values[name], zone)
    if current is None:
        session = Session(id=plan.id, program_id=program.id, **values)
        uow.tx.insert(session)
        emit_session(uow, SessionScheduled, session)
        tally.created += 1
        return
    if current.program_id != program.id or current.series_id is not None:
        raise ConflictError("Session", plan.id, "belongs to another program or to a series")
    _replace(uow, current, evolve(current, **values, cancelled=plan.cancelled), tally)


# -- series ----------------------------------------------------------------------
def _sync_series(
    uow: UnitOfWork,
    program: Program,
    bound: datetime,
    plan: PlannedSeries,
    tally: _Tally,
) -> None:
    _check_fields("SessionSeries", plan.fields, SERIES_FIELDS)
    uow.tx.lock(SessionSeries, plan.id)
    current = uow.tx.get(SessionSeries, plan.id)
    if current is None and plan.cancelled:
        tally.skipped.append(plan.ref)
        return
    values = dict(plan.fields)
    if current is None:
        _require("SessionSeries", values, _SERIES_REQUIRED)
    each = {name: values.pop(name) for name in OCCURRENCE_FIELDS if name in values}
    uow.require_all(Member, each.get("facilitator_ids", ()))
    if "rrule" in values:
        values["rrule"] = recurrence.normalize_rule(values["rrule"])
    if "first_start" in values:
        zone = values.get("timezone") or (current.timezone if current else "UTC")
        values["first_start"] = _in_zone(values["first_start"], zone)
    if current is None:
        target = SessionSeries(id=plan.id, program_id=program.id, **values)
    elif current.program_id != program.id:
        raise ConflictError("SessionSeries", plan.id, "belongs to another program")
    else:
        target = evolve(current, **values)
    existing = uow.tx.find(Session, {"series_id": plan.id}) if current else []
    held = {recurrence.instant(s.recurrence_id): s for s in existing if s.recurrence_id is not None}
    if plan.cancelled:
        # As cancelling "all": every occurrence's start joins the exception dates.
        starts = {_in_zone(key, target.timezone) for key in held}
        target = evolve(target, exdates=target.exdates | starts)
        wanted: dict[datetime, dict[str, Any]] = {}
    else:
        wanted = _wanted(target, bound, plan.changes, each)
    if current is None:
        uow.tx.insert(target)
    elif target != current:
        uow.tx.update(revised(current, target))
    excluded = {recurrence.instant(d) for d in target.exdates}
    # Sessions leaving the rule give up their recurrence id first, so no key is
    # held twice while others move.
    leaving = [(key, s) for key, s in held.items() if key not in wanted]
    for key, session in leaving:
        gone = evolve(session, cancelled=True)
        if key not in excluded:
            gone = evolve(gone, recurrence_id=None)
        _replace(uow, session, gone, tally)
    new: list[Session] = []
    for key, values_at in wanted.items():
        match = held.get(key)
        if match is None:
            new.append(Session(program_id=program.id, **values_at))
        else:
            _replace(uow, match, evolve(match, **values_at, cancelled=False), tally)
    uow.tx.insert_many(new)
    for session in new:
        emit_session(uow, SessionScheduled, session)
    tally.created += len(new)


def _wanted(
    series: SessionSeries,
    bound: datetime,
    changes: Sequence[OccurrenceChange],
    each: Mapping[str, Any],
) -> dict[datetime, dict[str, Any]]:
    """Each occurrence that takes place, by the instant of its original start.

    ``each`` holds the session-only fields set on every occurrence.
    """
    starts = recurrence.occurrences(series, until=bound)
    if not starts:
        raise ValidationError(
            "SessionSeries", series.id, "every occurrence is an exdate", field="exdates"
        )
    wanted = {recurrence.instant(start): occurrence_values(series, start, each) for start in starts}
    for change in changes:
        _check_fields("Session", change.changes, _OVERRIDE_FIELDS)
        key = recurrence.instant(change.recurrence_id)
        if key not in wanted:
            raise ValidationError(
                "SessionSeries",
                series.id,
                f"{change.recurrence_id.isoformat()} is not an occurrence of the series",
            )
        values = dict(change.changes)
        for name in ("start", "end"):
            if name in values:
                values[name] = _in_zone(values[name], series.timezone)
        wanted[key].update(values, detached=True)
    return wanted


def _replace(uow: UnitOfWork, old: Session, new: Session, tally: _Tally) -> None:
    """Write ``new`` over ``old`` if it differs, with the event and count it makes."""
    if new == old:
        tally.unchanged += 1
        return
    new = revised(old, new)
    uow.tx.update(new)
    if new.cancelled and not old.cancelled:
        emit_session(uow, SessionCancelled, new)
        tally.cancelled += 1
    else:
        emit_changed(uow, old, new)
        tally.updated += 1
