"""``zoom-attendance``: attendance at one session from a Zoom "Participants" report.

Option ``session=<session id>`` (required) names the session.  The CSV is Zoom's
Reports > Usage > Participants export, with or without the meeting-data preamble
(``Meeting ID,Topic,Start Time,...``, one row, a blank row, then the participant
table; the preamble is told by its header).  Rows are counted from 1 after the
participant table's header.  Columns are found by name and all but a name or an
email are optional: ``Name (Original Name)``, ``User Email``, ``Join Time``,
``Leave Time``, ``Duration (Minutes)`` (or the older ``Total Duration (Minutes)``),
``Guest``, ``Recording Consent``, ``In Waiting Room``.

* Times (``MM/DD/YYYY hh:mm:ss AM/PM``, hour padded or not) have no zone: they are read
  in the session's time zone.
* A row is matched to a member by email, else by name: the member's given and family
  name, compared ignoring case and spacing, against the display name, the original name
  in parentheses, or the whole text.  A name two members share matches nobody.
* The rows of one member (rejoins) are merged: with join and leave times, the minutes
  are those of the union of the intervals within the session's scheduled time (so
  overlaps count once and time before the start or after the end not at all); with
  durations only, their sum, at most the session's length.
* ``present`` at ``present_minutes`` (default 75% of the session's length) or more,
  else ``partial``; rows of people in the waiting room are left out.
* Rows matching no member are not recorded: the report's notes list them.

Attendance is written with ``attendance.record_many`` (source ``video_report``), one
transaction: a record already there is replaced, one that would not change is left.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar
from zoneinfo import ZoneInfo

from attrs import define, field

from cpnetwork import recurrence
from cpnetwork.errors import CpnetworkError, NotFoundError
from cpnetwork.importers import _cells, _tables
from cpnetwork.importers._columns import normalize_header
from cpnetwork.importers._common import (
    Options,
    check_record_limit,
    fail_if,
    file_error,
    positive_number,
    record_limit,
)
from cpnetwork.importers.base import Importer, ImportReport, RowError, shorten
from cpnetwork.model import AttendanceSource, AttendanceStatus, Member, Session
from cpnetwork.model._validators import email_key

if TYPE_CHECKING:
    from cpnetwork.network import Network

#: Participant-table columns by role, as normalized headers.
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name original name", "name", "participant", "participant name", "user name"),
    "email": ("user email", "email", "email address", "participant email"),
    "join": ("join time",),
    "leave": ("leave time",),
    "duration": ("duration minutes", "total duration minutes", "duration"),
    "waiting": ("in waiting room",),
}
_PREAMBLE = "meeting id"
_ORIGINAL = re.compile(r"^(.*?)\s*\(([^()]*)\)\s*$")
#: The longest duration a row may give: a year of minutes.
MAX_MINUTES = 366 * 24 * 60
#: Share of the session's length attended that counts as present, by default.
DEFAULT_PRESENT_SHARE = 0.75


@define
class _Row:
    """One row of the participant table, read."""

    number: int
    name: str
    email: str
    join: datetime | None = None
    leave: datetime | None = None
    duration: float = 0.0
    waiting: bool = False


@define
class _Person:
    """The merged rows of one participant (one member, or one unmatched name)."""

    label: str
    rows: list[int] = field(factory=list)
    intervals: list[tuple[datetime, datetime]] = field(factory=list)
    minutes: float = 0.0


def _key(name: str) -> str:
    return " ".join(name.casefold().split())


def name_candidates(text: str) -> list[str]:
    """``"Display (Original)"`` → the display name, the original name, the whole text."""
    found = []
    match = _ORIGINAL.match(text)
    if match:
        found += [match.group(1), match.group(2)]
    found.append(text)
    return [c for c in dict.fromkeys(_key(c) for c in found) if c]


def covered_seconds(
    intervals: Sequence[tuple[datetime, datetime]], start: datetime, end: datetime
) -> float:
    """Seconds of ``[start, end]`` inside the union of the intervals (overlaps once)."""
    low, high = recurrence.instant(start), recurrence.instant(end)
    clipped = sorted(
        (max(recurrence.instant(a), low), min(recurrence.instant(b), high)) for a, b in intervals
    )
    total = 0.0
    current: tuple[datetime, datetime] | None = None
    for begin, finish in clipped:
        if finish <= begin:
            continue
        if current is None or begin > current[1]:
            if current is not None:
                total += (current[1] - current[0]).total_seconds()
            current = (begin, finish)
        else:
            current = (current[0], max(current[1], finish))
    if current is not None:
        total += (current[1] - current[0]).total_seconds()
    return total


def _columns(header: Sequence[str]) -> dict[str, int]:
    normalized = [normalize_header(cell) for cell in header]
    found: dict[str, int] = {}
    for role, spellings in COLUMNS.items():
        for spelling in spellings:
            if spelling in normalized:
                found[role] = normalized.index(spelling)
                break
    return found


class ZoomAttendanceImporter(Importer):
    kind = "zoom-attendance"
    description = "Attendance at one session from a Zoom participants report (CSV)."

    OPTIONS: ClassVar[tuple[str, ...]] = ("session", "present_minutes", "encoding")

    def run(
        self,
        network: Network,
        path: Path,
        *,
        dry_run: bool = False,
        options: Mapping[str, str] | None = None,
    ) -> ImportReport:
        opts = Options(options, self.OPTIONS)
        errors = opts.problems()
        session = self._session(network, opts.get("session"), errors)
        threshold = positive_number(opts, "present_minutes", errors, at_most=MAX_MINUTES)
        limit = record_limit(opts, errors)
        text = _tables.read_text(path, opts.get("encoding"), errors)
        records = _tables.read_records(text, errors) if text is not None else None
        fail_if(errors, path)
        assert session is not None and records is not None
        notes: list[str] = []
        header_at = self._participant_header(records, notes, errors)
        fail_if(errors, path)
        header = records[header_at]
        columns = _columns(header)
        timed = "join" in columns and "leave" in columns
        if "name" not in columns and "email" not in columns:
            errors.append(RowError(row=None, column=None, reason="no name or email column"))
        if not timed and "duration" not in columns:
            errors.append(
                RowError(
                    row=None,
                    column=None,
                    reason="neither Join Time and Leave Time nor a duration column",
                )
            )
        fail_if(errors, path)

        length = (recurrence.instant(session.end) - recurrence.instant(session.start)) / timedelta(
            minutes=1
        )
        present_at = threshold if threshold is not None else length * DEFAULT_PRESENT_SHARE
        zone = ZoneInfo(session.timezone)
        rows = self._rows(records[header_at + 1 :], header, columns, zone, timed, errors)
        fail_if(errors, path)
        waiting = sum(1 for r in rows if r.waiting)
        rows = [r for r in rows if not r.waiting]
        if timed:
            self._check_meets(rows, session, errors)
        fail_if(errors, path)

        people, unmatched = self._match(network, rows)
        for person in people.values():
            if timed:
                person.minutes = covered_seconds(person.intervals, session.start, session.end) / 60
            else:
                person.minutes = min(person.minutes, length)
        existing = {a.member_id: a for a in network.attendance.for_session(session.id)}
        writes: list[tuple[str, str, AttendanceStatus, int, AttendanceSource]] = []
        created = updated = unchanged = 0
        counts = {AttendanceStatus.PRESENT: 0, AttendanceStatus.PARTIAL: 0}
        source = AttendanceSource.VIDEO_REPORT
        for member_id, person in sorted(people.items(), key=lambda item: item[1].rows[0]):
            status = (
                AttendanceStatus.PRESENT
                if person.minutes >= present_at - 1e-9
                else AttendanceStatus.PARTIAL
            )
            counts[status] += 1
            minutes = int(person.minutes + 0.5)  # half a minute rounds up
            before = existing.get(member_id)
            if before is not None and (before.status, before.minutes, before.source) == (
                status,
                minutes,
                source,
            ):
                unchanged += 1
                continue
            if before is None:
                created += 1
            else:
                updated += 1
            writes.append((session.id, member_id, status, minutes, source))
        check_record_limit(len(writes), limit, "attendance records", errors)
        fail_if(errors, path)
        if writes and not dry_run:
            try:
                network.attendance.record_many(writes)
            except CpnetworkError as exc:
                raise file_error(path, exc) from exc
        notes.append(
            f"{counts[AttendanceStatus.PRESENT]} present, {counts[AttendanceStatus.PARTIAL]} "
            f"partial (present from {present_at:g} minutes)"
        )
        if waiting:
            notes.append(f"left out {waiting} row(s) of people in the waiting room")
        for person in unmatched:
            where = ", ".join(str(n) for n in person.rows)
            notes.append(f"no member matches {person.label} (row(s) {where}); not recorded")
        return ImportReport(
            kind=self.kind,
            source=str(path),
            dry_run=dry_run,
            created=created,
            updated=updated,
            unchanged=unchanged,
            notes=notes,
        )

    @staticmethod
    def _check_meets(rows: Sequence[_Row], session: Session, errors: list[RowError]) -> None:
        """A report whose times never meet the session is most likely another session's."""
        spans = [(r.join, r.leave) for r in rows if r.join is not None and r.leave is not None]
        if not spans or covered_seconds(spans, session.start, session.end) > 0:
            return
        first = min(join for join, _ in spans)
        errors.append(
            RowError(
                row=None,
                column=None,
                reason=(
                    f"nobody in the report was in the meeting during the session "
                    f"({session.start.isoformat()} to {session.end.isoformat()}); the "
                    f"report starts {first.isoformat()}: is it the right session?"
                ),
            )
        )

    # -- reading -----------------------------------------------------------------------
    @staticmethod
    def _session(
        network: Network, session_id: str | None, errors: list[RowError]
    ) -> Session | None:
        if not session_id:
            errors.append(RowError(row=None, column=None, reason="option session=<id> is required"))
            return None
        try:
            session = network.sessions.get(session_id)
        except NotFoundError:
            errors.append(RowError(row=None, column=None, reason=f"no session {session_id!r}"))
            return None
        if session.cancelled:
            errors.append(
                RowError(row=None, column=None, reason=f"session {session_id!r} is cancelled")
            )
            return None
        return session

    @staticmethod
    def _participant_header(
        records: list[list[str]], notes: list[str], errors: list[RowError]
    ) -> int:
        """Where the participant table's header is, after a meeting preamble if any."""
        filled = [i for i, r in enumerate(records) if any(c.strip() for c in r)]
        if not filled:
            errors.append(RowError(row=None, column=None, reason="the file is empty"))
            return 0
        first = filled[0]
        if _PREAMBLE not in [normalize_header(c) for c in records[first]]:
            return first
        meeting = dict(
            zip(
                (c.strip() for c in records[first]),
                (c.strip() for c in records[filled[1]]) if len(filled) > 1 else (),
                strict=False,
            )
        )
        topic, meeting_id = meeting.get("Topic", ""), meeting.get("Meeting ID", "")
        notes.append(
            f"Zoom meeting {topic!r} (ID {meeting_id}), {meeting.get('Start Time', '?')} "
            f"to {meeting.get('End Time', '?')}"
        )
        for index in filled[2:]:
            if {"name", "email"} & set(_columns(records[index])):
                return index
        errors.append(
            RowError(row=None, column=None, reason="no participant table after the meeting data")
        )
        return 0

    @classmethod
    def _rows(
        cls,
        records: Sequence[Sequence[str]],
        header: Sequence[str],
        columns: Mapping[str, int],
        zone: ZoneInfo,
        timed: bool,
        errors: list[RowError],
    ) -> list[_Row]:
        rows = []
        for number, cells in enumerate(records, start=1):
            if not any(c.strip() for c in cells):
                continue
            try:
                row = cls._row(number, cells, header, columns, zone, timed, errors)
            except Exception as exc:  # a surprise: still named by its row
                reason = f"cannot read the row: {type(exc).__name__}: {exc}"
                errors.append(RowError(row=number, column=None, reason=reason))
                continue
            rows.append(row)
        return rows

    @staticmethod
    def _row(
        number: int,
        cells: Sequence[str],
        header: Sequence[str],
        columns: Mapping[str, int],
        zone: ZoneInfo,
        timed: bool,
        errors: list[RowError],
    ) -> _Row:
        def cell(role: str) -> str:
            index = columns.get(role)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        row = _Row(number=number, name=cell("name"), email=cell("email"))
        row.waiting = normalize_header(cell("waiting")) in ("yes", "true", "y")
        if not row.name and not row.email:
            errors.append(RowError(row=number, column=None, reason="no name and no email"))
        if timed:
            for role in ("join", "leave"):
                heading = header[columns[role]]
                try:
                    moment = _cells.parse_timestamp(cell(role), zone)
                except ValueError as exc:
                    errors.append(RowError(row=number, column=heading, reason=str(exc)))
                    continue
                setattr(row, role, moment)
            if row.join and row.leave and row.leave < row.join:
                heading = header[columns["leave"]]
                errors.append(RowError(row=number, column=heading, reason="leaves before joining"))
        elif cell("duration"):
            try:
                row.duration = float(cell("duration"))
            except ValueError:
                row.duration = math.nan
            if not 0 <= row.duration <= MAX_MINUTES:  # nan and inf too
                heading = header[columns["duration"]]
                reason = f"{shorten(cell('duration'), 40)!r} is not a number of minutes"
                errors.append(RowError(row=number, column=heading, reason=reason))
                row.duration = 0.0
        return row

    # -- matching ----------------------------------------------------------------------
    @staticmethod
    def _match(network: Network, rows: Sequence[_Row]) -> tuple[dict[str, _Person], list[_Person]]:
        emails = sorted({email_key(r.email) for r in rows if r.email})
        by_email = {m.email: m for m in network.members.find({"email": emails})} if emails else {}
        by_name: dict[str, list[Member]] | None = None
        people: dict[str, _Person] = {}
        unmatched: dict[str, _Person] = {}
        for row in rows:
            member = by_email.get(email_key(row.email)) if row.email else None
            if member is None and row.name:
                if by_name is None:
                    by_name = {}
                    for candidate in network.members.find():
                        full = _key(f"{candidate.given_name} {candidate.family_name}")
                        if full:
                            by_name.setdefault(full, []).append(candidate)
                for name in name_candidates(row.name):
                    matches = by_name.get(name, [])
                    if len(matches) == 1:
                        member = matches[0]
                        break
            label = f"{row.name} <{row.email}>" if row.email else row.name
            if member is None:
                key = email_key(row.email) if row.email else _key(row.name)
                person = unmatched.setdefault(key, _Person(label=label))
            else:
                person = people.setdefault(member.id, _Person(label=member.name))
            person.rows.append(row.number)
            if row.join is not None and row.leave is not None:
                person.intervals.append((row.join, row.leave))
            person.minutes += row.duration
        return people, list(unmatched.values())
