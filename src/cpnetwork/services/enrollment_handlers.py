"""The enrollment handlers: each change is a command applied to a unit of work.

``enter`` is every way into a program (an interest form, an invitation, an
application, a registration, a form imported from a file); ``move`` is every step of
an enrollment already there (review, offers, confirmation, withdrawal); ``complete``
evaluates a program's completion rule.  The service's single calls and its many calls
run these same handlers (:mod:`cpnetwork.services.handling`), so each rule is written
once: allowed steps and the entry window on the model, seats and quotas in the
program's :class:`~cpnetwork.services.seats.SeatLedger`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attrs import field, frozen

from cpnetwork.errors import (
    EnrollmentClosedError,
    IllegalTransitionError,
    NotEligibleError,
    NotFoundError,
    PluginError,
    QuotaReachedError,
    ValidationError,
)
from cpnetwork.model import (
    ALLOWED_FROM,
    Attendance,
    AttendanceStatus,
    Enrollment,
    EnrollmentMode,
    EnrollmentStatus,
    Member,
    Organization,
    Program,
    Session,
    new_id,
)
from cpnetwork.model import _validators as v
from cpnetwork.services import naming, seats
from cpnetwork.services.unit_of_work import UnitOfWork
from cpnetwork.storage import Related

S = EnrollmentStatus

#: Who acts when no one is named and the member is not the one acting.
NETWORK = "network"

#: Enrollment modes in which each way in is offered.
MODES = {
    "express interest": {EnrollmentMode.INTEREST},
    "invite": {EnrollmentMode.INTEREST, EnrollmentMode.INVITATION},
    "apply": {EnrollmentMode.APPLICATION},
    "register": {EnrollmentMode.REGISTRATION},
}

#: Where each way in leads, and the reason recorded.
ENTRIES = {
    "express interest": (S.INTERESTED, "interest form received"),
    "apply": (S.APPLIED, "application received"),
    "invite": (S.ENROLLED, "invited"),
    "register": (S.ENROLLED, "registered"),
}

#: What a submitted form is in a program of each mode.
FORM_ACTIONS = {EnrollmentMode.APPLICATION: "apply", EnrollmentMode.INTEREST: "express interest"}

#: Steps whose actor, when none is named, is the member.
MEMBER_STEPS = frozenset({"confirm", "accept offer", "decline offer", "withdraw"})


def _answers(values: Mapping[str, str] | None) -> dict[str, str]:
    return dict(values or {})


@frozen(kw_only=True)
class Enter:
    """A member comes into a program by ``action`` (None: the form the program takes)."""

    program_id: str
    member_id: str = field(validator=v.non_empty)
    action: str | None = None
    actor: str | None = None
    reason: str | None = None
    track: str | None = None
    answers: dict[str, str] = field(factory=dict, converter=_answers)
    #: When the form was submitted, if not now: the entry window is checked then.
    submitted_at: datetime | None = field(default=None, validator=v.aware)


@frozen(kw_only=True)
class Move:
    """An enrollment takes a step; ``to`` None is where the step leads in its program."""

    enrollment_id: str
    action: str
    to: EnrollmentStatus | None = None
    actor: str | None = None
    reason: str = ""
    needs_seat: bool = False
    rank: int | None = None


@frozen(kw_only=True)
class Complete:
    """Mark every enrolled member of a program completed or incomplete by its rule."""

    program_id: str
    actor: str = NETWORK


def form_action(program: Program) -> str:
    """What a form submitted to ``program`` is: an application or an interest form."""
    action = FORM_ACTIONS.get(program.policy.mode)
    if action is None:
        raise EnrollmentClosedError(
            "Program", program.id, f"enrolls by {program.policy.mode.value}; it takes no forms"
        )
    return action


def enter(uow: UnitOfWork, command: Enter) -> Enrollment:
    # Only a way in that takes a seat sweeps stale offers: it counts seats.
    program = seats.open_program(uow, command.program_id, sweep=False)
    member, existing = _entrant(uow, command.member_id, program.id)
    action = command.action or form_action(program)
    policy = program.policy
    if policy.mode not in MODES[action]:
        raise EnrollmentClosedError(
            "Program",
            program.id,
            f"{naming.program_label(program)} enrolls by {policy.mode.value}; "
            f"{naming.member_label(member)} cannot {action}",
        )
    if existing is not None:
        existing.check_step(
            action,
            f"{naming.member_label(member)} is already in {naming.program_label(program)}",
        )
    if action != "invite":
        problem = policy.window_problem(command.submitted_at or uow.now)
        if problem:
            raise EnrollmentClosedError(
                "Program",
                program.id,
                f"{naming.program_label(program)} takes no entry from "
                f"{naming.member_label(member)}: {problem}",
            )
    check_eligibility(uow, program, member)
    candidate = _candidate(uow, program, member, existing, command)
    to, reason = ENTRIES[action]
    reason = command.reason or reason
    extra: dict[str, Any] = {}
    if to is S.ENROLLED:
        seats.sweep_offers(uow, program)
        book = seats.ledger(uow, program)
        problem = book.quota_problem(candidate)
        if problem:
            raise QuotaReachedError("Program", program.id, problem)
        if book.full():
            if action != "register" or not policy.waitlist:
                book.check(candidate)
            to, reason = S.WAITLISTED, "no seat left: waitlisted"
            extra = seats.join_waitlist(uow, program)
    who = command.actor or (NETWORK if action == "invite" else member.id)
    return seats.transition(
        uow, candidate, to, actor=who, reason=reason, new=existing is None, **extra
    )


def _entrant(uow: UnitOfWork, member_id: str, program_id: str) -> tuple[Member, Enrollment | None]:
    """The member and their enrollment in the program, if any, in one read.

    The member's organizations come with them, into the unit of work's cache, so
    eligibility and the enrollment's snapshot read none again.
    """
    member, related = uow.tx.get_with(
        Member,
        member_id,
        {
            "enrollment": Related(Enrollment, on="member_id", where={"program_id": program_id}),
            "organizations": Related(Organization, via="affiliations.organization_id"),
        },
    )
    if member is None:
        raise NotFoundError("Member", member_id)
    known: dict[str, Organization | None] = uow.cache.setdefault(Organization, {})
    found = {organization.id: organization for organization in related["organizations"]}
    for affiliation in member.affiliations:
        known.setdefault(affiliation.organization_id, found.get(affiliation.organization_id))
    enrollment = related["enrollment"]
    return member, enrollment[0] if enrollment else None


def check_eligibility(uow: UnitOfWork, program: Program, member: Member) -> None:
    """NotEligibleError with every plugin's reasons to refuse the member, if any."""
    context = uow.context
    organizations = organizations_of(uow, member)
    county = member.county or next((o.county for o in organizations if o.county), None)
    reasons: list[str] = []
    for plugin, answer in context.plugins.call_all(
        "check_eligibility",
        program=program,
        member=member,
        organizations=organizations,
        region=context.region_of(county),
        network=context.network,
    ):
        if isinstance(answer, str) or not all(isinstance(r, str) for r in answer):
            raise PluginError(plugin, "check_eligibility", f"returned {answer!r}, not reasons")
        reasons.extend(answer)
    if reasons:
        raise NotEligibleError(
            "Member",
            member.id,
            reasons,
            subject=f"{naming.member_label(member)} for {naming.program_label(program)}",
        )


