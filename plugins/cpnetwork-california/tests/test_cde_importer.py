"""The cde-schools importer on the project's own small files (runs on a fresh clone)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from attrs import evolve
from california_testdata import (
    ADMIN_EMAIL,
    ADMIN_FIRST,
    ADMIN_LAST,
    SAMPLE_TXT,
    XLSX_COLUMNS,
    write_xlsx,
    xlsx_row,
)
from cpnetwork_california import read_directory

from cpnetwork import Network, NotFoundError, ValidationError
from cpnetwork.importers import ImportFileError
from cpnetwork.model import Organization, OrganizationKind, OrganizationStatus
from cpnetwork.testing import snapshot

KIND = "cde-schools"


def by_cds(net: Network) -> dict[str, Organization]:
    return {o.identifiers["cds"]: o for o in net.organizations.find() if "cds" in o.identifiers}


def sample_lines() -> list[str]:
    return SAMPLE_TXT.read_bytes().decode("cp1252").split("\r\n")


def write_txt(path: Path, lines: list[str], encoding: str = "cp1252") -> Path:
    path.write_bytes("\r\n".join(lines).encode(encoding))
    return path


def edit_cell(lines: list[str], cds: str, column: str, value: str) -> list[str]:
    header = lines[0].split("\t")
    edited = []
    for line in lines:
        cells = line.split("\t")
        if cells[0] == cds:
            cells[header.index(column)] = value
        edited.append("\t".join(cells))
    return edited


# -- the text layout -------------------------------------------------------------------


def test_sample_txt_creates_county_offices_districts_and_schools(net: Network) -> None:
    report = net.import_file(KIND, SAMPLE_TXT)
    assert (report.created, report.updated, report.unchanged) == (11, 0, 0)
    assert "2 county offices, 2 districts, 7 schools" in report.notes[0]
    orgs = by_cds(net)
    kinds = {code: o.kind for code, o in orgs.items()}
    assert [c for c, k in kinds.items() if k is OrganizationKind.COUNTY_OFFICE] == [
        "01100170000000",
        "10101080000000",
    ]
    assert sorted(c for c, k in kinds.items() if k is OrganizationKind.DISTRICT) == [
        "01999990000000",
        "10888880000000",
    ]
    assert sum(k is OrganizationKind.SCHOOL for k in kinds.values()) == 7


def test_parents_school_to_district_to_county_office(net: Network) -> None:
    net.import_file(KIND, SAMPLE_TXT)
    orgs = by_cds(net)
    alameda_office = orgs["01100170000000"]
    district = orgs["01999990000000"]
    school = orgs["01999996000001"]
    assert alameda_office.parent_id is None
    assert district.parent_id == alameda_office.id
    assert school.parent_id == district.id
    # A school run by the county office hangs under the county office.
    assert orgs["01100170130419"].parent_id == alameda_office.id
    # Fresno's closed district still belongs to Fresno's office.
    assert orgs["10888880000000"].parent_id == orgs["10101080000000"].id
    assert orgs["10888886000005"].parent_id == orgs["10888880000000"].id
    assert [o.name for o in net.organizations.children(district.id)] == [
        "Harbor View High",
        "Northgate Academy",
        "Old Mill Middle",
        "Peña Adobe Elementary",
    ]


def test_school_without_a_district_record_has_no_parent_and_a_note(net: Network) -> None:
    report = net.import_file(KIND, SAMPLE_TXT)
    assert by_cds(net)["10777776000006"].parent_id is None
    assert any(
        "1 school has no district record" in n and "10777776000006" in n for n in report.notes
    )


def test_fields_county_identifiers_status_website(net: Network) -> None:
    net.import_file(KIND, SAMPLE_TXT)
    orgs = by_cds(net)
    pena = orgs["01999996000001"]
    assert pena.name == "Peña Adobe Elementary"  # Windows-1252 decoded
    assert pena.county == "01"
    assert pena.identifiers == {
        "cds": "01999996000001",
        "nces_district": "0699999",
        "nces_school": "069999900001",
    }
    assert pena.website == "www.pena.example.org"
    assert orgs["01999990000000"].identifiers == {
        "cds": "01999990000000",
        "nces_district": "0699999",
    }
    assert orgs["10777776000006"].identifiers == {"cds": "10777776000006"}
    assert orgs["10101080000000"].county == "10"
    # "Information Not Available" and "No Data" are missing values.
    assert orgs["01999996000002"].website is None
    assert orgs["01999996000003"].website is None
    statuses = {code: o.status for code, o in orgs.items()}
    assert statuses["01999996000002"] is OrganizationStatus.CLOSED
    assert statuses["01999996000003"] is OrganizationStatus.MERGED
    assert statuses["01999996000004"] is OrganizationStatus.PENDING
    assert list(statuses.values()).count(OrganizationStatus.ACTIVE) == 6
    assert (
        net.organizations.find_by_identifier("nces_school", "069999900002")
        == orgs["01999996000002"]
    )


def test_reader_parses_dates_and_keeps_other_columns_out(tmp_path: Path) -> None:
    directory = read_directory(SAMPLE_TXT)
    assert directory.layout == "txt"
    assert directory.errors == ()
    old_mill = next(r for r in directory.records if str(r.cds) == "01999996000002")
    assert old_mill.open_date == date(1965, 9, 1)
    assert old_mill.closed_date == date(2015, 6, 30)
    assert old_mill.last_update == date(2026, 6, 1)
    assert old_mill.soc == "62"
    assert old_mill.row == 5
    assert not hasattr(old_mill, "__dict__")  # slotted: no stray columns ride along


def test_administrators_are_never_stored(net: Network) -> None:
    net.import_file(KIND, SAMPLE_TXT)
    stored = json.dumps(net.export_data(), ensure_ascii=False)
    assert ADMIN_FIRST not in stored
    assert ADMIN_LAST not in stored
    directory = read_directory(SAMPLE_TXT)
    assert ADMIN_FIRST not in repr(directory)
    assert ADMIN_LAST not in repr(directory)


# -- idempotency and dry runs ---------------------------------------------------------


def test_reimport_changes_nothing_and_duplicates_nothing(net: Network) -> None:
    net.import_file(KIND, SAMPLE_TXT)
    before = snapshot(net)
    report = net.import_file(KIND, SAMPLE_TXT)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 11)
    assert snapshot(net) == before


def test_reimport_updates_changed_rows_and_adds_new_ones(net: Network, tmp_path: Path) -> None:
    net.import_file(KIND, SAMPLE_TXT)
    ids = {code: o.id for code, o in by_cds(net).items()}
    lines = edit_cell(sample_lines(), "01999996000004", "StatusType", "Active")
    lines = edit_cell(lines, "01999996000001", "School", "Peña Adobe Elementary School")
    new_school = lines[4].split("\t")
    new_school[0] = "01999996000009"
    new_school[2] = "00009"
    new_school[6] = "Cerro Vista Continuation"
    lines.insert(-1, "\t".join(new_school))
    report = net.import_file(KIND, write_txt(tmp_path / "pubschls.txt", lines))
    assert (report.created, report.updated, report.unchanged) == (1, 2, 9)
    orgs = by_cds(net)
    assert len(orgs) == 12
    assert {code: orgs[code].id for code in ids} == ids  # same records, updated in place
    assert orgs["01999996000004"].status is OrganizationStatus.ACTIVE
    assert orgs["01999996000001"].name == "Peña Adobe Elementary School"
    assert orgs["01999996000009"].parent_id == ids["01999990000000"]


def test_other_identifier_schemes_and_unmanaged_records_are_kept(net: Network) -> None:
    museum = net.organizations.add(name="Exploratorium", kind="museum", county="38")
    net.import_file(KIND, SAMPLE_TXT)
    school = by_cds(net)["01999996000001"]
    net.organizations.update(school.id, identifiers={**school.identifiers, "crm": "A-17"})
    report = net.import_file(KIND, SAMPLE_TXT)
    assert report.unchanged == 11
    assert net.organizations.get(school.id).identifiers["crm"] == "A-17"
    assert net.organizations.get(museum.id) == museum


def test_dry_run_reports_and_writes_nothing(net: Network, tmp_path: Path) -> None:
    before = snapshot(net)
    report = net.import_file(KIND, SAMPLE_TXT, dry_run=True)
    assert report.dry_run
    assert (report.created, report.updated, report.unchanged) == (11, 0, 0)
    assert "would create 11" in report.summary()
    assert snapshot(net) == before
    net.import_file(KIND, SAMPLE_TXT)
    after_import = snapshot(net)
    changed = edit_cell(sample_lines(), "01999990000000", "WebSite", "www.cvusd.example.org")
    report = net.import_file(KIND, write_txt(tmp_path / "p.txt", changed), dry_run=True)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 10)
    assert snapshot(net) == after_import


# -- bad files ---------------------------------------------------------------------------


def test_bad_rows_are_all_listed_and_nothing_is_written(net: Network, tmp_path: Path) -> None:
    lines = sample_lines()
    lines = edit_cell(lines, "01999996000002", "StatusType", "Dormant")
    lines = edit_cell(lines, "01999996000003", "CDSCode", "0199999600003")
    lines = edit_cell(lines, "10888886000005", "CDSCode", "61888886000005")
    lines = edit_cell(lines, "01999996000004", "OpenDate", "2026/20/08")
    lines = edit_cell(lines, "01999996000001", "County", "Fresno")
    lines = edit_cell(lines, "01999990000000", "NCESDist", "69999")
    before = snapshot(net)
    with pytest.raises(ImportFileError) as caught:
        net.import_file(KIND, write_txt(tmp_path / "bad.txt", lines))
    found = {(e.row, e.column) for e in caught.value.errors}
    assert found == {
        (3, "NCESDist"),
        (4, "County"),
        (5, "StatusType"),
        (6, "CDSCode"),
        (7, "OpenDate"),
        (10, "CDSCode"),
    }
    reasons = {(e.row, e.column): e.reason for e in caught.value.errors}
    assert "unknown status 'Dormant'" in reasons[(5, "StatusType")]
    assert "expected 14 digits" in reasons[(6, "CDSCode")]
    assert "'61' is not a California county code" in reasons[(10, "CDSCode")]
    assert "does not match the CDS county code 01 (Alameda)" in reasons[(4, "County")]
    assert "6 problem(s)" in str(caught.value)
    assert "row 5, column 'StatusType'" in str(caught.value)
    assert snapshot(net) == before


def test_repeated_codes_and_missing_names_are_refused(net: Network, tmp_path: Path) -> None:
    lines = sample_lines()
    lines.insert(-1, lines[5])
    lines = edit_cell(lines, "01999990000000", "District", "No Data")
    with pytest.raises(ImportFileError) as caught:
        net.import_file(KIND, write_txt(tmp_path / "dup.txt", lines))
    reasons = {(e.row, e.column): e.reason for e in caught.value.errors}
    assert reasons[(12, "CDSCode")] == "CDS code 01999996000002 repeats row 5"
    assert "missing name of the district" in reasons[(3, "District")]
    assert net.organizations.find() == []


def test_missing_required_column_is_refused(net: Network, tmp_path: Path) -> None:
    lines = [line.replace("StatusType", "Status", 1) for line in sample_lines()]
    with pytest.raises(ImportFileError) as caught:
        net.import_file(KIND, write_txt(tmp_path / "cols.txt", lines))
    assert [(e.row, e.column) for e in caught.value.errors] == [(None, "StatusType")]


def test_short_row_and_unreadable_files_are_refused(net: Network, tmp_path: Path) -> None:
    lines = sample_lines()
    lines[2] = "\t".join(lines[2].split("\t")[:10])
    with pytest.raises(ImportFileError, match="row 2: has 10 fields, the header has 46"):
        net.import_file(KIND, write_txt(tmp_path / "short.txt", lines))
    with pytest.raises(ImportFileError, match="No such file"):
        net.import_file(KIND, tmp_path / "absent.txt")
    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(ImportFileError, match="empty"):
        net.import_file(KIND, tmp_path / "empty.txt")
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ImportFileError, match=r"not a readable \.xlsx"):
        net.import_file(KIND, tmp_path / "broken.xlsx")
    with pytest.raises(ValidationError, match="takes no options"):
        net.import_file(KIND, SAMPLE_TXT, sheet="2")
    assert net.organizations.find() == []


# -- columns by name, encodings -----------------------------------------------------------


def test_columns_are_matched_by_name_not_position(net: Network, tmp_path: Path) -> None:
    rows = [line.split("\t") for line in sample_lines() if line]
    order = list(reversed(range(len(rows[0]))))
    shuffled = ["\t".join(row[i] for i in order) for row in rows]
    net.import_file(KIND, write_txt(tmp_path / "reversed.txt", shuffled))
    assert len(net.organizations.find()) == 11
    assert by_cds(net)["01999996000001"].name == "Peña Adobe Elementary"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_encodings_are_detected(net: Network, tmp_path: Path, encoding: str) -> None:
    path = write_txt(tmp_path / f"{encoding}.txt", sample_lines(), encoding=encoding)
    net.import_file(KIND, path)
    assert by_cds(net)["01999996000001"].name == "Peña Adobe Elementary"


def test_latin1_bytes_undefined_in_windows_1252_still_decode(net: Network, tmp_path: Path) -> None:
    lines = edit_cell(sample_lines(), "01999996000002", "Street", "Stra\x8fe 1")
    net.import_file(KIND, write_txt(tmp_path / "latin1.txt", lines, encoding="latin-1"))
    assert by_cds(net)["01999996000001"].name == "Peña Adobe Elementary"


def test_comma_separated_export_is_read_too(net: Network, tmp_path: Path) -> None:
    rows = [line.split("\t") for line in sample_lines() if line]
    lines = [",".join(f'"{cell}"' if "," in cell else cell for cell in row) for row in rows]
    net.import_file(KIND, write_txt(tmp_path / "pubschls.csv", lines))
    assert len(net.organizations.find()) == 11


# -- the Excel layout ------------------------------------------------------------------------


def test_xlsx_with_numbers_for_codes_and_serial_dates(net: Network, sample_xlsx: Path) -> None:
    directory = read_directory(sample_xlsx)
    assert directory.layout == "xlsx"
    assert directory.errors == ()
    records = {str(r.cds): r for r in directory.records}
    assert set(records) == {
        "01100170000000",
        "01999990000000",
        "01999996000001",
        "01999996000002",
    }
    assert records["01100170000000"].nces_district == "0691051"
    assert records["01100170000000"].open_date is None  # an empty-string cell
    assert records["01999996000001"].nces_school == "00001"
    assert records["01999996000001"].open_date == date(1999, 8, 15)
    assert records["01999996000001"].last_update == date(2018, 1, 16)
    assert records["01999996000002"].open_date == date(1965, 9, 1)
    assert records["01999996000002"].closed_date == date(2015, 6, 30)

    report = net.import_file(KIND, sample_xlsx)
    assert (report.created, report.updated, report.unchanged) == (4, 0, 0)
    orgs = by_cds(net)
    assert orgs["01100170000000"].kind is OrganizationKind.COUNTY_OFFICE
    assert orgs["01999990000000"].parent_id == orgs["01100170000000"].id
    assert orgs["01999996000001"].parent_id == orgs["01999990000000"].id
    assert orgs["01999996000001"].identifiers["nces_school"] == "069999900001"
    assert orgs["01999996000002"].status is OrganizationStatus.CLOSED
    assert orgs["01999990000000"].website is None  # an empty cell


def test_xlsx_reimport_is_idempotent_and_dry_run_writes_nothing(
    net: Network, sample_xlsx: Path
) -> None:
    before = snapshot(net)
    assert net.import_file(KIND, sample_xlsx, dry_run=True).created == 4
    assert snapshot(net) == before
    net.import_file(KIND, sample_xlsx)
    report = net.import_file(KIND, sample_xlsx)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 4)


def test_xlsx_administrator_names_and_emails_are_never_stored(
    net: Network, sample_xlsx: Path
) -> None:
    net.import_file(KIND, sample_xlsx)
    stored = json.dumps(net.export_data(), ensure_ascii=False)
    for secret in (ADMIN_FIRST, ADMIN_LAST, ADMIN_EMAIL):
        assert secret not in stored
        assert secret not in repr(read_directory(sample_xlsx))


def test_xlsx_bad_rows_are_listed_and_nothing_is_written(net: Network, tmp_path: Path) -> None:
    rows = [
        xlsx_row(CDSCode="01100170000000", StatusType="Active", District="Alameda COE", DOC="00"),
        xlsx_row(CDSCode=123, StatusType="Active", District="Too Short"),
        xlsx_row(CDSCode="01999990000000", StatusType=None, District="No Status"),
        xlsx_row(CDSCode="01999990000000", StatusType="Active", District="X", NCESDist="06ABCDE"),
        xlsx_row(CDSCode="01999990000001", StatusType="Active", School="Y", OpenDate=10**12),
    ]
    path = write_xlsx(tmp_path / "bad.xlsx", XLSX_COLUMNS, rows)
    with pytest.raises(ImportFileError) as caught:
        net.import_file(KIND, path)
    assert {(e.row, e.column) for e in caught.value.errors} == {
        (2, "CDSCode"),
        (3, "StatusType"),
        (4, "NCESDist"),
        (5, "OpenDate"),
    }
    assert "date out of range" in str(caught.value)
    assert net.organizations.find() == []


def test_xlsx_columns_by_name_in_any_order(net: Network, tmp_path: Path) -> None:
    header = ["School", "StatusType", "District", "CDSCode", "DOC"]
    rows = [
        [None, "Active", "Alameda County Office of Education", "01100170000000", "00"],
        [
            "Bayside Court School",
            "Active",
            "Alameda County Office of Education",
            1100170130419,
            "00",
        ],
    ]
    net.import_file(KIND, write_xlsx(tmp_path / "few.xlsx", header, rows))
    orgs = by_cds(net)
    assert orgs["01100170130419"].parent_id == orgs["01100170000000"].id


# -- SQLite ------------------------------------------------------------------------------


def test_import_and_reimport_on_sqlite(sqlite_net: Network, tmp_path: Path) -> None:
    report = sqlite_net.import_file(KIND, SAMPLE_TXT)
    assert report.created == 11
    assert sqlite_net.organizations.find_by_identifier("cds", "01999990000000") is not None
    assert sqlite_net.import_file(KIND, SAMPLE_TXT).unchanged == 11
    changed = edit_cell(sample_lines(), "10888880000000", "StatusType", "Merged")
    report = sqlite_net.import_file(KIND, write_txt(tmp_path / "p.txt", changed))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 10)
    district = sqlite_net.organizations.find_by_identifier("cds", "10888880000000")
    assert district is not None and district.status is OrganizationStatus.MERGED


def test_workbook_is_told_by_content_not_by_name(net: Network, sample_xlsx: Path) -> None:
    renamed = sample_xlsx.rename(sample_xlsx.with_name("pubschls-download.dat"))
    assert read_directory(renamed).layout == "xlsx"
    assert net.import_file(KIND, renamed).created == 4


def test_reader_collects_row_problems_for_callers(tmp_path: Path) -> None:
    lines = edit_cell(sample_lines(), "01999996000002", "StatusType", "Dormant")
    directory = read_directory(write_txt(tmp_path / "bad.txt", lines))
    assert len(directory.records) == 10
    assert [(e.row, e.column) for e in directory.errors] == [(5, "StatusType")]
    with pytest.raises(ImportFileError, match="unknown status 'Dormant'"):
        directory.raise_for_errors()
    read_directory(SAMPLE_TXT).raise_for_errors()


# -- the facade's bulk update the importer writes with ---------------------------------------


def test_save_many_creates_and_updates_in_one_transaction_or_not_at_all(net: Network) -> None:
    office = net.organizations.add(name="Office", kind="county_office", county="01")
    district = net.organizations.add(name="District", kind="district", parent_id=office.id)
    school = net.organizations.add(name="School", kind="school", parent_id=district.id)
    annex = Organization(name="Annex", kind="school", parent_id=district.id)
    net.organizations.save_many([annex], [evolve(school, name="School 2")])
    assert net.organizations.get(school.id).name == "School 2"
    assert net.organizations.get(annex.id).name == "Annex"
    before = snapshot(net)
    with pytest.raises(NotFoundError):
        net.organizations.save_many(changed=[evolve(school, name="X", parent_id="nowhere")])
    with pytest.raises(NotFoundError):
        net.organizations.save_many(
            [Organization(name="New", kind="school")],
            [evolve(district, name="Y"), Organization(name="Never stored", kind="school")],
        )
    assert snapshot(net) == before


def test_a_stored_code_written_loosely_is_still_matched(net: Network) -> None:
    district = net.organizations.add(
        name="Cerro Vista USD", kind="district", identifiers={"cds": "01-99999-0000000"}
    )
    report = net.import_file(KIND, SAMPLE_TXT)
    assert (report.created, report.updated) == (10, 1)
    stored = net.organizations.get(district.id)
    assert stored.name == "Cerro Vista Unified"
    assert stored.identifiers["cds"] == "01999990000000"
