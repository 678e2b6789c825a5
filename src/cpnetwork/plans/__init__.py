"""A program year in one TOML file, applied idempotently.

A plan lists programs, each with its enrollment policy (mode, window, seats,
eligibility rules, quotas), completion rule, hosts and partners (organizations by name
or code, see :mod:`cpnetwork.plans.names`), modules and tracks, one-off sessions and
recurring series (with their capacity, facilitators by email, module and track), and
teams (:mod:`cpnetwork.plans.teams`)::

    timezone = "America/Los_Angeles"   # optional: the network's by default
    year = 2024                        # the program year of programs that name none

    [[programs]]
    title = "Science Leadership Academy"
    format = "hybrid"

    [programs.policy]
    mode = "application"
    capacity = 30
    deadline = 2024-09-15              # a date: the end of that day

    [[programs.sessions]]
    title = "Kickoff"
    start = 2024-10-16T09:00:00        # no offset: on the plan's wall clock
    duration = "90m"

    [[programs.series]]
    title = "Learning community"
    rrule = "FREQ=MONTHLY;BYDAY=3WE;COUNT=8"
    first_start = 2024-10-16T16:00:00
    duration = "1h"

:func:`apply_plan` brings the network in line with the plan in one unit of work: a
program is matched by title and program year, a one-off session by title and start,
a series by title within its program.  What is missing is created, what differs is
changed (sessions and series through
:meth:`~cpnetwork.services.sessions.SessionService.sync`, so session ids and their
attendance stay), and what the plan does not mention is left alone.  Applying the same
plan again changes nothing.  A dry run makes every change, reports it and rolls back.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import evolve, field, frozen

from cpnetwork import recurrence
from cpnetwork.errors import CpnetworkError, ValidationError
from cpnetwork.model import (
    CompletionRule,
    EligibilityRule,
    EnrollmentPolicy,
    Module,
    Program,
    Quota,
    Session,
    SessionSeries,
    new_id,
)
from cpnetwork.model.programs import deadline_at, opening_at
from cpnetwork.plans._common import Change, check_keys, problem, text_list
from cpnetwork.plans.names import Names
from cpnetwork.plans.teams import TeamPlan, apply_teams, read_teams
from cpnetwork.services.handling import unit_of_work
from cpnetwork.services.sessions_sync import (
    SERIES_FIELDS,
    SESSION_FIELDS,
    PlannedSeries,
    PlannedSession,
)

if TYPE_CHECKING:
    from cpnetwork.network import Network
    from cpnetwork.services.context import Context

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?:in)?)?$")

_TOP_KEYS = frozenset({"year", "timezone", "programs", "teams"})
_PROGRAM_KEYS = frozenset(
    {
        "title",
        "year",
        "description",
        "audience",
        "format",
        "fee_cents",
        "tags",
        "hosts",
        "partners",
        "modules",
        "tracks",
        "policy",
        "completion",
        "sessions",
        "series",
    }
)
_POLICY_KEYS = frozenset(
    {
        "mode",
        "opens",
        "deadline",
        "capacity",
        "waitlist",
        "offer_window",
        "eligibility",
        "quotas",
    }
)
# A plan names facilitators by email where the session holds their ids; a one-off
# session may give a duration instead of an end.
_SESSION_KEYS = (SESSION_FIELDS - {"facilitator_ids"}) | {"facilitators", "duration"}
_SERIES_KEYS = (SERIES_FIELDS - {"facilitator_ids"}) | {"facilitators"}


@frozen(kw_only=True)
class ProgramPlan:
    """One program as the plan describes it: fields to set, sessions and series."""

    title: str
    year: int
    #: Where the plan lists it, for errors: ``program 2 ('Academy')``.
    where: str = ""
    #: Program fields the plan sets (besides title and year); others are left alone.
    fields: dict[str, Any] = field(factory=dict)
    #: Host and partner organizations by name or code; None: left alone.
    hosts: tuple[str, ...] | None = None
    partners: tuple[str, ...] | None = None
    sessions: tuple[dict[str, Any], ...] = ()
    series: tuple[dict[str, Any], ...] = ()


@frozen(kw_only=True)
class Plan:
    source: str
    programs: tuple[ProgramPlan, ...] = ()
    teams: tuple[TeamPlan, ...] = ()


@frozen(kw_only=True)
class PlanResult:
    changes: tuple[Change, ...] = ()
    dry_run: bool = False

    @property
    def changed(self) -> list[Change]:
        """The changes that change something (not ``unchanged``)."""
        return [c for c in self.changes if c.action != "unchanged"]

    def lines(self) -> list[str]:
        verb = "would " if self.dry_run else ""
        shown = [f"{verb}{change}" for change in self.changed]
        unchanged = len(self.changes) - len(self.changed)
        shown.append(
            f"{len(self.changed)} change(s){' (dry run: nothing written)' if self.dry_run else ''}"
            f", {unchanged} unchanged"
        )
        return shown


# -- reading ------------------------------------------------------------------------
def parse_duration(value: Any) -> timedelta:
    """Minutes as a number, or text: ``90m``, ``1h30m``, ``2h``, ``2d``."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return timedelta(minutes=value)
    text = str(value).strip().lower().replace(" ", "")
    match = _DURATION.match(text)
    if not text or match is None:
        raise ValueError(f"{value!r} is not a duration (90m, 1h30m, 2h, 2d)")
    days, hours, minutes = (int(part or 0) for part in match.groups())
    found = timedelta(days=days, hours=hours, minutes=minutes)
    if found <= timedelta(0):
        raise ValueError(f"{value!r} is not a positive duration")
    return found


