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
Every call runs in one transaction: an illegal step raises and changes nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from cpnetwork.errors import (
    EnrollmentClosedError,
    IllegalTransitionError,
    NotEligibleError,
    PluginError,
    ValidationError,
)
from cpnetwork.model import (
    OPEN_STATUSES,
    SEAT_STATUSES,
    Attendance,
    AttendanceStatus,
    Enrollment,
    EnrollmentMode,
    EnrollmentStatus,
    Member,
    Organization,
    Program,
    Session,
    Transition,
    new_id,
)
from cpnetwork.services import seats
from cpnetwork.services.context import Context, UnitOfWork
from cpnetwork.services.enrollment_import import EnrollmentRowLike, import_enrollments
from cpnetwork.storage import Where

S = EnrollmentStatus

#: Statuses each action may start from (None: no enrollment yet).
ALLOWED_FROM: dict[str, frozenset[EnrollmentStatus | None]] = {
    "express interest": frozenset({None}),
    "invite": frozenset({None, S.INTERESTED}),
    "apply": frozenset({None}),
    "register": frozenset({None}),
    "start review": frozenset({S.APPLIED}),
    "accept": frozenset({S.APPLIED, S.UNDER_REVIEW, S.WAITLISTED}),
    "waitlist": frozenset({S.APPLIED, S.UNDER_REVIEW}),
    "decline": frozenset({S.APPLIED, S.UNDER_REVIEW, S.WAITLISTED}),
    "confirm": frozenset({S.ACCEPTED}),
    "accept offer": frozenset({S.OFFERED}),
    "decline offer": frozenset({S.OFFERED}),
    "withdraw": OPEN_STATUSES,
    "cancel": OPEN_STATUSES,
    "complete": frozenset({S.ENROLLED}),
}

#: Enrollment modes in which each way in is offered.
_MODES = {
    "express interest": {EnrollmentMode.INTEREST},
    "invite": {EnrollmentMode.INTEREST, EnrollmentMode.INVITATION},
    "apply": {EnrollmentMode.APPLICATION},
    "register": {EnrollmentMode.REGISTRATION},
}

NETWORK = "network"


