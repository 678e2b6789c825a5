"""cpnetwork.plans: a program year in one TOML file, on the memory store."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cpnetwork import Network, ValidationError
from cpnetwork.plans import parse_duration, read_plan
from cpnetwork.testing import snapshot

LA = ZoneInfo("America/Los_Angeles")
PLAN = """
year = 2024
[[programs]]
title = "Academy"
[programs.policy]
mode = "application"
opens = 2024-08-01T08:00:00
deadline = 2024-09-15
offer_window = "none"
[[programs.policy.eligibility]]
kind = "roles"
allowed = ["tosa"]
[[programs.series]]
title = "Community"
rrule = "FREQ=WEEKLY;COUNT=3"
first_start = 2024-10-02T16:00:00
duration = 60
exdates = [2024-10-09T16:00:00]
"""


def test_a_plan_reads_times_on_the_plans_wall_clock() -> None:
    plan = read_plan(PLAN, timezone="America/Los_Angeles", year=2023)
    (program,) = plan.programs
    assert program.year == 2024
    policy = program.fields["policy"]
    assert policy.opens == datetime(2024, 8, 1, 8, tzinfo=LA)
    assert policy.deadline == datetime(2024, 9, 15, 23, 59, tzinfo=LA)
    assert policy.offer_window is None
    (series,) = program.series
    assert series["duration"] == timedelta(hours=1)
    assert series["exdates"] == frozenset({datetime(2024, 10, 9, 16, tzinfo=LA)})


def test_applying_a_plan_again_changes_nothing(network: Network) -> None:
    plan = read_plan(PLAN, timezone="America/Los_Angeles", year=2024)
    first = network.apply_plan(plan)
    assert [str(c) for c in first.changed] == [
        "create program 'Academy' (2024)",
        "create series 'Community' of 'Academy' (2024): 2 sessions",
    ]
    before = snapshot(network)
    again = network.apply_plan(plan)
    assert again.changed == [] and len(again.changes) == 2
    assert snapshot(network) == before


def test_a_dry_run_writes_nothing_and_refuses_to_join_another_change(network: Network) -> None:
    plan = read_plan(PLAN, timezone="America/Los_Angeles", year=2024)
    before = snapshot(network)
    dry = network.apply_plan(plan, dry_run=True)
    assert dry.dry_run and len(dry.changed) == 2
    assert dry.lines()[-1] == "2 change(s) (dry run: nothing written), 0 unchanged"
    assert snapshot(network) == before
    # A scoped network runs each call inside a change: rolling back would not be a dry run.
    with pytest.raises(ValidationError, match="a dry run cannot join a change in progress"):
        network.acting_as("admin").apply_plan(plan, dry_run=True)
    assert snapshot(network) == before


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (90, timedelta(minutes=90)),
        ("90m", timedelta(minutes=90)),
        ("1h30m", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        (" 1h 30min", timedelta(minutes=90)),
    ],
)
def test_durations(value: object, expected: timedelta) -> None:
    assert parse_duration(value) == expected


@pytest.mark.parametrize("value", ["", "soon", "0m", 0, -5, "1x"])
def test_bad_durations(value: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(value)


# -- organizations, parts of programs, sessions' extras and teams ----------------------
FULL = """
year = 2024
[[programs]]
title = "Principals series"
hosts = ["LACOE"]
partners = ["cds:01100170000000", "0691051"]
modules = [{ key = "m1", title = "Module 1" }, "m2"]
tracks = ["elementary"]
[[programs.sessions]]
title = "Module 1"
start = 2024-10-02T09:00:00
duration = "3h"
capacity = 40
facilitators = ["ada@example.org"]
module = "m1"
track = "elementary"
counts_toward_completion = false
[[programs.series]]
title = "Office hours"
rrule = "FREQ=WEEKLY;COUNT=2"
first_start = 2024-10-09T16:00:00
duration = 60
capacity = 12
facilitators = ["ADA@example.org", "bo@example.org"]
module = "m2"

