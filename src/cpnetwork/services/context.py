"""What every service shares: the store, the plugins, the clock, and the unit of work."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from cpnetwork.errors import CpnetworkError, NotFoundError, PluginError, ValidationError
from cpnetwork.events import Event, RecordChanged
from cpnetwork.fields import CustomField
from cpnetwork.model import Jurisdiction, NetworkProfile, Program, Session
from cpnetwork.plugins import PluginHost
from cpnetwork.storage import Storage, Transaction

if TYPE_CHECKING:
    from cpnetwork.network import Network

R = TypeVar("R")

Clock = Callable[[], datetime]
Observer = Callable[[Event], None]


def utc_now() -> datetime:
    return datetime.now(UTC)


class UnitOfWork:
    """One transaction plus the domain events raised inside it.

    Events go to ``record_event`` implementations inside the transaction (an outbox
    commits or rolls back with the change) and to observers only after commit.
    """

    def __init__(self, context: Context, tx: Transaction) -> None:
        self.context = context
        self.tx = tx
        self.events: list[Event] = []
        self._now: datetime | None = None

    @property
    def now(self) -> datetime:
        """One instant for the whole change, so its records agree on when it happened.

        Read on first use, which in enrollment changes is after the program is locked:
        times then follow the order in which writers got the lock.
        """
        if self._now is None:
            self._now = self.context.now()
        return self._now

    def emit(self, event: Event) -> None:
        self.events.append(event)
        self.context.plugins.call_all(
            "record_event", event=event, transaction=self.tx, network=self.context.network
        )

    def record_changed(self, record: Any, *, created: bool) -> None:
        """Emit :class:`RecordChanged` for a record without an event of its own."""
        self.emit(
            RecordChanged(
                at=self.now, kind=type(record).__name__, record_id=record.id, created=created
            )
        )

    def require(self, cls: type[R], record_id: str) -> R:
        record = self.tx.get(cls, record_id)
        if record is None:
            raise NotFoundError(cls.__name__, record_id)
        return record

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


class Context:
    """A network's shared state; services hold one and never reach around it."""

    def __init__(
        self,
        *,
        storage: Storage,
        plugins: PluginHost,
        clock: Clock,
        profile: NetworkProfile,
        jurisdictions: list[Jurisdiction],
        member_fields: dict[str, CustomField],
    ) -> None:
        #: The facade, set once it exists; hooks receive it as ``network``.
        self.network: Network | None = None
        self.storage = storage
        self.plugins = plugins
        self.clock = clock
        self.profile = profile
        self.jurisdictions = jurisdictions
        self.member_fields = member_fields
        self.observers: list[Observer] = []

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.profile.timezone)

    def now(self) -> datetime:
        moment = self.clock()
        if moment.tzinfo is None:
            raise PluginError("clock", "now", "the clock returned a naive datetime")
        return moment

    def today(self) -> date:
        return self.now().astimezone(self.zone).date()

    def region_of(self, county: str | None) -> str | None:
        if county is None:
            return None
        for jurisdiction in self.jurisdictions:
            region = jurisdiction.region_of(county)
            if region is not None:
                return region.code
        return None

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        with self.storage.transaction() as tx:
            uow = UnitOfWork(self, tx)
            yield uow
        self._deliver(uow.events)

    @contextmanager
    def reading(self) -> Iterator[Transaction]:
        """A read-only transaction: queries never wait behind a writer."""
        with self.storage.transaction(read_only=True) as tx:
            yield tx

    def _deliver(self, events: list[Event]) -> None:
        failures: list[CpnetworkError] = []
        for event in events:
            try:
                self.plugins.call_all("handle_event", event=event, network=self.network)
            except CpnetworkError as exc:
                failures.append(exc)
            for observer in list(self.observers):
                try:
                    observer(event)
                except Exception as exc:  # an observer must not hide the others' events
                    name = getattr(observer, "__qualname__", repr(observer))
                    failures.append(PluginError(name, "observer", f"raised {exc!r}"))
        if failures:
            # The change itself is committed; say so and name the first observer at fault.
            first = failures[0]
            raise PluginError(
                getattr(first, "plugin", "observer"),
                "handle_event",
                f"{first.reason} (the change was saved)",
            ) from first
