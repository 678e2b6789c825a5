"""Access scopes on every store: what each actor sees and may change, through any door."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cpnetwork import Network, hookimpl
from cpnetwork.cli import CliConfig, cli
from cpnetwork.errors import AccessDeniedError, ValidationError
from cpnetwork.model import Actor, County, EnrollmentStatus, Jurisdiction, Region
from cpnetwork.testing.pytest_plugin import FrozenClock

KICKOFF = datetime(2024, 9, 10, 23, 0, tzinfo=UTC)


class Geography:
    @hookimpl
    def register_jurisdictions(self) -> list[Jurisdiction]:
        return [
            Jurisdiction(
                code="CA",
                name="California",
                regions=(
                    Region(code="valley", name="Central Valley"),
                    Region(code="south", name="South"),
                ),
                counties=(
                    County(code="10", name="Fresno", region_code="valley"),
                    County(code="16", name="Kings", region_code="valley"),
                    County(code="19", name="Los Angeles", region_code="south"),
                ),
            )
        ]


@pytest.fixture
def net(store_url: str, clock: FrozenClock) -> Iterator[Network]:
    with Network.open(
        store_url, name="T", clock=clock, plugins=[Geography()], load_entrypoints=False
    ) as network:
        yield network


@pytest.fixture
def world(net: Network) -> dict[str, str]:
    program = net.programs.create(title="Academy", program_year=2024)
    other = net.programs.create(title="Other", program_year=2024)
    fresno = net.members.add(email="fresno@example.org", county="10")
    kings = net.members.add(email="kings@example.org", county="16")
    la = net.members.add(email="la@example.org", county="19")
    guide = net.members.add(email="guide@example.org", county="19")
    session = net.sessions.schedule(
        program.id,
        title="Kickoff",
        start=KICKOFF,
        duration=timedelta(hours=2),
        facilitator_ids=[guide.id],
    )
    elsewhere = net.sessions.schedule(
        other.id, title="Elsewhere", start=KICKOFF, duration=timedelta(hours=1)
    )
    for member in (fresno, la):
        net.enrollment.register(program.id, member.id)
        net.attendance.record(session.id, member.id, "present")
    net.enrollment.register(other.id, kings.id)
    return {
        "program": program.id,
        "other": other.id,
        "fresno": fresno.id,
        "kings": kings.id,
        "la": la.id,
        "guide": guide.id,
        "session": session.id,
        "elsewhere": elsewhere.id,
    }


def _emails(members: Sequence[Any]) -> list[str]:
    return sorted(m.email for m in members)


def test_a_county_coordinator_reads_only_their_county(net: Network, world: dict[str, str]) -> None:
    fresno = net.acting_as("county:10")
    assert _emails(fresno.members.find()) == ["fresno@example.org"]
    assert fresno.members.get(world["fresno"]).county == "10"
    with pytest.raises(AccessDeniedError, match=r"acting as county:10"):
        fresno.members.get(world["la"])
    assert fresno.members.find_by_email("la@example.org") is None
    assert [e.member_id for e in fresno.enrollment.find(world["program"])] == [world["fresno"]]
    assert [a.member_id for a in fresno.attendance.for_session(world["session"])] == [
        world["fresno"]
    ]
    assert fresno.enrollment.of(world["program"], world["la"]) is None
    assert [p.title for p in fresno.programs.find()] == ["Academy", "Other"]  # shared


def test_a_county_coordinator_cannot_change_another_county(
    net: Network, world: dict[str, str]
) -> None:
    fresno = net.acting_as(Actor.parse("county:10"))
    with pytest.raises(AccessDeniedError, match="the member is not in scope"):
        fresno.members.update(world["la"], given_name="Changed")
    assert net.members.get(world["la"]).given_name == ""
    before = net.enrollment.status_counts(world["other"])
    with pytest.raises(AccessDeniedError):
        fresno.enrollment.register(world["other"], world["la"])
    assert net.enrollment.status_counts(world["other"]) == before
    with pytest.raises(AccessDeniedError):
        fresno.members.add(email="new@example.org", county="19")
    assert net.members.find_by_email("new@example.org") is None
    with pytest.raises(AccessDeniedError):
        fresno.attendance.record(world["session"], world["la"], "absent")
    assert net.attendance.get(world["session"], world["la"]).status.value == "present"  # type: ignore[union-attr]
    with pytest.raises(AccessDeniedError):
        fresno.members.erase(world["la"])
    # within the county, everything works
    added = fresno.members.add(email="new@example.org", county="10")
    enrolled = fresno.enrollment.register(world["other"], added.id)
    assert enrolled.status is EnrollmentStatus.ENROLLED
    with pytest.raises(AccessDeniedError, match="only an admin"):
        fresno.update_profile(name="Taken over")


def test_a_county_coordinators_export_holds_only_their_county(
    net: Network, world: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "fresno.json"
    net.acting_as("county:10").export(out)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [m["email"] for m in data["members"]] == ["fresno@example.org"]
    assert {e["member_id"] for e in data["enrollments"]} == {world["fresno"]}
    assert {a["member_id"] for a in data["attendance"]} == {world["fresno"]}
    assert {t["member_id"] for t in data["transitions"]} == {world["fresno"]}
    assert len(data["programs"]) == 2
    in_memory = net.acting_as("county:10").export_data()
    assert [m["email"] for m in in_memory["members"]] == ["fresno@example.org"]


def test_a_region_lead_reaches_every_county_of_their_region(
    net: Network, world: dict[str, str]
) -> None:
    valley = net.acting_as("region:valley")
    assert _emails(valley.members.find()) == ["fresno@example.org", "kings@example.org"]
    valley.members.update(world["kings"], given_name="Kim")
    with pytest.raises(AccessDeniedError):
        valley.members.update(world["la"], given_name="Lee")


def test_a_member_sees_and_changes_only_themselves(net: Network, world: dict[str, str]) -> None:
    me = net.acting_as(f"member:{world['kings']}")
    assert _emails(me.members.find()) == ["kings@example.org"]
    assert me.enrollment.find(world["program"]) == []
    me.members.update(world["kings"], given_name="Kim")
    enrollment = me.enrollment.register(world["program"], world["kings"])
    assert enrollment.member_id == world["kings"]
    with pytest.raises(AccessDeniedError):
        me.enrollment.register(world["other"], world["fresno"])
    with pytest.raises(AccessDeniedError, match="a member does not make this change"):
        me.programs.create(title="Mine", program_year=2024)
    assert [p.title for p in net.programs.find()] == ["Academy", "Other"]


def test_a_facilitator_sees_their_programs_people_and_takes_attendance_there_only(
    net: Network, world: dict[str, str]
) -> None:
    guide = net.acting_as(f"facilitator:{world['guide']}")
    assert _emails(guide.members.find()) == [
        "fresno@example.org",
        "guide@example.org",
        "la@example.org",
    ]
    assert {e.member_id for e in guide.enrollment.find(world["program"])} == {
        world["fresno"],
        world["la"],
    }
    assert guide.enrollment.find(world["other"]) == []
    guide.attendance.record(world["session"], world["la"], "partial", minutes=50)
    with pytest.raises(AccessDeniedError, match="not one the facilitator runs"):
        guide.attendance.record(world["elsewhere"], world["kings"], "present")
    with pytest.raises(AccessDeniedError, match="does not change members"):
        guide.members.update(world["la"], given_name="Lee")
    guide.sessions.edit(world["session"], venue="Room 4")
    with pytest.raises(AccessDeniedError):
        guide.sessions.edit(world["elsewhere"], venue="Room 5")


class NoWithdrawals:
    """A county rule: coordinators may not withdraw anyone; only the network does."""

    @hookimpl
    def check_access(self, actor: Actor, action: str, record: Any) -> list[str]:
        status = getattr(record, "to_status", None)
        if actor.county and status is EnrollmentStatus.WITHDRAWN:
            return ["withdrawals go through the network office"]
        return []


def test_a_plugin_refines_decisions(net: Network, world: dict[str, str]) -> None:
    net.plugins.manager.register(NoWithdrawals())
    fresno = net.acting_as("county:10")
    enrollment = net.enrollment.of(world["program"], world["fresno"])
    assert enrollment is not None
    with pytest.raises(AccessDeniedError, match="withdrawals go through the network office"):
        fresno.enrollment.withdraw(enrollment.id)
    assert net.enrollment.get(enrollment.id).status is EnrollmentStatus.ENROLLED
    net.acting_as("admin").enrollment.withdraw(enrollment.id)


def test_an_actor_names_what_their_role_needs() -> None:
    with pytest.raises(ValidationError, match="a county_coordinator names a county"):
        Actor(role="county_coordinator")
    with pytest.raises(ValidationError, match="is not admin, county:CODE"):
        Actor.parse("mayor:everything")
    assert Actor.parse("region:valley").label == "region:valley"


def test_the_command_line_acts_as_the_actor_given(
    tmp_path: Path, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CPNETWORK_DB", raising=False)
    db = tmp_path / "network.db"
    with Network.open(
        f"sqlite:///{db}", name="T", clock=clock, plugins=[Geography()], load_entrypoints=False
    ) as net:
        net.members.add(email="fresno@example.org", county="10")
        net.members.add(email="la@example.org", county="19")
    config = CliConfig(plugins=[Geography()], load_entrypoints=False, clock=clock)
    runner = CliRunner()
    scoped = ["--db", str(db), "--as", "county:10"]
    listed = runner.invoke(cli, [*scoped, "members", "list"], obj=config)
    assert listed.exit_code == 0, listed.output
    assert "fresno@example.org" in listed.output and "la@example.org" not in listed.output
    shown = runner.invoke(cli, [*scoped, "members", "show", "la@example.org"], obj=config)
    assert shown.exit_code == 1 and "'la@example.org': not found" in shown.output
    as_member = runner.invoke(
        cli,
        ["--db", str(db), "--as", "member:fresno@example.org", "members", "list"],
        obj=config,
    )
    assert as_member.exit_code == 0 and "la@example.org" not in as_member.output
    bad = runner.invoke(cli, ["--db", str(db), "--as", "mayor", "members", "list"], obj=config)
    assert bad.exit_code != 0 and "is not admin" in bad.output


def test_reports_cover_only_what_the_actor_reaches(net: Network, world: dict[str, str]) -> None:
    everyone = net.reports.reach()
    fresno = net.acting_as("county:10").reports.reach()
    assert fresno.filters.county == ("10",)
    assert everyone.filters.county == ()
    with pytest.raises(AccessDeniedError, match="only the actor's own counties"):
        net.acting_as("county:10").reports.reach(county="19")
    with pytest.raises(AccessDeniedError, match="only the actor's own counties"):
        net.acting_as("county:10").reports.run("reach", region="south")
    assert net.acting_as("county:10").reports.reach(county="Fresno").filters.county == ("10",)
    valley = net.acting_as("region:valley").reports.run("reach")
    assert valley.filters.county == ("10", "16")
    guide = net.acting_as(f"facilitator:{world['guide']}").reports.attendance()
    assert guide.filters.program == (world["program"],)
    with pytest.raises(AccessDeniedError, match="reports are for the network's staff"):
        net.acting_as(f"member:{world['kings']}").reports.reach()
