"""Adding and changing many members in one unit of work (the members importer's writes)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from cpnetwork.errors import ValidationError
from cpnetwork.events import MemberAdded, MemberUpdated
from cpnetwork.model import Member
from cpnetwork.services import batch
from cpnetwork.services.context import UnitOfWork
from cpnetwork.services.people import MemberService


class MemberBulkService(MemberService):
    """``MemberService`` plus writes of new and changed members together, all or nothing."""

    def save_many(
        self, new: Sequence[Member], changed: Sequence[Member], *, dry_run: bool = False
    ) -> None:
        """Insert ``new`` members and replace ``changed`` ones (matched by id) at once.

        Every member is validated (custom fields too) before anything is written; an
        email taken by another member raises DuplicateError and nothing is written.
        With ``dry_run`` the writes are made and rolled back.
        """
        checked_new = [self._checked(member) for member in new]
        checked_changed = [self._checked(member) for member in changed]
        emails = Counter(m.email for m in [*checked_new, *checked_changed])
        repeated = sorted(email for email, n in emails.items() if n > 1)
        if repeated:
            raise ValidationError("Member", None, f"emails repeat in the batch: {repeated[:5]}")
        with batch.unit_of_work(self._context, dry_run=dry_run) as uow:
            for member in checked_changed:
                uow.require(Member, member.id)
                uow.tx.update(member)
                uow.emit(MemberUpdated(at=uow.now, member_id=member.id))
            self.insert_checked(uow, checked_new)

    def insert_checked(self, uow: UnitOfWork, members: Sequence[Member]) -> None:
        """Insert members already validated, inside the caller's unit of work."""
        uow.tx.insert_many(members)
        for member in members:
            uow.emit(MemberAdded(at=uow.now, member_id=member.id))
