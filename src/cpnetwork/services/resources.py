"""The resources (materials) shared with the network, and who may open them.

Access to a resource follows its level: PUBLIC is open to anyone, MEMBERS to any
member of the network, ALUMNI only to members who *completed* the resource's program
(the seed network's alumni-only materials).
"""

from __future__ import annotations

from typing import Any

from cpnetwork.model import (
    AccessLevel,
    Enrollment,
    EnrollmentStatus,
    Member,
    Program,
    Resource,
    ResourceKind,
)
from cpnetwork.services.context import Context
from cpnetwork.services.unit_of_work import require
from cpnetwork.storage import Transaction


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
        with self._context.reading() as tx:
            return require(tx, Resource, resource_id)

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
        with self._context.reading_work() as uow:
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
        with self._context.reading_work() as uow:
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
