"""Teams and groups in a plan: regional and county teams, cohorts, grade-level groups.

::

    [[teams]]
    name = "Fresno County team"
    kind = "county"
    county = "10"                      # its region follows from the county
    program = "Science Leadership Academy"   # optional: a program of the plan's year
    members = ["ada@example.org", "bo@example.org"]
    leads = ["ada@example.org"]

A team is matched by name.  What the plan gives is set, what it leaves out is left
alone: ``members`` (and ``leads``) given are the whole list, so a member taken off the
list leaves the team.  Leads must be members.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from attrs import evolve, field, frozen

from cpnetwork.errors import CpnetworkError
from cpnetwork.model import Program, Team, TeamKind
from cpnetwork.plans._common import Change, check_keys, problem, text_list
from cpnetwork.plans.names import Names

if TYPE_CHECKING:
    from cpnetwork.network import Network
    from cpnetwork.services.unit_of_work import UnitOfWork

TEAM_KEYS = frozenset({"name", "kind", "county", "region", "program", "members", "leads"})


def _optional_text(table: Mapping[str, Any], key: str) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key} must be a non-empty string")
    return value.strip()


@frozen(kw_only=True)
class TeamPlan:
    """One team as the plan describes it; None: a field the plan leaves alone."""

    where: str
    name: str
    kind: TeamKind
    county: str | None = None
    region: str | None = None
    #: The title of a program of ``year``.
    program: str | None = None
    year: int = 0
    members: tuple[str, ...] | None = None
    leads: tuple[str, ...] | None = None
    #: The keys the plan gives.
    given: frozenset[str] = field(factory=frozenset)


def read_teams(source: str, tables: Any, year: int) -> tuple[TeamPlan, ...]:
    """The ``[[teams]]`` of a plan; a problem names the team's place in the file."""
    if not isinstance(tables, list):
        raise problem(source, "teams must be an array of tables ([[teams]])")
    teams: list[TeamPlan] = []
    for n, table in enumerate(tables, start=1):
        name = table.get("name") if isinstance(table, dict) else None
        where = f"team {n}" + (f" ({name!r})" if isinstance(name, str) else "")
        if not isinstance(table, dict):
            raise problem(source, f"{where}: not a table")
        check_keys(source, where, table, TEAM_KEYS)
        try:
            teams.append(_team(table, where, year))
        except ValueError as exc:
            raise problem(source, f"{where}: {exc}") from exc
    names = [t.name for t in teams]
    for team in teams:
        if names.count(team.name) > 1:
            raise problem(source, f"{team.where}: the plan lists a team {team.name!r} twice")
    return tuple(teams)


def _team(table: Mapping[str, Any], where: str, year: int) -> TeamPlan:
    name = _optional_text(table, "name")
    if name is None:
        raise ValueError("a team needs a name")
    if "kind" not in table:
        raise ValueError(f"a team needs a kind ({', '.join(k.value for k in TeamKind)})")
    kind = str(table["kind"])
    if kind not in {k.value for k in TeamKind}:
        raise ValueError(f"kind {kind!r} is not one of {', '.join(k.value for k in TeamKind)}")
    members = text_list(table["members"], "members") if "members" in table else None
    leads = text_list(table["leads"], "leads") if "leads" in table else None
    if members is not None and leads is not None:
        outside = [lead for lead in leads if lead.casefold() not in {m.casefold() for m in members}]
        if outside:
            raise ValueError(f"leads {', '.join(map(repr, outside))} are not among its members")
    return TeamPlan(
        where=where,
        name=name,
        kind=TeamKind(kind),
        county=_optional_text(table, "county"),
        region=_optional_text(table, "region"),
        program=_optional_text(table, "program"),
        year=year,
        members=members,
        leads=leads,
        given=frozenset(table),
    )


def apply_teams(
    uow: UnitOfWork,
    network: Network,
    names: Names,
    source: str,
    teams: Sequence[TeamPlan],
    changes: list[Change],
) -> None:
    """Create the teams missing, bring the others in line (see the module)."""
    for plan in teams:
        try:
            changes.append(_apply_team(uow, network, names, plan))
        except (CpnetworkError, ValueError) as exc:
            raise problem(source, f"{plan.where}: {exc}") from exc


def _apply_team(uow: UnitOfWork, network: Network, names: Names, plan: TeamPlan) -> Change:
    wanted = _wanted(uow, names, plan)
    found: Sequence[Team] = uow.tx.find(Team, {"name": plan.name})
    if len(found) > 1:
        raise ValueError(f"{len(found)} teams are named {plan.name!r}; the plan matches by name")
    current = found[0] if found else None
    members = wanted.get("member_ids", current.member_ids if current else frozenset())
    if "member_ids" in wanted and "lead_ids" not in wanted and current is not None:
        # Leads leaving the team stop leading it (leads must be members).
        wanted["lead_ids"] = current.lead_ids & members
    leads = zip(plan.leads or (), names.member_ids(plan.leads or (), "leads"), strict=True)
    outside = [email for email, member_id in leads if member_id not in members]
    if outside:
        raise ValueError(f"leads {', '.join(map(repr, outside))} are not members of the team")
    label = repr(plan.name)
    if current is None:
        network.teams.create(
            plan.name,
            plan.kind,
            program_id=wanted.get("program_id"),
            county=wanted.get("county"),
            region=wanted.get("region"),
            member_ids=members,
            lead_ids=wanted.get("lead_ids", ()),
        )
        return Change(action="create", kind="team", name=label)
    differing = {k: v for k, v in wanted.items() if getattr(current, k) != v}
    if not differing:
        return Change(action="unchanged", kind="team", name=label)
    uow.tx.lock(Team, current.id)
    updated = evolve(current, **differing)
    uow.tx.update(updated)
    uow.record_changed(updated, created=False)
    return Change(action="update", kind="team", name=label, detail=", ".join(sorted(differing)))


def _wanted(uow: UnitOfWork, names: Names, plan: TeamPlan) -> dict[str, Any]:
    """The team's fields the plan sets, with what it names found in the network."""
    wanted: dict[str, Any] = {"kind": plan.kind}
    if "county" in plan.given:
        wanted["county"] = plan.county
        if "region" not in plan.given:
            wanted["region"] = uow.context.region_of(plan.county)
    if "region" in plan.given:
        wanted["region"] = plan.region
    if plan.program is not None:
        programs: Sequence[Program] = uow.tx.find(
            Program, {"title": plan.program, "program_year": plan.year}
        )
        if len(programs) != 1:
            raise ValueError(
                f"program: {len(programs) or 'no'} program(s) of {plan.year} titled "
                f"{plan.program!r}"
            )
        wanted["program_id"] = programs[0].id
    if plan.members is not None:
        wanted["member_ids"] = frozenset(names.member_ids(plan.members, "members"))
    if plan.leads is not None:
        wanted["lead_ids"] = frozenset(names.member_ids(plan.leads, "leads"))
    return wanted
