"""The seat ledger of a program, and the one function that moves an enrollment.

Every capacity decision is taken with the program locked (``Transaction.lock``), so
concurrent writers never both take the last seat.  Once locked, a program's seats are
counted once per unit of work, with one grouped count in the store, into a
:class:`SeatLedger`; every handler that gives or frees a seat in that unit of work
asks and updates the same ledger, so capacity and quotas are written once, here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from attrs import define, evolve, field

from cpnetwork.errors import CapacityFullError, NotFoundError, PluginError, QuotaReachedError
from cpnetwork.events import EnrollmentChanged
from cpnetwork.model import (
    SEAT_STATUSES,
    Enrollment,
    EnrollmentMode,
    EnrollmentStatus,
    Program,
    Quota,
    QuotaScope,
    Transition,
)
from cpnetwork.services import naming
from cpnetwork.services.unit_of_work import UnitOfWork

#: The enrollment field each quota scope counts.
QUOTA_FIELD = {
    QuotaScope.ORGANIZATION: "organization_id",
    QuotaScope.COUNTY: "county",
    QuotaScope.REGION: "region",
    QuotaScope.ROLE: "role",
}

SEATS = sorted(SEAT_STATUSES)


def _applies(quota: Quota, key: str | None) -> bool:
    return key is not None and (quota.value is None or quota.value == key)


@define
class SeatLedger:
    """Seats held in one locked program: in all, by status, and by each field a quota counts."""

    program: Program
    taken: int
    held: dict[str, Counter[Any]]
    #: Seats held by status.
    by_status: Counter[str]
    #: Offers out whose time had passed when the ledger was counted.
    expired_offers: int = 0
    #: Whether :func:`sweep_offers` ran in this unit of work.
    swept: bool = False
    _queue: int | None = field(default=None)
    #: The unit of work the ledger counts in: messages read names through it.
    _uow: UnitOfWork | None = field(default=None)

    @classmethod
    def load(cls, uow: UnitOfWork, program: Program) -> SeatLedger:
        """Count the seats held now, and the offers past their time: one grouped query."""
        fields = sorted({QUOTA_FIELD[quota.scope] for quota in program.policy.quotas})
        groups = uow.tx.aggregate(
            Enrollment,
            {"program_id": program.id, "status": SEATS},
            group_by=["status", *fields],
            counts={"expired": {"offer_expires_at__le": uow.now}},
        )
        held: dict[str, Counter[Any]] = {name: Counter() for name in fields}
        by_status: Counter[str] = Counter()
        expired = 0
        for (status, *key), group in groups.items():
            by_status[status] += group.count
            expired += group.counts["expired"]
            for name, value in zip(fields, key, strict=True):
                held[name][value] += group.count
        taken = sum(by_status.values())
        return cls(program, taken, held, by_status, expired_offers=expired, uow=uow)

    @property
    def capacity(self) -> int | None:
        return self.program.policy.capacity

    def seats_left(self) -> int | None:
        """Free seats, or None when the program has no capacity limit."""
        if self.capacity is None:
            return None
        return max(self.capacity - self.taken, 0)

    def full(self) -> bool:
        return self.seats_left() == 0

    def filled_quota(self, candidate: Enrollment) -> tuple[Quota, str] | None:
        """The quota giving ``candidate`` a seat would break, and its key; or None."""
        for quota in self.program.policy.quotas:
            name = QUOTA_FIELD[quota.scope]
            key = getattr(candidate, name)
            if _applies(quota, key) and self.held[name][key] >= quota.limit:
                return quota, key
        return None

    def quota_problem(self, candidate: Enrollment) -> str | None:
        """Why giving ``candidate`` a seat would break a quota, or None.

        The message names the member, the program and what the quota counts (an
        organization by name and code, a county by code and name), never only ids.
        """
        filled = self.filled_quota(candidate)
        if filled is None:
            return None
        quota, key = filled
        named = naming.quota_key_named(self._uow, quota.scope, key) if self._uow else repr(key)
        return (
            f"{self._who(candidate)} cannot take a seat in {naming.program_label(self.program)}: "
            f"the {quota.scope.value} quota of {quota.limit} for {named} is filled"
        )

    def _who(self, candidate: Enrollment) -> str:
        if self._uow is None:
            return f"member {candidate.member_id!r}"
        return naming.member_named(self._uow, candidate.member_id)

    def check(self, candidate: Enrollment) -> None:
        """CapacityFullError or QuotaReachedError unless ``candidate`` may take a seat."""
        problem = self.quota_problem(candidate)
        if problem:
            raise QuotaReachedError("Program", self.program.id, problem)
        if self.full():
            raise CapacityFullError(
                "Program",
                self.program.id,
                f"{self._who(candidate)} cannot take a seat in "
                f"{naming.program_label(self.program)}: all {self.capacity} seats are taken",
            )

    def take(self, enrollment: Enrollment) -> None:
        self._count(enrollment, 1)

    def release(self, enrollment: Enrollment) -> None:
        self._count(enrollment, -1)

    def follow(self, before: Enrollment | None, after: Enrollment) -> None:
        """Follow an enrollment's step: a seat given, freed, or held under a new status."""
        if before is not None and before.holds_seat:
            self.release(before)
        if after.holds_seat:
            self.take(after)

    def _count(self, enrollment: Enrollment, step: int) -> None:
        self.taken += step
        self.by_status[enrollment.status.value] += step
        for name, counter in self.held.items():
            key = getattr(enrollment, name)
            if key is not None:
                counter[key] += step

    def next_in_line(self, uow: UnitOfWork) -> int:
        """The next waitlist queue number: how many joined the line before, plus one."""
        if self._queue is None:
            where = {"program_id": self.program.id, "to_status": EnrollmentStatus.WAITLISTED}
            self._queue = uow.tx.count(Transition, where).get((), 0)
        self._queue += 1
        return self._queue


