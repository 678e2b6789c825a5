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
from cpnetwork.services.handling import run_one
from cpnetwork.services.unit_of_work import UnitOfWork, chunked, missing_ids
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


def _is_sequence(row: Any) -> bool:
    """A tuple or list row (checked by type first: an ABC check costs a microsecond)."""
    kind = type(row)
    return kind is tuple or kind is list or (isinstance(row, Sequence) and kind is not str)


def _session_id_of(row: Any) -> str | None:
    """The session a row names, if it names one as text (the row is checked later)."""
    if type(row) is tuple and row:
        first = row[0]
        return first if type(first) is str else None
    if isinstance(row, AttendanceRow):
        return row.session_id
    if isinstance(row, Sequence) and not isinstance(row, str) and row:
        first = row[0]
        return first if isinstance(first, str) else None
    return None


def _sessions_named(uow: UnitOfWork, batch: list[Any]) -> dict[str, Session]:
    """The stored sessions the rows name, by id; read once per unit of work."""
    known: dict[str, Session] = uow.cache.setdefault(Session, {})
    wanted = {i for i in map(_session_id_of, batch) if i is not None}
    new = sorted(wanted - known.keys())
    for chunk in chunked(new):
        known.update((s.id, s) for s in uow.tx.find(Session, {"id": list(chunk)}))
    return known


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
    elif _is_sequence(row) and 3 <= len(row) <= 5:
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


def _unique_pairs(
    entries: list[Attendance | AttendanceRow], offset: int
) -> dict[tuple[str, str], int]:
    """Row numbers by (session, member); a pair given twice is a ValidationError."""
    seen: dict[tuple[str, str], int] = {}
    for number, entry in enumerate(entries, start=offset + 1):
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
    entries: list[Attendance | AttendanceRow], sessions: dict[str, Session], offset: int
) -> CpnetworkError:
    """The first row whose session is missing or cancelled, as the error to raise."""
    number, row = next(
        (n, e) for n, e in enumerate(entries, start=offset + 1) if isinstance(e, AttendanceRow)
    )
    session = sessions.get(row.session_id)
    if session is None:
        return NotFoundError("Session", row.session_id, f"not found (row {number})")
    return ConflictError(
        "Session", session.id, f"is cancelled; nobody can attend it (row {number})"
    )


def _held_before(uow: UnitOfWork, session_ids: Collection[str]) -> set[str]:
    """Which of these sessions held attendance before this unit of work recorded any.

    Asked once per session per unit of work (one grouped count for the new ones), the
    first time a sheet names it: before this unit of work has written to it.
    """
    known: dict[str, bool] = uow.cache.setdefault(_HELD_BEFORE, {})
    new = sorted(set(session_ids) - known.keys())
    for chunk in chunked(new):
        counts = uow.tx.count(Attendance, {"session_id": list(chunk)}, group_by=("session_id",))
        known.update((session_id, (session_id,) in counts) for session_id in chunk)
    return {session_id for session_id in session_ids if known[session_id]}


#: The unit of work's cache of which sessions held attendance before it.
_HELD_BEFORE = "attendance held before"


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


#: Rows checked and written together by :func:`record_attendance`.
CHUNK_ROWS = 20_000
#: A call of at most this many rows looks up the records it replaces directly.
LOOKUP_ROWS = 100


