"""The unit of work: one transaction, one clock reading, and the events raised inside it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from cpnetwork.errors import NotFoundError, ValidationError
from cpnetwork.events import Event, RecordChanged
from cpnetwork.model import Program, Session
from cpnetwork.storage import Transaction

if TYPE_CHECKING:
    from cpnetwork.services.context import Context
    from cpnetwork.services.seats import SeatLedger

R = TypeVar("R")
T = TypeVar("T")

#: Ids per ``IN (...)`` list of a lookup.
ID_CHUNK = 5000


def chunked(values: Sequence[T], size: int | None = None) -> Iterator[Sequence[T]]:
    """``values`` in slices of at most ``size`` (:data:`ID_CHUNK`), for lookups by IN list."""
    size = size or ID_CHUNK
    for start in range(0, len(values), size):
        yield values[start : start + size]


def missing_ids(tx: Transaction, cls: type, ids: Iterable[str]) -> list[str]:
    """Which of ``ids`` have no record, sorted: grouped counts by id, no records loaded."""
    wanted = sorted(set(ids))
    missing: list[str] = []
    for chunk in chunked(wanted):
        found = tx.count(cls, {"id": list(chunk)}, group_by=("id",))
        missing += [i for i in chunk if (i,) not in found]
    return missing


def require(tx: Transaction, cls: type[R], record_id: str) -> R:
    """The record of ``cls`` with this id; NotFoundError naming both when there is none."""
    record = tx.get(cls, record_id)
    if record is None:
        raise NotFoundError(cls.__name__, record_id)
    return record


#: Staged inserts written together: big enough for the bulk path, small enough to stay flat.
STAGED_ROWS = 20_000


class UnitOfWork:
    """One transaction plus the domain events raised inside it.

    Events go to ``record_event`` implementations inside the transaction (an outbox
    commits or rolls back with the change) and to observers only after commit; when
    nothing observes them they are not kept, so a million-row import stays flat.

    Handlers may :meth:`stage` new records instead of inserting them one by one: staged
    records are written in chunks through ``insert_many`` (the store's bulk path), and
    always before the transaction is used again, so a handler reads what it staged.
    ``record_event`` sees an event about a staged record once the record is written.
    """

    def __init__(self, context: Context, tx: Transaction) -> None:
        self.context = context
        self._tx = tx
        self.events: list[Event] = []
        self._keep_events = context.observed()
        self._recorded = context.recorded()
        self._now: datetime | None = None
        self._staged: list[Any] = []
        self._staged_kinds: set[type] = set()
        #: Ids staged records name, checked to exist before the records are written.
        self._named: dict[type, set[str]] = {}
        #: Events about staged records, recorded once their records are written.
        self._deferred: list[Event] = []
        #: Programs locked in this unit of work, by id, and their seat ledgers.
        self.programs: dict[str, Program] = {}
        self.ledgers: dict[str, SeatLedger] = {}
        #: Records a handler reads once per unit of work (sessions of a long import), by kind.
        self.cache: dict[type | str, dict[str, Any]] = {}

    @property
    def tx(self) -> Transaction:
        """The transaction, with every staged record written first."""
        if self._staged or self._named:
            self.flush()
        return self._tx

    def reading(self, cls: type) -> Transaction:
        """The transaction for a query of ``cls``: staged records of that kind written first.

        Staged records of other kinds cannot change its answer, so they stay staged and
        a bulk add that looks up other kinds as it goes still writes in big chunks.
        """
        if cls in self._staged_kinds:
            self.flush()
        return self._tx

    @property
    def now(self) -> datetime:
        """One instant for the whole change, so its records agree on when it happened.

        Read on first use, which in enrollment changes is after the program is locked:
        times then follow the order in which writers got the lock.
        """
        if self._now is None:
            self._now = self.context.now()
        return self._now

    def stage(self, record: Any) -> None:
        """Insert ``record`` with the next chunk of staged records."""
        self._staged.append(record)
        self._staged_kinds.add(type(record))
        if len(self._staged) >= STAGED_ROWS:
            self.flush()

    def require_before_writing(self, cls: type, ids: Iterable[str]) -> None:
        """Check that these ids exist, together with the other staged records' ones.

        A bulk add names thousands of organizations; one grouped count per chunk of
        staged records asks about all of them (see :meth:`require_all`).
        """
        self._named.setdefault(cls, set()).update(ids)

    def flush(self) -> None:
        """Check the ids staged records name, then write the staged records."""
        named, self._named = self._named, {}
        for cls, ids in named.items():
            self.require_all(cls, ids)
        if self._staged:
            staged, self._staged = self._staged, []
            self._staged_kinds.clear()
            self._tx.insert_many(staged)
        deferred, self._deferred = self._deferred, []
        for event in deferred:
            self._record(event)

    def keep_events(self) -> int:
        """Keep every event from now on (to judge them); how many are kept already."""
        self._keep_events = True
        return len(self.events)

    def emit(self, event: Event) -> None:
        if self._keep_events:
            self.events.append(event)
        if not self._recorded:
            return
        if self._staged:
            self._deferred.append(event)
        else:
            self._record(event)

    def _record(self, event: Event) -> None:
        self.context.plugins.call_all(
            "record_event", event=event, transaction=self._tx, network=self.context.network
        )

    def record_changed(self, record: Any, *, created: bool) -> None:
        """Emit :class:`RecordChanged` for a record without an event of its own."""
        self.emit(
            RecordChanged(
                at=self.now, kind=type(record).__name__, record_id=record.id, created=created
            )
        )

    def require_all(self, cls: type, ids: Iterable[str]) -> None:
        """NotFoundError naming the first missing id; grouped counts, no records loaded.

        Ids found are remembered for the rest of the unit of work, so a million members
        affiliated with a thousand organizations ask about each organization once.
        """
        found: dict[str, Any] = self.cache.setdefault(f"exists:{cls.__name__}", {})
        wanted = [i for i in ids if i not in found]
        if not wanted:
            return
        missing = missing_ids(self.reading(cls), cls, wanted)
        found.update(dict.fromkeys(set(wanted) - set(missing), True))
        if missing:
            extra = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise NotFoundError(cls.__name__, missing[0], f"not found{extra}")

    def require(self, cls: type[R], record_id: str) -> R:
        return require(self.tx, cls, record_id)

    def program_for(
        self, kind: str, program_id: str | None, session_id: str | None
    ) -> Program | None:
        """The program a record attached to a program and/or session belongs to.

        A session's record belongs to the session's program; naming another program
        is a ValidationError against ``kind``.
        """
        if session_id is not None:
            session = self.require(Session, session_id)
            if program_id is not None and program_id != session.program_id:
                raise ValidationError(
                    kind,
                    None,
                    f"session {session_id!r} belongs to program {session.program_id!r}, "
                    f"not {program_id!r}",
                    field="program_id",
                )
            program_id = session.program_id
        return None if program_id is None else self.require(Program, program_id)