def open_program(uow: UnitOfWork, program_id: str, *, sweep: bool = True) -> Program:
    """Lock the program (once per unit of work) and, with ``sweep``, expire its stale
    offers (see :func:`sweep_offers`)."""
    program = uow.programs.get(program_id)
    if program is None:
        program = uow.tx.locked(Program, program_id)
        if program is None:
            raise NotFoundError("Program", program_id)
        uow.programs[program_id] = program
    if sweep:
        sweep_offers(uow, program)
    return program


def open_program_of(uow: UnitOfWork, enrollment_id: str) -> Program | None:
    """Lock the program of an enrollment through the enrollment, before reading it.

    Where writers run at once, the enrollment must be read after the lock (another
    change may move it meanwhile); locking its program through it (one statement where
    the store can, see ``Transaction.locked_parent``) spares reading it twice.  None
    when there is no such enrollment.  A program already locked in this unit of work
    is the one returned.
    """
    program = uow.tx.locked_parent(Program, Enrollment, enrollment_id, "program_id")
    if program is None:
        return None
    return uow.programs.setdefault(program.id, program)


def sweep_offers(uow: UnitOfWork, program: Program) -> bool:
    """Expire the open program's offers past their time, once per unit of work.

    A change that gives or frees a seat sweeps first, so a stale offer passes its
    seat on before anyone counts seats.  The ledger counts the offers past their time
    in its one query; only when there is one does the sweep read and move anything.
    Returns whether this call expired any.
    """
    book = ledger(uow, program)
    if book.swept:
        return False
    book.swept = True
    if not book.expired_offers:
        return False
    expire_offers(uow, program)
    return True


def ledger(uow: UnitOfWork, program: Program) -> SeatLedger:
    """The program's ledger in this unit of work; the program must be open."""
    found = uow.ledgers.get(program.id)
    if found is None:
        found = uow.ledgers[program.id] = SeatLedger.load(uow, program)
    return found


def join_waitlist(uow: UnitOfWork, program: Program) -> dict[str, Any]:
    """Fields placing an enrollment at the end of the program's waitlist line.

    Numbered by how many joined before (the program is locked), so arrival order
    survives equal timestamps and concurrent writers.
    """
    return {"waitlisted_at": uow.now, "queue_number": ledger(uow, program).next_in_line(uow)}


def transition(
    uow: UnitOfWork,
    enrollment: Enrollment,
    to: EnrollmentStatus,
    *,
    actor: str,
    reason: str,
    new: bool = False,
    **changes: Any,
) -> Enrollment:
    """Move (or, with ``new``, create) an enrollment, recording history and an event.

    The program's ledger, when loaded in this unit of work, follows the seat.
    """
    now = uow.now
    before = None if new else enrollment.status
    if before is EnrollmentStatus.OFFERED and to is not EnrollmentStatus.OFFERED:
        changes.setdefault("offer_expires_at", None)
    sequence = 1 if new else (enrollment.steps or _steps_recorded(uow, enrollment.id)) + 1
    moved = evolve(enrollment, status=to, updated_at=now, steps=sequence, **changes)
    if new:
        uow.tx.insert(moved)
    else:
        uow.tx.update(moved)
    book = uow.ledgers.get(moved.program_id)
    if book is not None:
        book.follow(None if new else enrollment, moved)
    uow.tx.insert(
        Transition(
            enrollment_id=moved.id,
            program_id=moved.program_id,
            member_id=moved.member_id,
            from_status=before,
            to_status=to,
            sequence=sequence,
            at=now,
            actor=actor,
            reason=reason,
        )
    )
    uow.emit(
        EnrollmentChanged(
            at=now,
            enrollment_id=moved.id,
            program_id=moved.program_id,
            member_id=moved.member_id,
            from_status=before,
            to_status=to,
            actor=actor,
            reason=reason,
        )
    )
    return moved


