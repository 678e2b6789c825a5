"""The program year's scope & sequence: each program and its sessions (seed 003's page).

Without a ``year`` filter it shows the program year running today.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from attrs import frozen

from cpnetwork.model import SEAT_STATUSES, Enrollment, Organization, Program, Session
from cpnetwork.reports.filters import Scope
from cpnetwork.reports.report import Section, column

if TYPE_CHECKING:
    from cpnetwork.network import Network


@frozen(kw_only=True)
class ProgramEntry:
    """One program of the year, as its page describes it."""

    program: str = column("Program", "the program's title")
    hosts: str = column("Hosts", "the organizations hosting it, then partners")
    audience: str = column("Audience", "who it is for")
    format: str = column("Format", "virtual, in person or hybrid")
    enrollment: str = column("Enrollment", "application, interest, registration or invitation")
    deadline: date | None = column("Deadline", "the last day to enter (network time zone)")
    capacity: int | None = column("Capacity", "seats (None: no limit)")
    seats_taken: int = column("Seats taken", "enrollments holding a seat")
    sessions: int = column("Sessions", "sessions scheduled (cancelled ones left out)")
    cost: str = column("Cost", "'no cost' or the fee")


@frozen(kw_only=True)
class SessionEntry:
    """One session of a program of the year."""

    program: str = column("Program", "the program's title")
    session: str = column("Session", "the session's title")
    kind: str = column("Kind", "kickoff, institute, learning community, keynote, ...")
    starts: datetime = column("Starts", "local start, in the session's own time zone")
    ends: datetime = column("Ends", "local end (a multi-day session ends days later)")
    modality: str = column("Modality", "virtual, in person or hybrid")
    venue: str | None = column("Venue", "where it meets in person")


def build(network: Network, scope: Scope) -> Sequence[Section]:
    year = scope.filters.year
    notes = []
    if year is None:
        year = network.profile.program_year(network.reports.today())
        notes.append(f"Program year {year}-{str(year + 1)[-2:]} (the one running today).")
    where: dict[str, Any] = {**scope.programs(), "program_year": year}
    zone = ZoneInfo(network.profile.timezone)
    with network.reports.reading() as tx:
        programs = tx.find(Program, where, order_by=["title"])
        ids = [p.id for p in programs]
        sessions = tx.find(
            Session, {**scope.sessions(), "program_id": ids, "cancelled": False}, order_by=["start"]
        )
        taken = tx.count(
            Enrollment, {"program_id": ids, "status": list(SEAT_STATUSES)}, group_by=["program_id"]
        )
        org_ids = sorted({o for p in programs for o in (*p.host_ids, *p.partner_ids)})
        names = {o.id: o.name for o in tx.find(Organization, {"id": org_ids})}
    titles = {p.id: p.title for p in programs}
    counted: dict[str, int] = {}
    for session in sessions:
        counted[session.program_id] = counted.get(session.program_id, 0) + 1
    entries = [
        ProgramEntry(
            program=p.title,
            hosts=", ".join(names.get(o, o) for o in (*p.host_ids, *p.partner_ids)),
            audience=p.audience,
            format=p.format.value,
            enrollment=p.policy.mode.value,
            deadline=p.policy.deadline.astimezone(zone).date() if p.policy.deadline else None,
            capacity=p.policy.capacity,
            seats_taken=taken.get((p.id,), 0),
            sessions=counted.get(p.id, 0),
            cost="no cost" if not p.fee_cents else f"${p.fee_cents / 100:,.2f}",
        )
        for p in programs
    ]
    session_entries = [
        SessionEntry(
            program=titles[s.program_id],
            session=s.title,
            kind=s.kind.value,
            starts=s.local_start,
            ends=s.local_end,
            modality=s.modality.value,
            venue=s.venue,
        )
        for s in sessions
    ]
    return [
        Section(key="programs", title="Programs", row_type=ProgramEntry, rows=entries, notes=notes),
        Section(key="sessions", title="Sessions", row_type=SessionEntry, rows=session_entries),
    ]