[[teams]]
name = "Fresno County team"
kind = "county"
county = "10"
program = "Principals series"
members = ["ada@example.org", "bo@example.org"]
leads = ["ada@example.org"]
"""


@pytest.fixture
def people(network: Network) -> dict[str, str]:
    """Ids of the organizations and members the plans below name."""
    found = {
        "lacoe": network.organizations.add(name="LACOE", kind="county_office").id,
        "alameda": network.organizations.add(
            name="Alameda COE", kind="county_office", identifiers={"cds": "01100170000000"}
        ).id,
        "museum": network.organizations.add(
            name="Science museum", kind="museum", identifiers={"nces": "0691051"}
        ).id,
    }
    for name in ("ada", "bo", "cy"):
        found[name] = network.members.add(email=f"{name}@example.org", given_name=name).id
    return found


def _apply(network: Network, text: str, *, dry_run: bool = False) -> list[str]:
    plan = read_plan(text, source="year.toml", timezone="America/Los_Angeles", year=2024)
    return [str(c) for c in network.apply_plan(plan, dry_run=dry_run).changed]


def test_a_plan_sets_organizations_parts_session_extras_and_teams(
    network: Network, people: dict[str, str]
) -> None:
    assert _apply(network, FULL) == [
        "create program 'Principals series' (2024)",
        "create session 'Module 1' 2024-10-02 09:00 of 'Principals series' (2024)",
        "create series 'Office hours' of 'Principals series' (2024): 2 sessions",
        "create team 'Fresno County team'",
    ]
    (program,) = network.programs.find()
    assert program.host_ids == (people["lacoe"],)
    assert program.partner_ids == (people["alameda"], people["museum"])
    assert [(m.key, m.title) for m in program.modules] == [("m1", "Module 1"), ("m2", "")]
    assert [t.key for t in program.tracks] == ["elementary"]
    module_1, *office_hours = network.sessions.find(program.id)
    assert (module_1.capacity, module_1.module, module_1.track) == (40, "m1", "elementary")
    assert module_1.facilitator_ids == (people["ada"],)
    assert module_1.counts_toward_completion is False
    assert [(s.capacity, s.module, s.facilitator_ids) for s in office_hours] == [
        (12, "m2", (people["ada"], people["bo"]))
    ] * 2
    (team,) = network.teams.find()
    assert (team.kind.value, team.county, team.program_id) == ("county", "10", program.id)
    assert team.member_ids == {people["ada"], people["bo"]}
    assert team.lead_ids == {people["ada"]}
    before = snapshot(network)
    assert _apply(network, FULL) == []
    assert snapshot(network) == before


def test_a_changed_plan_changes_sessions_extras_and_teams_in_place(
    network: Network, people: dict[str, str]
) -> None:
    _apply(network, FULL)
    ids = [s.id for s in network.sessions.find()]
    changed = (
        FULL.replace("capacity = 12", "capacity = 15")
        .replace('facilitators = ["ada@example.org"]', 'facilitators = ["cy@example.org"]')
        .replace('members = ["ada@example.org", "bo@example.org"]', 'members = ["bo@example.org"]')
        .replace('leads = ["ada@example.org"]\n', "")
    )
    assert _apply(network, changed) == [
        "update session 'Module 1' 2024-10-02 09:00 of 'Principals series' (2024)",
        "update series 'Office hours' of 'Principals series' (2024): "
        "0 sessions created, 2 changed, 0 cancelled",
        "update team 'Fresno County team': lead_ids, member_ids",
    ]
    assert [s.id for s in network.sessions.find()] == ids
    module_1, *office_hours = network.sessions.find()
    assert module_1.facilitator_ids == (people["cy"],)
    assert {s.capacity for s in office_hours} == {15}
    (team,) = network.teams.find()
    assert (team.member_ids, team.lead_ids) == ({people["bo"]}, frozenset())
    assert _apply(network, changed) == []


def test_a_dry_run_with_teams_writes_nothing(network: Network, people: dict[str, str]) -> None:
    before = snapshot(network)
    assert len(_apply(network, FULL, dry_run=True)) == 4
    assert snapshot(network) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ('hosts = ["LACOE"]', 'hosts = ["Nowhere COE"]'),
            "program 1 ('Principals series'): hosts: no organization is named or coded "
            "'Nowhere COE'",
        ),
        (
            ('"0691051"', '"cds:0691051"'),
            "partners: no organization is named or coded 'cds:0691051'",
        ),
        (
            ('facilitators = ["ada@example.org"]', 'facilitators = ["zed@example.org"]'),
            "program 1 ('Principals series') session 1: facilitators: no member has the email "
            "'zed@example.org'",
        ),
        (
            ('module = "m2"', 'module = "m9"'),
            "program 1 ('Principals series') series 1: module 'm9' is not one of "
            "'Principals series' (2024)'s: its modules are 'm1', 'm2'",
        ),
        (
            ('tracks = ["elementary"]', "tracks = []"),
            "session 1: track 'elementary' is not one of 'Principals series' (2024)'s: "
            "it has no tracks",
        ),
        (
            ('members = ["ada@example.org", "bo@example.org"]', 'members = ["bo@example.org"]'),
            "team 1 ('Fresno County team'): leads 'ada@example.org' are not among its members",
        ),
        (
            ('program = "Principals series"', 'program = "Academy"'),
            "team 1 ('Fresno County team'): program: no program(s) of 2024 titled 'Academy'",
        ),
        (
            ('members = ["ada@example.org", "bo@example.org"]\n', ""),
            "team 1 ('Fresno County team'): leads 'ada@example.org' are not members of the team",
        ),
        (('kind = "county"', 'kind = "guild"'), "kind 'guild' is not one of regional, county"),
        (('kind = "county"', 'colour = "red"'), "team 1 ('Fresno County team'): unknown key(s)"),
        (("capacity = 40", "capacity = -1"), "session 1: capacity -1 is not a number of seats"),
        (('"m2"]', '"m1"]'), "modules: two share a key"),
        (("capacity = 40", "seats = 40"), "session 1: unknown key(s) seats; known: capacity"),
        (('hosts = ["LACOE"]', 'hosts = "LACOE"'), "hosts must be a list of strings"),
    ],
)
def test_a_plan_naming_what_is_not_there_names_its_place_and_writes_nothing(
    network: Network, people: dict[str, str], change: tuple[str, str], message: str
) -> None:
    text = FULL.replace(*change)
    assert text != FULL
    before = snapshot(network)
    with pytest.raises(ValidationError) as raised:
        _apply(network, text)
    assert str(raised.value).startswith("Plan 'year.toml': ")
    assert str(raised.value).count("Plan 'year.toml'") == 1
    assert message in str(raised.value)
    assert snapshot(network) == before


def test_an_organization_name_two_share_is_refused(
    network: Network, people: dict[str, str]
) -> None:
    network.organizations.add(name="LACOE", kind="district", identifiers={"cds": "19647330000000"})
    with pytest.raises(ValidationError, match=r"2 organizations are named or coded 'LACOE' "):
        _apply(network, FULL)
    assert _apply(network, FULL.replace('hosts = ["LACOE"]', 'hosts = ["cds:19647330000000"]'))
