"""The ``applications`` importer: a program's form export as applications, all or nothing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cpnetwork import Network
from cpnetwork.importers import ImportFileError
from cpnetwork.model import (
    EligibilityRule,
    EnrollmentMode,
    EnrollmentPolicy,
    EnrollmentStatus,
    Module,
    Program,
    Role,
)
from cpnetwork.testing import snapshot
from cpnetwork.testing.pytest_plugin import FrozenClock

FIXTURES = Path(__file__).parent / "fixtures"
ACADEMY_FORM = FIXTURES / "applications_academy.csv"
LA = ZoneInfo("America/Los_Angeles")
WHY = "Why do you want to join the Academy?"
HOW_MANY = "How many teachers do you support?"


def academy(network: Network, **policy: Any) -> Program:
    policy.setdefault("mode", EnrollmentMode.APPLICATION)
    policy.setdefault("opens", datetime(2024, 8, 15, tzinfo=LA))
    policy.setdefault("deadline", datetime(2024, 9, 15, 23, 59, tzinfo=LA))
    return network.programs.create(
        title="Science Leadership Academy",
        program_year=2024,
        policy=EnrollmentPolicy(**policy),
        tracks=[
            Module(key="elementary", title="Elementary"),
            Module(key="secondary", title="Secondary"),
        ],
    )


@pytest.fixture
def after_deadline(clock: FrozenClock) -> FrozenClock:
    """Applications are imported a week after the deadline, as coordinators do."""
    clock.now = datetime(2024, 9, 22, 9, tzinfo=LA)
    return clock


def test_rows_become_applications_with_answers(
    network: Network, after_deadline: FrozenClock
) -> None:
    program = academy(network)
    ada = network.members.add(email="ada.okafor@sierra-usd.example.org", given_name="Ada")

    report = network.import_file(
        "applications", ACADEMY_FORM, program=program.id, **{"map.track": "Which strand?"}
    )

    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert report.notes[0] == "created 2 new member(s)"
    assert report.notes[-1] == f"answers from columns: {WHY}, {HOW_MANY}"
    enrollments = {e.member_id: e for e in network.enrollment.find(program.id)}
    assert len(enrollments) == 3
    mine = enrollments[ada.id]
    assert mine.status is EnrollmentStatus.APPLIED
    assert mine.track == "elementary"
    assert mine.answers == {WHY: "To lead NGSS storylines in my district", HOW_MANY: "12"}
    # An existing member is not changed by the form.
    assert network.members.get(ada.id).family_name == ""
    kai = network.members.find_by_email("kai.jensen@example.org")
    assert kai is not None
    assert (kai.given_name, kai.roles) == ("Kai", {Role.INSTRUCTIONAL_COACH})
    assert enrollments[kai.id].track == "secondary"  # by key, any case
    lena = network.members.find_by_email("lena.fox@example.org")
    assert lena is not None and enrollments[lena.id].answers == {}
    [transition] = network.enrollment.history(mine.id)
    assert (transition.actor, transition.reason) == (ada.id, "application received")


def test_submission_time_not_import_time_meets_the_deadline(
    network: Network, after_deadline: FrozenClock, tmp_path: Path
) -> None:
    program = academy(network)
    late = tmp_path / "late.csv"
    late.write_text(ACADEMY_FORM.read_text().replace("9/14/2024 20:45:10", "9/16/2024 07:00:00"))
    before = snapshot(network)
    with pytest.raises(ImportFileError) as excinfo:
        network.import_file("applications", late, program=program.id)
    [error] = excinfo.value.errors
    assert error.row == 3
    assert "deadline 2024-09-15T23:59:00-07:00 has passed" in error.reason
    assert snapshot(network) == before


def test_without_a_timestamp_column_the_import_time_counts(
    network: Network, after_deadline: FrozenClock
) -> None:
    program = academy(network)
    with pytest.raises(ImportFileError) as excinfo:
        network.import_file("applications", ACADEMY_FORM, program=program.id, ignore="Timestamp")
    assert [e.row for e in excinfo.value.errors] == [1, 2, 3]


def test_ineligible_row_fails_the_whole_file(network: Network, after_deadline: FrozenClock) -> None:
    program = academy(
        network,
        eligibility=[EligibilityRule(kind="roles", allowed={"tosa", "instructional_coach"})],
    )
    before = snapshot(network)
    with pytest.raises(ImportFileError) as excinfo:
        network.import_file("applications", ACADEMY_FORM, program=program.id)
    [error] = excinfo.value.errors
    assert error.row == 3
    assert "not eligible" in error.reason
    # Nothing at all: not the enrollments of rows 1 and 2, nor the members created.
    assert snapshot(network) == before


def test_reimport_skips_rows_already_in_the_program(
    network: Network, after_deadline: FrozenClock, tmp_path: Path
) -> None:
    program = academy(network)
    network.import_file("applications", ACADEMY_FORM, program=program.id)
    grown = tmp_path / "grown.csv"
    grown.write_text(
        ACADEMY_FORM.read_text().replace("Build a coaching cycle", "Build a coaching year")
        + "9/15/2024 10:00:00,mo.ali@example.org,Mo,Ali,Teacher,,Phenomena,5\n"
    )
    report = network.import_file("applications", grown, program=program.id)
    assert (report.created, report.unchanged) == (1, 3)
    assert any("row 2: kai.jensen@example.org already has an enrollment" in n for n in report.notes)
    assert len(network.enrollment.find(program.id)) == 4


def test_interest_forms_for_a_program_enrolling_by_interest(
    network: Network, after_deadline: FrozenClock
) -> None:
    program = academy(network, mode=EnrollmentMode.INTEREST, deadline=None)
    network.import_file("applications", ACADEMY_FORM, program=program.title)
    statuses = {e.status for e in network.enrollment.find(program.id)}
    assert statuses == {EnrollmentStatus.INTERESTED}


def test_registration_programs_take_no_forms(network: Network, after_deadline: FrozenClock) -> None:
    program = academy(network, mode=EnrollmentMode.REGISTRATION, deadline=None)
    with pytest.raises(ImportFileError, match="enrolls by registration; it takes no forms"):
        network.import_file("applications", ACADEMY_FORM, program=program.id)


def test_dry_run_makes_no_members_and_no_enrollments(
    network: Network, after_deadline: FrozenClock
) -> None:
    program = academy(network)
    before = snapshot(network)
    report = network.import_file("applications", ACADEMY_FORM, program=program.id, dry_run=True)
    assert report.created == 3
    assert report.notes[0] == "would create 3 new member(s)"
    assert snapshot(network) == before


def test_row_problems_are_named_by_row_and_column(
    network: Network, after_deadline: FrozenClock, tmp_path: Path
) -> None:
    program = academy(network)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "Timestamp,Email Address,Role(s),Which strand?\n"
        "9/10/2024 09:15:00,a@example.org,Teacher,Elementary\n"
        "yesterday,b@example.org,Teacher,Elementary\n"
        "9/10/2024 09:17:00,A@example.org,Teacher,Elementary\n"
        "9/10/2024 09:18:00,c@example.org,Astronaut,Middle\n"
    )
    with pytest.raises(ImportFileError) as excinfo:
        network.import_file(
            "applications", bad, program=program.id, **{"map.track": "Which strand?"}
        )
    found = {(e.row, e.column) for e in excinfo.value.errors}
    assert found == {
        (2, "Timestamp"),
        (3, "Email Address"),
        (4, "Role(s)"),
        (4, "Which strand?"),
    }
    reasons = {(e.row, e.column): e.reason for e in excinfo.value.errors}
    assert "timestamp_format" in reasons[(2, "Timestamp")]
    assert "'Middle' is not a track" in reasons[(4, "Which strand?")]


def test_day_first_timestamps_with_a_format(
    network: Network, after_deadline: FrozenClock, tmp_path: Path
) -> None:
    program = academy(network)
    path = tmp_path / "uk.csv"
    path.write_text("Timestamp,Email Address\n14/09/2024 20:45:10,d@example.org\n")
    with pytest.raises(ImportFileError, match="is not a date and time"):
        network.import_file("applications", path, program=program.id)
    network.import_file(
        "applications", path, program=program.id, timestamp_format="%d/%m/%Y %H:%M:%S"
    )
    assert len(network.enrollment.find(program.id)) == 1


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, "option program=<id or title> is required"),
        ({"program": "No Such Program"}, "no program has the id or title 'No Such Program'"),
    ],
)
def test_the_program_must_be_named(
    network: Network, options: dict[str, str], expected: str
) -> None:
    with pytest.raises(ImportFileError, match=expected):
        network.import_file("applications", ACADEMY_FORM, **options)


def test_two_programs_with_one_title_need_an_id(network: Network) -> None:
    network.programs.create(title="Academy", program_year=2023)
    network.programs.create(title="Academy", program_year=2024)
    with pytest.raises(ImportFileError, match="2 programs are titled 'Academy'"):
        network.import_file("applications", ACADEMY_FORM, program="Academy")
