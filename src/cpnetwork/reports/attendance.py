"""Attendance and completion: per session, per program, and month by month.

Attendance records are counted in the store, grouped by session (or program) and
status; sessions and programs, the rows the report shows, are read for their titles
and dates.  A month is the month a session starts in the network's time zone.
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
        per_session = tx.count(Attendance, attendance_where, group_by=["session_id", "status"])
        per_program = tx.count(Attendance, attendance_where, group_by=["program_id", "status"])
        held = tx.count(Session, sessions_where, group_by=["program_id"])
        months = tx.count(Session, sessions_where, group_by=["id", Month("start", zone)])
        enrollments = tx.count(
            Enrollment,
            {**scope.enrollments(), "status": completed_or_not},
            group_by=["program_id", "status"],
        )
        shown = tx.find(Session, sessions_where, order_by=["start"])
        program_ids = sorted({k[0] for k in held} | {k[0] for k in per_program}
                             | {k[0] for k in enrollments})  # fmt: skip
        programs = {p.id: p for p in tx.find(Program, {"id": program_ids})}

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
        recorded = sum(n for (p, _), n in per_program.items() if p == pid)
        attended = sum(n for (p, s), n in per_program.items() if p == pid and s in ATTENDED)
        enrolled = sum(n for (p, _), n in enrollments.items() if p == pid)
        completed = enrollments.get((pid, EnrollmentStatus.COMPLETED.value), 0)
        program_rows.append(
            ProgramAttendance(
                program=title(pid),
                sessions=held.get((pid,), 0),
                attended=attended,
                recorded=recorded,
                percent_attended=_percent(attended, recorded),
                enrolled=enrolled,
                completed=completed,
                percent_completed=_percent(completed, enrolled),
            )
        )
    month_of = {session_id: month for (session_id, month) in months}
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
