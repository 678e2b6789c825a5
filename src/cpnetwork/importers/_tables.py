"""Reading form-tool CSV exports (Google Forms, Microsoft Forms, SurveyMonkey) as tables.

UTF-8 (with or without the byte-order mark Excel writes) or Windows-1252, the ``csv``
module's dialect, answers with line breaks inside quotes.  SurveyMonkey's two-row
header (questions, then "Response" / answer choices) is merged: the columns of one
multiple-choice question become one column whose cell lists the ticked choices,
separated by ``;``.  Blank rows are skipped but counted, so row numbers are the data
rows' positions (1 = the first row after the header), as a spreadsheet shows them
shifted by the header.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from attrs import frozen

from cpnetwork.importers.base import RowError

if TYPE_CHECKING:
    pass


#: SurveyMonkey's second header row names these under each question.
_SUBHEADERS = {"response", "open-ended response"}


@frozen
class Table:
    """A CSV file's columns and its non-blank data rows as ``(row number, cells)``."""

    headers: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]


def read_text(path: Path, encoding: str | None, errors: list[RowError]) -> str | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        errors.append(RowError(row=None, column=None, reason=f"cannot read the file: {exc}"))
        return None
    tried = [encoding] if encoding else ["utf-8-sig", "cp1252"]
    for name in tried:
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    reason = f"the file is not text in {' or '.join(tried)}; give encoding=..."
    errors.append(RowError(row=None, column=None, reason=reason))
    return None


def _blank(cells: Sequence[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def _unique(headers: Iterable[str]) -> list[str]:
    """Headers made unique ("Question", "Question (2)") and never empty."""
    seen: dict[str, int] = {}
    names = []
    for number, header in enumerate(headers, start=1):
        name = header.strip() or f"Column {number}"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return names


def _surveymonkey(header: list[str], second: list[str]) -> list[str] | None:
    """Column names from SurveyMonkey's two header rows, or None if it is not one."""
    if not any(c.strip().casefold() == "respondent id" for c in header):
        return None
    if not any(c.strip().casefold() in _SUBHEADERS for c in second):
        return None
    merged, question = [], ""
    for number, cell in enumerate(header, start=1):
        question = cell.strip() or question or f"Column {number}"
        merged.append(question)
    return merged


def parse_table(text: str, errors: list[RowError]) -> Table | None:
    """The table in ``text``; problems (ragged rows, no header) go to ``errors``."""
    records = list(csv.reader(io.StringIO(text, newline="")))
    while records and _blank(records[0]):
        records.pop(0)
    if not records:
        errors.append(RowError(row=None, column=None, reason="the file has no header row"))
        return None
    header = records[0]
    body = records[1:]
    merged = _surveymonkey(header, body[0]) if body else None
    if merged is not None:
        body = body[1:]
        names = list(dict.fromkeys(merged))
    else:
        names = _unique(header)
        merged = names
    rows = []
    for number, cells in enumerate(body, start=1):
        if _blank(cells):
            continue
        if len(cells) > len(header) and not _blank(cells[len(header) :]):
            errors.append(
                RowError(
                    row=number,
                    column=None,
                    reason=f"has {len(cells)} cells but the header names {len(header)} columns",
                )
            )
            continue
        values: dict[str, list[str]] = {name: [] for name in names}
        for column, cell in zip(merged, cells, strict=False):
            if cell.strip():
                values[column].append(cell.strip())
        rows.append((number, {name: "; ".join(parts) for name, parts in values.items()}))
    return Table(headers=tuple(names), rows=tuple(rows))


def read_table(path: Path, encoding: str | None, errors: list[RowError]) -> Table | None:
    text = read_text(path, encoding, errors)
    return parse_table(text, errors) if text is not None else None


# -- headers ------------------------------------------------------------------------
