"""What every service shares: the store, the plugins, the clock and the profile."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, TypeVar
from zoneinfo import ZoneInfo

from cpnetwork.errors import PluginError
from cpnetwork.events import Event
from cpnetwork.fields import CustomField
from cpnetwork.model import Jurisdiction, NetworkProfile
from cpnetwork.plugins import LOGGER, PluginHost
from cpnetwork.services.unit_of_work import UnitOfWork
from cpnetwork.storage import Storage, Transaction

if TYPE_CHECKING:
    from cpnetwork.network import Network

R = TypeVar("R")

Clock = Callable[[], datetime]
Observer = Callable[[Event], None]


def utc_now() -> datetime:
    return datetime.now(UTC)


#: The built-in plugin whose ``record_event`` fills the outbox.
OUTBOX_PLUGIN = "cpnetwork.builtins.notifications"


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
        #: ``uow``: the change in progress on this thread, if any.
        self._local = threading.local()

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

    def recorded(self) -> bool:
        """Whether anything writes events into the change's transaction (``record_event``).

        The built-in outbox counts only while a channel is on: a network that sends
        nothing pays nothing per event, and a million-row import keeps no events.
        """
        for impl in self.plugins.manager.hook.record_event.get_hookimpls():
            if impl.plugin_name != OUTBOX_PLUGIN:
                return True
        network = self.network
        return network is not None and bool(network.notifications.enabled_channels())

    def observed(self) -> bool:
        """Whether anything outside the transaction looks at events after commit."""
        return bool(self.observers) or bool(self.plugins.manager.hook.handle_event.get_hookimpls())

    def in_change(self) -> bool:
        """Whether a change is in progress on this thread (a new one would join it)."""
        return self._active() is not None

    def _active(self) -> UnitOfWork | None:
        active: UnitOfWork | None = getattr(self._local, "uow", None)
        return active

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        """A change: one transaction, its events delivered after it commits.

        Called while a change is in progress on this thread (a hook calling the network
        from inside the change), it joins that change instead of nesting: reads see the
        change so far, writes commit or roll back with it.
        """
        active = self._active()
        if active is not None:
            yield active
            return
        with self.storage.transaction() as tx:
            uow = UnitOfWork(self, tx)
            self._local.uow = uow
            try:
                yield uow
                uow.flush()
            finally:
                self._local.uow = None
        self._deliver(uow.events)

    def reading(self) -> AbstractContextManager[Transaction]:
        """A read-only transaction, so queries never wait behind a writer.

        Inside a change, the change's own transaction (see above).
        """
        active = self._active()
        if active is not None:
            return nullcontext(active.tx)
        return self.storage.transaction(read_only=True)

    @contextmanager
    def reading_work(self) -> Iterator[UnitOfWork]:
        """A unit of work for reads that need its helpers (``require``, ledgers)."""
        active = self._active()
        if active is not None:
            yield active
            return
        with self.reading() as tx:
            uow = UnitOfWork(self, tx)
            self._local.uow = uow
            try:
                yield uow
            finally:
                self._local.uow = None

    def _deliver(self, events: list[Event]) -> None:
        """Hand committed events to ``handle_event`` and observers.

        The change is saved: a failing observer is logged (``cpnetwork.plugins``) and
        isolated, so it neither hides the others' events nor reports the change failed.
        """
        for event in events:
            self.plugins.call_all("handle_event", event=event, network=self.network)
            for observer in list(self.observers):
                try:
                    observer(event)
                except Exception:
                    name = getattr(observer, "__qualname__", repr(observer))
                    LOGGER.error(
                        "observer %s failed on %s; the change was saved",
                        name,
                        type(event).__name__,
                        exc_info=True,
                    )
