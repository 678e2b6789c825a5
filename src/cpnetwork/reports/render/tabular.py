"""CSV and Markdown: every section as a table, text made safe for each."""

from __future__ import annotations

import csv
import io

from cpnetwork.reports.render.cells import clean_text, markdown_text, spreadsheet_safe
from cpnetwork.reports.report import Report


def render_csv(report: Report) -> str:
    """One CSV table per section, each headed by a ``# section: title`` row, a blank
    line between; the header row names the columns by key.

    Text a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR
    first) is neutralized with a leading ``'``, as OWASP advises.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for number, section in enumerate(report.sections):
        if number:
            writer.writerow([])
        writer.writerow([spreadsheet_safe(f"# {section.key}: {section.title}")])
        writer.writerow([c.key for c in section.columns])
        for row in section.rows:
            writer.writerow([spreadsheet_safe(v) for v in section.cells(row)])
    return out.getvalue()


def render_markdown(report: Report) -> str:
    """A Markdown page: a heading, the filters, a table per section, its notes."""
    lines = [f"# {markdown_text(report.title)}", ""]
    applied = report.filters.applied()
    shown = "; ".join(f"{k}: {v}" for k, v in applied.items()) or "none"
    lines += [f"Network: {markdown_text(report.network)}. Filters: {markdown_text(shown)}.", ""]
    for section in report.sections:
        lines += [f"## {markdown_text(section.title)}", ""]
        if section.rows:
            lines.append("| " + " | ".join(markdown_text(c.title) for c in section.columns) + " |")
            lines.append("|" + "|".join("---" for _ in section.columns) + "|")
            for row in section.rows:
                cells = (markdown_text(v) for v in section.cells(row))
                lines.append("| " + " | ".join(cells) + " |")
        else:
            lines.append("_Nothing to show._")
        lines.append("")
        lines += [f"_{markdown_text(clean_text(note))}_" for note in section.notes]
        if section.notes:
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
