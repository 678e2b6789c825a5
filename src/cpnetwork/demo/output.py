"""The demo's output: every registered report in every file format, a mail sink, a summary.

The report folder gets, for each report ``net.reports.names()`` lists, the files
``cpnetwork report NAME --format F -o FILE`` would write (``.html``, ``.csv``,
``.json``, ``.md`` and terminal text ``.txt``), an ``index.html`` linking them, the
Zoom participants report the year imported, and ``notifications.log``: every message
the ``log`` channel delivered, as a local mail sink.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.table import Table

from cpnetwork.demo.clock import PACIFIC
from cpnetwork.demo.year import Story
from cpnetwork.files import replace_file
from cpnetwork.model import Enrollment
from cpnetwork.network import Network
from cpnetwork.notifications.channels import LOGGER
from cpnetwork.reports import Report
from cpnetwork.reports.render import write

#: File suffix of each report format.
SUFFIXES = {"html": "html", "csv": "csv", "json": "json", "markdown": "md", "terminal": "txt"}
#: The mail sink's file name in the report folder.
SINK = "notifications.log"


class _SinkFormat(logging.Formatter):
    """Each message under a line with its topic and when it was queued (demo time)."""

    def format(self, record: logging.LogRecord) -> str:
        message = getattr(record, "cpnetwork_message", None)
        if message is None:
            return super().format(record)
        queued = message.created_at.astimezone(PACIFIC).isoformat(timespec="minutes")
        return f"--- {message.topic} queued {queued}\n{record.getMessage()}\n"


@contextmanager
def mail_sink(folder: Path | None) -> Iterator[Path | None]:
    """While open, what the ``log`` channel delivers is also written to ``folder/SINK``."""
    if folder is None:
        yield None
        return
    path = folder / SINK
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(_SinkFormat())
    level = LOGGER.level
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.INFO)
    try:
        yield path
    finally:
        LOGGER.removeHandler(handler)
        LOGGER.setLevel(level)
        handler.close()


def write_reports(
    net: Network, folder: Path, extra: Sequence[tuple[str, Report]] = ()
) -> dict[str, list[Path]]:
    """Every registered report (and ``extra`` ones, by file stem) in every format."""
    written: dict[str, list[Path]] = {}
    runs = [(name, net.reports.run(name)) for name in net.reports.names()]
    for stem, report in [*runs, *extra]:
        written[stem] = [
            write(report, format_, folder / f"{stem}.{suffix}")
            for format_, suffix in SUFFIXES.items()
        ]
    reports = {stem: report for stem, report in [*runs, *extra]}
    links = "\n".join(
        f'<li><a href="{html.escape(stem)}.html">{html.escape(reports[stem].title)}</a> '
        + " ".join(f'<a href="{html.escape(p.name)}">{p.suffix[1:]}</a>' for p in paths[1:])
        + "</li>"
        for stem, paths in written.items()
    )
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(net.profile.name)}: reports</title></head><body>\n"
        f"<h1>{html.escape(net.profile.name)}</h1>\n<ul>\n{links}\n</ul>\n"
        f'<p><a href="{SINK}">Messages delivered</a></p>\n</body></html>\n'
    )
    replace_file(folder / "index.html", page.encode("utf-8"))
    return written


def extra_reports(net: Network, story: Story) -> list[tuple[str, Report]]:
    """Reports beyond the registered ones: the alliance's impact (reach of its program)."""
    if story.impact_program is None:
        return []
    impact = net.reports.run("reach", program=story.impact_program.id)
    return [("impact-early-implementation", impact)]


def summary(console: Console, net: Network, story: Story) -> None:
    """The terminal summary: enrollment by program and the 4 pm series."""
    programs = sorted(net.programs.find(), key=lambda p: (p.program_year, p.title))
    table = Table(title="Enrollment by program and status")
    table.add_column("program")
    table.add_column("year")
    table.add_column("statuses")
    for program in programs:
        with net.storage.transaction() as tx:
            counts = tx.count(Enrollment, {"program_id": program.id}, group_by=["status"])
        shown = ", ".join(f"{status} {n}" for (status,), n in sorted(counts.items()))
        table.add_row(program.title, str(program.program_year), shown)
    console.print(table)
    times = Table(title="Learning communities stay at 4 pm Pacific across daylight saving")
    times.add_column("date")
    times.add_column("local time")
    times.add_column("UTC offset")
    for session in story.communities:
        local = session.start.astimezone(PACIFIC)
        times.add_row(local.date().isoformat(), local.strftime("%H:%M"), local.strftime("%z"))
    console.print(times)


def key_numbers(net: Network, story: Story) -> list[str]:
    """The year in a few lines, read back from the reports and the outbox."""
    reach = net.reports.run("reach").section("summary").rows[0]
    equity = net.reports.run("equity").section("overall").rows[0]
    delivered = len(net.notifications.messages(status="delivered"))
    lines = [
        f"Reach: {reach.members:,} members, {reach.leaders:,} leaders, counties covered "
        f"{reach.coverage}; they support {reach.teachers_supported or 0:,} teachers and reach "
        f"{reach.students_reached or 0:,} students.",
        f"Equity: {equity.percent_of_known}% of members who said serve historically "
        "marginalized students.",
        f"Academy: {story.academy_applications} applications "
        f"({sum(story.academy_refused.values())} refused as ineligible), "
        f"{story.offers_expired} offer expired and passed on; the convening refused "
        f"{story.quota_refusals} registrations over an office's quota.",
        f"Surveys: {story.responses} responses; completed: "
        + ", ".join(f"{title} {n}" for title, n in story.completed.items())
        + ".",
        f"Notifications: {delivered} messages delivered through the log channel in "
        f"{story.ticks} ticks.",
    ]
    if story.zoom_import is not None and story.zoom_file is not None:
        lines.append(f"Zoom report {story.zoom_file.name}: {story.zoom_import.summary()}")
    return lines