def organizations_of(uow: UnitOfWork, member: Member) -> list[Organization]:
    """The organizations the member is affiliated with today."""
    today = uow.now.astimezone(uow.context.zone).date()
    ids = [a.organization_id for a in member.affiliations if a.active_on(today)]
    found = [_organization(uow, i) for i in ids]
    return [o for o in found if o is not None]


def _organization(uow: UnitOfWork, organization_id: str) -> Organization | None:
    """An organization, read once per unit of work (eligibility and the snapshot ask)."""
    known: dict[str, Organization | None] = uow.cache.setdefault(Organization, {})
    if organization_id not in known:
        known[organization_id] = uow.tx.get(Organization, organization_id)
    return known[organization_id]


def _candidate(
    uow: UnitOfWork,
    program: Program,
    member: Member,
    existing: Enrollment | None,
    command: Enter,
) -> Enrollment:
    """The enrollment to move: snapshotting what the member represents today."""
    if command.track is not None and command.track not in {t.key for t in program.tracks}:
        raise ValidationError(
            "Enrollment", None, f"program has no track {command.track!r}", field="track"
        )
    today = uow.now.astimezone(uow.context.zone).date()
    affiliation = member.affiliation_on(today)
    organization = _organization(uow, affiliation.organization_id) if affiliation else None
    county = member.county or (organization.county if organization else None)
    now = uow.now
    return Enrollment(
        id=existing.id if existing else new_id(),
        program_id=program.id,
        member_id=member.id,
        status=existing.status if existing else S.INTERESTED,
        created_at=existing.created_at if existing else now,
        updated_at=now,
        organization_id=organization.id if organization else None,
        county=county,
        region=uow.context.region_of(county),
        role=member.primary_role.value if member.primary_role else None,
        track=command.track,
        answers=command.answers,
    )


