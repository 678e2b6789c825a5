"""A workbook whose ``<dimension>`` element is stale is read whole (issue 10)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from california_testdata import XLSX_COLUMNS, write_xlsx, xlsx_row
from cpnetwork_california import read_directory

from cpnetwork import Network


def stale_dimension(path: Path, dimension: str) -> None:
    """Rewrite the first sheet's ``<dimension ref=...>`` as other tools leave it."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    xml = parts[sheet].decode()
    xml, count = re.subn(r'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"', xml)
    assert count == 1
    parts[sheet] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


def twelve_rows(path: Path) -> Path:
    """A county office, a district and ten schools: twelve data rows."""
    rows = [
        xlsx_row(
            CDSCode="01100170000000",
            StatusType="Active",
            County="Alameda",
            District="Alameda County Office of Education",
            DOC="00",
        ),
        xlsx_row(
            CDSCode="01999990000000",
            StatusType="Active",
            County="Alameda",
            District="Cerro Vista Unified",
            DOC="54",
        ),
    ]
    for number in range(1, 11):
        rows.append(
            xlsx_row(
                CDSCode=f"0199999{6000000 + number:07d}",
                StatusType="Active",
                County="Alameda",
                District="Cerro Vista Unified",
                School=f"School {number}",
                DOC="54",
            )
        )
    return write_xlsx(path, XLSX_COLUMNS, rows)


def test_a_stale_dimension_does_not_hide_rows(net: Network, tmp_path: Path) -> None:
    path = twelve_rows(tmp_path / "pubschls.xlsx")
    stale_dimension(path, "A1:C5")

    directory = read_directory(path)

    assert directory.errors == ()
    assert len(directory.records) == 12
    report = net.import_file("cde-schools", path)
    assert report.created == 12
