"""Seeded synthetic statewide networks, at any size, for tests and benchmarks.

Members are spread over 58 counties by rough population (figures rounded from the
2020 census, in thousands, keyed by the state's two-digit county codes), work at
county offices and districts of their county, and take part in programs whose sessions
they attend.  The same seed always gives the same network.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from attrs import define, field

from cpnetwork.model import (
    Affiliation,
    Attendance,
    AttendanceSource,
    AttendanceStatus,
    CompletionRule,
    Enrollment,
    EnrollmentMode,
    EnrollmentPolicy,
    EnrollmentStatus,
    EquityFocus,
    GradeBand,
    Member,
    Organization,
    OrganizationKind,
    Program,
    Reach,
    Role,
    Session,
    SessionKind,
)

#: Rough population in thousands by county code: weights, not facts to report.
COUNTY_WEIGHTS: dict[str, int] = {
    "01": 1680, "02": 1, "03": 40, "04": 210, "05": 46, "06": 22, "07": 1160, "08": 28,
    "09": 192, "10": 1010, "11": 29, "12": 136, "13": 180, "14": 19, "15": 910, "16": 152,
    "17": 68, "18": 33, "19": 10000, "20": 157, "21": 262, "22": 17, "23": 91, "24": 281,
    "25": 9, "26": 13, "27": 439, "28": 138, "29": 102, "30": 3190, "31": 405, "32": 20,
    "33": 2420, "34": 1590, "35": 64, "36": 2180, "37": 3300, "38": 870, "39": 780,
    "40": 283, "41": 765, "42": 448, "43": 1940, "44": 270, "45": 182, "46": 3, "47": 44,
    "48": 453, "49": 488, "50": 552, "51": 99, "52": 65, "53": 16, "54": 473, "55": 55,
    "56": 843, "57": 217, "58": 81,
}  # fmt: skip

_ROLE_WEIGHTS = {
    Role.TEACHER: 30,
    Role.TEACHER_LEADER: 20,
    Role.TOSA: 15,
    Role.INSTRUCTIONAL_COACH: 8,
    Role.SITE_ADMINISTRATOR: 8,
    Role.DISTRICT_ADMINISTRATOR: 5,
    Role.COUNTY_ADMINISTRATOR: 2,
    Role.SCIENCE_LEAD: 6,
    Role.PL_PROVIDER: 3,
    Role.INFORMAL_EDUCATOR: 2,
    Role.RESEARCHER: 1,
}

_ATTENDANCE_WEIGHTS = {
    AttendanceStatus.PRESENT: 75,
    AttendanceStatus.PARTIAL: 10,
    AttendanceStatus.ABSENT: 10,
    AttendanceStatus.EXCUSED: 5,
}


@define
class SyntheticNetwork:
    """Records of a generated network, ready for the facade's bulk calls."""

    organizations: list[Organization] = field(factory=list)
    members: list[Member] = field(factory=list)
    programs: list[Program] = field(factory=list)
    sessions: list[Session] = field(factory=list)
    enrollments: list[Enrollment] = field(factory=list)
    attendance: list[Attendance] = field(factory=list)


def _pick(rng: random.Random, weights: dict[str, int] | dict[Role, int], k: int) -> list[object]:
    return rng.choices(list(weights), weights=list(weights.values()), k=k)


