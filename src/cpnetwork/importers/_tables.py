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

import codecs
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


#: Byte-order marks and the encodings they announce (UTF-32 before UTF-16: FF FE 00 00
#: starts both).
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def read_text(path: Path, encoding: str | None, errors: list[RowError]) -> str | None:
    """The file's text: in ``encoding`` if given, else as its byte-order mark says (UTF-8,
    UTF-16 or UTF-32, as Excel's "Unicode text" writes), else UTF-16 if its zero bytes
    say so, else UTF-8, else Windows-1252."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        errors.append(RowError(row=None, column=None, reason=f"cannot read the file: {exc}"))
        return None
    bom = next((name for mark, name in _BOMS if data.startswith(mark)), None) or _utf16(data)
    tried = [encoding] if encoding else [bom] if bom else ["utf-8-sig", "cp1252"]
    for name in tried:
        try:
            return data.decode(name).removeprefix("\ufeff")
        except (UnicodeDecodeError, LookupError):
            continue
    reason = f"the file is not text in {' or '.join(tried)}; give encoding=..."
    errors.append(RowError(row=None, column=None, reason=reason))
    return None


def _utf16(data: bytes) -> str | None:
    """UTF-16 without a byte-order mark, told by its zero bytes: ASCII text in UTF-16-LE
    has a zero at every odd position, in UTF-16-BE at every even one."""
    head = data[:2000]
    if len(head) < 4 or len(head) % 2 or b"\x00" not in head:
        return None
    odd, even = head[1::2].count(0), head[0::2].count(0)
    half = len(head) // 2
    if odd > half * 0.6 and even == 0:
        return "utf-16-le"
    if even > half * 0.6 and odd == 0:
        return "utf-16-be"
    return None


def read_records(text: str, errors: list[RowError]) -> list[list[str]] | None:
    """The CSV records of ``text`` (header included); an unreadable one is an error
    naming its record (the header is record 0, so data rows keep their numbers).

    A cell longer than the ``csv`` module's limit (131,072 characters unless the
    application changed it: the limit is the process's, so it is left alone) is such
    an error; it is longer than any text field of the model anyway.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[list[str]] = []
    try:
        records.extend(reader)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            reason = f"a cell is longer than {csv.field_size_limit():,} characters"
        else:
            reason = f"not readable as CSV: {exc}"
        where = f"line {reader.line_num} of the file"
        errors.append(RowError(row=len(records), column=None, reason=f"{reason} ({where})"))
        return None
    return records


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
    records = read_records(text, errors)
    if records is None:
        return None
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
