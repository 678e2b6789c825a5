"""Loading historical enrollments in bulk: :meth:`EnrollmentService.import_many`.

An administrator moving a network onto cpnetwork has years of enrollments in a
spreadsheet: who was in which program, and how it ended.  Each row becomes an
enrollment in its final status with one :class:`~cpnetwork.model.Transition`
(reason ``"imported"``) and one ``EnrollmentChanged`` event.

Everything is checked before anything is written, in one transaction:

* every row is well formed, and no (program, member) pair repeats;
* the programs and members exist, and no member is already in the program;
* a track, when given, is one of the program's tracks;
* seat-holding statuses (:data:`~cpnetwork.model.SEAT_STATUSES`) fit the program's
  capacity and quotas, together with the seats already held, in each program's
  seat ledger (:class:`~cpnetwork.services.seats.SeatLedger`), the same one every
  enrollment handler asks (programs locked first, stale offers expired).

The rules for new entries (enrollment mode, opening and deadline, eligibility
plugins) are not applied: the rows record what already happened.  ``offered`` cannot
be imported (an offer needs a deadline); import such a member as ``waitlisted`` or
``accepted``.  Then the enrollments and transitions go in with one ``insert_many``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from attrs import evolve, field, frozen

from cpnetwork.errors import (
    CapacityFullError,
    DuplicateError,
    NotFoundError,
    QuotaReachedError,
    ValidationError,
)
from cpnetwork.events import EnrollmentChanged
from cpnetwork.model import (
    Enrollment,
    EnrollmentStatus,
    Member,
    Organization,
    Program,
    Transition,
)
from cpnetwork.model import _validators as v
from cpnetwork.services import naming, seats
from cpnetwork.services.context import Context
from cpnetwork.services.unit_of_work import UnitOfWork, chunked, missing_ids
from cpnetwork.storage import Transaction

REASON = "imported"

#: The fields of a tuple row, in order.
_ROW_FIELDS = ("member_id", "program_id", "status", "track", "at")


def _importable(instance: Any, attribute: Any, value: EnrollmentStatus) -> None:
    if value is EnrollmentStatus.OFFERED:
        raise v.fail(
            instance,
            attribute,
            "an offer cannot be imported (it needs a deadline); import it as "
            "'waitlisted' or 'accepted'",
        )


@frozen(kw_only=True)
class EnrollmentRow:
    """One line of an enrollment import for :meth:`EnrollmentService.import_many`.

    ``at`` is when the member joined the program (default: the time of the import).
    Importers may pass plain tuples instead, in this field order:
    ``(member_id, program_id, status[, track[, at]])``.
    """

    member_id: str = field(validator=v.non_empty)
    program_id: str = field(validator=v.non_empty)
    status: EnrollmentStatus = field(converter=EnrollmentStatus, validator=_importable)
    track: str | None = None
    at: datetime | None = field(default=None, validator=v.aware)

    @classmethod
    def of(cls, row: EnrollmentRow | Sequence[Any]) -> EnrollmentRow:
        """A row from an ``EnrollmentRow`` or a tuple in field order."""
        if isinstance(row, EnrollmentRow):
            return row
        if (
            isinstance(row, str)
            or not isinstance(row, Sequence)
            or not 3 <= len(row) <= len(_ROW_FIELDS)
        ):
            raise ValidationError(
                "EnrollmentRow", None, f"{row!r} is not (member, program, status[, track[, at]])"
            )
        return cls(**dict(zip(_ROW_FIELDS, row, strict=False)))


EnrollmentRowLike = EnrollmentRow | Sequence[Any]


def import_enrollments(
    context: Context, rows: Iterable[EnrollmentRowLike], *, actor: str
) -> list[Enrollment]:
    """What :meth:`EnrollmentService.import_many` does (see the module docstring)."""
    batch = _parse(rows)
    if not batch:
        return []
    with context.unit_of_work() as uow:
        now = uow.now
        _check_rows(batch, now)
        programs = _open_programs(uow, batch)
        members = _members(uow.tx, batch)
        organizations = _organizations(uow.tx, members.values())
        _check_not_enrolled(uow.tx, batch)
        make = _Enrollments(context, programs, members, organizations, now).make
        enrollments = [make(number, row) for number, row in enumerate(batch, start=1)]
        _take_seats(uow, programs, enrollments)
        enrollments = _queue_waitlisted(uow, programs, enrollments)
        transitions = [
            Transition(
                enrollment_id=e.id,
                program_id=e.program_id,
                member_id=e.member_id,
                from_status=None,
                to_status=e.status,
                sequence=1,
                at=e.created_at,
                actor=actor,
                reason=REASON,
            )
            for e in enrollments
        ]
        uow.tx.insert_many([*enrollments, *transitions])
        for e in enrollments:
            uow.emit(
                EnrollmentChanged(
                    at=e.created_at,
                    enrollment_id=e.id,
                    program_id=e.program_id,
                    member_id=e.member_id,
                    from_status=None,
                    to_status=e.status,
                    actor=actor,
                    reason=REASON,
                )
            )
    return enrollments


# -- checks on the rows alone -------------------------------------------------------------
def _parse(rows: Iterable[EnrollmentRowLike]) -> list[EnrollmentRow]:
    batch: list[EnrollmentRow] = []
    for number, row in enumerate(rows, start=1):
        try:
            batch.append(EnrollmentRow.of(row))
        except ValidationError as exc:
            raise ValidationError("EnrollmentRow", None, f"row {number}: {exc}") from exc
    return batch


def _check_rows(batch: list[EnrollmentRow], now: datetime) -> None:
    """No pair repeats and no row is dated in the future."""
    seen: dict[tuple[str, str], int] = {}
    for number, row in enumerate(batch, start=1):
        pair = (row.program_id, row.member_id)
        if seen.setdefault(pair, number) != number:
            raise ValidationError(
                "EnrollmentRow",
                None,
                f"rows {seen[pair]} and {number} both enroll member {row.member_id!r} "
                f"in program {row.program_id!r}",
            )
        if row.at is not None and row.at > now:
            raise ValidationError(
                "EnrollmentRow", None, f"row {number}: at {row.at.isoformat()} is in the future"
            )


def _first_row(batch: list[EnrollmentRow], wanted: set[str], name: str) -> tuple[int, str]:
    return next((n, getattr(r, name)) for n, r in enumerate(batch, 1) if getattr(r, name) in wanted)


def _not_found(kind: str, batch: list[EnrollmentRow], missing: list[str], name: str) -> None:
    if missing:
        number, first = _first_row(batch, set(missing), name)
        extra = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise NotFoundError(kind, first, f"not found (row {number}){extra}")


# -- lookups ------------------------------------------------------------------------------
def _open_programs(uow: UnitOfWork, batch: list[EnrollmentRow]) -> dict[str, Program]:
    """The programs named, locked (in id order) with their stale offers expired."""
    ids = sorted({r.program_id for r in batch})
    _not_found("Program", batch, missing_ids(uow.tx, Program, ids), "program_id")
    return {program_id: seats.open_program(uow, program_id) for program_id in ids}


def _members(tx: Transaction, batch: list[EnrollmentRow]) -> dict[str, Member]:
    """The members named, whose affiliations the enrollments snapshot."""
    ids = sorted({r.member_id for r in batch})
    members: dict[str, Member] = {}
    for chunk in chunked(ids):
        members.update((m.id, m) for m in tx.find(Member, {"id": list(chunk)}))
    _not_found("Member", batch, [i for i in ids if i not in members], "member_id")
    return members


def _organizations(tx: Transaction, members: Iterable[Member]) -> dict[str, Organization]:
    """The organizations the members are (or were) affiliated with."""
    ids = sorted({a.organization_id for m in members for a in m.affiliations})
    found: dict[str, Organization] = {}
    for chunk in chunked(ids):
        found.update((o.id, o) for o in tx.find(Organization, {"id": list(chunk)}))
    return found


def _check_not_enrolled(tx: Transaction, batch: list[EnrollmentRow]) -> None:
    """No member is in the program already: grouped counts of the stored pairs."""
    pairs = {(r.program_id, r.member_id) for r in batch}
    taken: set[tuple[str, str]] = set()
    for programs in chunked(sorted({p for p, _ in pairs})):
        for members in chunked(sorted({m for _, m in pairs})):
            where = {"program_id": list(programs), "member_id": list(members)}
            counted = tx.count(Enrollment, where, group_by=("program_id", "member_id"))
            taken.update(pair for pair in counted if pair in pairs)
    if taken:
        number, row = next(
            (n, r) for n, r in enumerate(batch, 1) if (r.program_id, r.member_id) in taken
        )
        raise DuplicateError(
            "Enrollment",
            None,
            f"member {row.member_id!r} is already in program {row.program_id!r} (row {number})",
        )


class _Snapshot(NamedTuple):
    """What a member represented on a day: the fields quotas count."""

    organization_id: str | None
    county: str | None
    region: str | None
    role: str | None


class _Enrollments:
    """Enrollments made from rows, snapshotting what each member represented then.

    Snapshots are computed once per (member, day) and regions once per county.
    """

    def __init__(
        self,
        context: Context,
        programs: dict[str, Program],
        members: dict[str, Member],
        organizations: dict[str, Organization],
        now: datetime,
    ) -> None:
        self._context = context
        self._zone = context.zone
        self._tracks = {p.id: {t.key for t in p.tracks} for p in programs.values()}
        self._members = members
        self._organizations = organizations
        self._now = now
        self._snapshots: dict[tuple[str, date], _Snapshot] = {}

    def make(self, number: int, row: EnrollmentRow) -> Enrollment:
        if row.track is not None and row.track not in self._tracks[row.program_id]:
            raise ValidationError(
                "EnrollmentRow",
                None,
                f"row {number}: program {row.program_id!r} has no track {row.track!r}",
            )
        at = row.at or self._now
        snapshot = self._snapshot(row.member_id, at.astimezone(self._zone).date())
        return Enrollment(
            program_id=row.program_id,
            member_id=row.member_id,
            status=row.status,
            created_at=at,
            updated_at=at,
            organization_id=snapshot.organization_id,
            county=snapshot.county,
            region=snapshot.region,
            role=snapshot.role,
            track=row.track,
            steps=1,
        )

    def _snapshot(self, member_id: str, day: date) -> _Snapshot:
        known = self._snapshots.get((member_id, day))
        if known is not None:
            return known
        member = self._members[member_id]
        affiliation = member.affiliation_on(day)
        organization = self._organizations.get(affiliation.organization_id) if affiliation else None
        county = member.county or (organization.county if organization else None)
        role = member.primary_role
        snapshot = _Snapshot(
            organization_id=organization.id if organization else None,
            county=county,
            region=self._context.region_of(county),
            role=role.value if role else None,
        )
        self._snapshots[(member_id, day)] = snapshot
        return snapshot


# -- seats --------------------------------------------------------------------------------
def _take_seats(
    uow: UnitOfWork, programs: dict[str, Program], enrollments: list[Enrollment]
) -> None:
    """Seat-holding rows take seats in their program's ledger, in row order."""
    for number, e in enumerate(enrollments, start=1):
        if not e.holds_seat:
            continue
        book = seats.ledger(uow, programs[e.program_id])
        problem = book.quota_problem(e)
        if problem:
            raise QuotaReachedError("Program", e.program_id, f"{problem}: row {number}")
        if book.full():
            raise CapacityFullError(
                "Program",
                e.program_id,
                f"row {number} ({e.status.value}, {naming.member_named(uow, e.member_id)}) "
                f"would take seat {book.taken + 1} of {book.capacity} in "
                f"{naming.program_label(book.program)}",
            )
        book.take(e)


def _queue_waitlisted(
    uow: UnitOfWork, programs: dict[str, Program], enrollments: list[Enrollment]
) -> list[Enrollment]:
    """Waitlisted rows join the end of their program's line, by ``at`` then row order."""
    waiting = [(n, e) for n, e in enumerate(enrollments) if e.status is EnrollmentStatus.WAITLISTED]
    queued = list(enrollments)
    for n, e in sorted(waiting, key=lambda item: (item[1].created_at, item[0])):
        number = seats.ledger(uow, programs[e.program_id]).next_in_line(uow)
        queued[n] = evolve(e, waitlisted_at=e.created_at, queue_number=number)
    return queued
