"""TeamService and ResourceService, including public / members / alumni access."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cpnetwork import Network, NotFoundError, ValidationError, hookimpl
from cpnetwork.model import (
    AccessLevel,
    CompletionRule,
    County,
    EnrollmentStatus,
    Jurisdiction,
    Member,
    Program,
    Region,
    Resource,
    Session,
    TeamKind,
)
from cpnetwork.testing import snapshot
from cpnetwork.testing.pytest_plugin import FrozenClock

START = datetime(2024, 9, 18, 16, 0, tzinfo=ZoneInfo("America/Los_Angeles"))


def add_session(network: Network, program_id: str, *, title: str = "Module 1") -> Session:
    """Insert a session directly: these tests do not depend on the session service."""
    session = Session(
        program_id=program_id, title=title, start=START, end=START + timedelta(hours=2)
    )
    with network._context.unit_of_work() as uow:
        uow.tx.insert(session)
    return session


@pytest.fixture
def people(network: Network) -> list[Member]:
    return [network.members.add(email=f"lead{i}@example.org") for i in range(4)]


# -- teams -----------------------------------------------------------------------------


def test_create_a_team_with_members_and_leads(network: Network, people: list[Member]) -> None:
    program = network.programs.create(title="Realizing the NGSS Shifts", program_year=2020)
    team = network.teams.create(
        "Region 10 team",
        "regional",
        program_id=program.id,
        region="10",
        member_ids=[p.id for p in people[:3]],
        lead_ids=[people[0].id],
    )
    assert team.kind is TeamKind.REGIONAL
    assert team.member_ids == {p.id for p in people[:3]}
    assert team.lead_ids == {people[0].id}
    assert network.teams.get(team.id) == team


def test_a_county_team_takes_its_region_from_the_jurisdiction(clock: FrozenClock) -> None:
    class California:
        @hookimpl
        def register_jurisdictions(self) -> list[Jurisdiction]:
            return [
                Jurisdiction(
                    code="CA",
                    regions=(Region(code="10", name="RIMS"),),
                    counties=(County(code="36", name="San Bernardino", region_code="10"),),
                )
            ]

    with Network.open(
        "memory://", clock=clock, load_entrypoints=False, plugins=[California()]
    ) as network:
        team = network.teams.create("San Bernardino team", TeamKind.COUNTY, county="36")
        assert team.region == "10"
        kept = network.teams.create("Cross-county", "county", county="36", region="9")
        assert kept.region == "9"


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        ({"name": " "}, ValidationError, "must not be empty"),
        ({"kind": "book club"}, ValidationError, "book club"),
        ({"program_id": "nope"}, NotFoundError, "Program 'nope'"),
        ({"member_ids": ["nobody"]}, NotFoundError, "Member 'nobody'"),
        ({"lead_ids": ["stranger"]}, ValidationError, "are not members"),
    ],
)
def test_create_refuses_bad_teams_and_changes_nothing(
    network: Network,
    people: list[Member],
    change: dict[str, Any],
    error: type[Exception],
    words: str,
) -> None:
    args: dict[str, Any] = {"name": "Job-alike: coaches", "kind": "job_alike"}
    args.update(change)
    before = snapshot(network)
    with pytest.raises(error, match=words):
        network.teams.create(args.pop("name"), args.pop("kind"), **args)
    assert snapshot(network) == before


def test_add_members_is_idempotent(network: Network, people: list[Member]) -> None:
    team = network.teams.create("Cohort 1", "cohort", member_ids=[people[0].id])
    team = network.teams.add_members(team.id, [people[0].id, people[1].id])
    team = network.teams.add_members(team.id, [people[1].id])
    assert team.member_ids == {people[0].id, people[1].id}
    assert network.teams.get(team.id) == team


def test_add_members_refuses_unknown_members(network: Network, people: list[Member]) -> None:
    team = network.teams.create("Cohort 1", "cohort")
    before = snapshot(network)
    with pytest.raises(NotFoundError, match="Member 'nobody'"):
        network.teams.add_members(team.id, [people[0].id, "nobody"])
    assert snapshot(network) == before


def test_remove_member_also_drops_their_lead_role(network: Network, people: list[Member]) -> None:
    ids = [p.id for p in people[:2]]
    team = network.teams.create("K-2 group", "grade_level", member_ids=ids, lead_ids=ids)
    team = network.teams.remove_member(team.id, people[0].id)
    assert team.member_ids == {people[1].id}
    assert team.lead_ids == {people[1].id}


def test_remove_member_refuses_a_non_member(network: Network, people: list[Member]) -> None:
    team = network.teams.create("K-2 group", "grade_level", member_ids=[people[0].id])
    before = snapshot(network)
    with pytest.raises(NotFoundError, match=rf"Team '{team.id}': member '{people[1].id}'"):
        network.teams.remove_member(team.id, people[1].id)
    assert snapshot(network) == before


def test_set_leads_replaces_them(network: Network, people: list[Member]) -> None:
    ids = [p.id for p in people[:3]]
    team = network.teams.create("Working group", "working_group", member_ids=ids, lead_ids=ids[:1])
    team = network.teams.set_leads(team.id, ids[1:])
    assert team.lead_ids == set(ids[1:])
    assert network.teams.set_leads(team.id, []).lead_ids == frozenset()


def test_set_leads_refuses_non_members(network: Network, people: list[Member]) -> None:
    team = network.teams.create("Working group", "working_group", member_ids=[people[0].id])
    before = snapshot(network)
    with pytest.raises(ValidationError, match=rf"Team '{team.id}': leads \['{people[1].id}'\]"):
        network.teams.set_leads(team.id, [people[0].id, people[1].id])
    assert snapshot(network) == before


@pytest.mark.parametrize(
    "call",
    [
        lambda n: n.teams.get("nope"),
        lambda n: n.teams.add_members("nope", []),
        lambda n: n.teams.remove_member("nope", "m"),
        lambda n: n.teams.set_leads("nope", []),
    ],
)
def test_unknown_teams_are_not_found(network: Network, call: Any) -> None:
    with pytest.raises(NotFoundError, match="Team 'nope'"):
        call(network)


def test_find_teams_by_kind_program_place_and_member(
    network: Network, people: list[Member]
) -> None:
    program = network.programs.create(title="Virtual series", program_year=2020)
    a = network.teams.create("B county team", "county", county="37", member_ids=[people[0].id])
    b = network.teams.create("A county team", "county", county="19", program_id=program.id)
    c = network.teams.create("Region 9", "regional", region="9", member_ids=[people[0].id])
    assert network.teams.find() == [b, a, c]
    assert network.teams.find(kind="county") == [b, a]
    assert network.teams.find(program_id=program.id) == [b]
    assert network.teams.find(county="37") == [a]
    assert network.teams.find(region="9") == [c]
    assert network.teams.find(member_id=people[0].id) == [a, c]
    assert network.teams.find(kind=TeamKind.REGIONAL, member_id=people[0].id) == [c]


# -- resources ---------------------------------------------------------------------------


def test_add_a_resource_to_a_program_takes_its_year(network: Network) -> None:
    program = network.programs.create(title="Science CoP", program_year=2021)
    slides = network.resources.add(
        "Blueprint for Action", "document", "https://example.org/blueprint", program_id=program.id
    )
    assert slides.program_year == 2021
    assert slides.access is AccessLevel.PUBLIC
    assert network.resources.get(slides.id) == slides
    kept = network.resources.add(
        "Archive", "website", "https://example.org/a", program_id=program.id, program_year=2016
    )
    assert kept.program_year == 2016


def test_a_session_resource_belongs_to_the_session_program(network: Network) -> None:
    program = network.programs.create(title="Principals series", program_year=2023)
    session = add_session(network, program.id)
    deck = network.resources.add(
        "Module 1 slides", "slides", "https://example.org/m1", session_id=session.id
    )
    assert (deck.program_id, deck.session_id, deck.program_year) == (program.id, session.id, 2023)
    same = network.resources.add(
        "Module 1 protocol",
        "protocol",
        "https://example.org/p",
        session_id=session.id,
        program_id=program.id,
    )
    assert same.program_id == program.id


def test_a_resource_needs_no_program(network: Network) -> None:
    flyer = network.resources.add("Network flyer", "flyer", "https://example.org/flyer")
    assert (flyer.program_id, flyer.session_id, flyer.program_year) == (None, None, None)


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        ({"program_id": "nope"}, NotFoundError, "Program 'nope'"),
        ({"session_id": "nope"}, NotFoundError, "Session 'nope'"),
        ({"session_id": "OTHER"}, ValidationError, "belongs to program"),
        ({"access": "alumni", "program_id": None}, ValidationError, "alumni access needs"),
        ({"access": "secret"}, ValidationError, "secret"),
        ({"kind": "pamphlet"}, ValidationError, "pamphlet"),
        ({"title": ""}, ValidationError, "title"),
        ({"url": ""}, ValidationError, "url"),
    ],
)
def test_add_refuses_bad_resources_and_changes_nothing(
    network: Network, change: dict[str, Any], error: type[Exception], words: str
) -> None:
    program = network.programs.create(title="Academy", program_year=2024)
    other = network.programs.create(title="Convening", program_year=2024)
    other_session = add_session(network, other.id)
    args: dict[str, Any] = {
        "title": "Toolkit",
        "kind": "toolkit",
        "url": "https://example.org/t",
        "program_id": program.id,
    }
    args.update(change)
    if args.get("session_id") == "OTHER":
        args["session_id"] = other_session.id
    before = snapshot(network)
    with pytest.raises(error, match=words):
        network.resources.add(args.pop("title"), args.pop("kind"), args.pop("url"), **args)
    assert snapshot(network) == before


def test_get_an_unknown_resource_is_not_found(network: Network) -> None:
    with pytest.raises(NotFoundError, match="Resource 'nope'"):
        network.resources.get("nope")


def test_find_resources_by_program_session_year_kind_and_access(network: Network) -> None:
    p2016 = network.programs.create(title="CoP 2016", program_year=2016)
    p2021 = network.programs.create(title="CoP 2021", program_year=2021)
    session = add_session(network, p2021.id)
    flyer = network.resources.add("Flyer", "flyer", "https://e.org/f")
    old = network.resources.add("Notes", "document", "https://e.org/n", program_id=p2016.id)
    deck = network.resources.add("Deck", "slides", "https://e.org/d", session_id=session.id)
    rec = network.resources.add(
        "Recording", "recording", "https://e.org/r", program_id=p2021.id, access="members"
    )
    assert network.resources.find() == [flyer, old, deck, rec]
    assert network.resources.find(program_id=p2021.id) == [deck, rec]
    assert network.resources.find(session_id=session.id) == [deck]
    assert network.resources.find(program_year=2016) == [old]
    assert network.resources.find(kind="slides") == [deck]
    assert network.resources.find(access=AccessLevel.MEMBERS) == [rec]


# -- access --------------------------------------------------------------------------------


class Library:
    """Resources at every level for an academy some members completed."""

    def __init__(self, network: Network) -> None:
        self.network = network
        rule = CompletionRule(min_sessions=1)
        self.academy = network.programs.create(
            title="Leadership Academy", program_year=2023, completion=rule
        )
        self.series = network.programs.create(
            title="Virtual series", program_year=2024, completion=rule
        )
        session = add_session(network, self.academy.id)
        self.alumna, self.dropout, self.member = (
            network.members.add(email=f"{name}@example.org")
            for name in ("alumna", "dropout", "member")
        )
        for person in (self.alumna, self.dropout):
            network.enrollment.register(self.academy.id, person.id)
        network.attendance.record(session.id, self.alumna.id, "present")
        network.attendance.record(session.id, self.dropout.id, "absent")
        network.enrollment.evaluate_completion(self.academy.id)
        # Enrolled in the series but not (yet) completed it.
        network.enrollment.register(self.series.id, self.alumna.id)

        def add(title: str, access: str, program: Program | None = None) -> Resource:
            return network.resources.add(
                title,
                "document",
                f"https://example.org/{title}",
                access=access,
                program_id=program.id if program else None,
            )

        self.public = add("Public page", "public")
        self.members_only = add("Members page", "members")
        self.academy_public = add("Academy flyer", "public", self.academy)
        self.academy_alumni = add("Academy portal", "alumni", self.academy)
        self.series_alumni = add("Series portal", "alumni", self.series)


@pytest.fixture
def library(network: Network) -> Library:
    return Library(network)


def test_the_library_has_an_alumna_and_a_dropout(network: Network, library: Library) -> None:
    statuses = {e.member_id: e.status for e in network.enrollment.find(library.academy.id)}
    assert statuses == {
        library.alumna.id: EnrollmentStatus.COMPLETED,
        library.dropout.id: EnrollmentStatus.INCOMPLETE,
    }


def _titles(resources: list[Resource]) -> list[str]:
    return [r.title for r in resources]


def test_visitors_see_only_public_resources(network: Network, library: Library) -> None:
    assert _titles(network.resources.visible_to(None)) == ["Public page", "Academy flyer"]
    assert _titles(network.resources.visible_to(None, program_id=library.academy.id)) == [
        "Academy flyer"
    ]


def test_members_see_members_resources_but_not_alumni_ones(
    network: Network, library: Library
) -> None:
    for person in (library.member, library.dropout):
        assert _titles(network.resources.visible_to(person.id)) == [
            "Members page",
            "Public page",
            "Academy flyer",
        ]


def test_alumni_see_the_alumni_resources_of_programs_they_completed(
    network: Network, library: Library
) -> None:
    assert _titles(network.resources.visible_to(library.alumna.id)) == [
        "Members page",
        "Public page",
        "Academy flyer",
        "Academy portal",
    ]
    assert _titles(
        network.resources.visible_to(library.alumna.id, program_id=library.academy.id)
    ) == ["Academy flyer", "Academy portal"]
    assert network.resources.visible_to(library.alumna.id, program_id=library.series.id) == []


@pytest.mark.parametrize(
    ("member", "program", "words"),
    [("nobody", None, "Member 'nobody'"), (None, "nope", "Program 'nope'")],
)
def test_visible_to_with_unknown_ids_is_not_found(
    network: Network, library: Library, member: str | None, program: str | None, words: str
) -> None:
    with pytest.raises(NotFoundError, match=words):
        network.resources.visible_to(member, program_id=program)


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        (None, {"public", "academy_public"}),
        ("member", {"public", "academy_public", "members_only"}),
        ("dropout", {"public", "academy_public", "members_only"}),
        ("alumna", {"public", "academy_public", "members_only", "academy_alumni"}),
    ],
)
def test_can_access_follows_the_access_level(
    network: Network, library: Library, who: str | None, allowed: set[str]
) -> None:
    member_id = getattr(library, who).id if who else None
    for name in ("public", "academy_public", "members_only", "academy_alumni", "series_alumni"):
        resource: Resource = getattr(library, name)
        assert network.resources.can_access(member_id, resource.id) is (name in allowed), name


def test_can_access_agrees_with_visible_to(network: Network, library: Library) -> None:
    everything = network.resources.find()
    for person in (None, library.member, library.dropout, library.alumna):
        member_id = person.id if person else None
        visible = {r.id for r in network.resources.visible_to(member_id)}
        assert visible == {
            r.id for r in everything if network.resources.can_access(member_id, r.id)
        }


@pytest.mark.parametrize(
    ("member", "resource", "words"),
    [("nobody", None, "Member 'nobody'"), (None, "nope", "Resource 'nope'")],
)
def test_can_access_with_unknown_ids_is_not_found(
    network: Network, library: Library, member: str | None, resource: str | None, words: str
) -> None:
    with pytest.raises(NotFoundError, match=words):
        network.resources.can_access(member, resource or library.public.id)


def test_teams_and_resources_raise_record_changed_events(network: Network) -> None:
    from cpnetwork.events import Event, RecordChanged

    seen: list[Event] = []
    network.subscribe(seen.append)
    team = network.teams.create("Region 7 team", "regional")
    network.teams.set_leads(team.id, [])
    network.resources.add("Flyer", "flyer", "https://example.org/flyer.pdf")
    changes = [(e.kind, e.created) for e in seen if isinstance(e, RecordChanged)]
    assert changes == [("Team", True), ("Team", False), ("Resource", True)]
