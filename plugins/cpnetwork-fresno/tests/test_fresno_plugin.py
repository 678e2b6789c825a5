"""The example county plugin, installed and found by its entry point."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from cpnetwork_fresno import COE_ONLY_TAG, COORDINATOR_ENV, CohortRow, DigestEntry

from cpnetwork import Network, NotEligibleError, ValidationError
from cpnetwork.cli import CliConfig, cli
from cpnetwork.testing.pytest_plugin import FrozenClock


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def net(tmp_path: Path, clock: FrozenClock) -> Iterator[Network]:
    url = f"sqlite:///{tmp_path / 'fresno.db'}"
    with Network.open(url, clock=clock) as network:
        yield network


def test_plugin_loads_by_entry_point(net: Network) -> None:
    assert "fresno" in net.plugins.names()
    assert net.plugins.hooks_of("fresno") == [
        "check_eligibility",
        "erase_member",
        "export_member",
        "notification_recipients",
        "record_event",
        "register_commands",
        "register_member_fields",
        "register_record_kinds",
        "report_sections",
    ]


def test_cohort_field_accepts_known_cohorts_only(net: Network) -> None:
    member = net.members.add(email="a@fcss.org", custom={"fresno_cohort": "2024"})
    assert member.custom["fresno_cohort"] == "2024"
    with pytest.raises(ValidationError, match="fresno_cohort must be one of"):
        net.members.add(email="b@fcss.org", custom={"fresno_cohort": "1999"})


def test_coe_only_convening_takes_county_office_staff(net: Network) -> None:
    coe = net.organizations.add(
        name="Fresno County Superintendent of Schools", kind="county_office", county="10"
    )
    district = net.organizations.add(name="Clovis Unified", kind="district", county="10")
    convening = net.programs.create(title="Fresno convening", tags={COE_ONLY_TAG})
    staff = net.members.add(email="staff@fcss.org")
    teacher = net.members.add(email="teacher@cusd.org")
    net.members.affiliate(staff.id, coe.id)
    net.members.affiliate(teacher.id, district.id)
    assert net.enrollment.register(convening.id, staff.id).status.value == "enrolled"
    with pytest.raises(NotEligibleError, match="Fresno County Superintendent of Schools staff"):
        net.enrollment.register(convening.id, teacher.id)


def test_digest_records_fresno_changes_in_the_same_transaction(
    net: Network, clock: FrozenClock
) -> None:
    program = net.programs.create(title="Science Leadership Academy")
    fresno = net.members.add(email="f@fcss.org", county="10")
    elsewhere = net.members.add(email="s@sdcoe.net", county="37")
    enrollment = net.enrollment.register(program.id, fresno.id)
    net.enrollment.register(program.id, elsewhere.id)
    clock.advance(timedelta(days=1))
    net.enrollment.withdraw(enrollment.id, reason="moved away")
    with net.storage.transaction() as tx:
        entries = tx.find(DigestEntry, order_by=("at",))
    assert [(e.member_email, e.from_status, e.to_status) for e in entries] == [
        ("f@fcss.org", None, "enrolled"),
        ("f@fcss.org", "enrolled", "withdrawn"),
    ]


def test_digest_command(net: Network, tmp_path: Path) -> None:
    program = net.programs.create(title="Academy")
    member = net.members.add(email="f@fcss.org", county="10")
    net.enrollment.register(program.id, member.id)
    result = CliRunner().invoke(
        cli, ["--db", str(tmp_path / "fresno.db"), "fresno", "digest"], obj=CliConfig()
    )
    assert result.exit_code == 0, result.output
    assert "f@fcss.org: Academy new -> enrolled (registered)" in result.output
    assert result.output.strip().endswith("1 change(s)")


def test_a_refused_change_leaves_no_digest_entry(net: Network) -> None:
    from cpnetwork.model import EnrollmentPolicy

    program = net.programs.create(title="Full", policy=EnrollmentPolicy(capacity=0, waitlist=False))
    member = net.members.add(email="f@fcss.org", county="10")
    with pytest.raises(Exception, match="seats are taken"):
        net.enrollment.register(program.id, member.id)
    with net.storage.transaction() as tx:
        assert tx.find(DigestEntry) == []


def test_the_coordinator_is_copied_on_acceptances_of_fresno_members_only(
    net: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cpnetwork.model import EnrollmentPolicy

    monkeypatch.setenv(COORDINATOR_ENV, "coordinator@fcss.example.org")
    net.notifications.configure(log=True)
    academy = net.programs.create(
        title="Academy", program_year=2024, policy=EnrollmentPolicy(mode="application")
    )
    fresno = net.members.add(email="a@fcss.org", county="10")
    kern = net.members.add(email="b@kern.org", county="15")
    for member in (fresno, kern):
        net.enrollment.accept(net.enrollment.apply(academy.id, member.id).id)
    copies = [
        m for m in net.notifications.messages() if m.recipient == "coordinator@fcss.example.org"
    ]
    assert [(m.topic, m.member_id) for m in copies] == [("enrollment.accepted", fresno.id)]
    monkeypatch.delenv(COORDINATOR_ENV)
    other = net.members.add(email="c@fcss.org", county="10")
    net.enrollment.accept(net.enrollment.apply(academy.id, other.id).id)
    assert [m.recipient for m in net.notifications.messages(member_id=other.id)] == [
        "c@fcss.org",
        "c@fcss.org",
    ]


def test_erasing_a_member_removes_their_digest_entries_and_export_lists_them(
    net: Network,
) -> None:
    from cpnetwork_fresno.digest import digest

    academy = net.programs.create(title="Academy", program_year=2024)
    ada = net.members.add(email="ada@fcss.org", county="10")
    bob = net.members.add(email="bob@fcss.org", county="10")
    net.enrollment.register(academy.id, ada.id)
    net.enrollment.register(academy.id, bob.id)
    held = net.members.export_data(ada.id)["plugins"]["fresno"]["digest"]
    assert [(entry["program"], entry["to"]) for entry in held] == [("Academy", "enrolled")]
    net.members.erase(ada.id)
    with net.storage.transaction(read_only=True) as tx:
        assert [entry.member_email for entry in digest(tx)] == ["bob@fcss.org"]


def test_reach_report_gains_fresnos_cohort_section(net: Network) -> None:
    # Fresno members: two of 2023 (one stored by county name), one of 2024, one not set;
    # the Los Angeles member of 2024 is not Fresno's.
    net.members.add(email="a@fcss.org", county="10", custom={"fresno_cohort": "2023"})
    net.members.add(email="b@fcss.org", county="Fresno", custom={"fresno_cohort": "2023"})
    net.members.add(email="c@fcss.org", county="10", custom={"fresno_cohort": "2024"})
    net.members.add(email="d@fcss.org", county="10")
    net.members.add(email="e@lacoe.edu", county="19", custom={"fresno_cohort": "2024"})
    report = net.reports.reach()
    assert report.sections[-1].key == "fresno_cohorts"
    assert list(report.section("fresno_cohorts").rows) == [
        CohortRow(cohort="2022", members=0),
        CohortRow(cohort="2023", members=2),
        CohortRow(cohort="2024", members=1),
        CohortRow(cohort="2025", members=0),
        CohortRow(cohort="(none)", members=1),
    ]
    assert [s.key for s in net.reports.reach(county="19").sections][-1] == "no_members"
    assert "fresno_cohorts" not in [s.key for s in net.reports.equity().sections]
