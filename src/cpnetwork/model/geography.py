"""Jurisdictions: the state, its regions and counties, as plugins describe them.

The core knows no state: jurisdiction data arrives through the
``register_jurisdictions`` hook and is reference data, not stored records.
"""

from __future__ import annotations

from attrs import field, frozen

from cpnetwork.model import _validators as v


@frozen(kw_only=True, field_transformer=v.checked_fields)
class Region:
    code: str = field(validator=v.non_empty)
    name: str = ""


@frozen(kw_only=True, field_transformer=v.checked_fields)
class County:
    code: str = field(validator=v.non_empty)
    name: str = field(validator=v.non_empty)
    region_code: str | None = None


@frozen(kw_only=True, field_transformer=v.checked_fields)
class Jurisdiction:
    """A state (or any area) with its regions and counties."""

    code: str = field(validator=v.non_empty)
    name: str = ""
    regions: tuple[Region, ...] = ()
    counties: tuple[County, ...] = ()

    def county(self, code_or_name: str) -> County | None:
        """Find a county by code or by (case-insensitive) name."""
        key = code_or_name.strip().casefold()
        for county in self.counties:
            if county.code.casefold() == key or county.name.casefold() == key:
                return county
        return None

    def region_of(self, county_code: str) -> Region | None:
        county = self.county(county_code)
        if county is None or county.region_code is None:
            return None
        return next((r for r in self.regions if r.code == county.region_code), None)
