"""Teams and groups: regional and county teams, cohorts, grade-level and job-alike groups."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from attrs import evolve

from cpnetwork.errors import NotFoundError, ValidationError
from cpnetwork.model import (
    Member,
    Program,
    Team,
    TeamKind,
)
from cpnetwork.services.context import Context
from cpnetwork.services.unit_of_work import UnitOfWork, require


def _evolve_team(team: Team, **changes: Any) -> Team:
    # The attrs mypy plugin types a ``converter=frozenset`` field as a generic
    # Iterable it cannot solve, so changes pass through untyped; Team validates them.
    return evolve(team, **changes)


class TeamService:
    """Regional and county teams, cohorts, grade-level and job-alike groups."""

    def __init__(self, context: Context) -> None:
        self._context = context

    def create(
        self,
        name: str,
        kind: TeamKind | str,
        *,
        program_id: str | None = None,
        county: str | None = None,
        region: str | None = None,
        member_ids: Iterable[str] = (),
        lead_ids: Iterable[str] = (),
    ) -> Team:
        """Create a team; its region defaults to the county's region in the jurisdiction.

        Members (and the program, if given) must exist; leads must be among the members.
        """
        fields: dict[str, Any] = {
            "name": name,
            "kind": kind,
            "program_id": program_id,
            "county": county,
            "region": region or self._context.region_of(county),
            "member_ids": frozenset(member_ids),
            "lead_ids": frozenset(lead_ids),
        }
        team = Team(**fields)
        with self._context.unit_of_work() as uow:
            if program_id is not None:
                uow.require(Program, program_id)
            uow.require_all(Member, team.member_ids)
            uow.tx.insert(team)
            uow.record_changed(team, created=True)
        return team

    def _change(self, team_id: str, change: Callable[[UnitOfWork, Team], Team]) -> Team:
        with self._context.unit_of_work() as uow:
            team = change(uow, uow.require(Team, team_id))
            uow.tx.update(team)
            uow.record_changed(team, created=False)
        return team

    def add_members(self, team_id: str, member_ids: Iterable[str]) -> Team:
        """Add members (existing ones are kept; adding one twice changes nothing)."""
        wanted = frozenset(member_ids)

        def add(uow: UnitOfWork, team: Team) -> Team:
            uow.require_all(Member, wanted - team.member_ids)
            return _evolve_team(team, member_ids=team.member_ids | wanted)

        return self._change(team_id, add)

    def remove_member(self, team_id: str, member_id: str) -> Team:
        """Take a member off the team, and off its leads (leads must be members)."""

        def remove(uow: UnitOfWork, team: Team) -> Team:
            if member_id not in team.member_ids:
                raise NotFoundError("Team", team.id, f"member {member_id!r} is not on the team")
            return _evolve_team(
                team,
                member_ids=team.member_ids - {member_id},
                lead_ids=team.lead_ids - {member_id},
            )

        return self._change(team_id, remove)

    def set_leads(self, team_id: str, lead_ids: Iterable[str]) -> Team:
        """Replace the team's leads; each must already be a member (ValidationError)."""
        leads = frozenset(lead_ids)

        def lead(uow: UnitOfWork, team: Team) -> Team:
            strangers = sorted(leads - team.member_ids)
            if strangers:
                raise ValidationError(
                    "Team", team.id, f"leads {strangers} are not members", field="lead_ids"
                )
            return _evolve_team(team, lead_ids=leads)

        return self._change(team_id, lead)

    def get(self, team_id: str) -> Team:
        with self._context.reading() as tx:
            return require(tx, Team, team_id)

    def find(
        self,
        *,
        kind: TeamKind | str | None = None,
        program_id: str | None = None,
        county: str | None = None,
        region: str | None = None,
        member_id: str | None = None,
    ) -> list[Team]:
        """Teams matching every filter given, by name.

        ``member_id`` is applied after the query: membership is a set field, which the
        storage SPI cannot filter on.  Teams are few (dozens), so this stays cheap.
        """
        where: dict[str, Any] = {}
        if kind is not None:
            where["kind"] = TeamKind(kind)
        for name, value in (("program_id", program_id), ("county", county), ("region", region)):
            if value is not None:
                where[name] = value
        with self._context.reading() as tx:
            teams = tx.find(Team, where, order_by=("name",))
        if member_id is not None:
            teams = [t for t in teams if member_id in t.member_ids]
        return teams