class SeenPairs:
    """The pairs earlier sheets corrected, in fixed memory (a Bloom filter).

    A long import is checked sheet by sheet; a pair repeated across sheets must still
    be refused.  In a session that held no records before, the store's unique key
    refuses the second insert; a pair that corrected a stored record is remembered
    here.  Keeping the pairs themselves would grow with the import, so this keeps
    two bits per pair in 16 MiB, allocated only when a second sheet comes.  A pair it
    may have seen (a rare false "maybe" among a million pairs) is confirmed against the
    stored record: one written by this unit of work carries its clock reading.
    """

    BITS = 1 << 27

    def __init__(self) -> None:
        self._bits: bytearray | None = None

    @staticmethod
    def _positions(pair: tuple[str, str]) -> tuple[int, int]:
        digest = hash(pair) & 0xFFFF_FFFF_FFFF_FFFF
        return digest % SeenPairs.BITS, (digest >> 27) % SeenPairs.BITS

    def add(self, pairs: Iterable[tuple[str, str]]) -> None:
        if self._bits is None:
            self._bits = bytearray(self.BITS // 8)
        bits = self._bits
        for pair in pairs:
            for at in self._positions(pair):
                bits[at >> 3] |= 1 << (at & 7)

    def maybe(self, pair: tuple[str, str]) -> bool:
        bits = self._bits
        if bits is None:
            return False
        return all(bits[at >> 3] & (1 << (at & 7)) for at in self._positions(pair))


@frozen(kw_only=True)
class AttendanceSheet:
    """A command: rows of attendance to record, numbered from ``first_row`` in errors.

    ``seen`` holds the pairs of the earlier sheets of the same call.
    """

    rows: list[Any]
    first_row: int = 1
    seen: SeenPairs = field(factory=SeenPairs)


def record_attendance(uow: UnitOfWork, sheet: AttendanceSheet) -> list[Attendance]:
    """Handler: record (or correct) every row of a sheet; all rows are checked first.

    One record per (session, member): a row for a pair already recorded replaces the
    earlier record.  Lookups are batched (one query per kind and :data:`ID_CHUNK` ids,
    not per row); new records are staged for the unit of work's bulk insert; rows that
    correct an existing record are updated one by one, since the storage SPI has no
    bulk update.  Only sessions that held records before this unit of work are looked
    up for records to replace.  A pair given twice in the sheet is a ValidationError
    naming both rows, and across sheets a ValidationError or, in a session new to the
    store, the store's DuplicateError; the sessions the rows name are kept on the unit
    of work across sheets.
    """
    batch, offset = sheet.rows, sheet.first_row - 1
    now = uow.now
    sessions = _sessions_named(uow, batch)
    entries: list[Attendance | AttendanceRow] = []
    problems = False
    for number, row in enumerate(batch, start=sheet.first_row):
        try:
            entry = _entry(row, sessions, now)
        except ValidationError as exc:
            raise _row_error(number, row, exc) from exc
        problems = problems or isinstance(entry, AttendanceRow)
        entries.append(entry)
    seen = _unique_pairs(entries, offset)
    if problems:
        raise _session_problem(entries, sessions, offset)
    records = [e for e in entries if isinstance(e, Attendance)]
    del entries
    missing = set(missing_ids(uow.tx, Member, (r.member_id for r in records)))
    if missing:
        number, first = next(
            (n, r.member_id)
            for n, r in enumerate(records, sheet.first_row)
            if r.member_id in missing
        )
        extra = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise NotFoundError("Member", first, f"not found (row {number}){extra}")
    if sheet.first_row == 1 and len(batch) < CHUNK_ROWS and len(records) <= LOOKUP_ROWS:
        # A call of a few rows in one sheet (a check-in at the door) asks for the
        # records they replace at once: one query, where asking which sessions held
        # any first would be two.
        stored = records
    else:
        # Only sessions that held records before this unit of work can hold one to
        # replace; a repeat within this unit of work in any other is refused by the
        # store's key.
        history = _held_before(uow, {r.session_id for r in records})
        stored = [r for r in records if r.session_id in history]
    existing = _earlier_records(uow.tx, stored, seen) if stored else {}
    for index, record in enumerate(records):
        earlier = existing.get((record.session_id, record.member_id))
        if earlier is None:
            uow.stage(record)
        else:
            pair = (record.session_id, record.member_id)
            if earlier.recorded_at == now and sheet.seen.maybe(pair):
                raise ValidationError(
                    "AttendanceRow",
                    None,
                    f"row {sheet.first_row + index} records member {record.member_id!r} "
                    f"at session {record.session_id!r} again, as an earlier row did",
                )
            records[index] = evolve(
                earlier,
                program_id=record.program_id,
                status=record.status,
                minutes=record.minutes,
                source=record.source,
                recorded_at=now,
            )
            uow.tx.update(records[index])
        record = records[index]
        uow.emit(
            AttendanceRecorded(
                at=now,
                session_id=record.session_id,
                member_id=record.member_id,
                status=record.status,
            )
        )
    if len(batch) == CHUNK_ROWS:  # more sheets may follow
        sheet.seen.add((r.session_id, r.member_id) for r in stored)
    return records


def _sheets(rows: Iterable[RowLike]) -> Iterator[AttendanceSheet]:
    """Rows in sheets of :data:`CHUNK_ROWS`, as a stream is read."""
    chunk: list[Any] = []
    first = 1
    seen = SeenPairs()
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK_ROWS:
            yield AttendanceSheet(rows=chunk, first_row=first, seen=seen)
            first += len(chunk)
            chunk = []
    if chunk:
        yield AttendanceSheet(rows=chunk, first_row=first, seen=seen)


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
        row = AttendanceRow(
            session_id=session_id,
            member_id=member_id,
            status=status,
            minutes=minutes,
            source=source,
        )
        return run_one(self._context, record_attendance, AttendanceSheet(rows=[row]))[0]

    def record_many(self, rows: Iterable[RowLike], *, keep: bool = True) -> list[Attendance]:
        """Record many rows at once (e.g. a sign-in sheet or a video-meeting report).

        All or nothing, in one unit of work.  ``rows`` may be any iterable (a
        generator of a million rows): it is read in sheets of :data:`CHUNK_ROWS`, each
        checked whole (its sessions exist and are not cancelled, its members exist, no
        pair repeats) and written with the store's bulk insert.  Returns the records in
        row order; with ``keep=False`` returns nothing, so memory stays flat.
        """
        with self._context.unit_of_work() as uow:
            records: list[Attendance] = []
            for sheet in _sheets(rows):
                recorded = record_attendance(uow, sheet)
                if keep:
                    records += recorded
            return records

    def get(self, session_id: str, member_id: str) -> Attendance | None:
        """The member's record at the session, or None if none was taken."""
        with self._context.reading() as tx:
            return tx.find_one(Attendance, {"session_id": session_id, "member_id": member_id})

    def for_session(self, session_id: str) -> list[Attendance]:
        """Everyone recorded at a session, in the order they were recorded."""
        with self._context.reading_work() as uow:
            uow.require(Session, session_id)
            return uow.tx.find(Attendance, {"session_id": session_id}, order_by=("recorded_at",))

    def for_member(self, member_id: str, program_id: str | None = None) -> list[Attendance]:
        """A member's attendance (in one program, or all), in session order."""
        where: dict[str, Any] = {"member_id": member_id}
        with self._context.reading_work() as uow:
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
        with self._context.reading_work() as uow:
            uow.require(Program, program_id)
            counts = uow.tx.count(Attendance, {"program_id": program_id}, group_by=("status",))
        return {status: counts.get((status.value,), 0) for status in AttendanceStatus}
