"""The report as rich tables for a terminal; cells are plain text, never markup."""

from __future__ import annotations

import io

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from cpnetwork.reports.render.cells import cell_text, clean_text
from cpnetwork.reports.report import Report

#: Width used when the output is not a terminal.
WIDTH = 160


def renderables(report: Report) -> list[RenderableType]:
    """What a console prints for the report: a heading, the filters, one table a section."""
    items: list[RenderableType] = [
        Text(clean_text(f"{report.title} — {report.network}"), style="bold")
    ]
    applied = report.filters.applied()
    shown = "; ".join(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
                      for k, v in applied.items())  # fmt: skip
    items.append(Text(clean_text(f"Filters: {shown or 'none'}"), style="dim"))
    for section in report.sections:
        table = Table(title=Text(clean_text(section.title)), box=box.SIMPLE_HEAD,
                      title_justify="left")  # fmt: skip
        for column in section.columns:
            table.add_column(Text(clean_text(column.title)), overflow="fold")
        for row in section.rows:
            table.add_row(*(Text(cell_text(value)) for value in section.cells(row)))
        if not section.rows:
            items.append(Text(clean_text(f"{section.title}: nothing to show"), style="dim"))
        else:
            items.append(table)
        items += [Text(clean_text(note), style="italic") for note in section.notes]
    return items


def render(report: Report, *, width: int = WIDTH) -> str:
    """The report as terminal text (no colours), for a file or a pipe."""
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None, highlight=False)
    console.print(Group(*renderables(report)))
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines()) + "\n"
