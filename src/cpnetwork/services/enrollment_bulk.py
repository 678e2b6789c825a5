"""Many applications (or interest forms) in one unit of work: the applications importer's writes.

``EnrollmentService.apply`` runs one transaction per call, so a file of applications
sent through it one row at a time could stop half-way.  :meth:`BulkEnrollmentService.
apply_many` creates the missing members and every enrollment in one transaction: each
row goes through the same checks as ``apply`` / ``express_interest`` (the program's
mode, an enrollment already there, opening and deadline, eligibility plugins, tracks),
every row's problem is collected, and one :class:`~cpnetwork.services.batch.BatchError`
rolls the whole batch back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from attrs import field, frozen

from cpnetwork.errors import (
    CpnetworkError,
    EnrollmentClosedError,
    IllegalTransitionError,
    StorageError,
)
from cpnetwork.events import MemberAdded
from cpnetwork.fields import validate_custom
from cpnetwork.model import Enrollment, EnrollmentMode, EnrollmentStatus, Member, Program
from cpnetwork.model import _validators as v
from cpnetwork.services import batch, seats
from cpnetwork.services.context import UnitOfWork
from cpnetwork.services.enrollment import EnrollmentService

#: What a form submission does in a program of each mode, and the status it leads to.
_ACTIONS: dict[EnrollmentMode, tuple[str, EnrollmentStatus, str]] = {
    EnrollmentMode.APPLICATION: ("apply", EnrollmentStatus.APPLIED, "application received"),
    EnrollmentMode.INTEREST: (
        "express interest",
        EnrollmentStatus.INTERESTED,
        "interest form received",
    ),
}


def _answers(values: Mapping[str, str]) -> dict[str, str]:
    return dict(values)


@frozen(kw_only=True)
class ApplicationRow:
    """One submitted form for :meth:`BulkEnrollmentService.apply_many`."""

    member_id: str = field(validator=v.non_empty)
    answers: dict[str, str] = field(factory=dict, converter=_answers)
    track: str | None = None
    #: When the form was submitted; opening and deadline are checked against it
    #: (instead of the time of the import) when given.
    submitted_at: datetime | None = field(default=None, validator=v.aware)


class BulkEnrollmentService(EnrollmentService):
    """``EnrollmentService`` plus many submissions at once, all or nothing."""

    def apply_many(
        self,
        program_id: str,
        rows: Sequence[ApplicationRow],
        *,
        new_members: Sequence[Member] = (),
        actor: str | None = None,
        dry_run: bool = False,
    ) -> list[Enrollment]:
        """Submit every row's form to the program; create ``new_members`` first.

        A program enrolling by application gets applications (status ``applied``), one
        enrolling by interest gets interest forms (``interested``); other modes are an
        EnrollmentClosedError.  A member already in the program is refused as ``apply``
        refuses it.  Problems of rows are collected and raised together as a BatchError
        whose references are row positions counted from 1; nothing is written then.
        With ``dry_run`` everything is done and rolled back.  Returns the enrollments in
        row order.
        """
        for member in new_members:
            validate_custom(self._context.member_fields, member.custom, member.id)
        enrollments: list[Enrollment] = []
        with batch.unit_of_work(self._context, dry_run=dry_run) as uow:
            uow.tx.insert_many(new_members)
            for member in new_members:
                uow.emit(MemberAdded(at=uow.now, member_id=member.id))
            program = self._open_program(uow, program_id)
            if program.policy.mode not in _ACTIONS:
                raise EnrollmentClosedError(
                    "Program",
                    program.id,
                    f"enrolls by {program.policy.mode.value}; it takes no forms",
                )
            problems: list[tuple[int, CpnetworkError]] = []
            for ref, row in enumerate(rows, start=1):
                try:
                    enrollments.append(self._submit(uow, program, row, actor=actor))
                except StorageError:
                    raise
                except CpnetworkError as exc:
                    problems.append((ref, exc))
            if problems:
                raise batch.BatchError("Enrollment", problems)
        return enrollments

    def _submit(
        self, uow: UnitOfWork, program: Program, row: ApplicationRow, *, actor: str | None
    ) -> Enrollment:
        action, status, reason = _ACTIONS[program.policy.mode]
        member = uow.require(Member, row.member_id)
        existing = uow.tx.find_one(Enrollment, {"program_id": program.id, "member_id": member.id})
        if existing is not None:
            raise IllegalTransitionError(
                "Enrollment",
                existing.id,
                existing.status.value,
                action,
                f"{member.email} is already in this program",
            )
        moment = row.submitted_at or uow.now
        policy = program.policy
        if policy.opens is not None and moment < policy.opens:
            raise EnrollmentClosedError("Program", program.id, f"opens {policy.opens.isoformat()}")
        if policy.deadline is not None and moment > policy.deadline:
            raise EnrollmentClosedError(
                "Program", program.id, f"deadline {policy.deadline.isoformat()} has passed"
            )
        self._check_eligibility(uow, program, member)
        candidate = self._new(uow, program, member, track=row.track, answers=row.answers)
        return seats.transition(
            uow, candidate, status, actor=actor or member.id, reason=reason, new=True
        )
