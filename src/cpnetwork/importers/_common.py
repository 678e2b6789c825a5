"""What the built-in importers share: options, finding a program, errors by row."""

from __future__ import annotations

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
        self._known = set(known)
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


def positive_number(options: Options, name: str, errors: list[RowError]) -> float | None:
    """An option holding a positive number, or None when not given."""
    text = options.get(name)
    if text is None or text == "":
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value <= 0:
        errors.append(
            RowError(row=None, column=None, reason=f"{name}={text!r} is not a positive number")
        )
        return None
    return value


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