def _id(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def organizations(rng: random.Random, districts: int) -> list[Organization]:
    """One county office per county and ``districts`` districts placed by population."""
    offices = [
        Organization(
            id=_id(rng),
            name=f"County {code} Office of Education",
            kind=OrganizationKind.COUNTY_OFFICE,
            county=code,
            identifiers={"cds": f"{code}100{code}0000000"[:14]},
        )
        for code in COUNTY_WEIGHTS
    ]
    office_of = {o.county: o for o in offices}
    made = list(offices)
    for n, county in enumerate(_pick(rng, COUNTY_WEIGHTS, districts)):
        assert isinstance(county, str)
        made.append(
            Organization(
                id=_id(rng),
                name=f"District {n + 1} ({county})",
                kind=OrganizationKind.DISTRICT,
                county=county,
                parent_id=office_of[county].id,
                identifiers={"cds": f"{county}{n + 10000:05d}0000000"},
            )
        )
    return made


def members(
    rng: random.Random, count: int, orgs: list[Organization], *, joined: datetime
) -> list[Member]:
    by_county: dict[str | None, list[Organization]] = {}
    for org in orgs:
        by_county.setdefault(org.county, []).append(org)
    counties = _pick(rng, COUNTY_WEIGHTS, count)
    roles = _pick(rng, _ROLE_WEIGHTS, count)
    bands = list(GradeBand)
    made = []
    for n in range(count):
        county = str(counties[n])
        workplace = rng.choice(by_county[county])
        made.append(
            Member(
                id=_id(rng),
                email=f"member{n}@district{county}.example.org",
                given_name=f"Given{n}",
                family_name=f"Family{n % 997}",
                roles=frozenset({roles[n]}),  # type: ignore[arg-type]
                grade_bands=frozenset(rng.sample(bands, rng.randint(1, 2))),
                affiliations=(
                    Affiliation(organization_id=workplace.id, start=joined.date(), primary=True),
                ),
                county=county,
                joined=joined.date(),
                reach=Reach(
                    teachers_supported=rng.randint(0, 200), students_reached=rng.randint(0, 5000)
                ),
                equity_focus=EquityFocus.YES if rng.random() < 0.8 else EquityFocus.NO,
                consents_to_updates=rng.random() < 0.6,
            )
        )
    return made


def programs_with_sessions(
    rng: random.Random, count: int, sessions_each: int, *, year: int
) -> tuple[list[Program], list[Session]]:
    """Programs of every enrollment mode, each with monthly 4 pm Pacific sessions."""
    modes = list(EnrollmentMode)
    made_programs, made_sessions = [], []
    first = datetime(year, 9, 18, 23, 0, tzinfo=UTC)  # 4 pm PDT
    for n in range(count):
        program = Program(
            id=_id(rng),
            title=f"Program {n + 1}",
            program_year=year,
            policy=EnrollmentPolicy(mode=modes[n % len(modes)], capacity=None),
            completion=CompletionRule(min_fraction=0.75),
        )
        made_programs.append(program)
        for s in range(sessions_each):
            start = first + timedelta(days=28 * s, hours=n % 3)
            made_sessions.append(
                Session(
                    id=_id(rng),
                    program_id=program.id,
                    title=f"{program.title}, session {s + 1}",
                    kind=SessionKind.LEARNING_COMMUNITY,
                    start=start,
                    end=start + timedelta(hours=1, minutes=30),
                )
            )
    return made_programs, made_sessions


def enrollments(
    rng: random.Random, people: list[Member], programs: list[Program], *, at: datetime
) -> list[Enrollment]:
    """Each member enrolled in one to three programs."""
    made = []
    for member in people:
        for program in rng.sample(programs, min(len(programs), rng.randint(1, 3))):
            made.append(
                Enrollment(
                    id=_id(rng),
                    program_id=program.id,
                    member_id=member.id,
                    status=EnrollmentStatus.ENROLLED,
                    created_at=at,
                    updated_at=at,
                    organization_id=member.affiliations[0].organization_id,
                    county=member.county,
                    role=next(iter(member.roles)).value,
                )
            )
    return made


def attendance_rows(
    rng: random.Random,
    enrolled: list[Enrollment],
    sessions: list[Session],
    count: int,
    *,
    at: datetime,
) -> Iterator[Attendance]:
    """Up to ``count`` attendance records of enrolled members at their programs' sessions."""
    by_program: dict[str, list[Session]] = {}
    for session in sessions:
        by_program.setdefault(session.program_id, []).append(session)
    statuses = _pick(rng, _ATTENDANCE_WEIGHTS, 4096)  # type: ignore[arg-type]
    made = 0
    for n, enrollment in enumerate(enrolled):
        for session in by_program.get(enrollment.program_id, ()):
            if made >= count:
                return
            status = statuses[(n * 31 + made) % len(statuses)]
            assert isinstance(status, AttendanceStatus)
            yield Attendance(
                id=_id(rng),
                session_id=session.id,
                member_id=enrollment.member_id,
                program_id=enrollment.program_id,
                status=status,
                minutes=90 if status is AttendanceStatus.PRESENT else rng.randint(0, 60),
                source=AttendanceSource.VIDEO_REPORT,
                recorded_at=at,
            )
            made += 1


def synthetic_network(
    *,
    members_count: int = 1000,
    programs_count: int = 12,
    sessions_each: int = 9,
    attendance_count: int | None = None,
    seed: int = 2024,
    year: int = 2024,
) -> SyntheticNetwork:
    """A whole network; ``attendance_count`` defaults to every enrolled member at every session."""
    rng = random.Random(seed)
    joined = datetime(year - 1, 8, 1, tzinfo=UTC)
    orgs = organizations(rng, max(1, members_count // 25))
    people = members(rng, members_count, orgs, joined=joined)
    programs, sessions = programs_with_sessions(rng, programs_count, sessions_each, year=year)
    enrolled = enrollments(rng, people, programs, at=joined + timedelta(days=365))
    limit = attendance_count if attendance_count is not None else len(enrolled) * sessions_each
    rows = list(attendance_rows(rng, enrolled, sessions, limit, at=joined + timedelta(days=400)))
    return SyntheticNetwork(
        organizations=orgs,
        members=people,
        programs=programs,
        sessions=sessions,
        enrollments=enrolled,
        attendance=rows,
    )
