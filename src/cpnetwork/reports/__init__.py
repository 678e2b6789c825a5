"""Reports: registered by plugins, computed in the store, rendered in five formats.

A report is data first: a :class:`Report` of :class:`Section` objects, each holding
typed rows (attrs classes whose fields are documented columns).  Rendering comes
second (:mod:`cpnetwork.reports.render`).  Run them from the network::

    net.reports.names()
    report = net.reports.reach(county="Fresno")
"""

from cpnetwork.reports.filters import Filters, Scope
from cpnetwork.reports.report import (
    Builder,
    Cell,
    Chart,
    Column,
    Report,
    ReportDefinition,
    Section,
    column,
    columns_of,
)
from cpnetwork.reports.service import ReportService

__all__ = [
    "Builder",
    "Cell",
    "Chart",
    "Column",
    "Filters",
    "Report",
    "ReportDefinition",
    "ReportService",
    "Scope",
    "Section",
    "column",
    "columns_of",
]