def move(uow: UnitOfWork, command: Move) -> Enrollment:
    if uow.tx.serializes_writers:  # nothing moves it while this change runs
        enrollment = uow.require(Enrollment, command.enrollment_id)
        program = seats.open_program(uow, enrollment.program_id, sweep=False)
    else:  # read as the program's lock leaves it
        locked = seats.open_program_of(uow, command.enrollment_id)
        enrollment = uow.require(Enrollment, command.enrollment_id)
        program = locked or seats.open_program(uow, enrollment.program_id, sweep=False)
    if seats.sweep_offers(uow, program):  # it may have expired this very offer
        enrollment = uow.require(Enrollment, command.enrollment_id)
    if enrollment.status not in ALLOWED_FROM[command.action]:
        enrollment.check_step(
            command.action,
            f"{naming.member_named(uow, enrollment.member_id)} in {naming.program_label(program)}",
        )
    to = command.to or _accepted_in(program)
    changes: dict[str, Any] = {}
    if command.needs_seat and not enrollment.holds_seat:
        seats.ledger(uow, program).check(enrollment)
    if to is S.WAITLISTED:
        if not program.policy.waitlist:
            raise IllegalTransitionError(
                "Enrollment",
                enrollment.id,
                enrollment.status.value,
                command.action,
                "the program keeps no waitlist",
            )
        changes.update(seats.join_waitlist(uow, program))
    if command.rank is not None:
        changes["rank"] = command.rank
    actor = command.actor or (enrollment.member_id if command.action in MEMBER_STEPS else NETWORK)
    moved = seats.transition(
        uow, enrollment, to, actor=actor, reason=command.reason or command.action, **changes
    )
    if enrollment.holds_seat and not moved.holds_seat:
        seats.fill_freed_seats(uow, program, actor=actor)
    return moved


def _accepted_in(program: Program) -> EnrollmentStatus:
    """Where taking up a seat leads: accepted in an application program, else enrolled."""
    return S.ACCEPTED if program.policy.mode is EnrollmentMode.APPLICATION else S.ENROLLED


def complete(uow: UnitOfWork, command: Complete) -> list[Enrollment]:
    program = seats.open_program(uow, command.program_id)
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
    for enrollment in uow.tx.find(Enrollment, {"program_id": program.id, "status": S.ENROLLED}):
        n = attended.get((enrollment.member_id,), 0)
        ok = (rule.min_sessions is None or n >= rule.min_sessions) and (
            rule.min_fraction is None
            or (counted and n / len(counted) >= rule.min_fraction)
            or (not counted and rule.min_fraction == 0)
        )
        to = S.COMPLETED if ok else S.INCOMPLETE
        reason = f"attended {n} of {len(counted)} counted sessions"
        results.append(seats.transition(uow, enrollment, to, actor=command.actor, reason=reason))
    return results
