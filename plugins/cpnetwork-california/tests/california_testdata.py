"""Helpers for the California plugin's tests (a uniquely named module: tests import it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
#: The project root (plugins/cpnetwork-california/tests -> the repository).
ROOT = HERE.parents[2]
#: Real public data beside the project (absent on a fresh clone of the project alone).
REAL = ROOT.parent / "shared" / "data" / "real"
SAMPLE_TXT = HERE / "data" / "pubschls_sample.txt"

#: The 2018 Excel layout's 49 columns, in the CDE's order.
XLSX_COLUMNS = (
    "CDSCode",
    "NCESDist",
    "NCESSchool",
    "StatusType",
    "County",
    "District",
    "School",
    "Street",
    "StreetAbr",
    "City",
    "Zip",
    "State",
    "MailStreet",
    "MailStrAbr",
    "MailCity",
    "MailZip",
    "MailState",
    "Phone",
    "Ext",
    "WebSite",
    "OpenDate",
    "ClosedDate",
    "Charter",
    "CharterNum",
    "FundingType",
    "DOC",
    "DOCType",
    "SOC",
    "SOCType",
    "EdOpsCode",
    "EdOpsName",
    "EILCode",
    "EILName",
    "GSoffered",
    "GSserved",
    "Virtual",
    "Magnet",
    "Latitude",
    "Longitude",
    "AdmFName1",
    "AdmLName1",
    "AdmEmail1",
    "AdmFName2",
    "AdmLName2",
    "AdmEmail2",
    "AdmFName3",
    "AdmLName3",
    "AdmEmail3",
    "LastUpDate",
)

#: Fictional administrators written into the sample files; never to be stored.
ADMIN_FIRST = "Zebulon"
ADMIN_LAST = "Quixotic-Adminson"
ADMIN_EMAIL = "zq.adminson@example.org"


def real_file(*parts: str) -> Path:
    """A file under ../shared/data/real, or skip the test (one line) where it is absent."""
    path = REAL.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not present: {path}")
    return path


def fixed_clock() -> datetime:
    return datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


def write_xlsx(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    """A one-sheet workbook, as the CDE's 2018 export: header row, then one row per record."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "pubschls"
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def xlsx_row(**values: Any) -> list[Any]:
    """A 49-column row of the 2018 layout: given values, empty cells elsewhere."""
    defaults: dict[str, Any] = {
        "State": "CA",
        "AdmFName1": ADMIN_FIRST,
        "AdmLName1": ADMIN_LAST,
        "AdmEmail1": ADMIN_EMAIL,
    }
    defaults.update(values)
    unknown = set(defaults) - set(XLSX_COLUMNS)
    assert not unknown, unknown
    return [defaults.get(column) for column in XLSX_COLUMNS]
