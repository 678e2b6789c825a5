"""What a report is: data first (typed rows in titled sections), rendering second.

A :class:`Report` holds sections; each :class:`Section` holds rows of one attrs
class, its *row type*, whose fields are the section's columns.  A field's metadata
gives its column title and what it means (:func:`column`), so the schema of every
report is written once, beside the code that fills it, and renderers and the JSON
document read it from there (:func:`columns_of`).

Cells are plain values: text, integers, floats (percentages are 0 to 100), booleans,
dates, or None for "not known" (shown as a dash, never as 0).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from functools import cache
from typing import TYPE_CHECKING, Any

import attrs
from attrs import field, frozen

from cpnetwork.errors import NotFoundError, ValidationError

if TYPE_CHECKING:
    from cpnetwork.network import Network
    from cpnetwork.reports.filters import Filters, Scope

#: What a cell may hold.
Cell = str | int | float | bool | date | None


def column(title: str, doc: str) -> Any:
    """A row-type field that is a report column: its ``title`` and what it means."""
    return field(metadata={"title": title, "doc": doc})


@frozen(kw_only=True)
class Column:
    """One column of a section: the row field it shows, its title and meaning."""

    key: str
    title: str
    doc: str


@cache
def columns_of(row_type: type) -> tuple[Column, ...]:
    """The columns of a row type, in field order (every field must be a :func:`column`)."""
    found = []
    for attribute in attrs.fields(row_type):
        meta = attribute.metadata
        if "title" not in meta:
            raise ValidationError(
                "Section", row_type.__name__, f"field {attribute.name!r} is not a report column"
            )
        found.append(Column(key=attribute.name, title=meta["title"], doc=meta["doc"]))
    return tuple(found)


@frozen(kw_only=True)
class Chart:
    """A picture of a section for the HTML page: bars (or a line) of ``values`` by ``label``.

    ``label`` and each of ``values`` name columns of the section; ``horizontal`` draws
    bars across (long labels read better), ``line`` draws a line instead of bars.
    """

    label: str
    values: tuple[str, ...]
    horizontal: bool = False
    line: bool = False
    #: Value axis limit (100 for percentages); None fits the data.
    limit: float | None = None


def _rows(values: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(values)


def _notes(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(values)


@frozen(kw_only=True)
class Section:
    """A titled table of rows of one ``row_type``, with notes and an optional chart.

    Plugins add sections to a report through the ``report_sections`` hook.
    """

    key: str
    title: str
    row_type: type
    rows: tuple[Any, ...] = field(default=(), converter=_rows)
    notes: tuple[str, ...] = field(default=(), converter=_notes)
    chart: Chart | None = None

    def __attrs_post_init__(self) -> None:
        keys = {c.key for c in self.columns}
        for row in self.rows:
            if not isinstance(row, self.row_type):
                raise ValidationError(
                    "Section", self.key, f"row {row!r} is not a {self.row_type.__name__}"
                )
        if self.chart is not None:
            for name in (self.chart.label, *self.chart.values):
                if name not in keys:
                    raise ValidationError("Section", self.key, f"chart names no column {name!r}")

    @property
    def columns(self) -> tuple[Column, ...]:
        return columns_of(self.row_type)

    def cells(self, row: Any) -> list[Cell]:
        """A row's values in column order."""
        return [getattr(row, c.key) for c in self.columns]


def _sections(values: Sequence[Section]) -> tuple[Section, ...]:
    return tuple(values)


@frozen(kw_only=True)
class Report:
    """A report as data: its name, title, the filters it ran with, and its sections."""

    name: str
    title: str
    network: str
    filters: Filters
    sections: tuple[Section, ...] = field(default=(), converter=_sections)

    def section(self, key: str) -> Section:
        """The section with this key (NotFoundError when the report has none)."""
        for section in self.sections:
            if section.key == key:
                return section
        raise NotFoundError("Section", key, f"not in the {self.name!r} report")


#: ``build(network, scope)``: the sections of a report, computed in the store.
Builder = Callable[["Network", "Scope"], Sequence[Section]]


@frozen(kw_only=True)
class ReportDefinition:
    """A report a plugin registers (``register_reports``): its name, title and builder.

    ``name`` is what ``net.reports.<name>()`` and ``cpnetwork report NAME`` call it:
    lowercase letters, digits and ``_``.
    """

    name: str = field()
    title: str
    description: str
    build: Builder

    @name.validator
    def _plain_name(self, attribute: object, value: str) -> None:
        if not value.isidentifier() or value != value.lower() or value.startswith("_"):
            raise ValidationError(
                "ReportDefinition", value, "name must be lowercase letters, digits and '_'"
            )
