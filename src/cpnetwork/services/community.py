"""Teams and groups, and the resources (materials) shared with the network.

Access to a resource follows its level: PUBLIC is open to anyone, MEMBERS to any
member of the network, ALUMNI only to members who *completed* the resource's program
(the seed network's alumni-only materials).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from attrs import evolve

from cpnetwork.errors import NotFoundError, ValidationError
from cpnetwork.model import (
    AccessLevel,
    Enrollment,
    EnrollmentStatus,
    Member,
    Program,
    Resource,
    ResourceKind,
    Team,
    TeamKind,
)
from cpnetwork.services.context import Context
from cpnetwork.services.unit_of_work import UnitOfWork
from cpnetwork.storage import Transaction


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
        with self._context.unit_of_work() as uow:
            return uow.require(Team, team_id)

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


class ResourceService:
    """Materials linked to programs or sessions, each with an access level."""

    def __init__(self, context: Context) -> None:
        self._context = context

    def add(
        self,
        title: str,
        kind: ResourceKind | str,
        url: str,
        *,
        access: AccessLevel | str = AccessLevel.PUBLIC,
        program_id: str | None = None,
        session_id: str | None = None,
        program_year: int | None = None,
    ) -> Resource:
        """Add a resource; the program and session, when given, must exist.

        A session's resource belongs to the session's program (given or not), and the
        program year defaults to the program's, so the archive sorts materials by year.
        """
        with self._context.unit_of_work() as uow:
            program = uow.program_for("Resource", program_id, session_id)
            if program is not None:
                program_id = program.id
                if program_year is None:
                    program_year = program.program_year
            resource = Resource(
                title=title,
                kind=kind,
                url=url,
                access=access,
                program_id=program_id,
                session_id=session_id,
                program_year=program_year,
            )
            uow.tx.insert(resource)
            uow.record_changed(resource, created=True)
        return resource

    def get(self, resource_id: str) -> Resource:
        with self._context.unit_of_work() as uow:
            return uow.require(Resource, resource_id)

    def find(
        self,
        *,
        program_id: str | None = None,
        session_id: str | None = None,
        program_year: int | None = None,
        kind: ResourceKind | str | None = None,
        access: AccessLevel | str | None = None,
    ) -> list[Resource]:
        """Resources matching every filter given, by program year then title."""
        where: dict[str, Any] = {}
        if kind is not None:
            where["kind"] = ResourceKind(kind)
        if access is not None:
            where["access"] = AccessLevel(access)
        for name, value in (
            ("program_id", program_id),
            ("session_id", session_id),
            ("program_year", program_year),
        ):
            if value is not None:
                where[name] = value
        with self._context.reading() as tx:
            return tx.find(Resource, where, order_by=("program_year", "title"))

    @staticmethod
    def _completed(tx: Transaction, member_id: str) -> set[str]:
        """Programs the member completed: the programs whose alumni resources they see."""
        return {
            e.program_id
            for e in tx.find(
                Enrollment, {"member_id": member_id, "status": EnrollmentStatus.COMPLETED}
            )
        }

    def visible_to(self, member_id: str | None, program_id: str | None = None) -> list[Resource]:
        """The resources someone may open (``None``: a visitor who is not signed in).

        Two queries at most: the open ones, and the alumni ones of programs the
        member completed, so alumni material of other programs is never loaded.
        """
        scope: dict[str, Any] = {} if program_id is None else {"program_id": program_id}
        with self._context.unit_of_work() as uow:
            if program_id is not None:
                uow.require(Program, program_id)
            if member_id is None:
                return uow.tx.find(
                    Resource,
                    {**scope, "access": AccessLevel.PUBLIC},
                    order_by=("program_year", "title"),
                )
            uow.require(Member, member_id)
            found = uow.tx.find(
                Resource, {**scope, "access": [AccessLevel.PUBLIC, AccessLevel.MEMBERS]}
            )
            completed = self._completed(uow.tx, member_id)
            if program_id is not None:
                completed &= {program_id}
            if completed:
                found += uow.tx.find(
                    Resource, {"access": AccessLevel.ALUMNI, "program_id": sorted(completed)}
                )
        # Same order as find(): no year first, then by year, title and id.
        return sorted(
            found,
            key=lambda r: (r.program_year is not None, r.program_year or 0, r.title, r.id),
        )

    def can_access(self, member_id: str | None, resource_id: str) -> bool:
        """Whether someone (``None``: a visitor) may open this resource."""
        with self._context.unit_of_work() as uow:
            resource = uow.require(Resource, resource_id)
            if member_id is not None:
                uow.require(Member, member_id)
            if resource.access is AccessLevel.PUBLIC:
                return True
            if member_id is None:
                return False
            if resource.access is AccessLevel.MEMBERS:
                return True
            completed = uow.tx.count(
                Enrollment,
                {
                    "member_id": member_id,
                    "program_id": resource.program_id,
                    "status": EnrollmentStatus.COMPLETED,
                },
            )
            return completed.get((), 0) > 0
