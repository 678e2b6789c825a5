"""Fixtures for the California plugin's tests: networks and a sample workbook."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from california_testdata import XLSX_COLUMNS, fixed_clock, write_xlsx, xlsx_row

from cpnetwork import Network


@pytest.fixture
def net() -> Iterator[Network]:
    with Network.open("memory://", clock=fixed_clock) as network:
        yield network


@pytest.fixture
def sqlite_net(tmp_path: Path) -> Iterator[Network]:
    with Network.open(f"sqlite:///{tmp_path / 'network.db'}", clock=fixed_clock) as network:
        yield network


@pytest.fixture
def sample_xlsx(tmp_path: Path) -> Path:
    """The sample directory in the 2018 Excel layout, written at test time.

    Codes arrive the ways Excel gives them: CDS codes and NCES ids as numbers that lost
    their leading zeros as well as text, dates as datetimes and as serial day numbers.
    """
    coe = "County Office of Education (COE)"
    rows = [
        xlsx_row(
            CDSCode=1100170000000,  # a number: the leading zero is gone
            NCESDist=691051,
            StatusType="Active",
            County="Alameda",
            District="Alameda County Office of Education",
            WebSite="www.acoe.example.org",
            DOC="00",
            DOCType=coe,
            OpenDate="",
        ),
        xlsx_row(
            CDSCode="01999990000000",
            NCESDist="0699999",
            StatusType="Active",
            County="Alameda",
            District="Cerro Vista Unified",
            DOC="54",
            DOCType="Unified School District",
        ),
        xlsx_row(
            CDSCode="01999996000001",
            NCESDist="0699999",
            NCESSchool=1,  # a number: "00001"
            StatusType="Active",
            County="Alameda",
            District="Cerro Vista Unified",
            School="Peña Adobe Elementary",
            OpenDate=datetime(1999, 8, 15),
            LastUpDate=43116,  # Excel serial day: 2018-01-16
            DOC="54",
            SOC="60",
        ),
        xlsx_row(
            CDSCode=1999996000002.0,  # a float, as some exports write numbers
            NCESDist="0699999",
            NCESSchool="00002",
            StatusType="Closed",
            County="Alameda",
            District="Cerro Vista Unified",
            School="Old Mill Middle",
            OpenDate=23986,  # 1965-09-01
            ClosedDate=42185,  # 2015-06-30
            DOC="54",
            SOC="62",
        ),
    ]
    return write_xlsx(tmp_path / "pubschls.xlsx", XLSX_COLUMNS, rows)
