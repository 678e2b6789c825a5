"""The CA jurisdiction: 58 counties with CDE codes, 11 CCSESA regions, given by the plugin."""

from __future__ import annotations

import csv

from california_testdata import fixed_clock, real_file
from cpnetwork_california import california, county_rows, inferred_region_counties

from cpnetwork import Network
from cpnetwork.model import Jurisdiction


def test_fifty_eight_counties_with_cde_codes_in_order() -> None:
    ca = california()
    assert ca.code == "CA"
    assert ca.name == "California"
    assert len(ca.counties) == 58
    assert [c.code for c in ca.counties] == [f"{n:02d}" for n in range(1, 59)]
    assert (ca.counties[0].code, ca.counties[0].name) == ("01", "Alameda")
    assert (ca.counties[-1].code, ca.counties[-1].name) == ("58", "Yuba")
    names = [c.name for c in ca.counties]
    assert names == sorted(names)  # CDE codes follow the alphabet


def test_eleven_regions_cover_every_county() -> None:
    ca = california()
    assert [r.code for r in ca.regions] == [str(n) for n in range(1, 12)]
    assert all(c.region_code in {r.code for r in ca.regions} for c in ca.counties)
    by_region: dict[str, list[str]] = {}
    for county in ca.counties:
        assert county.region_code is not None
        by_region.setdefault(county.region_code, []).append(county.name)
    assert sorted(by_region["5"]) == ["Monterey", "San Benito", "Santa Clara", "Santa Cruz"]
    assert by_region["11"] == ["Los Angeles"]
    assert len(by_region["2"]) == 9


def test_lookups_by_code_or_name() -> None:
    ca = california()
    fresno = ca.county("10")
    assert fresno is not None and fresno.name == "Fresno"
    assert ca.county("los angeles") == ca.county("19")
    region = ca.region_of("Sacramento")
    assert region is not None and region.code == "3"
    assert ca.county("59") is None


def test_inferred_region_assignments_are_marked() -> None:
    names = {row.code: row.name for row in county_rows()}
    inferred = {names[code] for code in inferred_region_counties()}
    assert inferred == {"Ventura", "Inyo", "Mono", "Riverside", "San Bernardino", "Los Angeles"}
    assert {row.region_basis for row in county_rows()} == {"cde-rsdss", "cde-calserve", "inferred"}


def test_codes_names_and_regions_match_the_shared_reference_file() -> None:
    path = real_file("ca_counties_regions.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        reference = [
            (row["county_code"], row["county_name"], row["ccsesa_region"])
            for row in csv.DictReader(handle)
        ]
    ours = [(c.code, c.name, c.region_code) for c in california().counties]
    assert ours == reference


def test_installed_plugin_gives_every_network_the_jurisdiction() -> None:
    with Network.open("memory://", clock=fixed_clock) as net:
        assert "california" in net.plugins.names()
        assert net.plugins.versions["california"] == "cpnetwork-california 0.1.0"
        assert [j.code for j in net.jurisdictions] == ["CA"]
        assert isinstance(net.jurisdictions[0], Jurisdiction)
        assert "cde-schools" in net.importers


def test_the_core_without_this_plugin_knows_no_state() -> None:
    with Network.open("memory://", clock=fixed_clock, block_plugins=["california"]) as net:
        assert "california" not in net.plugins.names()
        assert net.jurisdictions == []
        assert "cde-schools" not in net.importers
    with Network.open("memory://", clock=fixed_clock, load_entrypoints=False) as net:
        assert net.jurisdictions == []
