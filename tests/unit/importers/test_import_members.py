"""The ``members`` importer: form-tool CSV exports into members, all rows or none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cpnetwork import Network
from cpnetwork.fields import CustomField
from cpnetwork.hookspecs import hookimpl
from cpnetwork.importers import ImportFileError, RowError
from cpnetwork.model import County, GradeBand, Jurisdiction, Role
from cpnetwork.testing import snapshot
from cpnetwork.testing.pytest_plugin import FrozenClock

FIXTURES = Path(__file__).parent / "fixtures"
GOOGLE = FIXTURES / "members_google_forms.csv"


def errors_of(excinfo: pytest.ExceptionInfo[ImportFileError]) -> list[RowError]:
    return list(excinfo.value.errors)


class Counties:
    """A jurisdiction plugin knowing two counties, so names map to codes."""

    @hookimpl
    def register_jurisdictions(self) -> list[Jurisdiction]:
        return [
            Jurisdiction(
                code="CA",
                counties=(County(code="10", name="Fresno"), County(code="15", name="Kern")),
            )
        ]


class Badge:
    """A plugin declaring an integer custom member field."""

    @hookimpl
    def register_member_fields(self) -> list[CustomField]:
        return [CustomField(name="badge_number", type="integer")]


def test_is_registered_as_a_builtin_plugin(network: Network) -> None:
    assert {"members", "applications", "zoom-attendance", "ical-sessions"} <= set(network.importers)
    assert "register_importers" in network.plugins.hooks_of("cpnetwork.builtins.importers")


def test_google_forms_export_with_default_headers(network: Network) -> None:
    report = network.import_file("members", GOOGLE)

    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    ada = network.members.find_by_email("ada.okafor@sierra-usd.example.org")
    assert ada is not None
    assert (ada.given_name, ada.family_name) == ("Ada", "Okafor")
    assert ada.roles == {Role.TOSA, Role.INSTRUCTIONAL_COACH}
    assert ada.grade_bands == {GradeBand.GRADES_3_5, GradeBand.GRADES_6_8}
    assert ada.county == "Fresno"  # no jurisdiction plugin: kept as written
    ben = network.members.find_by_email("ben.liu@valley-coe.example.org")
    assert ben is not None and ben.roles == {Role.COUNTY_ADMINISTRATOR}
    carmen = network.members.find_by_email("carmen.diaz@coastal.example.org")
    assert carmen is not None and carmen.family_name == "Díaz" and carmen.county is None
    assert report.notes == ("columns not imported: Timestamp, Anything else we should know?",)


def test_county_names_become_codes_when_a_jurisdiction_knows_them(clock: FrozenClock) -> None:
    with Network.open(
        "memory://", clock=clock, load_entrypoints=False, plugins=[Counties()]
    ) as net:
        net.import_file("members", GOOGLE)
        ada = net.members.find_by_email("ada.okafor@sierra-usd.example.org")
        ben = net.members.find_by_email("ben.liu@valley-coe.example.org")
        assert ada is not None and ben is not None
        assert (ada.county, ben.county) == ("10", "15")


def test_unknown_county_is_a_row_error_when_counties_are_known(
    clock: FrozenClock, tmp_path: Path
) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("Email,County\nx@example.org,Atlantis County\n")
    with (
        Network.open("memory://", clock=clock, load_entrypoints=False, plugins=[Counties()]) as net,
        pytest.raises(ImportFileError) as excinfo,
    ):
        net.import_file("members", path)
    [error] = errors_of(excinfo)
    assert (error.row, error.column) == (1, "County")
    assert "not a county" in error.reason


def test_reimport_updates_only_where_the_file_has_values(network: Network, tmp_path: Path) -> None:
    network.import_file("members", GOOGLE)
    first = snapshot(network)
    assert network.import_file("members", GOOGLE).unchanged == 3
    assert snapshot(network) == first

    changed = tmp_path / "changed.csv"
    changed.write_text(
        "Email Address,First name,Last name,Role(s),Grade levels you support\n"
        "ada.okafor@sierra-usd.example.org,Adaeze,,,\n"
        "ben.liu@valley-coe.example.org,Ben,Liu,County administrator,9-12\n"
        "new.person@example.org,New,Person,Researcher,\n"
    )
    report = network.import_file("members", changed)

    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)
    ada = network.members.find_by_email("ada.okafor@sierra-usd.example.org")
    assert ada is not None
    # Empty cells leave what the member had.
    assert (ada.given_name, ada.family_name) == ("Adaeze", "Okafor")
    assert ada.roles == {Role.TOSA, Role.INSTRUCTIONAL_COACH}


def test_every_bad_row_is_reported_and_nothing_is_written(network: Network) -> None:
    before = snapshot(network)
    with pytest.raises(ImportFileError) as excinfo:
        network.import_file("members", FIXTURES / "members_bad.csv")

    found = {(e.row, e.column) for e in errors_of(excinfo)}
    assert found == {
        (1, "Role(s)"),  # Wizard
        (2, "Email Address"),  # not an email
        (3, "Grade levels"),  # Grades 13-14
        (3, "Email Address"),  # same email as row 1, compared normalized
        (4, "Email Address"),  # no email
    }
    reasons = {(e.row, e.column): e.reason for e in errors_of(excinfo)}
    assert "'Wizard' is not one of" in reasons[(1, "Role(s)")]
    assert "also on row 1" in reasons[(3, "Email Address")]
    assert snapshot(network) == before
    assert "5 problem(s)" in str(excinfo.value)


def test_dry_run_reports_and_writes_nothing(network: Network) -> None:
    before = snapshot(network)
    report = network.import_file("members", GOOGLE, dry_run=True)
    assert (report.created, report.dry_run) == (3, True)
    assert "would create 3" in report.summary()
    assert snapshot(network) == before


def test_map_options_choose_columns(network: Network) -> None:
    report = network.import_file(
        "members",
        FIXTURES / "members_ms_forms.csv",
        **{
            "map.email": "Your work email",
            "map.given_name": "preferred FIRST name",  # headers compare ignoring case
            "map.roles": "What is your current position?",
            "map.students_reached": "Students you reach each year",
            "map.name": "",  # the respondent's (anonymous) name: not a member field
        },
    )
    assert report.created == 2
    dee = network.members.find_by_email("dee.moss@example.org")
    assert dee is not None
    assert (dee.given_name, dee.family_name) == ("Dee", "Moss")
    assert dee.roles == {Role.SCIENCE_LEAD}
    assert dee.reach.students_reached == 1200
    eli = network.members.find_by_email("eli.park@example.org")
    assert eli is not None and eli.roles == {Role.TEACHER_LEADER}


def test_mapping_file_in_toml_or_json(network: Network, tmp_path: Path) -> None:
    report = network.import_file(
        "members",
        FIXTURES / "members_ms_forms.csv",
        mapping=str(FIXTURES / "members_ms_forms_mapping.toml"),
    )
    assert report.created == 2

    as_json = tmp_path / "mapping.json"
    as_json.write_text(json.dumps({"email": "Your work email", "name": "", "roles": ""}))
    again = network.import_file("members", FIXTURES / "members_ms_forms.csv", mapping=str(as_json))
    assert again.unchanged == 2


def test_without_mapping_the_anonymous_respondent_column_is_refused(network: Network) -> None:
    with pytest.raises(ImportFileError) as excinfo:
        network.import_file("members", FIXTURES / "members_ms_forms.csv")
    assert {e.column for e in errors_of(excinfo)} == {"Email"}
    assert any("'anonymous' is not an email address" in e.reason for e in errors_of(excinfo))


def test_surveymonkey_two_row_header_is_merged(network: Network) -> None:
    report = network.import_file("members", FIXTURES / "members_surveymonkey.csv")
    assert report.created == 2
    fay = network.members.find_by_email("fay.nguyen@example.org")
    gus = network.members.find_by_email("gus.reyes@example.org")
    assert fay is not None and gus is not None
    assert fay.grade_bands == {GradeBand.K_2, GradeBand.GRADES_3_5}
    assert gus.grade_bands == {GradeBand.GRADES_6_8}
    assert (fay.given_name, gus.family_name) == ("Fay", "Reyes")


def test_full_name_column_is_split(network: Network, tmp_path: Path) -> None:
    path = tmp_path / "names.csv"
    path.write_text(
        'Full name,Email\nMaria de la Cruz,maria@example.org\n"Lovelace, Ada",ada@example.org\n'
    )
    network.import_file("members", path)
    maria = network.members.find_by_email("maria@example.org")
    ada = network.members.find_by_email("ada@example.org")
    assert maria is not None and ada is not None
    assert (maria.given_name, maria.family_name) == ("Maria de la", "Cruz")
    assert (ada.given_name, ada.family_name) == ("Ada", "Lovelace")


def test_custom_fields_are_typed(clock: FrozenClock, tmp_path: Path) -> None:
    path = tmp_path / "badges.csv"
    path.write_text("Email,badge_number\na@example.org,42\nb@example.org,forty\n")
    with Network.open("memory://", clock=clock, load_entrypoints=False, plugins=[Badge()]) as net:
        with pytest.raises(ImportFileError) as excinfo:
            net.import_file("members", path)
        [error] = errors_of(excinfo)
        assert (error.row, error.column) == (2, "badge_number")
        path.write_text("Email,badge_number\na@example.org,42\n")
        net.import_file("members", path)
        member = net.members.find_by_email("a@example.org")
        assert member is not None and member.custom == {"badge_number": 42}


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"colour": "blue"}, "unknown option 'colour'"),
        ({"map.email": "E-mail"}, "no such column"),
        ({"map.shoe_size": "Email Address"}, "no field 'shoe_size'"),
        ({"mapping": "missing.toml"}, "mapping file 'missing.toml'"),
    ],
)
def test_bad_options_are_file_errors(
    network: Network, options: dict[str, str], expected: str
) -> None:
    with pytest.raises(ImportFileError, match=expected):
        network.import_file("members", GOOGLE, **options)


def test_missing_email_column_is_named(network: Network, tmp_path: Path) -> None:
    path = tmp_path / "no-email.csv"
    path.write_text("First name,Last name\nAda,Okafor\n")
    with pytest.raises(ImportFileError, match="no email column found"):
        network.import_file("members", path)


def test_two_columns_that_could_be_the_email_must_be_chosen(
    network: Network, tmp_path: Path
) -> None:
    path = tmp_path / "two.csv"
    # Google Forms' collected address and a question of the same name.
    path.write_text("Email Address,Email address\na@example.org,b@example.org\n")
    with pytest.raises(ImportFileError, match="could both be email"):
        network.import_file("members", path)
    assert network.import_file("members", path, **{"map.email": "Email address"}).created == 1
    assert network.members.find_by_email("b@example.org") is not None


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_excel_encodings_are_read(network: Network, tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("Email,First name\r\nrene@example.org,Renée\r\n".encode(encoding))
    network.import_file("members", path)
    rene = network.members.find_by_email("rene@example.org")
    assert rene is not None and rene.given_name == "Renée"


def test_ignore_option_drops_columns(network: Network) -> None:
    report = network.import_file("members", GOOGLE, ignore="County;Role(s)")
    ada = network.members.find_by_email("ada.okafor@sierra-usd.example.org")
    assert ada is not None and ada.county is None and ada.roles == frozenset()
    assert report.notes == ("columns not imported: Timestamp, Anything else we should know?",)