#: The plugin giving the default waitlist order (review rank, then first come).
DEFAULT_ORDER = "cpnetwork.builtins.waitlist"
#: The built-in order in the store's terms: review rank, the unranked after, by arrival.
DEFAULT_LINE = ("rank missing last", "queue_number")


def waitlist_in_order(
    uow: UnitOfWork, program: Program, *, first_page: int
) -> Iterator[Enrollment]:
    """The waitlisted enrollments, in the order seats are offered to them.

    With only the built-in order in place, the store gives the line in that order a
    few at a time (``first_page``, then four times as many...), so a freed seat reads
    the head of the line, not the whole line.
    Any other ``order_waitlist`` implementation (or a wrapper) gets the whole line.
    """
    if not uow.context.plugins.answered_only_by("order_waitlist", DEFAULT_ORDER):
        yield from ordered_waitlist(uow, program)
        return
    line = {"program_id": program.id, "status": EnrollmentStatus.WAITLISTED}
    seen: set[str] = set()
    page = first_page
    while True:
        # Read again from the head: those taken off the line meanwhile are gone,
        # those passed over (a filled quota) are seen already.
        rows = uow.tx.find(Enrollment, line, order_by=DEFAULT_LINE, limit=page)
        for enrollment in rows:
            if enrollment.id not in seen:
                seen.add(enrollment.id)
                yield enrollment
        if len(rows) < page:
            return
        page *= 4


def _steps_recorded(uow: UnitOfWork, enrollment_id: str) -> int:
    """The steps of an enrollment's history, counted: for records from before ``steps``."""
    return uow.tx.count(Transition, {"enrollment_id": enrollment_id}).get((), 0)


def ordered_waitlist(uow: UnitOfWork, program: Program) -> list[Enrollment]:
    waitlisted = uow.tx.find(
        Enrollment,
        {"program_id": program.id, "status": EnrollmentStatus.WAITLISTED},
        order_by=("queue_number",),
    )
    if not waitlisted:
        return []
    answer = uow.context.plugins.call_first(
        "order_waitlist", program=program, waitlisted=list(waitlisted), network=uow.context.network
    )
    if answer is None:
        return waitlisted
    plugin, ordered = answer
    _check_order(plugin, waitlisted, ordered)
    return list(ordered)


def _check_order(plugin: str, given: Sequence[Enrollment], ordered: Any) -> None:
    if not isinstance(ordered, list | tuple) or sorted(
        getattr(e, "id", "") for e in ordered
    ) != sorted(e.id for e in given):
        raise PluginError(
            plugin, "order_waitlist", "must return the same waitlisted enrollments, reordered"
        )


def fill_freed_seats(uow: UnitOfWork, program: Program, *, actor: str) -> list[Enrollment]:
    """Offer each free seat to the next waitlisted member whose quota allows it."""
    book = ledger(uow, program)
    moved: list[Enrollment] = []
    # A seat or two free: read that many from the head, more when quotas skip some.
    # The line is asked for the next one only while a seat is free.
    line = waitlist_in_order(uow, program, first_page=book.seats_left() or 1)
    while not book.full():
        candidate = next(line, None)
        if candidate is None:
            break
        if book.filled_quota(candidate):
            continue
        window = program.policy.offer_window
        if window is None:
            to = (
                EnrollmentStatus.ACCEPTED
                if program.policy.mode is EnrollmentMode.APPLICATION
                else EnrollmentStatus.ENROLLED
            )
            moved.append(transition(uow, candidate, to, actor=actor, reason="seat freed: promoted"))
        else:
            expires = uow.now + window
            moved.append(
                transition(
                    uow,
                    candidate,
                    EnrollmentStatus.OFFERED,
                    actor=actor,
                    reason=f"seat freed: offered until {expires.isoformat()}",
                    offer_expires_at=expires,
                )
            )
    return moved


def expire_offers(uow: UnitOfWork, program: Program) -> list[Enrollment]:
    """Expire offers past their time and pass the seats on; returns the expired ones."""
    stale = uow.tx.find(
        Enrollment,
        {
            "program_id": program.id,
            "status": EnrollmentStatus.OFFERED,
            "offer_expires_at__le": uow.now,
        },
        order_by=("offer_expires_at",),
    )
    expired = [
        transition(
            uow, e, EnrollmentStatus.EXPIRED, actor="network", reason="offer not taken up in time"
        )
        for e in stale
    ]
    if expired:
        fill_freed_seats(uow, program, actor="network")
    return expired
