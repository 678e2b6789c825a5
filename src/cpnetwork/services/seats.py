"""Seats, quotas, waitlist offers, and the one function that moves an enrollment.

Every capacity decision is taken with the program locked (``Transaction.lock``), so
concurrent writers never both take the last seat.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from attrs import evolve

from cpnetwork.errors import CapacityFullError, PluginError, QuotaReachedError
from cpnetwork.events import EnrollmentChanged
from cpnetwork.model import (
    SEAT_STATUSES,
    Enrollment,
    EnrollmentMode,
    EnrollmentStatus,
    Program,
    Quota,
    QuotaScope,
    Transition,
)
from cpnetwork.services.context import UnitOfWork

_QUOTA_FIELD = {
    QuotaScope.ORGANIZATION: "organization_id",
    QuotaScope.COUNTY: "county",
    QuotaScope.REGION: "region",
    QuotaScope.ROLE: "role",
}

_SEATS = sorted(SEAT_STATUSES)


def seats_taken(uow: UnitOfWork, program_id: str) -> int:
    counts = uow.tx.count(Enrollment, {"program_id": program_id, "status": _SEATS})
    return counts.get((), 0)


def seats_left(uow: UnitOfWork, program: Program) -> int | None:
    """Free seats, or None when the program has no capacity limit."""
    if program.policy.capacity is None:
        return None
    return max(program.policy.capacity - seats_taken(uow, program.id), 0)


def check_capacity(uow: UnitOfWork, program: Program) -> None:
    if seats_left(uow, program) == 0:
        raise CapacityFullError(
            "Program", program.id, f"all {program.policy.capacity} seats are taken"
        )


def _quota_applies(quota: Quota, key: str | None) -> bool:
    return key is not None and (quota.value is None or quota.value == key)


def quota_problem(uow: UnitOfWork, program: Program, candidate: Enrollment) -> str | None:
    """Why giving ``candidate`` a seat would break a quota, or None."""
    for quota in program.policy.quotas:
        field_name = _QUOTA_FIELD[quota.scope]
        key = getattr(candidate, field_name)
        if not _quota_applies(quota, key):
            continue
        where = {
            "program_id": program.id,
            "status": _SEATS,
            field_name: key,
            "id__ne": candidate.id,
        }
        taken = uow.tx.count(Enrollment, where).get((), 0)
        if taken >= quota.limit:
            return f"the {quota.scope.value} quota of {quota.limit} for {key!r} is filled"
    return None


def check_quotas(uow: UnitOfWork, program: Program, candidate: Enrollment) -> None:
    problem = quota_problem(uow, program, candidate)
    if problem:
        raise QuotaReachedError("Program", program.id, problem)


def join_waitlist(uow: UnitOfWork, program_id: str) -> dict[str, Any]:
    """Fields placing an enrollment at the end of the program's waitlist line.

    Numbered by how many joined before (the program is locked), so arrival order
    survives equal timestamps and concurrent writers.
    """
    joined = uow.tx.count(
        Transition, {"program_id": program_id, "to_status": EnrollmentStatus.WAITLISTED}
    ).get((), 0)
    return {"waitlisted_at": uow.now, "queue_number": joined + 1}


def transition(
    uow: UnitOfWork,
    enrollment: Enrollment,
    to: EnrollmentStatus,
    *,
    actor: str,
    reason: str,
    new: bool = False,
    **changes: Any,
) -> Enrollment:
    """Move (or, with ``new``, create) an enrollment, recording history and an event."""
    now = uow.now
    before = None if new else enrollment.status
    if before is EnrollmentStatus.OFFERED and to is not EnrollmentStatus.OFFERED:
        changes.setdefault("offer_expires_at", None)
    moved = evolve(enrollment, status=to, updated_at=now, **changes)
    if new:
        uow.tx.insert(moved)
    else:
        uow.tx.update(moved)
    uow.tx.insert(
        Transition(
            enrollment_id=moved.id,
            program_id=moved.program_id,
            member_id=moved.member_id,
            from_status=before,
            to_status=to,
            sequence=uow.tx.count(Transition, {"enrollment_id": moved.id}).get((), 0) + 1,
            at=now,
            actor=actor,
            reason=reason,
        )
    )
    uow.emit(
        EnrollmentChanged(
            at=now,
            enrollment_id=moved.id,
            program_id=moved.program_id,
            member_id=moved.member_id,
            from_status=before,
            to_status=to,
            actor=actor,
            reason=reason,
        )
    )
    return moved


def ordered_waitlist(uow: UnitOfWork, program: Program) -> list[Enrollment]:
    waitlisted = uow.tx.find(
        Enrollment,
        {"program_id": program.id, "status": EnrollmentStatus.WAITLISTED},
        order_by=("queue_number",),
    )
    if not waitlisted:
        return []
    answer = uow.context.plugins.call_first(
        "order_waitlist", program=program, waitlisted=list(waitlisted), network=uow.context.network
    )
    if answer is None:
        return waitlisted
    plugin, ordered = answer
    _check_order(plugin, waitlisted, ordered)
    return list(ordered)


def _check_order(plugin: str, given: Sequence[Enrollment], ordered: Any) -> None:
    if not isinstance(ordered, list | tuple) or sorted(
        getattr(e, "id", "") for e in ordered
    ) != sorted(e.id for e in given):
        raise PluginError(
            plugin, "order_waitlist", "must return the same waitlisted enrollments, reordered"
        )


def fill_freed_seats(uow: UnitOfWork, program: Program, *, actor: str) -> list[Enrollment]:
    """Offer each free seat to the next waitlisted member whose quota allows it."""
    free = seats_left(uow, program)
    moved: list[Enrollment] = []
    for candidate in ordered_waitlist(uow, program):
        if free is not None and free <= 0:
            break
        if quota_problem(uow, program, candidate):
            continue
        window = program.policy.offer_window
        if window is None:
            to = (
                EnrollmentStatus.ACCEPTED
                if program.policy.mode is EnrollmentMode.APPLICATION
                else EnrollmentStatus.ENROLLED
            )
            moved.append(transition(uow, candidate, to, actor=actor, reason="seat freed: promoted"))
        else:
            expires = uow.now + window
            moved.append(
                transition(
                    uow,
                    candidate,
                    EnrollmentStatus.OFFERED,
                    actor=actor,
                    reason=f"seat freed: offered until {expires.isoformat()}",
                    offer_expires_at=expires,
                )
            )
        if free is not None:
            free -= 1
    return moved


def expire_offers(uow: UnitOfWork, program: Program) -> list[Enrollment]:
    """Expire offers past their time and pass the seats on; returns the expired ones."""
    now = uow.now
    stale = uow.tx.find(
        Enrollment,
        {
            "program_id": program.id,
            "status": EnrollmentStatus.OFFERED,
            "offer_expires_at__le": now,
        },
        order_by=("offer_expires_at",),
    )
    expired = [
        transition(
            uow, e, EnrollmentStatus.EXPIRED, actor="network", reason="offer not taken up in time"
        )
        for e in stale
    ]
    if expired:
        fill_freed_seats(uow, program, actor="network")
    return expired
