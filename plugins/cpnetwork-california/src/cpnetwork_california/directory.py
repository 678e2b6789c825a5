"""Reading the CDE Public Schools and Districts directory (``pubschls``).

Two layouts are read, both by column name (never by position):

* the current tab-delimited ``pubschls.txt`` (46 columns): missing values are the
  literal ``No Data``, dates are ``MM/DD/YYYY``, the encoding may be UTF-8 or
  Windows-1252 / Latin-1;
* the older Excel ``pubschls.xlsx`` (49 columns): missing values are empty cells,
  dates are Excel dates or serial day numbers, and codes may arrive as numbers that
  lost their leading zeros.

Only the columns the network needs are taken from each row; the administrators'
names and e-mails (``AdmFName*``, ``AdmLName*``, ``AdmEmail*``) are never read into a
record.

How a row is told apart (the directory has one row per school *and* per district-level
record):

* school part of the CDS code not ``0000000``: a **school**;
* school part ``0000000`` and ``DOC`` (District Ownership Code) ``00`` ("County Office of
  Education (COE)"), or district part ``00000``: a **county office**;
* any other school part ``0000000``: a **district** (elementary, high, unified, but also
  the other local education agencies the CDE lists as districts: State Board of
  Education charters, statewide benefit charters, state special schools, ROC/Ps...).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Generator, Iterator, Sequence
from contextlib import closing
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from attrs import frozen

from cpnetwork.importers import ImportFileError, RowError
from cpnetwork.model import OrganizationKind, OrganizationStatus
from cpnetwork_california.cds import NO_DISTRICT, CdsCode, cds_problem, parse_cds
from cpnetwork_california.geography import county_names

#: Values that mean "missing" in the text layout (compared case-insensitively).
MISSING = frozenset({"", "no data", "information not available"})

#: The DOC (District Ownership Code) of county offices of education.
COUNTY_OFFICE_DOC = "00"

#: The columns read; the others (addresses, administrators...) are skipped.
REQUIRED_COLUMNS = ("CDSCode", "StatusType", "District", "School")
OPTIONAL_COLUMNS = (
    "NCESDist",
    "NCESSchool",
    "County",
    "WebSite",
    "OpenDate",
    "ClosedDate",
    "DOC",
    "DOCType",
    "SOC",
    "SOCType",
    "LastUpDate",
)

_STATUSES = {status.value: status for status in OrganizationStatus}
_EXCEL_EPOCH = date(1899, 12, 30)
_ZIP_MAGIC = b"PK\x03\x04"


@frozen(kw_only=True)
class DirectoryRecord:
    """One valid row of the directory: a county office, a district or a school."""

    #: Data row number in the file, counting from 1 (header excluded).
    row: int
    cds: CdsCode
    kind: OrganizationKind
    status: OrganizationStatus
    name: str
    county: str
    district_name: str | None = None
    nces_district: str | None = None
    nces_school: str | None = None
    website: str | None = None
    open_date: date | None = None
    closed_date: date | None = None
    last_update: date | None = None
    doc: str | None = None
    doc_type: str | None = None
    soc: str | None = None
    soc_type: str | None = None


@frozen(kw_only=True)
class DirectoryFile:
    """What reading a directory file gave: valid records and every problem found."""

    source: str
    layout: str
    records: tuple[DirectoryRecord, ...]
    errors: tuple[RowError, ...]

    def raise_for_errors(self) -> None:
        if self.errors:
            raise ImportFileError(self.source, self.errors)


def read_directory(path: str | Path) -> DirectoryFile:
    """Read and check a whole ``pubschls`` file (.txt or .xlsx, told apart by content).

    Raises :class:`~cpnetwork.importers.ImportFileError` when the file cannot be read at
    all (missing, not a table, required columns absent); problems in rows are returned
    in ``errors`` with their row and column, so the caller sees all of them at once.
    """
    path = Path(path)
    source = str(path)
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise ImportFileError(source, [RowError(row=None, column=None, reason=str(exc))]) from exc
    if magic == _ZIP_MAGIC:
        layout, rows = "xlsx", _xlsx_rows(path, source)
    else:
        layout, rows = "txt", _text_rows(path, source)
    records: list[DirectoryRecord] = []
    errors: list[RowError] = []
    with closing(rows):
        try:
            _check_rows(rows, layout, source, records, errors)
        except csv.Error as exc:
            reason = f"not a readable table: {exc}"
            raise ImportFileError(source, [RowError(row=None, column=None, reason=reason)]) from exc
    return DirectoryFile(source=source, layout=layout, records=tuple(records), errors=tuple(errors))


def _check_rows(
    rows: Iterator[Sequence[Any]],
    layout: str,
    source: str,
    records: list[DirectoryRecord],
    errors: list[RowError],
) -> None:
    header = next(rows, None)
    if header is None:
        raise ImportFileError(source, [RowError(row=None, column=None, reason="the file is empty")])
    columns = _columns(header, source)
    width = len(header)
    for number, cells in enumerate(rows, start=1):
        if all(_blank(cell) for cell in cells):
            continue
        if layout == "txt" and len(cells) != width:
            reason = f"has {len(cells)} fields, the header has {width}"
            errors.append(RowError(row=number, column=None, reason=reason))
            continue
        values = {name: (cells[i] if i < len(cells) else None) for name, i in columns.items()}
        try:
            record = _record(number, values, errors)
        except Exception as exc:  # a surprise: still named by its row
            reason = f"cannot read the row: {type(exc).__name__}: {exc}"
            errors.append(RowError(row=number, column=None, reason=reason))
            continue
        if record is not None:
            records.append(record)


# -- the two layouts ------------------------------------------------------------------


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) if it decodes, else Windows-1252, else Latin-1."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _text_rows(path: Path, source: str) -> Generator[Sequence[Any]]:
    try:
        text = _decode(path.read_bytes())
    except OSError as exc:
        raise ImportFileError(source, [RowError(row=None, column=None, reason=str(exc))]) from exc
    first_line = text.split("\n", 1)[0]
    if "\t" in first_line:
        yield from csv.reader(io.StringIO(text, newline=""), delimiter="\t", quoting=csv.QUOTE_NONE)
    else:
        yield from csv.reader(io.StringIO(text, newline=""))


def _xlsx_rows(path: Path, source: str) -> Generator[Sequence[Any]]:
    from openpyxl import load_workbook

    # A file object, not the path: openpyxl refuses paths not ending in .xlsx, and the
    # layout is told by content, not by name.
    with path.open("rb") as handle:
        try:
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except Exception as exc:  # zipfile, XML and openpyxl errors alike: unreadable
            reason = f"not a readable .xlsx workbook: {exc!r}"
            error = RowError(row=None, column=None, reason=reason)
            raise ImportFileError(source, [error]) from exc
        try:
            started = False
            sheet = workbook.worksheets[0]
            # Read-only mode trusts the sheet's <dimension> element, which tools other
            # than Excel often leave stale (A1:C5 on a sheet of 12 rows): forget it, so
            # every row the sheet holds is read.
            sheet.reset_dimensions()
            for cells in sheet.iter_rows(values_only=True):
                # Empty rows before the header are skipped; later ones are kept so
                # row numbers stay those of the sheet's data rows.
                if not started and all(_blank(cell) for cell in cells):
                    continue
                started = True
                yield cells
        finally:
            workbook.close()


# -- columns and cells ----------------------------------------------------------------


def _columns(header: Sequence[Any], source: str) -> dict[str, int]:
    """Positions of the columns read, matched by name (case and blanks ignored)."""
    wanted = {name.casefold(): name for name in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)}
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = str(cell).strip().lstrip("\ufeff").casefold() if cell is not None else ""
        name = wanted.get(key)
        if name is not None and name not in found:
            found[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in found]
    if missing:
        raise ImportFileError(
            source,
            [
                RowError(row=None, column=name, reason="required column missing from the header")
                for name in missing
            ],
        )
    return found


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _text(cell: Any) -> str | None:
    """A cell as stripped text, None when missing (empty, ``No Data``...)."""
    if cell is None:
        return None
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = str(cell).strip()
    return None if text.casefold() in MISSING else text


def _digits(cell: Any, width: int) -> str | None:
    """An identifier of ``width`` digits; numbers get their leading zeros back."""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    if isinstance(cell, int) and not isinstance(cell, bool):
        return f"{cell:0{width}d}"
    return _text(cell)


def _date(cell: Any) -> date | None:
    """A date from ``MM/DD/YYYY``, ``YYYY-MM-DD``, an Excel date or serial day number."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return _EXCEL_EPOCH + timedelta(days=int(cell))
    text = _text(cell)
    if text is None:
        return None
    for layout in ("%m/%d/%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, layout).date()
        except ValueError:
            continue
    if text.replace(".", "", 1).isdigit():
        return _EXCEL_EPOCH + timedelta(days=int(float(text)))
    raise ValueError(f"{text!r} is not a date (expected MM/DD/YYYY)")


def _record(number: int, values: dict[str, Any], errors: list[RowError]) -> DirectoryRecord | None:
    """Check one row; append its problems to ``errors`` and return None if it has any."""
    problems: list[RowError] = []

    def problem(column: str, reason: str) -> None:
        problems.append(RowError(row=number, column=column, reason=reason))

    raw_cds = _digits(values["CDSCode"], 14)
    cds: CdsCode | None = None
    if raw_cds is None:
        problem("CDSCode", "missing CDS code")
    else:
        reason = cds_problem(raw_cds)
        if reason is None:
            cds = parse_cds(raw_cds)
        else:
            problem("CDSCode", reason)

    status_text = _text(values["StatusType"])
    status = _STATUSES.get(status_text.casefold()) if status_text else None
    if status is None:
        known = ", ".join(s.capitalize() for s in _STATUSES)
        problem("StatusType", f"unknown status {status_text!r} (expected {known})")

    county_text = _text(values.get("County"))
    if cds is not None and county_text is not None:
        expected = county_names()[cds.county]
        if county_text.casefold() != expected.casefold():
            problem(
                "County",
                f"{county_text!r} does not match the CDS county code {cds.county} ({expected})",
            )

    ids: dict[str, str | None] = {}
    for column, width in (("NCESDist", 7), ("NCESSchool", 5)):
        value = _digits(values.get(column), width)
        if value is not None and not (len(value) == width and value.isascii() and value.isdigit()):
            problem(column, f"{value!r} is not a {width}-digit NCES id")
            value = None
        ids[column] = value

    dates: dict[str, date | None] = {}
    for column in ("OpenDate", "ClosedDate", "LastUpDate"):
        try:
            dates[column] = _date(values.get(column))
        except (ValueError, OverflowError) as exc:
            problem(column, str(exc) if isinstance(exc, ValueError) else "date out of range")
            dates[column] = None

    doc = _digits(values.get("DOC"), 2)
    doc_type = _text(values.get("DOCType"))
    district_name = _text(values["District"])
    school_name = _text(values["School"])
    kind: OrganizationKind | None = None
    name: str | None = None
    if cds is not None:
        kind = _kind(cds, doc, doc_type)
        name_column = "School" if kind is OrganizationKind.SCHOOL else "District"
        name = school_name if kind is OrganizationKind.SCHOOL else district_name
        if name is None:
            problem(name_column, f"missing name of the {kind.value.replace('_', ' ')}")

    errors.extend(problems)
    if problems or cds is None or status is None or kind is None or name is None:
        return None
    return DirectoryRecord(
        row=number,
        cds=cds,
        kind=kind,
        status=status,
        name=name,
        county=cds.county,
        district_name=district_name,
        nces_district=ids["NCESDist"],
        nces_school=ids["NCESSchool"],
        website=_text(values.get("WebSite")),
        open_date=dates["OpenDate"],
        closed_date=dates["ClosedDate"],
        last_update=dates["LastUpDate"],
        doc=doc,
        doc_type=doc_type,
        soc=_digits(values.get("SOC"), 2),
        soc_type=_text(values.get("SOCType")),
    )


def _kind(cds: CdsCode, doc: str | None, doc_type: str | None) -> OrganizationKind:
    if not cds.is_district_level:
        return OrganizationKind.SCHOOL
    if cds.district == NO_DISTRICT or doc == COUNTY_OFFICE_DOC:
        return OrganizationKind.COUNTY_OFFICE
    if doc is None and doc_type is not None and doc_type.casefold().startswith("county office"):
        return OrganizationKind.COUNTY_OFFICE
    return OrganizationKind.DISTRICT
