"""The importer contract every built-in and plugin importer follows.

An importer reads a whole file, validates every row, and only then writes, all or
nothing.  Problems are collected as :class:`RowError` (row, column, reason) and raised
together as one :class:`ImportFileError`.  With ``dry_run`` it reports what would
change and writes nothing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from attrs import field, frozen

from cpnetwork.errors import ValidationError
from cpnetwork.model._validators import str_tuple

if TYPE_CHECKING:
    from cpnetwork.network import Network


@frozen(kw_only=True)
class RowError:
    """One problem in an input file; ``row`` counts data rows from 1 (header excluded)."""

    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.reason}" if where else self.reason


def listing(items: Iterable[str], limit: int = 10, *, quoted: bool = True) -> str:
    """``'a', 'b', 'c'`` for at most ``limit`` items, then "… and N more": a file with
    ten thousand columns gets an error message of a line, not of 89 KB."""
    shown = list(items)
    head = ", ".join(shorten(repr(i) if quoted else i, 80) for i in shown[:limit])
    return f"{head} … and {len(shown) - limit} more" if len(shown) > limit else head


def shorten(text: str, limit: int = 300) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


class ImportFileError(ValidationError):
    """A file could not be imported; nothing was written.  ``errors`` lists every problem."""

    def __init__(self, source: str, errors: Sequence[RowError]) -> None:
        self.errors = tuple(errors)
        shown = "; ".join(shorten(str(e)) for e in self.errors[:5])
        more = f" (and {len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
        super().__init__("file", source, f"{len(self.errors)} problem(s): {shown}{more}")


@frozen(kw_only=True)
class ImportReport:
    """What an import changed (or, in a dry run, would change)."""

    kind: str
    source: str
    dry_run: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: Lines worth showing the user: unmatched participants, skipped rows...
    notes: tuple[str, ...] = field(default=(), converter=str_tuple)

    def summary(self) -> str:
        verb = "would create" if self.dry_run else "created"
        line = (
            f"{self.kind} from {self.source}: {verb} {self.created}, "
            f"{'would update' if self.dry_run else 'updated'} {self.updated}, "
            f"unchanged {self.unchanged}"
        )
        return "\n".join([line, *self.notes])


class Importer(ABC):
    """Reads one kind of file into a network; registered through ``register_importers``."""

    #: The name users pick it by: ``cpnetwork import <kind> FILE``.
    kind: ClassVar[str]
    #: One line for ``--help`` and ``cpnetwork plugins``.
    description: ClassVar[str] = ""

    @abstractmethod
    def run(
        self,
        network: Network,
        path: Path,
        *,
        dry_run: bool = False,
        options: Mapping[str, str] | None = None,
    ) -> ImportReport:
        """Import ``path``; raise ImportFileError listing every bad row, writing nothing."""
