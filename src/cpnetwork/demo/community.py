"""Seed 001: a statewide Science Community of Practice.

Regional and county teams; the 2020-21 year-long virtual series "Realizing the NGSS
Shifts in K-12 Distance, Hybrid, and In-Person Classrooms", in which eleven teams of
regional and county science leads, teachers, coaches and TOSAs joined grade-level and
job-alike groups; the five-module Principals Supporting NGSS series; and the archive
of sessions and materials by year since 2016.  The series' monthly dates and the
modules' titles and dates are the demo's (the seed gives neither); the teams, groups,
programs and archive entries are the seed's, with synthetic people.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from attrs import frozen

from cpnetwork.demo.clock import pacific
from cpnetwork.demo.people import People
from cpnetwork.model import (
    CompletionRule,
    EligibilityRule,
    EnrollmentPolicy,
    Jurisdiction,
    Member,
    Module,
    Organization,
    Program,
    Team,
)
from cpnetwork.network import Network

#: Roles that make up a county or regional team.
TEAM_ROLES = frozenset({"science_lead", "county_administrator", "tosa", "instructional_coach"})
#: People per team in the 2020-21 series.
SERIES_TEAM_SIZE = 8
#: Grade-level groups of the series, by grade band.
GRADE_GROUPS = {
    "k_2": "Grades K-2",
    "3_5": "Grades 3-5",
    "6_8": "Grades 6-8",
    "9_12": "High school",
}
#: Job-alike groups of the series, by role.
JOB_GROUPS = {
    "Regional and county science leads": {"science_lead", "county_administrator"},
    "District coaches and TOSAs": {"tosa", "instructional_coach", "pl_provider"},
    "K-12 teachers": {"teacher", "teacher_leader", "informal_educator"},
}
#: The five modules of Principals Supporting NGSS.
PRINCIPAL_MODULES = tuple(
    Module(key=f"module_{n}", title=f"Principals Supporting NGSS, module {n} of 5")
    for n in range(1, 6)
)
#: Archive entries the seed names: (program year, title, kind).
ARCHIVE = (
    (2016, "Science CoP Sessions & Materials: 2016-2020", "document"),
    (2018, "CA NGSS 3D Assessment Implementation Modules", "website"),
    (2019, "Fostering NGSS Implementation Protocol", "protocol"),
    (2020, "Science CoP COVID Era: Remote Consultancies and Learning Opportunities", "document"),
    (2020, "Mitigating Science Learning Loss through LCAP: two-part series", "slides"),
    (2020, "NGSS Communications & Implementation Toolkits", "toolkit"),
    (2021, "A Blueprint for Action for Equitable Science Education", "document"),
)


@frozen
class CommunityOfPractice:
    host: Organization
    regional_teams: list[Team]
    county_teams: list[Team]
    series: Program
    series_groups: list[Team]
    principals: Program


def build(
    net: Network,
    people: People,
    state: Jurisdiction,
    leaders: Sequence[Member],
    museum: Organization,
) -> CommunityOfPractice:
    """The teams, the 2020-21 series (a finished year, imported), the principals' series
    of 2024/25 and the archive."""
    host = net.organizations.add(
        name="California Partnership for Math and Science Education (CAPMSE)", kind="other"
    )
    net.history.add_milestone(
        2016,
        "Science Community of Practice begins",
        description="The California Partnership for Math and Science Education's Science "
        "Community of Practice (2016-present)",
    )
    regional, county = _teams(net, state, leaders)
    series, groups = _series(net, host, museum, state, leaders, people)
    principals = _principals(net, host)
    _archive(net, series, principals)
    return CommunityOfPractice(
        host=host,
        regional_teams=regional,
        county_teams=county,
        series=series,
        series_groups=groups,
        principals=principals,
    )


def _teams(
    net: Network, state: Jurisdiction, leaders: Sequence[Member]
) -> tuple[list[Team], list[Team]]:
    """A county team in every county with a team role, and a team for each region."""
    by_county: dict[str, list[Member]] = {}
    for member in leaders:
        if member.county and {r.value for r in member.roles} & TEAM_ROLES:
            by_county.setdefault(member.county, []).append(member)
    county_teams = []
    for county in state.counties:
        team = by_county.get(county.code, [])
        if team:
            county_teams.append(
                net.teams.create(
                    f"{county.name} County science team",
                    "county",
                    county=county.code,
                    member_ids=[m.id for m in team],
                    lead_ids=[team[0].id],
                )
            )
    regional = []
    for region in state.regions:
        counties = [c.code for c in state.counties if c.region_code == region.code]
        team = [by_county[code][0] for code in counties if by_county.get(code)]
        regional.append(
            net.teams.create(
                f"Region {region.code} ({region.name}) science team",
                "regional",
                region=region.code,
                member_ids=[m.id for m in team],
                lead_ids=[m.id for m in team[:1]],
            )
        )
    return regional, county_teams


def _series(
    net: Network,
    host: Organization,
    museum: Organization,
    state: Jurisdiction,
    leaders: Sequence[Member],
    people: People,
) -> tuple[Program, list[Team]]:
    """The 2020-21 series for eleven teams: a finished year, loaded as history."""
    series = net.programs.create(
        title="Realizing the NGSS Shifts in K-12 Distance, Hybrid, and In-Person Classrooms",
        program_year=2020,
        host_ids=[host.id],
        partner_ids=[museum.id],
        audience="eleven teams of regional and county science leads, K-12 teachers, and "
        "district coaches and TOSAs",
        policy=EnrollmentPolicy(mode="invitation"),
        completion=CompletionRule(min_fraction=0.75),
    )
    _, sessions = net.sessions.schedule_series(
        series.id,
        title="Virtual series session",
        rrule="FREQ=MONTHLY;BYDAY=2TH;COUNT=8",
        first_start=pacific(2020, 10, 8, 15, 30),
        duration=timedelta(hours=2),
        join_url="https://meet.example.org/scop-shifts",
    )
    used: set[str] = set()
    teams: list[Team] = []
    for region in state.regions:
        counties = {c.code for c in state.counties if c.region_code == region.code}
        team = [m for m in leaders if m.county in counties and m.id not in used]
        team = team[:SERIES_TEAM_SIZE]
        used.update(m.id for m in team)
        teams.append(
            net.teams.create(
                f"2020-21 series team, Region {region.code}",
                "cohort",
                program_id=series.id,
                region=region.code,
                member_ids=[m.id for m in team],
                lead_ids=[team[0].id],
            )
        )
    participants = [m for m in leaders if m.id in used]
    for band, name in GRADE_GROUPS.items():
        group = [m.id for m in participants if band in {g.value for g in m.grade_bands}]
        teams.append(net.teams.create(name, "grade_level", program_id=series.id, member_ids=group))
    for name, roles in JOB_GROUPS.items():
        group = [m.id for m in participants if {r.value for r in m.roles} & roles]
        teams.append(net.teams.create(name, "job_alike", program_id=series.id, member_ids=group))
    # The year as it ended: everyone's enrollment and attendance, loaded as history.
    ended = pacific(2021, 6, 1, 9)
    net.enrollment.import_many((m.id, series.id, "enrolled", None, ended) for m in participants)
    rng = people.rng
    net.attendance.record_many(
        (session.id, m.id, "present" if rng.random() < 0.82 else "absent", 120)
        for session in sessions
        for m in participants
    )
    net.enrollment.evaluate_completion(series.id)
    return series, teams


def _principals(net: Network, host: Organization) -> Program:
    principals = net.programs.create(
        title="Principals Supporting NGSS",
        program_year=2024,
        host_ids=[host.id],
        audience="site leaders implementing the CA NGSS",
        modules=PRINCIPAL_MODULES,
        policy=EnrollmentPolicy(
            mode="registration",
            eligibility=[
                EligibilityRule(
                    kind="roles",
                    allowed={"site_administrator", "district_administrator"},
                    description="for site and district administrators",
                )
            ],
        ),
        completion=CompletionRule(min_sessions=4, session_kinds={"module"}),
    )
    days = ((2024, 10, 8), (2024, 11, 12), (2024, 12, 10), (2025, 1, 14), (2025, 2, 11))
    for module, day in zip(PRINCIPAL_MODULES, days, strict=True):
        net.sessions.schedule(
            principals.id,
            title=module.title,
            kind="module",
            module=module.key,
            start=pacific(*day, 15, 30),
            duration=timedelta(hours=1, minutes=30),
            join_url="https://meet.example.org/principals",
        )
    return principals


def _archive(net: Network, series: Program, principals: Program) -> None:
    """Sessions and materials by program year, 2016 to today."""
    for year in range(2016, 2025):
        net.resources.add(
            f"Science CoP sessions and materials {year}-{str(year + 1)[-2:]}",
            "document",
            f"https://scop.example.org/archive/{year}",
            program_year=year,
        )
    for year, title, kind in ARCHIVE:
        slug = "-".join(title.lower().split()[:4]).replace(":", "")
        net.resources.add(title, kind, f"https://scop.example.org/{slug}", program_year=year)
    net.resources.add(
        "Artifacts of the year-long series", "recording", "https://scop.example.org/shifts",
        program_id=series.id, access="members",
    )  # fmt: skip
    for module in PRINCIPAL_MODULES:
        net.resources.add(
            f"{module.title}: slides", "slides",
            f"https://scop.example.org/principals/{module.key}", program_id=principals.id,
        )  # fmt: skip
