"""The enrollment lifecycle: interest, applications, registration, offers, completion.

```
interest form:  interested ──invite──▶ enrolled
application:    applied ─▶ under_review ─▶ accepted ─▶ enrolled ─▶ completed | incomplete
                                        ├▶ waitlisted ─(seat frees)─▶ offered ─▶ accepted
                                        │                              └─(no answer)─▶ expired
                                        └▶ declined
registration:   registered = enrolled while seats remain, else waitlisted
any open state ─▶ withdrawn (by the member) · cancelled (by the network)
```
Every call runs in one transaction: an illegal step raises and changes nothing.  The
service is a thin layer over :mod:`cpnetwork.services.enrollment_handlers`: a single
call is the many call with one item.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from attrs import field, frozen

from cpnetwork.model import (
    Enrollment,
    EnrollmentStatus,
    Member,
    Program,
    Transition,
)
from cpnetwork.model import _validators as v
from cpnetwork.services import seats
from cpnetwork.services.context import Context
from cpnetwork.services.enrollment_handlers import (
    NETWORK,
    Complete,
    Enter,
    Move,
    complete,
    enter,
    form_action,
    move,
)
from cpnetwork.services.enrollment_import import EnrollmentRowLike, import_enrollments
from cpnetwork.services.handling import apply_all, run_one, unit_of_work
from cpnetwork.services.people import add_member
from cpnetwork.services.unit_of_work import require
from cpnetwork.storage import Where

S = EnrollmentStatus


def _answers(values: Mapping[str, str]) -> dict[str, str]:
    return dict(values)


@frozen(kw_only=True)
class ApplicationRow:
    """One submitted form for :meth:`EnrollmentService.apply_many`."""

    member_id: str = field(validator=v.non_empty)
    answers: dict[str, str] = field(factory=dict, converter=_answers)
    track: str | None = None
    #: When the form was submitted; opening and deadline are checked against it
    #: (instead of the time of the import) when given.
    submitted_at: datetime | None = field(default=None, validator=v.aware)


class EnrollmentService:
    def __init__(self, context: Context) -> None:
        self._context = context

    def _enter(self, command: Enter) -> Enrollment:
        return run_one(self._context, enter, command)

    def _move(self, enrollment_id: str, action: str, **details: Any) -> Enrollment:
        command = Move(enrollment_id=enrollment_id, action=action, **details)
        return run_one(self._context, move, command)

    # -- ways in -------------------------------------------------------------------
    def express_interest(
        self,
        program_id: str,
        member_id: str,
        *,
        actor: str | None = None,
        answers: Mapping[str, str] | None = None,
    ) -> Enrollment:
        """Submit an interest form (programs enrolling by interest)."""
        return self._enter(
            Enter(
                action="express interest",
                program_id=program_id,
                member_id=member_id,
                actor=actor,
                answers=answers,
            )
        )

    def invite(
        self, program_id: str, member_id: str, *, actor: str = NETWORK, reason: str = "invited"
    ) -> Enrollment:
        """Enroll an interested (or invited) member, if a seat and quota allow."""
        return self._enter(
            Enter(
                action="invite",
                program_id=program_id,
                member_id=member_id,
                actor=actor,
                reason=reason,
            )
        )

    def apply(
        self,
        program_id: str,
        member_id: str,
        *,
        actor: str | None = None,
        answers: Mapping[str, str] | None = None,
        track: str | None = None,
    ) -> Enrollment:
        """Submit an application (programs enrolling by application)."""
        return self._enter(
            Enter(
                action="apply",
                program_id=program_id,
                member_id=member_id,
                actor=actor,
                answers=answers,
                track=track,
            )
        )

    def register(
        self,
        program_id: str,
        member_id: str,
        *,
        actor: str | None = None,
        track: str | None = None,
    ) -> Enrollment:
        """Register: enrolled while seats remain, else waitlisted (or CapacityFullError)."""
        return self._enter(
            Enter(
                action="register",
                program_id=program_id,
                member_id=member_id,
                actor=actor,
                track=track,
            )
        )

    def apply_many(
        self,
        program_id: str,
        rows: Iterable[ApplicationRow],
        *,
        new_members: Sequence[Member] = (),
        actor: str | None = None,
        dry_run: bool = False,
    ) -> list[Enrollment]:
        """Submit every row's form to the program in one unit of work; all or nothing.

        ``new_members`` are added first.  A program enrolling by application gets
        applications (status ``applied``), one enrolling by interest gets interest
        forms (``interested``); other modes are an EnrollmentClosedError.  Each row
        goes through the same handler as :meth:`apply` / :meth:`express_interest`.
        Problems of rows are collected and raised together as a BatchError whose
        references are row positions counted from 1; nothing is written then.  With
        ``dry_run`` everything is done and rolled back.  Returns the enrollments in
        row order.
        """
        commands = (
            Enter(
                program_id=program_id,
                member_id=row.member_id,
                actor=actor,
                answers=row.answers,
                track=row.track,
                submitted_at=row.submitted_at,
            )
            for row in rows
        )
        with unit_of_work(self._context, dry_run=dry_run) as uow:
            apply_all(uow, add_member, new_members, kind="Member", single=True)
            form_action(seats.open_program(uow, program_id))
            return apply_all(uow, enter, commands, kind="Enrollment")

    # -- review ----------------------------------------------------------------------
    def start_review(self, enrollment_id: str, *, actor: str = NETWORK) -> Enrollment:
        return self._move(
            enrollment_id, "start review", to=S.UNDER_REVIEW, actor=actor, reason="review started"
        )

    def accept(
        self,
        enrollment_id: str,
        *,
        actor: str = NETWORK,
        reason: str = "accepted",
        rank: int | None = None,
    ) -> Enrollment:
        """Accept an application into a seat (CapacityFullError / QuotaReachedError if none)."""
        return self._move(
            enrollment_id,
            "accept",
            to=S.ACCEPTED,
            actor=actor,
            reason=reason,
            needs_seat=True,
            rank=rank,
        )

    def waitlist(
        self,
        enrollment_id: str,
        *,
        actor: str = NETWORK,
        reason: str = "waitlisted",
        rank: int | None = None,
    ) -> Enrollment:
        """Put an applicant on the waitlist, optionally with a review rank (1 is best)."""
        return self._move(
            enrollment_id, "waitlist", to=S.WAITLISTED, actor=actor, reason=reason, rank=rank
        )

    def decline(
        self, enrollment_id: str, *, actor: str = NETWORK, reason: str = "declined"
    ) -> Enrollment:
        return self._move(enrollment_id, "decline", to=S.DECLINED, actor=actor, reason=reason)

    def confirm(self, enrollment_id: str, *, actor: str | None = None) -> Enrollment:
        """The accepted member confirms their place: accepted → enrolled."""
        return self._move(enrollment_id, "confirm", to=S.ENROLLED, actor=actor, reason="confirmed")

    # -- offers ------------------------------------------------------------------------
    def accept_offer(self, enrollment_id: str, *, actor: str | None = None) -> Enrollment:
        """Take up an offered seat before it expires."""
        return self._move(enrollment_id, "accept offer", actor=actor, reason="offer taken up")

    def decline_offer(self, enrollment_id: str, *, actor: str | None = None) -> Enrollment:
        """Turn an offered seat down; it passes to the next on the waitlist."""
        return self._move(
            enrollment_id, "decline offer", to=S.DECLINED, actor=actor, reason="offer declined"
        )

    def expire_offers(self) -> list[Enrollment]:
        """Expire every offer past its time, in every program; seats pass on."""
        with self._context.reading() as tx:
            stale = tx.count(
                Enrollment,
                {"status": S.OFFERED, "offer_expires_at__le": self._context.now()},
                group_by=("program_id",),
            )
            program_ids = sorted(program_id for (program_id,) in stale)
        expired: list[Enrollment] = []
        for program_id in program_ids:
            with self._context.unit_of_work() as uow:
                uow.tx.lock(Program, program_id)
                expired += seats.expire_offers(uow, uow.require(Program, program_id))
        return expired

    # -- ways out ----------------------------------------------------------------------
    def withdraw(
        self, enrollment_id: str, *, actor: str | None = None, reason: str = "withdrew"
    ) -> Enrollment:
        """The member leaves; a seat they held is offered to the waitlist."""
        return self._move(enrollment_id, "withdraw", to=S.WITHDRAWN, actor=actor, reason=reason)

    def cancel(
        self, enrollment_id: str, *, actor: str = NETWORK, reason: str = "cancelled"
    ) -> Enrollment:
        """The network removes the member; a seat they held is offered to the waitlist."""
        return self._move(enrollment_id, "cancel", to=S.CANCELLED, actor=actor, reason=reason)

    # -- completion --------------------------------------------------------------------
    def evaluate_completion(self, program_id: str, *, actor: str = NETWORK) -> list[Enrollment]:
        """Mark every enrolled member completed or incomplete by the program's rule."""
        return run_one(self._context, complete, Complete(program_id=program_id, actor=actor))

    # -- reading -----------------------------------------------------------------------
    def get(self, enrollment_id: str) -> Enrollment:
        with self._context.reading() as tx:
            return require(tx, Enrollment, enrollment_id)

    def of(self, program_id: str, member_id: str) -> Enrollment | None:
        with self._context.reading() as tx:
            return tx.find_one(Enrollment, {"program_id": program_id, "member_id": member_id})

    def find(
        self,
        program_id: str | None = None,
        *,
        status: Collection[EnrollmentStatus] | EnrollmentStatus | str | None = None,
        where: Where | None = None,
    ) -> list[Enrollment]:
        conditions = dict(where or {})
        if program_id is not None:
            conditions["program_id"] = program_id
        if status is not None:
            # A single status may be a plain string: never iterate it letter by letter.
            conditions["status"] = (
                EnrollmentStatus(status) if isinstance(status, str) else sorted(status)
            )
        with self._context.reading() as tx:
            return tx.find(Enrollment, conditions, order_by=("created_at",))

    def status_counts(self, program_id: str) -> dict[EnrollmentStatus, int]:
        """How many of the program's enrollments are in each status (zeros included).

        One grouped count in the store; NotFoundError for an unknown program.
        """
        with self._context.reading_work() as uow:
            uow.require(Program, program_id)
            counts = uow.tx.count(Enrollment, {"program_id": program_id}, group_by=("status",))
        return {status: counts.get((status.value,), 0) for status in EnrollmentStatus}

    def waitlist_of(self, program_id: str) -> list[Enrollment]:
        """Waitlisted enrollments in the order seats will be offered."""
        with self._context.reading_work() as uow:
            return seats.ordered_waitlist(uow, uow.require(Program, program_id))

    def seats_left(self, program_id: str) -> int | None:
        """Free seats, or None when the program has no capacity limit."""
        with self._context.reading_work() as uow:
            program = uow.require(Program, program_id)
            return seats.SeatLedger.load(uow, program).seats_left()

    def history(self, enrollment_id: str) -> list[Transition]:
        """Every transition of an enrollment, oldest first."""
        with self._context.reading() as tx:
            return tx.find(Transition, {"enrollment_id": enrollment_id}, order_by=("sequence",))

    # -- bulk import -------------------------------------------------------------------
    def import_many(
        self, rows: Iterable[EnrollmentRowLike], *, actor: str = NETWORK
    ) -> list[Enrollment]:
        """Load historical enrollments, e.g. from a spreadsheet; all or nothing.

        Rows (a list, or any iterable) are
        :class:`~cpnetwork.services.enrollment_import.EnrollmentRow` or tuples
        ``(member_id, program_id, status[, track[, at]])``.  Every row is checked
        first (programs and members exist, no pair repeats or is already enrolled,
        seat-holding statuses fit capacity and quotas, counted in the store); then
        the enrollments and one ``Transition`` each (reason ``"imported"``) are
        written with one ``insert_many`` in one transaction, and an
        ``EnrollmentChanged`` event is emitted per enrollment.  Entry rules (mode,
        dates, eligibility) are not applied: the rows record what already happened.
        Returns the enrollments in row order.
        """
        return import_enrollments(self._context, rows, actor=actor)
