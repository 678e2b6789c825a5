"""The invariants a whole network must hold, checked on records loaded as they are.

``Network.import_data`` (and so ``cpnetwork import-json``) writes an export's records
straight into the store, past the services that keep the invariants one change at a
time.  :func:`check_network` runs in the same unit of work once everything is
written, before the commit: a reference to a record the network does not hold, a
program with more seats taken than its capacity, or a quota exceeded fails the whole
load with a typed error naming the record, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from cpnetwork.errors import CapacityFullError, QuotaReachedError, ValidationError
from cpnetwork.model import (
    Attendance,
    Enrollment,
    Member,
    Organization,
    Partnership,
    Program,
    Recognition,
    Resource,
    Session,
    Team,
    Transition,
)
from cpnetwork.services.seats import QUOTA_FIELD, SeatLedger
from cpnetwork.services.unit_of_work import UnitOfWork

#: Each reference a record holds: (kind, field, the kind the field names by id).
REFERENCES: tuple[tuple[type, str, type], ...] = (
    (Organization, "parent_id", Organization),
    (Partnership, "organization_id", Organization),
    (Recognition, "member_id", Member),
    (Recognition, "organization_id", Organization),
    (Session, "program_id", Program),
    (Enrollment, "program_id", Program),
    (Enrollment, "member_id", Member),
    (Transition, "enrollment_id", Enrollment),
    (Attendance, "session_id", Session),
    (Attendance, "member_id", Member),
    (Attendance, "program_id", Program),
    (Team, "program_id", Program),
    (Resource, "program_id", Program),
    (Resource, "session_id", Session),
)
#: Ids looked up in one query.
CHUNK = 500


def check_network(uow: UnitOfWork) -> None:
    """Refuse a network whose references dangle or whose programs are over capacity or quota."""
    for kind, name, target in REFERENCES:
        check_references(uow, kind, name, target)
    for program in uow.tx.scan(Program):
        if program.policy.capacity is not None or program.policy.quotas:
            check_seats(uow, program)


def check_references(uow: UnitOfWork, kind: type, name: str, target: type) -> None:
    """ValidationError naming the first ``kind`` record whose ``name`` names no ``target``."""
    tx = uow.tx
    named = sorted(key for (key,), _ in tx.count(kind, group_by=[name]).items() if key is not None)
    for chunk in _chunks(named):
        if tx.count(target, {"id": chunk}).get((), 0) == len(chunk):
            continue
        found: list[Any] = tx.find(target, {"id": chunk})
        held = {record.id for record in found}
        missing = next(key for key in chunk if key not in held)
        record: Any = tx.find_one(kind, {name: missing})
        raise ValidationError(
            kind.__name__,
            record.id if record is not None else None,
            f"{name} {missing!r} names no {target.__name__} of the network",
            field=name,
        )


def check_seats(uow: UnitOfWork, program: Program) -> None:
    """CapacityFullError or QuotaReachedError when ``program`` holds more seats than allowed."""
    book = SeatLedger.load(uow, program)
    capacity = program.policy.capacity
    if capacity is not None and book.taken > capacity:
        raise CapacityFullError(
            "Program",
            program.id,
            f"{book.taken} enrollments hold seats ({_statuses(book)}) but the capacity is "
            f"{capacity}",
        )
    for quota in program.policy.quotas:
        held = book.held[QUOTA_FIELD[quota.scope]]
        for key, seats in sorted(held.items(), key=lambda item: str(item[0])):
            if key is None or (quota.value is not None and quota.value != key):
                continue
            if seats > quota.limit:
                raise QuotaReachedError(
                    "Program",
                    program.id,
                    f"{seats} seats are held for {quota.scope.value} {key!r} but its quota "
                    f"is {quota.limit}",
                )


def _statuses(book: SeatLedger) -> str:
    return ", ".join(f"{status} {n}" for status, n in sorted(book.by_status.items()) if n)


def _chunks(values: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), CHUNK):
        yield list(values[start : start + CHUNK])
