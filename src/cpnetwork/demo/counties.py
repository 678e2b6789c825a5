"""California's 58 counties and their county offices of education, from the jurisdiction.

The counties and CCSESA regions come from the ``cpnetwork-california`` plugin (its
``data/counties.csv`` is ``shared/data/real/ca_counties_regions.csv``), through the
``register_jurisdictions`` hook like any network's geography.
"""

from __future__ import annotations

from cpnetwork.errors import ValidationError
from cpnetwork.model import County, Jurisdiction, Organization
from cpnetwork.network import Network

#: The jurisdiction code of California (the ``cpnetwork-california`` plugin's).
STATE = "CA"


def california(net: Network) -> Jurisdiction:
    """California as the installed plugins describe it (ValidationError without it)."""
    for jurisdiction in net.jurisdictions:
        if jurisdiction.code == STATE:
            return jurisdiction
    raise ValidationError(
        "jurisdiction",
        STATE,
        "the demo needs California's counties: install the cpnetwork-california plugin "
        "(pip install -e plugins/cpnetwork-california; `make demo` does)",
    )


def office_name(county: County) -> str:
    return f"{county.name} County Office of Education"


def add_county_offices(net: Network, state: Jurisdiction) -> dict[str, Organization]:
    """One county office of education per county, by county code."""
    offices = net.organizations.add_many(
        Organization(name=office_name(county), kind="county_office", county=county.code)
        for county in state.counties
    )
    return {office.county or "": office for office in offices}
