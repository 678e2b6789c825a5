"""Members and organizations."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from attrs import evolve

from cpnetwork.errors import NotFoundError, ValidationError
from cpnetwork.events import MemberAdded, MemberUpdated, OrganizationAdded
from cpnetwork.fields import validate_custom
from cpnetwork.model import Affiliation, Member, Organization
from cpnetwork.model._validators import normalize_email
from cpnetwork.services.context import Context, UnitOfWork
from cpnetwork.storage import Where


class MemberService:
    def __init__(self, context: Context) -> None:
        self._context = context

    def _checked(self, member: Member) -> Member:
        validate_custom(self._context.member_fields, member.custom, member.id)
        return member

    def add(self, **fields: Any) -> Member:
        """Add a member; ``email`` is required and unique (case and blanks ignored)."""
        member = self._checked(Member(**fields))
        with self._context.unit_of_work() as uow:
            uow.tx.insert(member)
            uow.emit(MemberAdded(at=self._context.now(), member_id=member.id))
        return member

    def add_many(self, members: Iterable[Member]) -> list[Member]:
        """Add many members in one transaction and batched writes; all or nothing."""
        batch = [self._checked(m) for m in members]
        repeated = [e for e, n in Counter(m.email for m in batch).items() if n > 1]
        if repeated:
            raise ValidationError("Member", None, f"emails repeat in the batch: {repeated[:5]}")
        now = self._context.now()
        with self._context.unit_of_work() as uow:
            uow.tx.insert_many(batch)
            for member in batch:
                uow.emit(MemberAdded(at=now, member_id=member.id))
        return batch

    def get(self, member_id: str) -> Member:
        with self._context.reading() as tx:
            member = tx.get(Member, member_id)
        if member is None:
            raise NotFoundError("Member", member_id)
        return member

    def find_by_email(self, email: str) -> Member | None:
        with self._context.reading() as tx:
            return tx.find_one(Member, {"email": normalize_email(email)})

    def find(self, where: Where | None = None, *, limit: int | None = None) -> list[Member]:
        with self._context.reading() as tx:
            return tx.find(Member, where, order_by=("family_name", "given_name"), limit=limit)

    def update(self, member_id: str, **changes: Any) -> Member:
        """Change fields of a member (validated as on creation)."""
        with self._context.unit_of_work() as uow:
            member = self._checked(evolve(uow.require(Member, member_id), **changes))
            uow.tx.update(member)
            uow.emit(MemberUpdated(at=self._context.now(), member_id=member_id))
        return member

    def affiliate(
        self,
        member_id: str,
        organization_id: str,
        *,
        title: str = "",
        start: date | None = None,
        primary: bool = True,
    ) -> Member:
        """Record that the member works at an organization from ``start`` (default today).

        A new primary affiliation ends the previous open primary one the day before.
        """
        start = start or self._context.today()
        with self._context.unit_of_work() as uow:
            member = uow.require(Member, member_id)
            uow.require(Organization, organization_id)
            kept: list[Affiliation] = []
            for existing in member.affiliations:
                if primary and existing.primary and existing.end is None:
                    existing = evolve(existing, end=max(start, existing.start or start))
                kept.append(existing)
            new = Affiliation(
                organization_id=organization_id, title=title, start=start, primary=primary
            )
            member = evolve(member, affiliations=(*kept, new))
            uow.tx.update(member)
            uow.emit(MemberUpdated(at=self._context.now(), member_id=member_id))
        return member

    def organizations_of(self, member: Member, uow: UnitOfWork, on: date) -> list[Organization]:
        """The organizations a member is affiliated with on a day."""
        ids = [a.organization_id for a in member.affiliations if a.active_on(on)]
        found = [uow.tx.get(Organization, i) for i in ids]
        return [o for o in found if o is not None]


class OrganizationService:
    def __init__(self, context: Context) -> None:
        self._context = context

    def add(self, **fields: Any) -> Organization:
        organization = Organization(**fields)
        with self._context.unit_of_work() as uow:
            if organization.parent_id is not None:
                uow.require(Organization, organization.parent_id)
            uow.tx.insert(organization)
            uow.emit(OrganizationAdded(at=self._context.now(), organization_id=organization.id))
        return organization

    def add_many(self, organizations: Sequence[Organization]) -> list[Organization]:
        """Add many organizations at once; parents may be in the same batch."""
        batch = list(organizations)
        in_batch = {o.id for o in batch}
        now = self._context.now()
        with self._context.unit_of_work() as uow:
            for org in batch:
                if org.parent_id is not None and org.parent_id not in in_batch:
                    uow.require(Organization, org.parent_id)
            uow.tx.insert_many(batch)
            for org in batch:
                uow.emit(OrganizationAdded(at=now, organization_id=org.id))
        return batch

    def get(self, organization_id: str) -> Organization:
        with self._context.unit_of_work() as uow:
            return uow.require(Organization, organization_id)

    def update(self, organization_id: str, **changes: Any) -> Organization:
        with self._context.unit_of_work() as uow:
            organization = evolve(uow.require(Organization, organization_id), **changes)
            if organization.parent_id is not None:
                uow.require(Organization, organization.parent_id)
            uow.tx.update(organization)
        return organization

    def save_many(
        self, new: Sequence[Organization] = (), changed: Sequence[Organization] = ()
    ) -> None:
        """Insert ``new`` and replace ``changed`` (matched by id) in one transaction.

        All or nothing, for importers that both create and update; parents may be in
        either batch, others must exist.
        """
        in_batch = {o.id for o in (*new, *changed)}
        parents = {o.parent_id for o in (*new, *changed) if o.parent_id is not None}
        now = self._context.now()
        with self._context.unit_of_work() as uow:
            for parent_id in sorted(parents - in_batch):
                uow.require(Organization, parent_id)
            uow.tx.insert_many(new)
            for organization in changed:
                uow.tx.update(organization)
            for org in new:
                uow.emit(OrganizationAdded(at=now, organization_id=org.id))

    def find(self, where: Where | None = None, *, limit: int | None = None) -> list[Organization]:
        with self._context.reading() as tx:
            return tx.find(Organization, where, order_by=("name",), limit=limit)

    def children(self, organization_id: str) -> list[Organization]:
        return self.find({"parent_id": organization_id})

    def find_by_identifier(self, scheme: str, value: str) -> Organization | None:
        """The organization with an external identifier (e.g. ``("cds", "01...")``)."""
        with self._context.reading() as tx:
            return tx.find_one(Organization, {f"identifiers.{scheme}": value})
