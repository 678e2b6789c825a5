"""Attendance and completion: per session, per program, and month by month.

Attendance records are counted in the store in one pass, grouped by session and
status; each session's program and month (grouped counts of the sessions) fold those
into programs and months.  Sessions and programs, the rows the report shows, are read
for their titles and dates.  A month is the month a session starts in the network's time zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from attrs import frozen

from cpnetwork.model import (
    Attendance,
    AttendanceStatus,
    Enrollment,
    EnrollmentStatus,
    Program,
    Session,
)
from cpnetwork.reports.filters import Scope
from cpnetwork.reports.report import Chart, Section, column
from cpnetwork.storage.base import Month

if TYPE_CHECKING:
    from datetime import date

    from cpnetwork.network import Network

A = AttendanceStatus
#: Statuses that count as having attended.
ATTENDED = (A.PRESENT.value, A.PARTIAL.value)


@frozen(kw_only=True)
class SessionAttendance:
    """Who was recorded at one session."""

    session: str = column("Session", "the session's title")
    program: str = column("Program", "the program it belongs to")
    day: date = column("Date", "the day it starts, in its own time zone")
    kind: str = column("Kind", "kickoff, institute, learning community, ...")
    present: int = column("Present", "members present")
    partial: int = column("Partial", "members present for part of it")
    absent: int = column("Absent", "members absent")
    excused: int = column("Excused", "members excused")
    percent_attended: float | None = column(
        "% attended", "(present + partial) / recorded, 0-100 (None: nothing recorded)"
    )


@frozen(kw_only=True)
class ProgramAttendance:
    """One program's attendance and completion."""

    program: str = column("Program", "the program's title and year")
    sessions: int = column("Sessions", "sessions held (cancelled ones left out)")
    attended: int = column("Attended", "attendance records present or partial")
    recorded: int = column("Recorded", "attendance records of every status")
    percent_attended: float | None = column("% attended", "attended / recorded, 0-100")
    enrolled: int = column("Enrolled", "enrollments enrolled, completed or incomplete")
    completed: int = column("Completed", "enrollments completed")
    percent_completed: float | None = column("% completed", "completed / enrolled, 0-100")


@frozen(kw_only=True)
class MonthAttendance:
    """Attendance at the sessions of one month."""

    month: str = column("Month", "YYYY-MM, in the network's time zone")
    sessions: int = column("Sessions", "sessions starting that month")
    attended: int = column("Attended", "records present or partial")
    recorded: int = column("Recorded", "records of every status")
    percent_attended: float | None = column("% attended", "attended / recorded, 0-100")


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def build(network: Network, scope: Scope) -> Sequence[Section]:
    zone = network.profile.timezone
    sessions_where: dict[str, Any] = {**scope.sessions(), "cancelled": False}
    attendance_where: dict[str, Any] = dict(scope.attendance())
    completed_or_not = [EnrollmentStatus.ENROLLED, EnrollmentStatus.COMPLETED,
                        EnrollmentStatus.INCOMPLETE]  # fmt: skip
    with network.reports.reading() as tx:
        # One pass over the attendance; programs and months come from the sessions.
        per_session = tx.count(Attendance, attendance_where, group_by=["session_id", "status"])
        placed = tx.count(
            Session,
            scope.sessions(),
            group_by=["id", "program_id", "cancelled", Month("start", zone)],
        )
        enrollments = tx.count(
            Enrollment,
            {**scope.enrollments(), "status": completed_or_not},
            group_by=["program_id", "status"],
        )
        shown = tx.find(Session, sessions_where, order_by=["start"])
        program_ids = sorted({k[1] for k in placed} | {k[0] for k in enrollments})
        programs = {p.id: p for p in tx.find(Program, {"id": program_ids})}
    program_of = {session_id: program_id for (session_id, program_id, _, _) in placed}
    month_of = {session_id: month for (session_id, _, cancelled, month) in placed if not cancelled}
    held: dict[str, int] = {}
    for session_id in month_of:
        held[program_of[session_id]] = held.get(program_of[session_id], 0) + 1
    per_program: dict[str, list[int]] = {}  # program: [attended, recorded]
    for (session_id, status), n in per_session.items():
        tally = per_program.setdefault(program_of.get(session_id, ""), [0, 0])
        tally[0] += n if status in ATTENDED else 0
        tally[1] += n
    completion: dict[str, list[int]] = {}  # program: [completed, enrolled]
    for (program_id, status), n in enrollments.items():
        tally = completion.setdefault(program_id, [0, 0])
        tally[0] += n if status == EnrollmentStatus.COMPLETED.value else 0
        tally[1] += n

    def title(program_id: str) -> str:
        program = programs.get(program_id)
        return f"{program.title} ({program.program_year})" if program else program_id

    session_rows = []
    for session in shown:
        counts = {s.value: per_session.get((session.id, s.value), 0) for s in A}
        recorded = sum(counts.values())
        session_rows.append(
            SessionAttendance(
                session=session.title,
                program=title(session.program_id),
                day=session.local_start.date(),
                kind=session.kind.value,
                present=counts[A.PRESENT.value],
                partial=counts[A.PARTIAL.value],
                absent=counts[A.ABSENT.value],
                excused=counts[A.EXCUSED.value],
                percent_attended=_percent(
                    counts[A.PRESENT.value] + counts[A.PARTIAL.value], recorded
                ),
            )
        )
    program_rows = []
    for pid in sorted(programs, key=lambda p: (-programs[p].program_year, programs[p].title)):
        attended, recorded = per_program.get(pid, (0, 0))
        completed, enrolled = completion.get(pid, (0, 0))
        program_rows.append(
            ProgramAttendance(
                program=title(pid),
                sessions=held.get(pid, 0),
                attended=attended,
                recorded=recorded,
                percent_attended=_percent(attended, recorded),
                enrolled=enrolled,
                completed=completed,
                percent_completed=_percent(completed, enrolled),
            )
        )
    by_month: dict[str, list[int]] = {}
    for month in month_of.values():
        by_month.setdefault(month, [0, 0, 0])[0] += 1
    for (session_id, status), n in per_session.items():
        month = month_of.get(session_id)
        if month is None:  # a cancelled session's records, or one outside the dates
            continue
        totals = by_month[month]
        totals[2] += n
        if status in ATTENDED:
            totals[1] += n
    month_rows = [
        MonthAttendance(month=month, sessions=s, attended=a, recorded=r,
                        percent_attended=_percent(a, r))
        for month, (s, a, r) in sorted(by_month.items())
    ]  # fmt: skip
    return [
        Section(key="by_program", title="Attendance and completion by program",
                row_type=ProgramAttendance, rows=program_rows),
        Section(key="by_month", title="Attendance over the year", row_type=MonthAttendance,
                rows=month_rows,
                chart=Chart(label="month", values=("attended", "recorded"), line=True)),
        Section(key="by_session", title="Attendance by session", row_type=SessionAttendance,
                rows=session_rows),
    ]  # fmt: skip
