"""Rendering a report: terminal text, CSV, JSON, Markdown or one HTML page.

``render(report, "html")`` gives the text; :func:`write` puts it in a file atomically
(a temporary file beside it, flushed to disk, renamed over the target, through
:func:`cpnetwork.files.replace_file`), so a reader never sees half a report.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cpnetwork.errors import ValidationError
from cpnetwork.files import replace_file
from cpnetwork.reports.render.document import render_json
from cpnetwork.reports.render.page import render_html
from cpnetwork.reports.render.tabular import render_csv, render_markdown
from cpnetwork.reports.render.terminal import render as render_terminal
from cpnetwork.reports.report import Report

#: Renderers by format name.
FORMATS: dict[str, Callable[[Report], str]] = {
    "terminal": render_terminal,
    "csv": render_csv,
    "json": render_json,
    "markdown": render_markdown,
    "html": render_html,
}


def render(report: Report, format: str) -> str:
    """The report as text in ``format`` (one of :data:`FORMATS`)."""
    renderer = FORMATS.get(format)
    if renderer is None:
        raise ValidationError(
            "format", format, f"unknown report format (known: {', '.join(FORMATS)})"
        )
    return renderer(report)


def write(report: Report, format: str, path: str | Path) -> Path:
    """Render and write atomically, owner-only (see :func:`cpnetwork.files.replace_file`)."""
    # As bytes: the CSV writer already ends rows with CRLF, as RFC 4180 has it.
    return replace_file(path, render(report, format).encode("utf-8"))


__all__ = [
    "FORMATS",
    "render",
    "render_csv",
    "render_html",
    "render_json",
    "render_markdown",
    "render_terminal",
    "write",
]
