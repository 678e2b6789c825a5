"""The county coordinator's digest of enrollment changes by Fresno members.

Entries are written by ``record_event`` inside the transaction of the change, so they
commit and roll back with it: an outbox the coordinator's weekly e-mail can drain.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import field, frozen

from cpnetwork import hookimpl
from cpnetwork.events import EnrollmentChanged, Event
from cpnetwork.model import Enrollment, Member, Program, new_id
from cpnetwork.storage import RecordKind, Transaction
from cpnetwork_fresno.rules import FRESNO


@frozen(kw_only=True)
class DigestEntry:
    """One line of the coordinator's digest."""

    id: str = field(factory=new_id)
    at: datetime
    member_email: str
    program_title: str
    from_status: str | None
    to_status: str
    reason: str = ""


@hookimpl
def register_record_kinds() -> list[RecordKind]:
    return [RecordKind(name="fresno_digest", cls=DigestEntry, indexed=("at",))]


@hookimpl
def record_event(event: Event, transaction: Transaction, network: Any) -> None:
    if not isinstance(event, EnrollmentChanged):
        return
    enrollment = transaction.get(Enrollment, event.enrollment_id)
    if enrollment is None or enrollment.county != FRESNO:
        return
    member = transaction.get(Member, event.member_id)
    program = transaction.get(Program, event.program_id)
    transaction.insert(
        DigestEntry(
            at=event.at,
            member_email=member.email if member else event.member_id,
            program_title=program.title if program else event.program_id,
            from_status=event.from_status.value if event.from_status else None,
            to_status=event.to_status.value,
            reason=event.reason,
        )
    )


def digest(transaction: Transaction, since: datetime | None = None) -> list[DigestEntry]:
    """Digest entries, oldest first, optionally only those at or after ``since``."""
    where = {"at__ge": since} if since is not None else {}
    return transaction.find(DigestEntry, where, order_by=("at",))


@hookimpl
def erase_member(member: Member, transaction: Transaction) -> None:
    """The digest names members by email: their entries go with them."""
    transaction.delete_where(DigestEntry, {"member_email": member.email})


@hookimpl
def export_member(member: Member, transaction: Transaction) -> dict[str, Any]:
    entries = transaction.find(DigestEntry, {"member_email": member.email}, order_by=["at"])
    return {
        "digest": [
            {
                "at": entry.at.isoformat(),
                "program": entry.program_title,
                "from": entry.from_status,
                "to": entry.to_status,
                "reason": entry.reason,
            }
            for entry in entries
        ]
    }
