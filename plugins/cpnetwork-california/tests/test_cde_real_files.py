"""The cde-schools importer on the real CDE files in ../shared/data/real/cde (skipped if absent)."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from california_testdata import fixed_clock, real_file
from cpnetwork_california import california, read_directory

from cpnetwork import Network
from cpnetwork.model import Organization, OrganizationKind
from cpnetwork.testing import snapshot

KIND = "cde-schools"
EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


def test_2026_excerpt_txt(net: Network) -> None:
    path = real_file("cde", "pubschls_2026_excerpt.txt")
    report = net.import_file(KIND, path)
    assert (report.created, report.updated, report.unchanged) == (9, 0, 0)
    orgs = {o.identifiers["cds"]: o for o in net.organizations.find()}
    office = orgs["01100170000000"]
    assert office.kind is OrganizationKind.COUNTY_OFFICE
    assert office.name == "Alameda County Office of Education"
    assert office.website == "www.acoe.org"
    schools = [o for o in orgs.values() if o.kind is OrganizationKind.SCHOOL]
    assert len(schools) == 8
    assert all(s.parent_id == office.id and s.county == "01" for s in schools)
    assert Counter(o.status.value for o in orgs.values()) == {
        "active": 5,
        "closed": 3,
        "merged": 1,
    }
    # "Information Not Available" is no website.
    assert orgs["01100170118489"].website is None
    assert orgs["01100170112607"].identifiers == {
        "cds": "01100170112607",
        "nces_district": "0691051",
        "nces_school": "069105110947",
    }
    assert net.import_file(KIND, path).unchanged == 9


@pytest.fixture(scope="module")
def imported_2018(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Network, float]]:
    """The full 17,813-row 2018 workbook imported once into SQLite, with the time it took."""
    path = real_file("cde", "pubschls_2018-01.xlsx")
    db = tmp_path_factory.mktemp("cde") / "network.db"
    with Network.open(f"sqlite:///{db}", clock=fixed_clock) as net:
        started = time.perf_counter()
        report = net.import_file(KIND, path)
        elapsed = time.perf_counter() - started
        assert (report.created, report.updated, report.unchanged) == (17_813, 0, 0)
        yield net, elapsed


def _all(net: Network) -> list[Organization]:
    return net.organizations.find()


def test_2018_xlsx_imports_in_reasonable_time(imported_2018: tuple[Network, float]) -> None:
    _, elapsed = imported_2018
    assert elapsed < 60, f"full 2018 directory took {elapsed:.1f} s"


def test_2018_xlsx_counts_by_kind_and_status(imported_2018: tuple[Network, float]) -> None:
    net, _ = imported_2018
    orgs = _all(net)
    assert len(orgs) == 17_813
    kinds = Counter(o.kind for o in orgs)
    assert kinds == {
        OrganizationKind.COUNTY_OFFICE: 60,  # 58 offices + 2 merged Los Angeles records
        OrganizationKind.DISTRICT: 1_314,
        OrganizationKind.SCHOOL: 16_439,
    }
    assert kinds[OrganizationKind.COUNTY_OFFICE] + kinds[OrganizationKind.DISTRICT] == 1_374
    statuses = Counter(o.status.value for o in orgs)
    assert statuses == {"active": 11_707, "closed": 4_652, "merged": 1_444, "pending": 10}
    counties = {o.county for o in orgs}
    assert counties == {c.code for c in california().counties}
    assert len(counties) == 58


def test_2018_xlsx_parents(imported_2018: tuple[Network, float]) -> None:
    net, _ = imported_2018
    orgs = _all(net)
    by_id = {o.id: o for o in orgs}
    schools = OrganizationKind.SCHOOL
    district_level = {o.identifiers["cds"]: o for o in orgs if o.kind is not schools}
    offices = [o for o in orgs if o.kind is OrganizationKind.COUNTY_OFFICE]
    active_offices = {o.county for o in offices if o.status.value == "active"}
    assert len(active_offices) == 58  # one active county office in every county
    for office in offices:
        assert office.parent_id is None
    for org in orgs:
        if org.kind is OrganizationKind.DISTRICT:
            parent = by_id[org.parent_id] if org.parent_id else None
            assert parent is not None and parent.kind is OrganizationKind.COUNTY_OFFICE
            assert parent.county == org.county and parent.status.value == "active"
        elif org.kind is OrganizationKind.SCHOOL:
            district = district_level.get(org.identifiers["cds"][:7] + "0000000")
            # Every school has its district-level record as parent where the file has one.
            assert org.parent_id == (district.id if district else None)
    orphans = [o for o in orgs if o.kind is OrganizationKind.SCHOOL and o.parent_id is None]
    assert len(orphans) == 69  # community colleges, youth authority, CEA: no district row


def test_2018_xlsx_identifiers(imported_2018: tuple[Network, float]) -> None:
    net, _ = imported_2018
    office = net.organizations.find_by_identifier("cds", "19101990000000")
    assert office is not None
    assert office.name == "Los Angeles County Office of Education"
    assert office.identifiers["nces_district"] == "0691078"
    for org in _all(net):
        assert len(org.identifiers["cds"]) == 14
        nces_district = org.identifiers.get("nces_district")
        assert nces_district is None or (len(nces_district) == 7 and nces_district[:2] == "06")
        nces_school = org.identifiers.get("nces_school")
        assert nces_school is None or (len(nces_school) == 12 and nces_school.isdigit())


def test_2018_xlsx_no_administrator_data_stored(imported_2018: tuple[Network, float]) -> None:
    net, _ = imported_2018
    path = real_file("cde", "pubschls_2018-01.xlsx")
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    rows = workbook.worksheets[0].iter_rows(values_only=True)
    header = list(next(rows))
    email_columns = [header.index(f"AdmEmail{n}") for n in (1, 2, 3)]
    emails = {str(row[i]).strip() for row in rows for i in email_columns if row[i]}
    workbook.close()
    assert sum("@" in e for e in emails) > 1_000
    stored = json.dumps(net.export_data())
    # "@" alone is in school names ("Insight @ San Diego"); e-mail addresses are not.
    assert EMAIL.findall(stored) == []
    words = {w.strip('",{}[]:').casefold() for w in stored.split()}
    assert not words & {e.casefold() for e in emails}


def test_2018_xlsx_reimport_changes_nothing(imported_2018: tuple[Network, float]) -> None:
    net, _ = imported_2018
    path = real_file("cde", "pubschls_2018-01.xlsx")
    before = snapshot(net)
    report = net.import_file(KIND, path)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 17_813)
    assert snapshot(net) == before


def test_2018_xlsx_reader_dates(tmp_path: Path) -> None:
    directory = read_directory(real_file("cde", "pubschls_2018-01.xlsx"))
    assert directory.layout == "xlsx"
    assert directory.errors == ()
    newest = max(r.last_update for r in directory.records if r.last_update)
    assert newest.isoformat() == "2018-01-16"
    assert sum(r.closed_date is not None for r in directory.records) > 4_000
