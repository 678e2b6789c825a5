"""Members and organizations."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any, Unpack

from attrs import evolve, frozen

from cpnetwork.errors import ValidationError
from cpnetwork.events import (
    MemberAdded,
    MemberUpdated,
    OrganizationAdded,
    OrganizationUpdated,
    changed_fields,
)
from cpnetwork.fields import validate_custom
from cpnetwork.model import Affiliation, Member, Organization
from cpnetwork.model._validators import email_key
from cpnetwork.model.arguments import (
    MemberChanges,
    MemberFields,
    OrganizationChanges,
    OrganizationFields,
)
from cpnetwork.services.context import Context
from cpnetwork.services.handling import apply_all, run_one, unit_of_work
from cpnetwork.services.privacy import erase_member, member_data
from cpnetwork.services.unit_of_work import UnitOfWork, require
from cpnetwork.storage import Where


def add_member(uow: UnitOfWork, member: Member) -> Member:
    """Handler: add a member, written with the next chunk of staged records."""
    validate_custom(uow.context.member_fields, member.custom, member.id)
    if member.affiliations:
        ids = (a.organization_id for a in member.affiliations)
        uow.require_before_writing(Organization, ids)
    uow.stage(member)
    uow.emit(MemberAdded(at=uow.now, member_id=member.id))
    return member


def replace_member(uow: UnitOfWork, member: Member) -> Member:
    """Handler: replace the stored member with the same id (NotFoundError if none)."""
    validate_custom(uow.context.member_fields, member.custom, member.id)
    uow.require_all(Organization, (a.organization_id for a in member.affiliations))
    before = uow.require(Member, member.id)
    uow.tx.update(member)
    uow.emit(MemberUpdated(at=uow.now, member_id=member.id, changed=changed_fields(before, member)))
    return member


@frozen(kw_only=True)
class ChangeMember:
    """Change fields of a member; validated as on creation."""

    member_id: str
    changes: Mapping[str, Any]


def change_member(uow: UnitOfWork, command: ChangeMember) -> Member:
    return replace_member(uow, evolve(uow.require(Member, command.member_id), **command.changes))


def _once_each(members: Iterable[Member], seen: set[str] | None = None) -> Iterator[Member]:
    """The members as given; a ValidationError when an email comes back in the batch."""
    seen = set() if seen is None else seen
    for member in members:
        if member.email in seen:
            raise ValidationError("Member", None, f"emails repeat in the batch: {[member.email]}")
        seen.add(member.email)
        yield member


class MemberService:
    def __init__(self, context: Context) -> None:
        self._context = context

    def add(self, **fields: Unpack[MemberFields]) -> Member:
        """Add a member; ``email`` is required and unique (case and blanks ignored)."""
        return self.add_many([Member(**fields)])[0]

    def add_many(self, members: Iterable[Member]) -> list[Member]:
        """Add many members in one transaction and batched writes; all or nothing.

        ``members`` may be any iterable; they are written in chunks as it is read.
        """
        with self._context.unit_of_work() as uow:
            return apply_all(uow, add_member, _once_each(members), kind="Member", single=True)

    def save_many(
        self, new: Iterable[Member], changed: Iterable[Member], *, dry_run: bool = False
    ) -> None:
        """Insert ``new`` members and replace ``changed`` ones (matched by id) at once.

        Every member is validated (custom fields too); an email taken by another member
        raises DuplicateError and nothing is written.  With ``dry_run`` the writes are
        made and rolled back.
        """
        seen: set[str] = set()
        with unit_of_work(self._context, dry_run=dry_run) as uow:
            replacing = _once_each(changed, seen)
            apply_all(uow, replace_member, replacing, kind="Member", single=True, keep=False)
            adding = _once_each(new, seen)
            apply_all(uow, add_member, adding, kind="Member", single=True, keep=False)

    def get(self, member_id: str) -> Member:
        with self._context.reading() as tx:
            return require(tx, Member, member_id)

    def find_by_email(self, email: str) -> Member | None:
        with self._context.reading() as tx:
            return tx.find_one(Member, {"email": email_key(email)})

    def find(self, where: Where | None = None, *, limit: int | None = None) -> list[Member]:
        with self._context.reading() as tx:
            return tx.find(Member, where, order_by=("family_name", "given_name"), limit=limit)

    def update(self, member_id: str, **changes: Unpack[MemberChanges]) -> Member:
        """Change fields of a member (validated as on creation)."""
        return run_one(
            self._context, change_member, ChangeMember(member_id=member_id, changes=changes)
        )

    def erase(self, member_id: str) -> Member:
        """Erase a member's personal data everywhere, keeping anonymous counts right.

        See :mod:`cpnetwork.services.privacy` for what is removed and what stays.
        Erasing an erased member changes nothing.
        """
        with self._context.unit_of_work() as uow:
            return erase_member(uow, member_id)

    def export_data(self, member_id: str) -> dict[str, Any]:
        """Everything held about one member, plugins' records included, as JSON-ready data."""
        with self._context.reading_work() as uow:
            member = uow.require(Member, member_id)
            return member_data(uow.tx, member, self._context)

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
        with self._context.unit_of_work() as uow:
            start = start or uow.now.astimezone(self._context.zone).date()
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
            uow.emit(MemberUpdated(at=uow.now, member_id=member_id, changed=("affiliations",)))
        return member


