"""Attendance: who was at which session, for how long, and where the record came from.

One record per (session, member): recording again replaces the earlier record, so a
video-meeting report imported after a sign-in sheet corrects it instead of doubling it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from attrs import evolve, field, frozen

from cpnetwork.errors import ConflictError, NotFoundError, ValidationError
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
from cpnetwork.services.context import Context, UnitOfWork
from cpnetwork.storage import Transaction

MANUAL = AttendanceSource.MANUAL


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
        names = ("session_id", "member_id", "status", "minutes", "source")
        if isinstance(row, str) or not 3 <= len(row) <= len(names):
            raise ValidationError(
                "AttendanceRow",
                None,
                f"{row!r} is not (session, member, status[, minutes[, source]])",
            )
        return cls(**dict(zip(names, row, strict=False)))


RowLike = AttendanceRow | Sequence[Any]


def _missing_ids(tx: Transaction, cls: type, ids: Iterable[str]) -> list[str]:
    """Which of ``ids`` have no record: one grouped count, no records loaded."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    found = tx.count(cls, {"id": wanted}, group_by=("id",))
    return [i for i in wanted if (i,) not in found]


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
                "recorded_at": self._context.now(),
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
        Lookups are batched (one query per kind, not per row); new records go in with
        one ``insert_many``; rows that correct an existing record are updated one by
        one, since the storage SPI has no bulk update.  Returns the records in row
        order.
        """
        batch: list[AttendanceRow] = []
        for number, row in enumerate(rows, start=1):
            try:
                batch.append(AttendanceRow.of(row))
            except ValidationError as exc:
                raise ValidationError("AttendanceRow", None, f"row {number}: {exc}") from exc
        if not batch:
            return []
        seen: dict[tuple[str, str], int] = {}
        for number, row in enumerate(batch, start=1):
            pair = (row.session_id, row.member_id)
            if pair in seen:
                raise ValidationError(
                    "AttendanceRow",
                    None,
                    f"rows {seen[pair]} and {number} both record member {row.member_id!r} "
                    f"at session {row.session_id!r}",
                )
            seen[pair] = number
        now = self._context.now()
        with self._context.unit_of_work() as uow:
            session_ids = sorted({r.session_id for r in batch})
            sessions = {s.id: s for s in uow.tx.find(Session, {"id": session_ids})}
            for number, row in enumerate(batch, start=1):
                session = sessions.get(row.session_id)
                if session is None:
                    raise NotFoundError("Session", row.session_id, f"not found (row {number})")
                if session.cancelled:
                    raise ConflictError(
                        "Session", session.id, f"is cancelled; nobody can attend it (row {number})"
                    )
            missing = set(_missing_ids(uow.tx, Member, (r.member_id for r in batch)))
            if missing:
                number, first = next(
                    (n, r.member_id) for n, r in enumerate(batch, 1) if r.member_id in missing
                )
                extra = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
                raise NotFoundError("Member", first, f"not found (row {number}){extra}")
            # One query for every earlier record these rows might replace; the IN
            # lists select a superset, narrowed to the exact pairs here.
            existing = {
                (a.session_id, a.member_id): a
                for a in uow.tx.find(
                    Attendance,
                    {"session_id": session_ids, "member_id": sorted({r.member_id for r in batch})},
                )
                if (a.session_id, a.member_id) in seen
            }
            records: list[Attendance] = []
            new: list[Attendance] = []
            for row in batch:
                earlier = existing.get((row.session_id, row.member_id))
                fields: dict[str, Any] = {
                    "session_id": row.session_id,
                    "member_id": row.member_id,
                    "program_id": sessions[row.session_id].program_id,
                    "status": row.status,
                    "minutes": row.minutes,
                    "source": row.source,
                    "recorded_at": now,
                }
                if earlier is None:
                    record = Attendance(**fields)
                    new.append(record)
                else:
                    record = evolve(earlier, **fields)
                    uow.tx.update(record)
                records.append(record)
            uow.tx.insert_many(new)
            for record in records:
                self._emit(uow, record)
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