class EnrollmentService:
    def __init__(self, context: Context) -> None:
        self._context = context

    # -- plumbing ----------------------------------------------------------------
    def _open_program(self, uow: UnitOfWork, program_id: str) -> Program:
        """Lock the program, then expire stale offers so seats are counted right."""
        uow.tx.lock(Program, program_id)
        program = uow.require(Program, program_id)
        seats.expire_offers(uow, program)
        return program

    def _enrollment(self, uow: UnitOfWork, enrollment_id: str) -> tuple[Enrollment, Program]:
        enrollment = uow.require(Enrollment, enrollment_id)
        program = self._open_program(uow, enrollment.program_id)
        return uow.require(Enrollment, enrollment_id), program

    @staticmethod
    def _allow(enrollment: Enrollment, action: str) -> None:
        if enrollment.status not in ALLOWED_FROM[action]:
            raise IllegalTransitionError(
                "Enrollment", enrollment.id, enrollment.status.value, action
            )

    def _check_entry(self, uow: UnitOfWork, program: Program, member: Member, action: str) -> None:
        policy = program.policy
        if policy.mode not in _MODES[action]:
            raise EnrollmentClosedError(
                "Program", program.id, f"enrolls by {policy.mode.value}; cannot {action}"
            )
        existing = uow.tx.find_one(Enrollment, {"program_id": program.id, "member_id": member.id})
        if existing is not None and existing.status not in ALLOWED_FROM[action]:
            raise IllegalTransitionError(
                "Enrollment",
                existing.id,
                existing.status.value,
                action,
                f"{member.email} is already in this program",
            )
        now = uow.now
        if action != "invite":
            if policy.opens is not None and now < policy.opens:
                raise EnrollmentClosedError(
                    "Program", program.id, f"opens {policy.opens.isoformat()}"
                )
            if policy.deadline is not None and now > policy.deadline:
                raise EnrollmentClosedError(
                    "Program", program.id, f"deadline {policy.deadline.isoformat()} has passed"
                )
        self._check_eligibility(uow, program, member)

    def _check_eligibility(self, uow: UnitOfWork, program: Program, member: Member) -> None:
        today = self._context.today()
        organizations = [
            org
            for a in member.affiliations
            if a.active_on(today)
            and (org := uow.tx.get(Organization, a.organization_id)) is not None
        ]
        county = member.county or next((o.county for o in organizations if o.county), None)
        reasons = []
        for plugin, answer in self._context.plugins.call_all(
            "check_eligibility",
            program=program,
            member=member,
            organizations=organizations,
            region=self._context.region_of(county),
            network=self._context.network,
        ):
            if isinstance(answer, str) or not all(isinstance(r, str) for r in answer):
                raise PluginError(plugin, "check_eligibility", f"returned {answer!r}, not reasons")
            reasons.extend(answer)
        if reasons:
            raise NotEligibleError("Member", member.id, reasons)

    def _new(
        self,
        uow: UnitOfWork,
        program: Program,
        member: Member,
        *,
        track: str | None,
        answers: Mapping[str, str] | None,
    ) -> Enrollment:
        """A fresh enrollment snapshotting what the member represents today."""
        if track is not None and track not in {t.key for t in program.tracks}:
            raise ValidationError(
                "Enrollment", None, f"program has no track {track!r}", field="track"
            )
        affiliation = member.affiliation_on(self._context.today())
        organization = (
            uow.tx.get(Organization, affiliation.organization_id) if affiliation else None
        )
        county = member.county or (organization.county if organization else None)
        now = uow.now
        existing = uow.tx.find_one(Enrollment, {"program_id": program.id, "member_id": member.id})
        return Enrollment(
            id=existing.id if existing else new_id(),
            program_id=program.id,
            member_id=member.id,
            status=existing.status if existing else S.INTERESTED,
            created_at=existing.created_at if existing else now,
            updated_at=now,
            organization_id=organization.id if organization else None,
            county=county,
            region=self._context.region_of(county),
            role=member.primary_role.value if member.primary_role else None,
            track=track,
            answers=dict(answers or {}),
        )

    def _enter(
        self,
        action: str,
        program_id: str,
        member_id: str,
        *,
        actor: str | None,
        reason: str,
        track: str | None = None,
        answers: Mapping[str, str] | None = None,
    ) -> Enrollment:
        with self._context.unit_of_work() as uow:
            program = self._open_program(uow, program_id)
            member = uow.require(Member, member_id)
            self._check_entry(uow, program, member, action)
            existing = uow.tx.find_one(
                Enrollment, {"program_id": program.id, "member_id": member.id}
            )
            candidate = self._new(uow, program, member, track=track, answers=answers)
            who = actor or (NETWORK if action == "invite" else member.id)
            to = {
                "express interest": S.INTERESTED,
                "apply": S.APPLIED,
                "invite": S.ENROLLED,
                "register": S.ENROLLED,
            }[action]
            extra: dict[str, Any] = {}
            if to is S.ENROLLED:
                seats.check_quotas(uow, program, candidate)
                if seats.seats_left(uow, program) == 0:
                    if action != "register" or not program.policy.waitlist:
                        seats.check_capacity(uow, program)
                    to, reason = S.WAITLISTED, "no seat left: waitlisted"
                    extra = seats.join_waitlist(uow, program.id)
            return seats.transition(
                uow, candidate, to, actor=who, reason=reason, new=existing is None, **extra
            )

    def _move(
        self,
        action: str,
        enrollment_id: str,
        to: EnrollmentStatus,
        *,
        actor: str,
        reason: str,
        needs_seat: bool = False,
        rank: int | None = None,
    ) -> Enrollment:
        with self._context.unit_of_work() as uow:
            enrollment, program = self._enrollment(uow, enrollment_id)
            self._allow(enrollment, action)
            changes: dict[str, Any] = {}
            if needs_seat and enrollment.status not in SEAT_STATUSES:
                seats.check_quotas(uow, program, enrollment)
                seats.check_capacity(uow, program)
            if to is S.WAITLISTED:
                if not program.policy.waitlist:
                    raise IllegalTransitionError(
                        "Enrollment",
                        enrollment.id,
                        enrollment.status.value,
                        action,
                        "the program keeps no waitlist",
                    )
                changes.update(seats.join_waitlist(uow, program.id))
            if rank is not None:
                changes["rank"] = rank
            moved = seats.transition(uow, enrollment, to, actor=actor, reason=reason, **changes)
            if enrollment.holds_seat and not moved.holds_seat:
                seats.fill_freed_seats(uow, program, actor=actor)
            return moved

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
            "express interest",
            program_id,
            member_id,
            actor=actor,
            reason="interest form received",
            answers=answers,
        )

    def invite(
        self, program_id: str, member_id: str, *, actor: str = NETWORK, reason: str = "invited"
    ) -> Enrollment:
        """Enroll an interested (or invited) member, if a seat and quota allow."""
        return self._enter("invite", program_id, member_id, actor=actor, reason=reason)

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
            "apply",
            program_id,
            member_id,
            actor=actor,
            reason="application received",
            answers=answers,
            track=track,
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
            "register", program_id, member_id, actor=actor, reason="registered", track=track
        )

    # -- review ----------------------------------------------------------------------
    def start_review(self, enrollment_id: str, *, actor: str = NETWORK) -> Enrollment:
        return self._move(
            "start review", enrollment_id, S.UNDER_REVIEW, actor=actor, reason="review started"
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
            "accept",
            enrollment_id,
            S.ACCEPTED,
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
            "waitlist", enrollment_id, S.WAITLISTED, actor=actor, reason=reason, rank=rank
        )

    def decline(
        self, enrollment_id: str, *, actor: str = NETWORK, reason: str = "declined"
    ) -> Enrollment:
        return self._move("decline", enrollment_id, S.DECLINED, actor=actor, reason=reason)

    def confirm(self, enrollment_id: str, *, actor: str | None = None) -> Enrollment:
        """The accepted member confirms their place: accepted → enrolled."""
        with self._context.reading() as tx:
            enrollment = tx.get(Enrollment, enrollment_id)
        who = actor or (enrollment.member_id if enrollment else NETWORK)
        return self._move("confirm", enrollment_id, S.ENROLLED, actor=who, reason="confirmed")

    # -- offers ------------------------------------------------------------------------
    def accept_offer(self, enrollment_id: str, *, actor: str | None = None) -> Enrollment:
        """Take up an offered seat before it expires."""
        with self._context.unit_of_work() as uow:
            enrollment, program = self._enrollment(uow, enrollment_id)
            self._allow(enrollment, "accept offer")
            to = S.ACCEPTED if program.policy.mode is EnrollmentMode.APPLICATION else S.ENROLLED
            return seats.transition(
                uow,
                enrollment,
                to,
                actor=actor or enrollment.member_id,
                reason="offer taken up",
                offer_expires_at=None,
            )

    def decline_offer(self, enrollment_id: str, *, actor: str | None = None) -> Enrollment:
        """Turn an offered seat down; it passes to the next on the waitlist."""
        with self._context.reading() as tx:
            enrollment = tx.get(Enrollment, enrollment_id)
        who = actor or (enrollment.member_id if enrollment else NETWORK)
        return self._move(
            "decline offer", enrollment_id, S.DECLINED, actor=who, reason="offer declined"
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
        with self._context.reading() as tx:
            enrollment = tx.get(Enrollment, enrollment_id)
        who = actor or (enrollment.member_id if enrollment else NETWORK)
        return self._move("withdraw", enrollment_id, S.WITHDRAWN, actor=who, reason=reason)

    def cancel(
        self, enrollment_id: str, *, actor: str = NETWORK, reason: str = "cancelled"
    ) -> Enrollment:
        """The network removes the member; a seat they held is offered to the waitlist."""
        return self._move("cancel", enrollment_id, S.CANCELLED, actor=actor, reason=reason)

    # -- completion --------------------------------------------------------------------
    def evaluate_completion(self, program_id: str, *, actor: str = NETWORK) -> list[Enrollment]:
        """Mark every enrolled member completed or incomplete by the program's rule."""
        with self._context.unit_of_work() as uow:
            program = self._open_program(uow, program_id)
            rule = program.completion
            if rule is None:
                raise ValidationError("Program", program.id, "has no completion rule")
            counting: dict[str, Any] = {
                "program_id": program.id,
                "counts_toward_completion": True,
                "cancelled": False,
            }
            if rule.session_kinds:
                counting["kind"] = sorted(rule.session_kinds)
            counted = [s.id for s in uow.tx.find(Session, counting)]
            statuses = [AttendanceStatus.PRESENT]
            if rule.count_partial:
                statuses.append(AttendanceStatus.PARTIAL)
            attended = (
                uow.tx.count(
                    Attendance,
                    {"program_id": program.id, "session_id": counted, "status": statuses},
                    group_by=("member_id",),
                )
                if counted
                else {}
            )
            results = []
            for enrollment in uow.tx.find(
                Enrollment, {"program_id": program.id, "status": S.ENROLLED}
            ):
                n = attended.get((enrollment.member_id,), 0)
                ok = (rule.min_sessions is None or n >= rule.min_sessions) and (
                    rule.min_fraction is None
                    or (counted and n / len(counted) >= rule.min_fraction)
                    or (not counted and rule.min_fraction == 0)
                )
                to = S.COMPLETED if ok else S.INCOMPLETE
                reason = f"attended {n} of {len(counted)} counted sessions"
                results.append(seats.transition(uow, enrollment, to, actor=actor, reason=reason))
            return results

    # -- reading -----------------------------------------------------------------------
    def get(self, enrollment_id: str) -> Enrollment:
        with self._context.unit_of_work() as uow:
            return uow.require(Enrollment, enrollment_id)

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

    def waitlist_of(self, program_id: str) -> list[Enrollment]:
        """Waitlisted enrollments in the order seats will be offered."""
        with self._context.unit_of_work() as uow:
            return seats.ordered_waitlist(uow, uow.require(Program, program_id))

    def seats_left(self, program_id: str) -> int | None:
        with self._context.unit_of_work() as uow:
            return seats.seats_left(uow, uow.require(Program, program_id))

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
