"""Running handlers: one command, or a stream of them, in one unit of work.

A handler is a function ``handle(uow, command) -> result`` that makes one change.
The single call of a service is the many call with one item: both go through
:func:`run`, so a rule a handler applies holds alike for one record and for a
million.  Many commands are checked and applied one after another in the same unit
of work; the problems of all of them are collected and raised together as one
:class:`~cpnetwork.errors.BatchError` (the transaction then rolls back, writing
nothing), so the caller can name every bad item.  A dry run does the same work in the
same transaction and then rolls it back, so it finds exactly the problems a real run
would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from cpnetwork.errors import BatchError, CpnetworkError, StorageError
from cpnetwork.services.context import Context
from cpnetwork.services.unit_of_work import UnitOfWork

C = TypeVar("C")
R = TypeVar("R")


class _DryRun(Exception):
    """Raised at the end of a dry run's transaction so the store rolls it back."""


@contextmanager
def unit_of_work(context: Context, *, dry_run: bool = False) -> Iterator[UnitOfWork]:
    """A unit of work that, with ``dry_run``, does everything and then rolls back.

    A rolled-back dry run delivers no events to observers.
    """
    try:
        with context.unit_of_work() as uow:
            yield uow
            if dry_run:
                uow.flush()
                raise _DryRun
    except _DryRun:
        pass


def run(
    context: Context,
    handle: Callable[[UnitOfWork, C], R],
    commands: Iterable[C],
    *,
    kind: str,
    dry_run: bool = False,
    keep: bool = True,
) -> list[R]:
    """Apply ``handle`` to every command in one unit of work; all or nothing."""
    with unit_of_work(context, dry_run=dry_run) as uow:
        return apply_all(uow, handle, commands, kind=kind, keep=keep)


def run_one(context: Context, handle: Callable[[UnitOfWork, C], R], command: C) -> R:
    """The many call with one item: its error is raised as it is."""
    with context.unit_of_work() as uow:
        return apply_all(uow, handle, [command], kind="", single=True)[0]


def apply_all(
    uow: UnitOfWork,
    handle: Callable[[UnitOfWork, C], R],
    commands: Iterable[C],
    *,
    kind: str,
    keep: bool = True,
    single: bool = False,
    ref: Callable[[C], int] | None = None,
) -> list[R]:
    """Apply ``handle`` to every command inside ``uow``.

    ``commands`` may be any iterable (a generator of a million rows): it is consumed
    once, as the work goes.  The problems of all commands are raised together as a
    :class:`~cpnetwork.errors.BatchError` naming ``kind``; with ``single`` the first
    problem is raised as it is.  Problems are referred to by position, counted from 1,
    or by ``ref(command)``.  With ``keep=False`` results are not collected, so memory
    stays flat.
    """
    results: list[R] = []
    problems: list[tuple[int, CpnetworkError]] = []
    for number, command in enumerate(commands, start=1):
        if single:
            results.append(handle(uow, command))
            continue
        try:
            result = handle(uow, command)
        except StorageError:
            raise
        except CpnetworkError as exc:
            problems.append((number if ref is None else ref(command), exc))
            continue
        if keep:
            results.append(result)
    if problems:
        raise BatchError(kind, problems)
    return results
