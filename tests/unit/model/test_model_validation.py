"""Construction-time validation: what each record refuses, and which field it blames."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given

from cpnetwork.errors import ValidationError
from cpnetwork.model import (
    AccessLevel,
    Affiliation,
    Attendance,
    CompletionRule,
    County,
    EligibilityRule,
    Enrollment,
    EnrollmentPolicy,
    Jurisdiction,
    Member,
    Milestone,
    Module,
    NetworkProfile,
    Organization,
    Partnership,
    Priority,
    Program,
    Quota,
    Reach,
    Recognition,
    Region,
    Resource,
    Role,
    RuleKind,
    Session,
    SessionSeries,
    Survey,
    SurveyItem,
    SurveyResponse,
    Team,
    Transition,
)
from cpnetwork.testing.strategies import emails

LA = ZoneInfo("America/Los_Angeles")
NOON = datetime(2024, 9, 10, 12, 0, tzinfo=LA)
NAIVE = datetime(2024, 9, 10, 12, 0)


def _session(**changes: Any) -> Session:
    values: dict[str, Any] = {
        "id": "s1",
        "program_id": "p1",
        "title": "Kickoff",
        "start": NOON,
        "end": NOON + timedelta(hours=2),
    }
    return Session(**(values | changes))


def _series(**changes: Any) -> SessionSeries:
    values: dict[str, Any] = {
        "id": "ss1",
        "program_id": "p1",
        "title": "PLC",
        "rrule": "FREQ=WEEKLY;COUNT=6",
        "first_start": NOON,
        "duration": timedelta(hours=1),
    }
    return SessionSeries(**(values | changes))


def _enrollment(**changes: Any) -> Enrollment:
    values: dict[str, Any] = {
        "id": "e1",
        "program_id": "p1",
        "member_id": "m1",
        "status": "interested",
        "created_at": NOON,
        "updated_at": NOON,
    }
    return Enrollment(**(values | changes))


def _attendance(**changes: Any) -> Attendance:
    values: dict[str, Any] = {
        "id": "a1",
        "session_id": "s1",
        "member_id": "m1",
        "program_id": "p1",
        "status": "present",
        "recorded_at": NOON,
    }
    return Attendance(**(values | changes))


def _transition(**changes: Any) -> Transition:
    values: dict[str, Any] = {
        "id": "t1",
        "enrollment_id": "e1",
        "program_id": "p1",
        "member_id": "m1",
        "to_status": "applied",
        "at": NOON,
    }
    return Transition(**(values | changes))


def _response(**changes: Any) -> SurveyResponse:
    values: dict[str, Any] = {"id": "r1", "survey_id": "sv1", "submitted_at": NOON}
    return SurveyResponse(**(values | changes))


def _item(key: str = "q1") -> SurveyItem:
    return SurveyItem(key=key, prompt="How useful was it?", kind="likert")


# (build, kind, field): building must raise a ValidationError of that record kind and field.
REFUSED: list[Any] = [
    # geography
    pytest.param(lambda: Region(code=" "), "Region", "code", id="region-blank-code"),
    pytest.param(lambda: County(code="19", name=""), "County", "name", id="county-blank-name"),
    pytest.param(lambda: County(code="", name="LA"), "County", "code", id="county-blank-code"),
    pytest.param(lambda: Jurisdiction(code=""), "Jurisdiction", "code", id="jurisdiction-code"),
    # network
    pytest.param(lambda: Priority(key="\t"), "Priority", "key", id="priority-blank-key"),
    pytest.param(lambda: NetworkProfile(name=""), "NetworkProfile", "name", id="network-name"),
    pytest.param(
        lambda: NetworkProfile(name="N", timezone="Pacific/Atlantis"),
        "NetworkProfile",
        "timezone",
        id="network-unknown-zone",
    ),
    pytest.param(
        lambda: NetworkProfile(name="N", timezone="PST8PDT/../etc"),
        "NetworkProfile",
        "timezone",
        id="network-bad-zone-key",
    ),
    pytest.param(
        lambda: NetworkProfile(name="N", year_start_month=2, year_start_day=29),
        "NetworkProfile",
        "year_start",
        id="year-start-feb-29",
    ),
    pytest.param(
        lambda: NetworkProfile(name="N", year_start_month=13, year_start_day=1),
        "NetworkProfile",
        "year_start",
        id="year-start-month-13",
    ),
    pytest.param(
        lambda: NetworkProfile(name="N", year_start_month=4, year_start_day=31),
        "NetworkProfile",
        "year_start",
        id="year-start-april-31",
    ),
    # organizations
    pytest.param(
        lambda: Organization(name=" ", kind="district"), "Organization", "name", id="org-name"
    ),
    pytest.param(
        lambda: Organization(id="o1", name="LACOE", kind="county_office", parent_id="o1"),
        "Organization",
        "parent_id",
        id="org-own-parent",
    ),
    pytest.param(
        lambda: Partnership(organization_id="o1", start=date(2024, 7, 1), end=date(2024, 6, 30)),
        "Partnership",
        "end",
        id="partnership-ends-before-start",
    ),
    # people
    pytest.param(
        lambda: Affiliation(organization_id=""), "Affiliation", "organization_id", id="aff-org"
    ),
    pytest.param(
        lambda: Affiliation(organization_id="o1", start=date(2024, 7, 1), end=date(2024, 6, 1)),
        "Affiliation",
        "end",
        id="aff-ends-before-start",
    ),
    pytest.param(
        lambda: Reach(teachers_supported=-1), "Reach", "teachers_supported", id="reach-teachers"
    ),
    pytest.param(
        lambda: Reach(students_reached=-5), "Reach", "students_reached", id="reach-students"
    ),
    pytest.param(lambda: Member(email="ada"), "Member", "email", id="member-no-at"),
    pytest.param(lambda: Member(email="ada@example"), "Member", "email", id="member-no-dot"),
    pytest.param(lambda: Member(email="  "), "Member", "email", id="member-blank-email"),
    pytest.param(
        lambda: Member(email="ada lovelace@example.org"), "Member", "email", id="member-space"
    ),
    pytest.param(lambda: Member(email="a@b@c.org"), "Member", "email", id="member-two-ats"),
    # programs
    pytest.param(
        lambda: Quota(scope="county", limit=-1), "Quota", "limit", id="quota-negative-limit"
    ),
    pytest.param(
        lambda: CompletionRule(min_sessions=-1),
        "CompletionRule",
        "min_sessions",
        id="completion-negative-sessions",
    ),
    pytest.param(
        lambda: CompletionRule(min_fraction=1.01),
        "CompletionRule",
        "min_fraction",
        id="completion-fraction-above-1",
    ),
    pytest.param(
        lambda: CompletionRule(min_fraction=-0.1),
        "CompletionRule",
        "min_fraction",
        id="completion-fraction-below-0",
    ),
    pytest.param(
        lambda: EnrollmentPolicy(opens=NAIVE), "EnrollmentPolicy", "opens", id="policy-naive-opens"
    ),
    pytest.param(
        lambda: EnrollmentPolicy(deadline=NAIVE),
        "EnrollmentPolicy",
        "deadline",
        id="policy-naive-deadline",
    ),
    pytest.param(
        lambda: EnrollmentPolicy(opens=NOON, deadline=NOON),
        "EnrollmentPolicy",
        "deadline",
        id="policy-deadline-at-opening",
    ),
    pytest.param(
        lambda: EnrollmentPolicy(opens=NOON, deadline=NOON - timedelta(days=1)),
        "EnrollmentPolicy",
        "deadline",
        id="policy-deadline-before-opening",
    ),
    pytest.param(
        lambda: EnrollmentPolicy(capacity=-1),
        "EnrollmentPolicy",
        "capacity",
        id="policy-negative-capacity",
    ),
    pytest.param(
        lambda: EnrollmentPolicy(offer_window=timedelta(0)),
        "EnrollmentPolicy",
        "offer_window",
        id="policy-zero-offer-window",
    ),
    pytest.param(
        lambda: EnrollmentPolicy(offer_window=timedelta(hours=-1)),
        "EnrollmentPolicy",
        "offer_window",
        id="policy-negative-offer-window",
    ),
    pytest.param(lambda: Module(key=""), "Module", "key", id="module-blank-key"),
    pytest.param(
        lambda: Program(title="", program_year=2024), "Program", "title", id="program-title"
    ),
    pytest.param(
        lambda: Program(title="T", program_year=2024, fee_cents=-100),
        "Program",
        "fee_cents",
        id="program-negative-fee",
    ),
    # sessions
    pytest.param(lambda: _session(program_id=""), "Session", "program_id", id="session-program"),
    pytest.param(lambda: _session(title=" "), "Session", "title", id="session-title"),
    pytest.param(lambda: _session(start=NAIVE), "Session", "start", id="session-naive-start"),
    pytest.param(
        lambda: _session(end=NAIVE + timedelta(hours=1)), "Session", "end", id="session-naive-end"
    ),
    pytest.param(lambda: _session(end=NOON), "Session", "end", id="session-ends-at-start"),
    pytest.param(
        lambda: _session(end=NOON - timedelta(minutes=1)),
        "Session",
        "end",
        id="session-ends-before-start",
    ),
    pytest.param(
        # 12:00 in Los Angeles is 19:00 UTC: an end at 18:00 UTC is before the start.
        lambda: _session(end=datetime(2024, 9, 10, 18, 0, tzinfo=UTC)),
        "Session",
        "end",
        id="session-ends-before-start-across-zones",
    ),
    pytest.param(
        lambda: _session(timezone="Pacific/Time"), "Session", "timezone", id="session-zone"
    ),
    pytest.param(lambda: _session(capacity=-1), "Session", "capacity", id="session-capacity"),
    pytest.param(
        lambda: _session(recurrence_id=NAIVE),
        "Session",
        "recurrence_id",
        id="session-naive-recurrence",
    ),
    pytest.param(lambda: _series(rrule=""), "SessionSeries", "rrule", id="series-rrule"),
    pytest.param(
        lambda: _series(first_start=NAIVE),
        "SessionSeries",
        "first_start",
        id="series-naive-first-start",
    ),
    pytest.param(
        lambda: _series(duration=timedelta(0)), "SessionSeries", "duration", id="series-no-length"
    ),
    pytest.param(
        lambda: _series(exdates=[NOON, NAIVE]), "SessionSeries", "exdates", id="series-naive-exdate"
    ),
    pytest.param(
        lambda: _series(timezone="Mars/Olympus"), "SessionSeries", "timezone", id="series-zone"
    ),
    # enrollment
    pytest.param(
        lambda: _enrollment(program_id=""), "Enrollment", "program_id", id="enrollment-program"
    ),
    pytest.param(
        lambda: _enrollment(member_id=" "), "Enrollment", "member_id", id="enrollment-member"
    ),
    pytest.param(
        lambda: _enrollment(created_at=NAIVE),
        "Enrollment",
        "created_at",
        id="enrollment-naive-created",
    ),
    pytest.param(
        lambda: _enrollment(updated_at=NAIVE),
        "Enrollment",
        "updated_at",
        id="enrollment-naive-updated",
    ),
    pytest.param(
        lambda: _enrollment(waitlisted_at=NAIVE),
        "Enrollment",
        "waitlisted_at",
        id="enrollment-naive-waitlisted",
    ),
    pytest.param(
        lambda: _enrollment(offer_expires_at=NAIVE),
        "Enrollment",
        "offer_expires_at",
        id="enrollment-naive-offer-expiry",
    ),
    pytest.param(lambda: _transition(at=NAIVE), "Transition", "at", id="transition-naive-at"),
    pytest.param(lambda: _attendance(minutes=-1), "Attendance", "minutes", id="attendance-minutes"),
    pytest.param(
        lambda: _attendance(recorded_at=NAIVE),
        "Attendance",
        "recorded_at",
        id="attendance-naive-recorded",
    ),
    pytest.param(
        lambda: _attendance(session_id=""), "Attendance", "session_id", id="attendance-session"
    ),
    # community
    pytest.param(lambda: Team(name="", kind="cohort"), "Team", "name", id="team-name"),
    pytest.param(
        lambda: Team(name="Cohort 1", kind="cohort", member_ids=["m1"], lead_ids=["m2"]),
        "Team",
        "lead_ids",
        id="team-lead-not-member",
    ),
    pytest.param(
        lambda: Resource(title="Deck", kind="slides", url="https://x.org", access="alumni"),
        "Resource",
        "access",
        id="resource-alumni-without-program",
    ),
    pytest.param(
        lambda: Resource(title="Deck", kind="slides", url=" "), "Resource", "url", id="resource-url"
    ),
    # surveys
    pytest.param(
        lambda: SurveyItem(key="", prompt="P", kind="text"), "SurveyItem", "key", id="item-key"
    ),
    pytest.param(
        lambda: SurveyItem(key="q", prompt="", kind="text"),
        "SurveyItem",
        "prompt",
        id="item-prompt",
    ),
    pytest.param(
        lambda: Survey(title="Exit", items=[_item("q1"), _item("q2"), _item("q1")]),
        "Survey",
        "items",
        id="survey-repeated-keys",
    ),
    pytest.param(lambda: Survey(title=" ", items=[]), "Survey", "title", id="survey-title"),
    pytest.param(
        lambda: _response(submitted_at=NAIVE),
        "SurveyResponse",
        "submitted_at",
        id="response-naive-submitted",
    ),
    pytest.param(lambda: _response(survey_id=""), "SurveyResponse", "survey_id", id="response"),
    # history
    pytest.param(lambda: Milestone(year=2010, title=""), "Milestone", "title", id="milestone"),
    pytest.param(
        lambda: Recognition(title="Leader of the Year", year=2023),
        "Recognition",
        "member_id",
        id="recognition-without-recipient",
    ),
]


@pytest.mark.parametrize(("build", "kind", "field"), REFUSED)
def test_construction_refuses_invalid_values(
    build: Callable[[], object], kind: str, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        build()

    assert caught.value.kind == kind
    assert caught.value.field == field
    assert f"(field {field!r})" in str(caught.value)


def test_the_error_names_the_records_id() -> None:
    with pytest.raises(ValidationError) as caught:
        _session(end=NOON)

    assert caught.value.record_id == "s1"
    assert str(caught.value) == "Session 's1': ends before it starts (field 'end')"


# (build): boundary values that must be accepted.
ACCEPTED: list[Any] = [
    pytest.param(
        lambda: Affiliation(organization_id="o1", start=date(2024, 7, 1), end=date(2024, 7, 1)),
        id="affiliation-one-day",
    ),
    pytest.param(
        lambda: Partnership(organization_id="o1", start=date(2024, 7, 1), end=date(2024, 7, 1)),
        id="partnership-one-day",
    ),
    pytest.param(lambda: Reach(teachers_supported=0, students_reached=0), id="reach-zero"),
    pytest.param(lambda: Quota(scope="role", limit=0), id="quota-zero"),
    pytest.param(lambda: CompletionRule(min_sessions=0, min_fraction=0), id="completion-0"),
    pytest.param(lambda: CompletionRule(min_fraction=1), id="completion-fraction-1"),
    pytest.param(lambda: EnrollmentPolicy(capacity=0, offer_window=None), id="policy-0-seats"),
    pytest.param(
        lambda: EnrollmentPolicy(opens=NOON, deadline=NOON + timedelta(microseconds=1)),
        id="policy-deadline-just-after-opening",
    ),
    pytest.param(lambda: EnrollmentPolicy(deadline=NOON), id="policy-deadline-only"),
    pytest.param(lambda: _session(end=NOON + timedelta(seconds=1)), id="session-one-second"),
    pytest.param(
        lambda: _session(start=datetime(2024, 9, 10, 19, 0, tzinfo=UTC), end=NOON + timedelta(1)),
        id="session-zones-mixed",
    ),
    pytest.param(
        lambda: NetworkProfile(name="N", year_start_month=12, year_start_day=31), id="dec-31"
    ),
    pytest.param(lambda: NetworkProfile(name="N", timezone="UTC"), id="network-utc"),
    pytest.param(lambda: Organization(name="School", kind="school", parent_id=None), id="org"),
    pytest.param(
        lambda: Team(name="T", kind="cohort", member_ids=["a"], lead_ids=["a"]), id="team"
    ),
    pytest.param(lambda: Team(name="T", kind="cohort"), id="team-empty"),
    pytest.param(
        lambda: Resource(title="D", kind="slides", url="u", access="alumni", program_id="p1"),
        id="resource-alumni-with-program",
    ),
    pytest.param(lambda: Survey(title="Exit", items=[]), id="survey-no-items"),
    pytest.param(lambda: Recognition(title="R", year=2023, member_id="m1"), id="recog-member"),
    pytest.param(
        lambda: Recognition(title="R", year=2023, organization_id="o1"), id="recog-organization"
    ),
    pytest.param(lambda: _transition(from_status=None), id="transition-first-step"),
]


@pytest.mark.parametrize("build", ACCEPTED)
def test_construction_accepts_boundary_values(build: Callable[[], object]) -> None:
    build()


# ------------------------------------------------------------------- converters


def test_member_email_is_normalized() -> None:
    member = Member(email="  Ada.Lovelace@Example.ORG\n")

    assert member.email == "ada.lovelace@example.org"


@given(emails())
def test_member_email_normalization_is_idempotent(address: str) -> None:
    member = Member(email=address)

    # email-validator gives an internationalized domain in Unicode ("xn--3e0b707e": 한국).
    local, _, domain = address.strip().lower().rpartition("@")
    assert member.email == f"{local}@{domain.encode().decode('idna')}"
    assert Member(email=member.email).email == member.email


def test_member_name_falls_back_to_email() -> None:
    assert Member(email="ada@example.org", given_name="Ada", family_name="").name == "Ada"
    assert Member(email="ada@example.org").name == "ada@example.org"


def test_member_roles_accept_one_string_or_many_in_any_spelling() -> None:
    assert Member(email="a@b.org", roles="tosa").roles == {Role.TOSA}
    assert Member(email="a@b.org", roles=["Science_Lead", "TEACHER", Role.TEACHER]).roles == {
        Role.SCIENCE_LEAD,
        Role.TEACHER,
    }


def test_member_refuses_an_unknown_role_listing_the_allowed_ones() -> None:
    with pytest.raises(ValidationError, match="'principal' is not one of 'teacher', ") as caught:
        Member(email="a@b.org", roles=["teacher", "principal"])

    assert caught.value.kind == "Role"


def test_collections_are_converted() -> None:
    rule = EligibilityRule(kind="roles", allowed=["tosa", "tosa", "teacher"])
    program = Program(title="T", program_year=2024, host_ids=["o1"], tags=["a", "a"])
    team = Team(name="T", kind="cohort", member_ids=["m1", "m2"], lead_ids=("m1",))

    assert rule.kind is RuleKind.ROLES
    assert rule.allowed == frozenset({"tosa", "teacher"})
    assert program.host_ids == ("o1",)
    assert program.tags == frozenset({"a"})
    assert team.lead_ids == frozenset({"m1"})


def test_resource_access_is_converted_before_the_alumni_check() -> None:
    with pytest.raises(ValidationError, match="alumni access needs a program"):
        Resource(title="Deck", kind="Slides", url="u", access="ALUMNI")

    resource = Resource(title="Deck", kind="Slides", url="u", access="ALUMNI", program_id="p1")
    assert resource.access is AccessLevel.ALUMNI


def test_team_names_the_leads_who_are_not_members() -> None:
    with pytest.raises(ValidationError, match=r"leads \['m3', 'm4'\] are not members"):
        Team(name="T", kind="cohort", member_ids=["m1"], lead_ids=["m1", "m4", "m3"])


def test_a_bad_datetime_type_is_refused() -> None:
    with pytest.raises(ValidationError, match="is not a datetime") as caught:
        _session(recurrence_id="2024-09-10T12:00:00-07:00")

    assert caught.value.field == "recurrence_id"


@pytest.mark.parametrize("zone", ["Pacific", "America", "Not/A_Zone", ""])
def test_a_time_zone_that_is_a_folder_or_unknown_is_a_validation_error(zone: str) -> None:
    from cpnetwork.model import NetworkProfile

    with pytest.raises(ValidationError, match="is not an IANA time zone"):
        NetworkProfile(name="n", timezone=zone)
