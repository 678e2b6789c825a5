"""Printing: rich tables on stdout, progress on stderr, user data printed inert.

Every data value reaches the terminal through :func:`plain` (a table cell, a title) or
:func:`echo` (a line), which pass it through :func:`terminal_safe`: a member's name
can neither be read as rich markup (``[bold]``) nor act on the terminal (escape
sequences, OSC title changes, bidi overrides such as U+202E).
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

import click
from rich import box
from rich.console import Console, RenderableType
from rich.progress import Progress as RichProgress
from rich.table import Table
from rich.text import Text

#: Width of tables written to a pipe or file (a terminal uses its own width).
PIPE_WIDTH = 160
#: Shown for a value that is not set.
NOTHING = "-"
#: Record ids are 32 hex digits: their columns never truncate them.
ID_WIDTH = 32


class Output:
    """Prints renderables on stdout (or stderr); to a pipe without trailing blanks."""

    def __init__(self, *, stderr: bool = False) -> None:
        # Made per command, so click's test runner captures what is printed.
        self.console = Console(stderr=stderr, highlight=False, soft_wrap=False)
        if not self.console.is_terminal and "COLUMNS" not in os.environ:
            self.console.width = PIPE_WIDTH

    def print(self, *items: RenderableType) -> None:
        if self.console.is_terminal:
            self.console.print(*items)
            return
        with self.console.capture() as captured:
            self.console.print(*items)
        lines = [line.rstrip() for line in captured.get().splitlines()]
        self.console.file.write("\n".join(lines) + "\n")


def console(*, stderr: bool = False) -> Output:
    """Where a command prints: stdout unless ``stderr``."""
    return Output(stderr=stderr)


#: Format characters that reorder text on screen (bidi embeddings, overrides, isolates
#: and marks): a name holding U+202E could show another name, or hide a command.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
#: Shown in place of each character :func:`terminal_safe` removes.
REPLACEMENT = "\ufffd"


def _safe_character(char: str, keep_newlines: bool) -> str:
    if char == "\n" and keep_newlines:
        return char
    if char in "\t\n\r\v\f":
        return " "
    category = unicodedata.category(char)
    if category == "Cc" or char in BIDI_CONTROLS:
        return REPLACEMENT
    if category in ("Zl", "Zp"):
        return " "
    return char


def terminal_safe(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` that cannot act on a terminal: control and bidi characters made inert.

    Control characters (C0 and C1, ESC and BEL among them, so no escape or OSC
    sequence survives) and bidi controls become U+FFFD; tabs, line breaks and line
    separators become spaces (``keep_newlines`` keeps ``\\n``, for messages).
    """
    if text.isprintable() and not BIDI_CONTROLS.intersection(text):
        return text
    return "".join(_safe_character(char, keep_newlines) for char in text)


def plain(value: object) -> Text:
    """A cell showing ``value`` literally and inert (see :func:`terminal_safe`)."""
    if value is None or value == "":
        return Text(NOTHING, style="dim")
    if isinstance(value, Enum):
        return Text(terminal_safe(str(value.value)))
    if isinstance(value, bool):
        return Text("yes" if value else "no")
    if isinstance(value, frozenset | set | tuple | list):
        items = sorted(str(v.value if isinstance(v, Enum) else v) for v in value)
        if not items:
            return Text(NOTHING, style="dim")
        return Text(terminal_safe(", ".join(items)))
    return Text(terminal_safe(str(value)))


def echo(message: object, *, err: bool = False) -> None:
    """``click.echo`` of a line that may quote data, made inert (see :func:`terminal_safe`)."""
    click.echo(terminal_safe(str(message), keep_newlines=True), err=err)


def _title(title: str | None) -> Text | None:
    return None if title is None else Text(terminal_safe(title), style="table.title")


def moment(value: datetime | None, zone: str | None = None) -> str:
    """A datetime on the wall clock of ``zone`` (its own when None), minutes precision."""
    if value is None:
        return NOTHING
    local = value.astimezone(ZoneInfo(zone)) if zone else value
    return local.strftime("%Y-%m-%d %H:%M %Z").strip()


def span(value: timedelta | None) -> str:
    """``1 day, 2:30`` → ``1d 2h 30m``."""
    if value is None:
        return NOTHING
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    return " ".join(parts) or "0m"


def table(title: str | None, *columns: str, ids: Iterable[str] = ("id",)) -> Table:
    """A table with these columns; columns named in ``ids`` hold record ids whole."""
    shown = Table(title=_title(title), box=box.SIMPLE_HEAD, title_justify="left")
    id_columns = set(ids)
    for name in columns:
        if name in id_columns:
            shown.add_column(name, no_wrap=True, min_width=ID_WIDTH)
        else:
            shown.add_column(name)
    return shown


def details(rows: Iterable[tuple[str, RenderableType]], title: str | None = None) -> Table:
    """Label / value lines for ``show`` commands."""
    grid = Table(
        title=_title(title), box=None, show_header=False, title_justify="left", pad_edge=False
    )
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for label, value in rows:
        grid.add_row(label, value if not isinstance(value, str) else plain(value))
    return grid


@contextmanager
def working(message: str) -> Iterator[None]:
    """A spinner on stderr while a long call runs, shown only on a terminal."""
    err = Output(stderr=True).console
    if not err.is_terminal:
        yield
        return
    with err.status(Text(message), spinner="dots"):
        yield


@contextmanager
def progress_bar(message: str) -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar on stderr (on a terminal) fed by ``progress(step, done, total)``."""
    err = Output(stderr=True).console
    if not err.is_terminal:
        yield lambda step, done, total: None
        return
    with RichProgress(console=err, transient=True) as bar:
        task = bar.add_task(message, total=None)

        def advance(step: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=f"{message}: {step}")

        yield advance
