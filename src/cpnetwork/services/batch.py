"""Batches that are all or nothing, and dry runs that roll back.

The bulk services (members, applications, calendar sessions) do a whole batch in one
unit of work.  They check every item, collect each item's error instead of stopping
at the first, and raise one :class:`BatchError` at the end, so the transaction rolls
back and the caller can name every bad item.  A dry run does the same work in the same
transaction and then rolls it back, so it finds exactly the problems a real run would.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from cpnetwork.errors import CpnetworkError, ValidationError
from cpnetwork.services.context import Context, UnitOfWork


class BatchError(ValidationError):
    """Items of a batch were refused; nothing was written.

    ``problems`` pairs each refused item's reference (the number its caller gave it)
    with the error it raised.
    """

    def __init__(self, kind: str, problems: Sequence[tuple[int, CpnetworkError]]) -> None:
        self.problems = tuple(problems)
        shown = "; ".join(f"item {ref}: {error}" for ref, error in self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(kind, None, f"{len(self.problems)} item(s) refused: {shown}{more}")


class _DryRun(Exception):
    """Raised at the end of a dry run's transaction so the store rolls it back."""


@contextmanager
def unit_of_work(context: Context, *, dry_run: bool) -> Iterator[UnitOfWork]:
    """A unit of work that, with ``dry_run``, does everything and then rolls back.

    A rolled-back dry run delivers no events to observers.
    """
    try:
        with context.unit_of_work() as uow:
            yield uow
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
