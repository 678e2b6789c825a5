"""California's counties and the county superintendents' service regions.

The data is the plugin's own ``data/counties.csv`` (see ``data/SOURCE.md`` beside it):
the 58 counties with their CDE county codes (``"01"`` Alameda ... ``"58"`` Yuba, the
first two digits of every CDS code) and the 11 CCSESA service regions, keyed by region
number (``"1"`` .. ``"11"``).

County codes and names are verified against the CDE directory.  Region assignments are
verified for 52 counties; six are **inferred**, not verified: Ventura (region 8), Inyo,
Mono, Riverside, San Bernardino (region 10) and Los Angeles (region 11).  The column
``region_basis`` of the data file says which.  Region names are display labels; key on
the number.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources

from attrs import frozen

from cpnetwork.model import County, Jurisdiction, Region

#: The jurisdiction code used for California.
STATE_CODE = "CA"

#: How a county's region assignment is known (the data file's ``region_basis``).
INFERRED = "inferred"


@frozen(kw_only=True)
class CountyRow:
    """One line of the data file: a county, its region and how the region is known."""

    code: str
    name: str
    region: str
    region_name: str
    region_basis: str

    @property
    def region_inferred(self) -> bool:
        return self.region_basis == INFERRED


@cache
def county_rows() -> tuple[CountyRow, ...]:
    """The 58 counties, sorted by code, as written in the plugin's data file."""
    text = (
        resources.files("cpnetwork_california")
        .joinpath("data/counties.csv")
        .read_text(encoding="utf-8")
    )
    return tuple(
        CountyRow(
            code=line["county_code"],
            name=line["county_name"],
            region=line["ccsesa_region"],
            region_name=line["ccsesa_region_name"],
            region_basis=line["region_basis"],
        )
        for line in csv.DictReader(io.StringIO(text))
    )


@cache
def county_names() -> dict[str, str]:
    """County names by CDE county code: ``{"01": "Alameda", ...}``."""
    return {row.code: row.name for row in county_rows()}


def inferred_region_counties() -> list[str]:
    """Codes of the counties whose region assignment is inferred, not verified."""
    return [row.code for row in county_rows() if row.region_inferred]


@cache
def california() -> Jurisdiction:
    """The State of California: 11 CCSESA regions and 58 counties with CDE codes."""
    rows = county_rows()
    regions: dict[str, str] = {}
    for row in rows:
        regions.setdefault(row.region, row.region_name)
    return Jurisdiction(
        code=STATE_CODE,
        name="California",
        regions=tuple(
            Region(code=code, name=name)
            for code, name in sorted(regions.items(), key=lambda item: int(item[0]))
        ),
        counties=tuple(
            County(code=row.code, name=row.name, region_code=row.region) for row in rows
        ),
    )