def _aware(value: Any, zone: tzinfo, name: str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise ValueError(f"{name} {value!r} is not a date and time")
    if value.tzinfo is None:
        return recurrence.localize(value, zone)
    return value


def _day_or_time(value: Any) -> date | datetime:
    if isinstance(value, str):
        return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    if isinstance(value, date):
        return value
    raise ValueError(f"{value!r} is not a date or a date and time")


def _localized(value: date | datetime, zone: tzinfo) -> date | datetime:
    if isinstance(value, datetime) and value.tzinfo is None:
        return recurrence.localize(value, zone)
    return value


def _policy(table: Mapping[str, Any], zone: tzinfo) -> EnrollmentPolicy:
    values: dict[str, Any] = dict(table)
    if "opens" in values:
        values["opens"] = opening_at(_localized(_day_or_time(values["opens"]), zone), zone)
    if "deadline" in values:
        values["deadline"] = deadline_at(_localized(_day_or_time(values["deadline"]), zone), zone)
    if "offer_window" in values:
        window = values["offer_window"]
        values["offer_window"] = None if window in ("none", False) else parse_duration(window)
    values["eligibility"] = [EligibilityRule(**rule) for rule in values.get("eligibility", [])]
    values["quotas"] = [Quota(**quota) for quota in values.get("quotas", [])]
    return EnrollmentPolicy(**values)


def _extras(values: dict[str, Any]) -> None:
    """Check a session's or series' seats, facilitators, module and track."""
    if "facilitators" in values:
        values["facilitators"] = text_list(values["facilitators"], "facilitators")
    for name in ("module", "track"):
        if name in values and (not isinstance(values[name], str) or not values[name].strip()):
            raise ValueError(f"{name} must be the key of one of the program's {name}s")
    capacity = values.get("capacity")
    if "capacity" in values and (
        not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 0
    ):
        raise ValueError(f"capacity {capacity!r} is not a number of seats")


def _session(table: Mapping[str, Any], zone_name: str, source: str, where: str) -> dict[str, Any]:
    check_keys(source, where, table, _SESSION_KEYS)
    values = dict(table)
    zone_name = values.setdefault("timezone", zone_name)
    zone = recurrence.zone_of(zone_name)
    if "title" not in values or "start" not in values:
        raise ValueError("a session needs title and start")
    _extras(values)
    values["start"] = _aware(values["start"], zone, "start")
    if ("end" in values) == ("duration" in values):
        raise ValueError("give end or duration, not both nor neither")
    if "duration" in values:
        values["end"] = values["start"] + parse_duration(values.pop("duration"))
    else:
        values["end"] = _aware(values["end"], zone, "end")
    return values


def _series(table: Mapping[str, Any], zone_name: str, source: str, where: str) -> dict[str, Any]:
    check_keys(source, where, table, _SERIES_KEYS)
    values = dict(table)
    zone_name = values.setdefault("timezone", zone_name)
    zone = recurrence.zone_of(zone_name)
    missing = [k for k in ("title", "rrule", "first_start", "duration") if k not in values]
    if missing:
        raise ValueError(f"a series needs {', '.join(missing)}")
    _extras(values)
    values["first_start"] = _aware(values["first_start"], zone, "first_start")
    values["duration"] = parse_duration(values["duration"])
    values["exdates"] = frozenset(
        _aware(d if isinstance(d, datetime) else datetime.combine(d, time()), zone, "exdate")
        for d in values.get("exdates", [])
    )
    return values


@contextmanager
def _placed(source: str, where: str) -> Iterator[None]:
    """Turn a problem found reading one entry into the plan's error naming the entry."""
    try:
        yield
    except ValidationError as exc:
        if exc.kind == "Plan":
            raise  # placed already, by an entry within this one
        raise problem(source, f"{where}: {exc}") from exc
    except (CpnetworkError, ValueError, TypeError) as exc:
        raise problem(source, f"{where}: {exc}") from exc


def read_plan(text: str, *, source: str = "plan", timezone: str, year: int) -> Plan:
    """A plan from TOML text; times without an offset are on ``timezone``'s wall clock.

    ``year`` is the program year of programs that name none (unless the plan's own
    ``year`` says otherwise).  Any problem is a ValidationError naming the place.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise problem(source, f"not TOML: {exc}") from exc
    check_keys(source, "the plan", data, _TOP_KEYS)
    zone_name = str(data.get("timezone", timezone))
    try:
        zone = recurrence.zone_of(zone_name)
    except ValidationError as exc:
        raise problem(source, f"timezone {zone_name!r} is not an IANA time zone") from exc
    default_year = data.get("year", year)
    programs: list[ProgramPlan] = []
    seen: set[tuple[str, int]] = set()
    for n, table in enumerate(data.get("programs", []), start=1):
        where = f"program {n}" + (f" ({table['title']!r})" if "title" in table else "")
        check_keys(source, where, table, _PROGRAM_KEYS)
        with _placed(source, where):
            programs.append(_program(table, zone, zone_name, default_year, source, where))
        key = (programs[-1].title, programs[-1].year)
        if key in seen:
            raise problem(source, f"{where}: the plan lists {key[0]!r} of {key[1]} twice")
        seen.add(key)
    teams = read_teams(source, data.get("teams", []), int(default_year))
    return Plan(source=source, programs=tuple(programs), teams=teams)


def _program(
    table: Mapping[str, Any],
    zone: tzinfo,
    zone_name: str,
    default_year: int,
    source: str,
    where: str,
) -> ProgramPlan:
    if not table.get("title"):
        raise ValueError("a program needs a title")
    fields: dict[str, Any] = {
        key: table[key]
        for key in ("description", "audience", "format", "fee_cents", "tags")
        if key in table
    }
    if "tags" in fields:
        fields["tags"] = frozenset(fields["tags"])
    if "policy" in table:
        check_keys(source, f"{where} policy", table["policy"], _POLICY_KEYS)
        fields["policy"] = _policy(table["policy"], zone)
    if "completion" in table:
        fields["completion"] = CompletionRule(**table["completion"])
    for name in ("modules", "tracks"):
        if name in table:
            fields[name] = _modules(table[name], name)
    # Checked now, so a bad value names the plan's place, not the store's.
    Program(title=table["title"], program_year=int(table.get("year", default_year)), **fields)
    sessions: list[dict[str, Any]] = []
    for i, entry in enumerate(table.get("sessions", []), start=1):
        with _placed(source, f"{where} session {i}"):
            sessions.append(_session(entry, zone_name, source, f"{where} session {i}"))
    series: list[dict[str, Any]] = []
    for i, entry in enumerate(table.get("series", []), start=1):
        with _placed(source, f"{where} series {i}"):
            series.append(_series(entry, zone_name, source, f"{where} series {i}"))
    titles = [s["title"] for s in series]
    if len(set(titles)) != len(titles):
        raise ValueError("two series share a title; a series is known by its title")
    return ProgramPlan(
        title=table["title"],
        year=int(table.get("year", default_year)),
        where=where,
        fields=fields,
        hosts=text_list(table["hosts"], "hosts") if "hosts" in table else None,
        partners=text_list(table["partners"], "partners") if "partners" in table else None,
        sessions=tuple(sessions),
        series=tuple(series),
    )


def _modules(value: Any, name: str) -> tuple[Module, ...]:
    """Modules or tracks: each a key (``"m1"``) or a table (``{ key = "m1", title = ... }``)."""
    if not isinstance(value, list):
        raise ValueError(f"{name} must be a list of keys or of {{ key, title }} tables")
    found: list[Module] = []
    for item in value:
        if isinstance(item, str):
            found.append(Module(key=item))
        elif isinstance(item, dict) and set(item) <= {"key", "title"} and "key" in item:
            found.append(Module(**item))
        else:
            raise ValueError(f"{name}: {item!r} is neither a key nor a {{ key, title }} table")
    keys = [m.key for m in found]
    if len(set(keys)) != len(keys):
        raise ValueError(f"{name}: two share a key; each is known by its key")
    return tuple(found)


def load_plan(path: str | Path, *, timezone: str, year: int) -> Plan:
    """A plan read from a TOML file (see :func:`read_plan`)."""
    path = Path(path)
    return read_plan(
        path.read_text(encoding="utf-8"), source=path.name, timezone=timezone, year=year
    )


# -- applying -----------------------------------------------------------------------
def apply_plan(
    context: Context, network: Network, plan: Plan, *, dry_run: bool = False
) -> PlanResult:
    """Bring the network in line with ``plan`` in one unit of work; see the module."""
    if dry_run and context.in_change():
        # Rolling back would undo the surrounding change too: refuse rather than commit.
        raise ValidationError("Plan", plan.source, "a dry run cannot join a change in progress")
    changes: list[Change] = []
    with unit_of_work(context, dry_run=dry_run) as uow:
        names = Names(uow.tx)
        for program_plan in plan.programs:
            try:
                program_plan = _organizations(names, program_plan)
            except ValueError as exc:
                raise problem(plan.source, f"{program_plan.where}: {exc}") from exc
            program = _apply_program(uow.tx, network, program_plan, changes)
            _apply_sessions(uow.tx, network, names, program, plan.source, program_plan, changes)
        apply_teams(uow, network, names, plan.source, plan.teams, changes)
    return PlanResult(changes=tuple(changes), dry_run=dry_run)


def _organizations(names: Names, plan: ProgramPlan) -> ProgramPlan:
    """The plan with its hosts and partners found, as the program's fields."""
    fields = dict(plan.fields)
    if plan.hosts is not None:
        fields["host_ids"] = names.organization_ids(plan.hosts, "hosts")
    if plan.partners is not None:
        fields["partner_ids"] = names.organization_ids(plan.partners, "partners")
    return evolve(plan, fields=fields)


def _label(program: Program | ProgramPlan) -> str:
    if isinstance(program, Program):
        return f"{program.title!r} ({program.program_year})"
    return f"{program.title!r} ({program.year})"


def _apply_program(tx: Any, network: Network, plan: ProgramPlan, changes: list[Change]) -> Program:
    found: Sequence[Program] = tx.find(Program, {"title": plan.title, "program_year": plan.year})
    if len(found) > 1:
        raise ValidationError(
            "Program",
            None,
            f"{len(found)} programs of {plan.year} are titled {plan.title!r}; the plan "
            "matches programs by title and year",
        )
    if not found:
        created = network.programs.create(title=plan.title, program_year=plan.year, **plan.fields)
        changes.append(Change(action="create", kind="program", name=_label(created)))
        return created
    current = found[0]
    wanted = evolve(current, **plan.fields)
    differing = {
        name: value for name, value in plan.fields.items() if getattr(current, name) != value
    }
    if wanted == current or not differing:
        changes.append(Change(action="unchanged", kind="program", name=_label(current)))
        return current
    updated = network.programs.update(current.id, **differing)
    changes.append(
        Change(
            action="update",
            kind="program",
            name=_label(updated),
            detail=", ".join(sorted(differing)),
        )
    )
    return updated


def _when(moment: datetime, zone: str) -> str:
    return (
        recurrence.instant(moment).astimezone(recurrence.zone_of(zone)).strftime("%Y-%m-%d %H:%M")
    )


def _session_fields(
    names: Names, program: Program, source: str, where: str, given: Mapping[str, Any]
) -> dict[str, Any]:
    """A session's or series' fields with its facilitators found and its parts checked."""
    values = dict(given)
    try:
        if "facilitators" in values:
            values["facilitator_ids"] = names.member_ids(values.pop("facilitators"), "facilitators")
        for name, parts in (("module", program.modules), ("track", program.tracks)):
            keys = [part.key for part in parts]
            if name in values and values[name] not in keys:
                known = (
                    f"its {name}s are {', '.join(map(repr, keys))}"
                    if keys
                    else f"it has no {name}s"
                )
                raise ValueError(
                    f"{name} {values[name]!r} is not one of {_label(program)}'s: {known}"
                )
    except ValueError as exc:
        raise problem(source, f"{where}: {exc}") from exc
    return values


def _apply_sessions(
    tx: Any,
    network: Network,
    names: Names,
    program: Program,
    source: str,
    plan: ProgramPlan,
    changes: list[Change],
) -> None:
    one_offs = [s for s in tx.find(Session, {"program_id": program.id}) if s.series_id is None]
    for ref, given in enumerate(plan.sessions, start=1):
        values = _session_fields(names, program, source, f"{plan.where} session {ref}", given)
        start = recurrence.instant(values["start"])
        match = next(
            (
                s
                for s in one_offs
                if s.title == values["title"] and recurrence.instant(s.start) == start
            ),
            None,
        )
        planned = PlannedSession(ref=ref, id=match.id if match else new_id(), fields=values)
        result = network.sessions.sync(program.id, sessions=[planned])
        name = (
            f"{values['title']!r} {_when(values['start'], values['timezone'])} of {_label(program)}"
        )
        action = (
            "create"
            if result.created
            else "update"
            if result.updated or result.cancelled
            else "unchanged"
        )
        changes.append(Change(action=action, kind="session", name=name))
    for ref, given in enumerate(plan.series, start=1):
        values = _session_fields(names, program, source, f"{plan.where} series {ref}", given)
        existing: Sequence[SessionSeries] = tx.find(
            SessionSeries, {"program_id": program.id, "title": values["title"]}
        )
        series_id = existing[0].id if existing else new_id()
        planned_series = PlannedSeries(ref=ref, id=series_id, fields=values)
        result = network.sessions.sync(program.id, series=[planned_series])
        name = f"{values['title']!r} of {_label(program)}"
        if not existing:
            changes.append(
                Change(
                    action="create", kind="series", name=name, detail=f"{result.created} sessions"
                )
            )
        elif result.created or result.updated or result.cancelled:
            detail = (
                f"{result.created} sessions created, {result.updated} changed, "
                f"{result.cancelled} cancelled"
            )
            changes.append(Change(action="update", kind="series", name=name, detail=detail))
        else:
            changes.append(Change(action="unchanged", kind="series", name=name))
