"""The network as one actor sees it: ``net.acting_as(Actor.parse("county:10"))``.

A scoped network offers the same services as the network.  Reads run in one read-only
transaction and leave out the records the actor may not see (a single record out of
reach is an :class:`~cpnetwork.errors.AccessDeniedError`; a lookup by key finds
nothing).  Writes run in one change whose domain events are judged before it commits
(:mod:`cpnetwork.services.scopes`): a change reaching outside the actor's scope is
refused and rolled back whole.  Exports hold only what the actor sees.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from cpnetwork.model import Actor
from cpnetwork.services.scopes import Scope

if TYPE_CHECKING:
    from cpnetwork.network import Network

#: Service methods that only read, by name or prefix; everything else is a change.
READ_PREFIXES = (
    "get",
    "find",
    "of",
    "for_",
    "history",
    "status_counts",
    "seats_left",
    "waitlist_of",
    "responses",
    "agreement",
    "summary",
    "series",
    "messages",
    "export",
    "recognitions",
    "milestones",
    "partnerships",
    "children",
    "ics",
    "names",
    "enabled_channels",
)

#: Reads that look a record up by key: out of scope, they find nothing.
LOOKUPS = ("find_by", "find_one", "of")

#: The network's own attributes a scoped network passes through unchanged.
PLAIN = frozenset(
    {"profile", "storage", "plugins", "jurisdictions", "member_fields", "importers", "close"}
)


class ScopedNetwork:
    """The network as ``actor`` sees it; see the module docstring."""

    def __init__(self, network: Network, actor: Actor) -> None:
        self._network = network
        self.actor = actor

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._network, name)
        if name in PLAIN or name.startswith("_"):
            return value
        if name == "reports":
            return ScopedReports(value, self)
        if hasattr(value, "_context") and not callable(value):
            return ScopedService(value, self)
        if callable(value):
            return self.wrap(value, name)
        return value

    def __enter__(self) -> ScopedNetwork:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._network.close()

    def wrap(self, method: Callable[..., Any], name: str) -> Callable[..., Any]:
        """``method`` run as the actor: a read filtered, a change judged."""
        reading = name.startswith(READ_PREFIXES)
        lookup = name.startswith(LOOKUPS)

        def scoped(*args: Any, **kwargs: Any) -> Any:
            context = self._network._context
            if reading:
                with context.reading_work() as uow:
                    scope = Scope(self.actor, context, uow.tx)
                    result = method(*args, **kwargs)
                    if lookup and _hidden(scope, result):
                        return None
                    return scope.visible(result)
            with context.unit_of_work() as uow:
                start = uow.keep_events()
                result = method(*args, **kwargs)
                uow.flush()
                Scope(self.actor, context, uow.tx).check(uow.events[start:])
                return result

        scoped.__name__ = name
        scoped.__doc__ = method.__doc__
        return scoped

    # -- exports hold what the actor sees --------------------------------------------
    def export(self, target: str | Path | IO[str], **options: Any) -> dict[str, int]:
        """:meth:`Network.export`, holding only the records the actor sees."""
        context = self._network._context
        with context.reading_work() as uow:
            scope = Scope(self.actor, context, uow.tx)
            return self._network.export(target, keep=scope.sees, **options)

    def export_data(self, **options: Any) -> dict[str, list[dict[str, Any]]]:
        """:meth:`Network.export_data`, holding only the records the actor sees."""
        context = self._network._context
        with context.reading_work() as uow:
            scope = Scope(self.actor, context, uow.tx)
            return self._network.export_data(keep=scope.sees, **options)


class ScopedReports:
    """Reports as the actor may see them: their counties or programs, never beyond.

    A county coordinator's or region lead's reports cover their counties, a
    facilitator's their programs; asking for more is refused.  Members run no reports.
    """

    def __init__(self, service: Any, network: ScopedNetwork) -> None:
        self._service = service
        self._network = network

    def names(self) -> list[str]:
        names: list[str] = self._service.names()
        return names

    def run(self, name: str, **filters: Any) -> Any:
        network = self._network._network
        context = network._context
        with context.reading_work() as uow:
            scope = Scope(self._network.actor, context, uow.tx)
            return self._service.run(name, **scope.report_filters(filters, network))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self._service.names():
            return getattr(self._service, name)

        def call(**filters: Any) -> Any:
            return self.run(name, **filters)

        call.__name__ = name
        return call


class ScopedService:
    """One service of a scoped network: each method read-filtered or change-judged."""

    def __init__(self, service: Any, network: ScopedNetwork) -> None:
        self._service = service
        self._network = network

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._service, name)
        if callable(value) and not name.startswith("_"):
            return self._network.wrap(value, name)
        return value


def _hidden(scope: Scope, result: Any) -> bool:
    return hasattr(type(result), "__attrs_attrs__") and not scope.sees(result)
