"""``net.reports``: the registered reports, run by name with filters.

Reports come from the ``register_reports`` hook (the built-ins too, from the
``cpnetwork.builtins.reports`` plugin); once a report's own sections are built, the
``report_sections`` hook lets plugins add theirs::

    net.reports.names()                  # ['attendance', 'equity', 'funnel', ...]
    report = net.reports.reach(county="Fresno", year=2024)
    report = net.reports.run("reach", county=["10", "19"])
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from cpnetwork.errors import NotFoundError, PluginError
from cpnetwork.plugins import PluginHost
from cpnetwork.reports.filters import Filters
from cpnetwork.reports.report import Report, ReportDefinition, Section
from cpnetwork.services.context import Context
from cpnetwork.storage import Transaction

#: ``net.reports.<name>(**filters)``: a report with these filters.
ReportCall = Callable[..., Report]


class ReportService:
    def __init__(self, context: Context) -> None:
        self._context = context
        self._definitions: dict[str, ReportDefinition] | None = None

    @contextmanager
    def reading(self) -> Iterator[Transaction]:
        """A read-only transaction for a report's queries (inside a change: the change's)."""
        with self._context.reading() as tx:
            yield tx

    def today(self) -> date:
        """Today in the network's time zone (by the network's clock)."""
        return self._context.today()

    def definitions(self) -> dict[str, ReportDefinition]:
        """Registered reports by name, from the ``register_reports`` hook (read once)."""
        if self._definitions is None:
            self._definitions = registered_reports(self._context.plugins)
        return self._definitions

    def names(self) -> list[str]:
        """The names of the registered reports, sorted."""
        return list(self.definitions())

    def run(
        self,
        name: str,
        *,
        county: str | list[str] | tuple[str, ...] | None = None,
        region: str | list[str] | tuple[str, ...] | None = None,
        program: str | list[str] | tuple[str, ...] | None = None,
        year: int | None = None,
        since: date | str | None = None,
        until: date | str | None = None,
    ) -> Report:
        """The report ``name`` with these filters (see :mod:`cpnetwork.reports.filters`).

        Unknown names are a NotFoundError listing the known ones; bad filters a
        ValidationError or NotFoundError naming the value.
        """
        definitions = self.definitions()
        definition = definitions.get(name)
        if definition is None:
            known = ", ".join(definitions) or "none registered"
            raise NotFoundError("Report", name, f"no such report (known: {known})")
        filters = Filters(
            county=county, region=region, program=program, year=year, since=since, until=until
        )
        network = self._context.network
        assert network is not None  # set as soon as the facade exists
        scope = filters.resolve(network)  # checked before any plugin sees them
        sections = list(definition.build(network, scope))
        sections += self._context.plugins.collect(
            "report_sections", Section, report_name=name, filters=filters, network=network
        )
        return Report(
            name=name,
            title=definition.title,
            network=self._context.profile.name,
            filters=filters,
            sections=sections,
        )

    def __getattr__(self, name: str) -> ReportCall:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self.definitions():
            raise AttributeError(f"no report named {name!r} (known: {', '.join(self.names())})")

        def call(**filters: Any) -> Report:
            return self.run(name, **filters)

        call.__name__ = name
        call.__doc__ = self.definitions()[name].description
        return call


def registered_reports(host: PluginHost) -> dict[str, ReportDefinition]:
    """The reports plugins register, by name, sorted; a name taken twice is a PluginError."""
    found: dict[str, ReportDefinition] = {}
    for plugin, answer in host.call_all("register_reports"):
        for definition in _checked(plugin, answer):
            if definition.name in found:
                raise PluginError(
                    plugin, "register_reports", f"report {definition.name!r} is taken"
                )
            found[definition.name] = definition
    return dict(sorted(found.items()))


def _checked(plugin: str, answer: Any) -> list[ReportDefinition]:
    if isinstance(answer, str | bytes) or not isinstance(answer, list | tuple):
        raise PluginError(plugin, "register_reports", f"returned {answer!r}, not a list")
    for item in answer:
        if not isinstance(item, ReportDefinition):
            raise PluginError(
                plugin, "register_reports", f"returned {item!r}, not a ReportDefinition"
            )
    return list(answer)