def add_organization(uow: UnitOfWork, organization: Organization) -> Organization:
    """Handler: add an organization (its parent checked by the caller)."""
    uow.stage(organization)
    uow.emit(OrganizationAdded(at=uow.now, organization_id=organization.id))
    return organization


def replace_organization(uow: UnitOfWork, organization: Organization) -> Organization:
    """Handler: replace the stored organization with the same id (NotFoundError if none)."""
    before = uow.require(Organization, organization.id)
    uow.tx.update(organization)
    changed = changed_fields(before, organization)
    uow.emit(OrganizationUpdated(at=uow.now, organization_id=organization.id, changed=changed))
    return organization


#: The deepest chain of parents an organization may have (school → district → county
#: office → state is four).
MAX_PARENT_DEPTH = 32


def _check_parents(uow: UnitOfWork, organizations: Sequence[Organization]) -> None:
    """Every parent is in the batch or already stored, and no chain of parents loops."""
    in_batch = {o.id: o for o in organizations}
    parents = {o.parent_id for o in organizations if o.parent_id is not None}
    for parent_id in sorted(parents - set(in_batch)):
        uow.require(Organization, parent_id)
    rooted: set[str] = set()  # ids whose chain of parents is known to end
    for organization in organizations:
        chain: list[str] = []
        current: Organization | None = organization
        while current is not None and current.id not in rooted:
            if current.id in chain or len(chain) >= MAX_PARENT_DEPTH:
                loop = " → ".join([*chain, current.id])
                reason = (
                    f"its parents loop back ({loop})"
                    if current.id in chain
                    else f"has more than {MAX_PARENT_DEPTH} levels of parents"
                )
                raise ValidationError("Organization", organization.id, reason, field="parent_id")
            chain.append(current.id)
            above = current.parent_id
            if above is None:
                current = None
            else:
                current = in_batch.get(above) or uow.require(Organization, above)
        rooted.update(chain)


class OrganizationService:
    def __init__(self, context: Context) -> None:
        self._context = context

    def add(self, **fields: Unpack[OrganizationFields]) -> Organization:
        return self.add_many([Organization(**fields)])[0]

    def add_many(self, organizations: Iterable[Organization]) -> list[Organization]:
        """Add many organizations at once; parents may be in the same batch."""
        batch = list(organizations)
        self.save_many(batch)
        return batch

    def get(self, organization_id: str) -> Organization:
        with self._context.reading() as tx:
            return require(tx, Organization, organization_id)

    def update(self, organization_id: str, **changes: Unpack[OrganizationChanges]) -> Organization:
        with self._context.unit_of_work() as uow:
            organization = evolve(uow.require(Organization, organization_id), **changes)
            _check_parents(uow, [organization])
            return replace_organization(uow, organization)

    def save_many(
        self, new: Iterable[Organization] = (), changed: Iterable[Organization] = ()
    ) -> None:
        """Insert ``new`` and replace ``changed`` (matched by id) in one transaction.

        All or nothing, for importers that both create and update; parents may be in
        either batch, others must exist.
        """
        new, changed = list(new), list(changed)
        with self._context.unit_of_work() as uow:
            _check_parents(uow, [*new, *changed])
            apply_all(uow, add_organization, new, kind="Organization", single=True, keep=False)
            apply_all(
                uow, replace_organization, changed, kind="Organization", single=True, keep=False
            )

    def find(self, where: Where | None = None, *, limit: int | None = None) -> list[Organization]:
        with self._context.reading() as tx:
            return tx.find(Organization, where, order_by=("name",), limit=limit)

    def children(self, organization_id: str) -> list[Organization]:
        return self.find({"parent_id": organization_id})

    def find_by_identifier(self, scheme: str, value: str) -> Organization | None:
        """The organization with an external identifier (e.g. ``("cds", "01...")``)."""
        with self._context.reading() as tx:
            return tx.find_one(Organization, {f"identifiers.{scheme}": value})
