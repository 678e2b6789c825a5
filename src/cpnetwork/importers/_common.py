"""What the built-in importers share: options, finding a program, errors by row."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cpnetwork.errors import BatchError, CpnetworkError, NotFoundError, ValidationError
from cpnetwork.importers.base import ImportFileError, RowError
from cpnetwork.model import Program

if TYPE_CHECKING:
    from cpnetwork.network import Network


class Options:
    """An importer's ``options``: known names, read once each; unknown ones are errors."""

    def __init__(
        self, given: Mapping[str, str] | None, known: Iterable[str], prefixes: Iterable[str] = ()
    ) -> None:
        self._given = dict(given or {})
        self._known = {*known, "max_records"}
        self._prefixes = tuple(prefixes)

    def get(self, name: str) -> str | None:
        value = self._given.get(name)
        return value.strip() if value is not None else None

    def prefixed(self, prefix: str) -> dict[str, str]:
        """Options named ``prefix`` + something, by that something."""
        return {
            key.removeprefix(prefix): value
            for key, value in self._given.items()
            if key.startswith(prefix)
        }

    def problems(self) -> list[RowError]:
        errors = []
        for key in sorted(self._given):
            if key in self._known or key.startswith(self._prefixes):
                continue
            known = ", ".join(sorted([*self._known, *(f"{p}FIELD" for p in self._prefixes)]))
            errors.append(
                RowError(row=None, column=None, reason=f"unknown option {key!r} ({known})")
            )
        return errors


def positive_number(
    options: Options, name: str, errors: list[RowError], *, at_most: float = 1e9
) -> float | None:
    """An option holding a positive, finite number (at most ``at_most``), or None when
    not given; ``nan``, ``inf`` and the like are errors naming the option."""
    text = options.get(name)
    if text is None or text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (0 < value <= at_most):  # nan compares false
        reason = f"option {name}={text!r} is not a positive number up to {at_most:g}"
        errors.append(RowError(row=None, column=None, reason=reason))
        return None
    return value


#: How many records one import may create or change unless ``max_records`` says more.
DEFAULT_MAX_RECORDS = 100_000


def record_limit(options: Options, errors: list[RowError]) -> int:
    """The ``max_records`` option (a whole number), else :data:`DEFAULT_MAX_RECORDS`."""
    text = options.get("max_records")
    if not text:
        return DEFAULT_MAX_RECORDS
    if not text.isdecimal() or int(text) <= 0:
        reason = f"option max_records={text!r} is not a positive whole number"
        errors.append(RowError(row=None, column=None, reason=reason))
        return DEFAULT_MAX_RECORDS
    return int(text)


def check_record_limit(count: int, limit: int, what: str, errors: list[RowError]) -> None:
    """An error when an import would write more than ``limit`` records."""
    if count > limit:
        reason = (
            f"the file would write {count:,} {what}, more than the {limit:,} one import may "
            f"(give max_records={count} to allow it)"
        )
        errors.append(RowError(row=None, column=None, reason=reason))


def find_program(network: Network, wanted: str | None, errors: list[RowError]) -> Program | None:
    """The program given by id or exact title (option ``program``); errors if none or two."""
    if not wanted:
        errors.append(
            RowError(row=None, column=None, reason="option program=<id or title> is required")
        )
        return None
    try:
        return network.programs.get(wanted)
    except NotFoundError:
        pass
    titled = [p for p in network.programs.find() if p.title == wanted]
    if len(titled) == 1:
        return titled[0]
    if titled:
        years = ", ".join(str(p.program_year) for p in titled)
        reason = f"{len(titled)} programs are titled {wanted!r} (years {years}); give its id"
    else:
        reason = f"no program has the id or title {wanted!r}"
    errors.append(RowError(row=None, column=None, reason=reason))
    return None


def fail_if(errors: Sequence[RowError], path: Path) -> None:
    if errors:
        raise ImportFileError(str(path), errors)


def file_error(path: Path, error: CpnetworkError) -> ImportFileError:
    """A service's refusal of the whole file as an ImportFileError."""
    if isinstance(error, BatchError):
        return ImportFileError(str(path), batch_errors(error, {}))
    return ImportFileError(str(path), [RowError(row=None, column=None, reason=str(error))])


def reason_of(error: CpnetworkError) -> str:
    """An error's reason, with the field it names when it names one."""
    field = error.field if isinstance(error, ValidationError) else None
    return f"{error.reason} ({field})" if field else error.reason


def batch_errors(
    error: BatchError, where: Mapping[int, tuple[int | None, str | None]]
) -> list[RowError]:
    """A bulk service's refusals as row errors; ``where`` maps its references to places."""
    found = []
    for ref, problem in error.problems:
        row, column = where.get(ref, (None, None))
        found.append(RowError(row=row, column=column, reason=str(problem)))
    return found
