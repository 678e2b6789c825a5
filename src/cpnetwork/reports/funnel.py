"""The enrollment funnel of each program, from its enrollments and their transitions.

Stages count enrollments that *reached* a status (from the transitions table, grouped
by program and step in one query): the lifecycle has no loops, so an enrollment
reaches each status at most once.  Waitlist length and open offers are the current
statuses (from the enrollments table).

Days to decision: each decided application has exactly one decision step (applied or
under review to accepted, waitlisted or declined).  The store sums the decision
instants and, for the same enrollments, the instants they were made (``total`` of a
datetime field, in seconds); the difference over their number is the mean wait.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from attrs import frozen

from cpnetwork.model import Enrollment, EnrollmentStatus, Program, Transition
from cpnetwork.reports.filters import Scope
from cpnetwork.reports.report import Chart, Section, column
from cpnetwork.storage.base import Matching

if TYPE_CHECKING:
    from cpnetwork.network import Network

S = EnrollmentStatus
#: Where an application waits for a decision, and the decisions.
_UNDECIDED = (S.APPLIED.value, S.UNDER_REVIEW.value)
_DECISIONS = (S.ACCEPTED.value, S.WAITLISTED.value, S.DECLINED.value)


def _mean_days(seconds: float, n: int) -> float | None:
    return round(seconds / n / 86400, 1) if n else None


@frozen(kw_only=True)
class FunnelRow:
    """One program's funnel."""

    program: str = column("Program", "the program's title and year")
    entered: int = column(
        "Interested or applied",
        "enrollments made (interest, application, registration or invitation)",
    )
    accepted: int = column("Accepted", "enrollments that were accepted (or enrolled at once)")
    enrolled: int = column("Enrolled", "enrollments that reached enrolled")
    completed: int = column("Completed", "enrollments that reached completed")
    waitlisted_now: int = column("Waitlist now", "enrollments waitlisted today: the line's length")
    offered_now: int = column("Offers open", "seats offered and not yet answered")
    declined: int = column("Declined", "applications declined, and offers declined")
    withdrawn: int = column("Withdrawn", "enrollments the member withdrew")
    cancelled: int = column("Cancelled", "enrollments the network cancelled")
    expired: int = column("Expired offers", "offers not taken up in time")
    percent_completed: float | None = column(
        "% completed", "completed / enrolled, 0-100 (None: nobody enrolled)"
    )  # fmt: skip
    days_to_decision: float | None = column(
        "Days to decision", "mean days from application to accepted, waitlisted or declined "
        "(None: no application decided)"
    )  # fmt: skip


@frozen(kw_only=True)
class StageRow:
    """One stage of the funnel, every program together (the chart's bars)."""

    stage: str = column("Stage", "the funnel stage")
    enrollments: int = column("Enrollments", "enrollments that reached it")


def build(network: Network, scope: Scope) -> Sequence[Section]:
    where: dict[str, Any] = dict(scope.enrollments())
    steps_where: dict[str, Any] = {}
    if where:
        steps_where["enrollment_id"] = Matching(Enrollment, where)
    with network.reports.reading() as tx:
        entered = tx.count(Enrollment, where, group_by=["program_id"])
        now = tx.count(Enrollment, where, group_by=["program_id", "status"])
        steps = tx.count(
            Transition, steps_where, group_by=["program_id", "from_status", "to_status"]
        )
        programs = tx.find(Program, {"id": sorted(k[0] for k in entered)},
                           order_by=["-program_year", "title"])  # fmt: skip
        decisions: dict[str, Any] = {**steps_where, "from_status": list(_UNDECIDED),
                                     "to_status": list(_DECISIONS)}  # fmt: skip
        decided = tx.count(Transition, decisions, group_by=["program_id"])
        decided_at = tx.total(Transition, "at", decisions, group_by=["program_id"])
        applied_at = tx.total(
            Enrollment,
            "created_at",
            {**where, "id": Matching(Transition, decisions, field="enrollment_id")},
            group_by=["program_id"],
        )

    def reached(program_id: str, status: EnrollmentStatus, *, not_from: Sequence[S] = ()) -> int:
        skip = {s.value for s in not_from}
        return sum(
            n
            for (program, before, after), n in steps.items()
            if program == program_id and after == status.value and before not in skip
        )

    rows = []
    for program in programs:
        pid = program.id
        enrolled = reached(pid, S.ENROLLED)
        completed = reached(pid, S.COMPLETED)
        rows.append(
            FunnelRow(
                program=f"{program.title} ({program.program_year})",
                entered=entered.get((pid,), 0),
                # Registration and invitation enroll without an acceptance step.
                accepted=reached(pid, S.ACCEPTED) + reached(pid, S.ENROLLED, not_from=[S.ACCEPTED]),
                enrolled=enrolled,
                completed=completed,
                waitlisted_now=now.get((pid, S.WAITLISTED.value), 0),
                offered_now=now.get((pid, S.OFFERED.value), 0),
                declined=reached(pid, S.DECLINED),
                withdrawn=reached(pid, S.WITHDRAWN),
                cancelled=reached(pid, S.CANCELLED),
                expired=reached(pid, S.EXPIRED),
                percent_completed=round(100 * completed / enrolled, 1) if enrolled else None,
                days_to_decision=_mean_days(
                    decided_at.get((pid,), 0) - applied_at.get((pid,), 0), decided.get((pid,), 0)
                ),
            )
        )
    stages = [
        StageRow(stage=title, enrollments=sum(getattr(r, key) for r in rows))
        for key, title in (
            ("entered", "Interested or applied"),
            ("accepted", "Accepted"),
            ("enrolled", "Enrolled"),
            ("completed", "Completed"),
        )
    ]
    return [
        Section(key="by_program", title="Enrollment funnel by program", row_type=FunnelRow,
                rows=rows),
        Section(key="stages", title="Funnel, all programs", row_type=StageRow, rows=stages,
                chart=Chart(label="stage", values=("enrollments",))),
    ]  # fmt: skip
