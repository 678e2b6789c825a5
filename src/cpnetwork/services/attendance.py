"""Attendance: who was at which session, for how long, and where the record came from.

One record per (session, member): recording again replaces the earlier record, so a
video-meeting report imported after a sign-in sheet corrects it instead of doubling it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from attrs import evolve, field, frozen

from cpnetwork.errors import ConflictError, CpnetworkError, NotFoundError, ValidationError
from cpnetwork.events import AttendanceRecorded
from cpnetwork.model import (
    Attendance,
    AttendanceSource,
    AttendanceStatus,
    Member,
    Program,
    Session,
)
from cpnetwork.model import _validators as v
from cpnetwork.services.context import Context
from cpnetwork.services.unit_of_work import UnitOfWork
from cpnetwork.storage import Transaction

MANUAL = AttendanceSource.MANUAL

T = TypeVar("T")


@frozen(kw_only=True)
class AttendanceRow:
    """One line of a bulk import for :meth:`AttendanceService.record_many`.

    Importers may pass plain tuples instead, in this field order:
    ``(session_id, member_id, status[, minutes[, source]])``.
    """

    session_id: str = field(validator=v.non_empty)
    member_id: str = field(validator=v.non_empty)
    status: AttendanceStatus = field(converter=AttendanceStatus)
    minutes: int | None = field(default=None, validator=v.non_negative)
    source: AttendanceSource = field(default=MANUAL, converter=AttendanceSource)

    @classmethod
    def of(cls, row: AttendanceRow | Sequence[Any]) -> AttendanceRow:
        """A row from an ``AttendanceRow`` or a tuple in field order."""
        if isinstance(row, AttendanceRow):
            return row
        if isinstance(row, str) or not isinstance(row, Sequence) or not 3 <= len(row) <= 5:
            raise ValidationError(
                "AttendanceRow",
                None,
                f"{row!r} is not (session, member, status[, minutes[, source]])",
            )
        if len(row) == 5:  # the common case of a bulk import, spelled out: it is faster
            return cls(
                session_id=row[0], member_id=row[1], status=row[2], minutes=row[3], source=row[4]
            )
        return cls(**dict(zip(_ROW_FIELDS, row, strict=False)))


RowLike = AttendanceRow | Sequence[Any]

#: The fields of a tuple row, in order.
_ROW_FIELDS = ("session_id", "member_id", "status", "minutes", "source")


#: Ids per ``IN (...)`` list: well under SQLite's and PostgreSQL's limits on parameters.
ID_CHUNK = 5000


def chunked(values: Sequence[T], size: int | None = None) -> Iterator[Sequence[T]]:
    """``values`` in slices of at most ``size`` (:data:`ID_CHUNK`), for lookups by IN list."""
    size = size or ID_CHUNK
    for start in range(0, len(values), size):
        yield values[start : start + size]


def missing_ids(tx: Transaction, cls: type, ids: Iterable[str]) -> list[str]:
    """Which of ``ids`` have no record: grouped counts by id, no records loaded.

    One query per :data:`ID_CHUNK` ids, so a bulk import of any size stays within the
    database's limit on parameters.
    """
    wanted = sorted(set(ids))
    missing: list[str] = []
    for chunk in chunked(wanted):
        found = tx.count(cls, {"id": list(chunk)}, group_by=("id",))
        missing += [i for i in chunk if (i,) not in found]
    return missing


def _session_id_of(row: Any) -> str | None:
    """The session a row names, if it names one as text (the row is checked later)."""
    if isinstance(row, AttendanceRow):
        return row.session_id
    if isinstance(row, Sequence) and not isinstance(row, str) and row:
        first = row[0]
        return first if isinstance(first, str) else None
    return None


def _sessions_named(tx: Transaction, batch: list[Any]) -> dict[str, Session]:
    """The stored sessions the rows name, by id (chunked IN lists)."""
    session_ids = sorted({i for i in map(_session_id_of, batch) if i is not None})
    sessions: dict[str, Session] = {}
    for chunk in chunked(session_ids):
        sessions.update((s.id, s) for s in tx.find(Session, {"id": list(chunk)}))
    return sessions


def _row_error(number: int, row: Any, error: ValidationError) -> ValidationError:
    """A row's ValidationError, worded as the row's own check words it."""
    try:
        AttendanceRow.of(row)
    except ValidationError as own:
        error = own
    return ValidationError("AttendanceRow", None, f"row {number}: {error}")


def _entry(row: Any, sessions: dict[str, Session], now: datetime) -> Attendance | AttendanceRow:
    """The new record a row asks for, validated once by building it.

    A row whose session is missing or cancelled cannot become a record: it comes back
    as its checked AttendanceRow, for the caller to report once every row is checked.
    """
    if isinstance(row, AttendanceRow):
        session_id, member_id, status = row.session_id, row.member_id, row.status
        minutes, source = row.minutes, row.source
    elif isinstance(row, Sequence) and not isinstance(row, str) and 3 <= len(row) <= 5:
        session_id, member_id, status = row[0], row[1], row[2]
        minutes = row[3] if len(row) > 3 else None
        source = row[4] if len(row) > 4 else MANUAL
    else:
        return AttendanceRow.of(row)  # raises: not a row
    session = sessions.get(session_id) if isinstance(session_id, str) else None
    if session is None or session.cancelled:
        return AttendanceRow.of(row)
    return Attendance(
        session_id=session_id,
        member_id=member_id,
        program_id=session.program_id,
        status=status,
        minutes=minutes,
        source=source,
        recorded_at=now,
    )


def _unique_pairs(entries: list[Attendance | AttendanceRow]) -> dict[tuple[str, str], int]:
    """Row numbers by (session, member); a pair given twice is a ValidationError."""
    seen: dict[tuple[str, str], int] = {}
    for number, entry in enumerate(entries, start=1):
        pair = (entry.session_id, entry.member_id)
        if seen.setdefault(pair, number) != number:
            raise ValidationError(
                "AttendanceRow",
                None,
                f"rows {seen[pair]} and {number} both record member {entry.member_id!r} "
                f"at session {entry.session_id!r}",
            )
    return seen


def _session_problem(
    entries: list[Attendance | AttendanceRow], sessions: dict[str, Session]
) -> CpnetworkError:
    """The first row whose session is missing or cancelled, as the error to raise."""
    number, row = next(
        (n, e) for n, e in enumerate(entries, start=1) if isinstance(e, AttendanceRow)
    )
    session = sessions.get(row.session_id)
    if session is None:
        return NotFoundError("Session", row.session_id, f"not found (row {number})")
    return ConflictError(
        "Session", session.id, f"is cancelled; nobody can attend it (row {number})"
    )


def _earlier_records(
    tx: Transaction, batch: list[Attendance], pairs: Collection[tuple[str, str]]
) -> dict[tuple[str, str], Attendance]:
    """The stored records these rows replace, by (session, member).

    The IN lists select a superset (any of the sessions with any of the members),
    narrowed to the exact pairs here; long lists are split into chunks.
    """
    session_ids = sorted({r.session_id for r in batch})
    member_ids = sorted({r.member_id for r in batch})
    existing: dict[tuple[str, str], Attendance] = {}
    for sessions in chunked(session_ids):
        for members in chunked(member_ids):
            where = {"session_id": list(sessions), "member_id": list(members)}
            for record in tx.find(Attendance, where):
                pair = (record.session_id, record.member_id)
                if pair in pairs:
                    existing[pair] = record
    return existing


def _open_session(session: Session) -> Session:
    if session.cancelled:
        raise ConflictError("Session", session.id, "is cancelled; nobody can attend it")
    return session


class AttendanceService:
    def __init__(self, context: Context) -> None:
        self._context = context

    def record(
        self,
        session_id: str,
        member_id: str,
        status: AttendanceStatus | str,
        *,
        minutes: int | None = None,
        source: AttendanceSource | str = MANUAL,
    ) -> Attendance:
        """Record (or correct) one member's attendance at one session.

        The member need not be enrolled: drop-ins at open sessions count too.  A
        cancelled session takes no attendance (ConflictError).
        """
        with self._context.unit_of_work() as uow:
            session = _open_session(uow.require(Session, session_id))
            uow.require(Member, member_id)
            existing = uow.tx.find_one(
                Attendance, {"session_id": session_id, "member_id": member_id}
            )
            fields: dict[str, Any] = {
                "session_id": session_id,
                "member_id": member_id,
                "program_id": session.program_id,
                "status": status,
                "minutes": minutes,
                "source": source,
                "recorded_at": uow.now,
            }
            if existing is None:
                attendance = Attendance(**fields)
                uow.tx.insert(attendance)
            else:
                attendance = evolve(existing, **fields)
                uow.tx.update(attendance)
            self._emit(uow, attendance)
        return attendance

    def record_many(self, rows: Iterable[RowLike]) -> list[Attendance]:
        """Record many rows at once (e.g. a sign-in sheet or a video-meeting report).

        All or nothing: every row is checked (its session exists and is not
        cancelled, its member exists, no pair repeats) before anything is written.
        Lookups are batched (one query per kind and :data:`ID_CHUNK` ids, not per
        row); new records go in with one ``insert_many`` (batched statements, COPY on
        PostgreSQL); rows that correct an existing record are updated one by one,
        since the storage SPI has no bulk update.  Returns the records in row order.
        """
        batch = rows if isinstance(rows, list) else list(rows)
        if not batch:
            return []
        with self._context.unit_of_work() as uow:
            now = uow.now
            sessions = _sessions_named(uow.tx, batch)
            entries: list[Attendance | AttendanceRow] = []
            problems = False
            for number, row in enumerate(batch, start=1):
                try:
                    entry = _entry(row, sessions, now)
                except ValidationError as exc:
                    raise _row_error(number, row, exc) from exc
                problems = problems or isinstance(entry, AttendanceRow)
                entries.append(entry)
            del batch
            seen = _unique_pairs(entries)
            if problems:
                raise _session_problem(entries, sessions)
            records = [e for e in entries if isinstance(e, Attendance)]
            del entries
            missing = set(missing_ids(uow.tx, Member, (r.member_id for r in records)))
            if missing:
                number, first = next(
                    (n, r.member_id) for n, r in enumerate(records, 1) if r.member_id in missing
                )
                extra = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
                raise NotFoundError("Member", first, f"not found (row {number}){extra}")
            existing = _earlier_records(uow.tx, records, seen)
            del seen
            if existing:
                for index, record in enumerate(records):
                    earlier = existing.get((record.session_id, record.member_id))
                    if earlier is not None:
                        records[index] = evolve(
                            earlier,
                            program_id=record.program_id,
                            status=record.status,
                            minutes=record.minutes,
                            source=record.source,
                            recorded_at=now,
                        )
                        uow.tx.update(records[index])
                corrected = {e.id for e in existing.values()}
                uow.tx.insert_many(r for r in records if r.id not in corrected)
            else:
                uow.tx.insert_many(records)
            emit = uow.emit
            for record in records:
                emit(
                    AttendanceRecorded(
                        at=now,
                        session_id=record.session_id,
                        member_id=record.member_id,
                        status=record.status,
                    )
                )
        return records

    def _emit(self, uow: UnitOfWork, attendance: Attendance) -> None:
        uow.emit(
            AttendanceRecorded(
                at=attendance.recorded_at,
                session_id=attendance.session_id,
                member_id=attendance.member_id,
                status=attendance.status,
            )
        )

    def get(self, session_id: str, member_id: str) -> Attendance | None:
        """The member's record at the session, or None if none was taken."""
        with self._context.reading() as tx:
            return tx.find_one(Attendance, {"session_id": session_id, "member_id": member_id})

    def for_session(self, session_id: str) -> list[Attendance]:
        """Everyone recorded at a session, in the order they were recorded."""
        with self._context.unit_of_work() as uow:
            uow.require(Session, session_id)
            return uow.tx.find(Attendance, {"session_id": session_id}, order_by=("recorded_at",))

    def for_member(self, member_id: str, program_id: str | None = None) -> list[Attendance]:
        """A member's attendance (in one program, or all), in session order."""
        where: dict[str, Any] = {"member_id": member_id}
        with self._context.unit_of_work() as uow:
            uow.require(Member, member_id)
            if program_id is not None:
                uow.require(Program, program_id)
                where["program_id"] = program_id
            records = uow.tx.find(Attendance, where)
            if not records:
                return []
            starts = {
                s.id: s.start
                for s in uow.tx.find(Session, {"id": sorted({a.session_id for a in records})})
            }

        def in_session_order(record: Attendance) -> tuple[bool, float, str]:
            # A session removed after the fact sorts last rather than failing the read.
            start = starts.get(record.session_id)
            return (start is None, start.timestamp() if start else 0.0, record.id)

        return sorted(records, key=in_session_order)

    def summary(self, program_id: str) -> dict[AttendanceStatus, int]:
        """How many attendance records of each status a program has (zeros included).

        Counted in the store with one grouped count, so no record is loaded.
        """
        with self._context.unit_of_work() as uow:
            uow.require(Program, program_id)
            counts = uow.tx.count(Attendance, {"program_id": program_id}, group_by=("status",))
        return {status: counts.get((status.value,), 0) for status in AttendanceStatus}
