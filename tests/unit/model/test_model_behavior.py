"""What the records compute: program years, affiliations, roles, survey answers, places."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cpnetwork.model import (
    Affiliation,
    County,
    ItemKind,
    Jurisdiction,
    Member,
    NetworkProfile,
    Region,
    Role,
    Survey,
    SurveyItem,
    SurveyResponse,
)
from cpnetwork.model.surveys import Answer
from cpnetwork.testing.strategies import (
    answers_for,
    dates,
    network_profiles,
    survey_items,
    survey_responses,
    surveys,
)

# ----------------------------------------------------------------- program year

PROFILE = NetworkProfile(name="Network")  # program years start on July 1


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2024, 6, 30), 2023),
        (date(2024, 7, 1), 2024),
        (date(2024, 7, 2), 2024),
        (date(2024, 12, 31), 2024),
        (date(2025, 1, 1), 2024),
        (date(2025, 6, 30), 2024),
        (date(2025, 7, 1), 2025),
    ],
)
def test_program_year_starts_on_july_1(day: date, year: int) -> None:
    assert PROFILE.program_year(day) == year


def test_program_year_bounds_are_half_open() -> None:
    assert PROFILE.program_year_bounds(2024) == (date(2024, 7, 1), date(2025, 7, 1))


def test_a_january_start_makes_program_years_calendar_years() -> None:
    profile = NetworkProfile(name="N", year_start_month=1, year_start_day=1)

    assert profile.program_year(date(2024, 1, 1)) == 2024
    assert profile.program_year(date(2023, 12, 31)) == 2023


@given(network_profiles(), dates())
def test_every_day_falls_inside_its_program_years_bounds(
    profile: NetworkProfile, day: date
) -> None:
    year = profile.program_year(day)
    first, next_first = profile.program_year_bounds(year)

    assert first <= day < next_first
    assert profile.program_year(first) == year
    assert profile.program_year(next_first - timedelta(days=1)) == year
    assert profile.program_year(next_first) == year + 1


# ---------------------------------------------------------------- affiliations

DISTRICT = Affiliation(
    organization_id="district", start=date(2020, 8, 1), end=date(2023, 6, 30), primary=True
)
COUNTY_OFFICE = Affiliation(organization_id="county", start=date(2023, 7, 1), primary=True)
MUSEUM = Affiliation(organization_id="museum", start=date(2019, 1, 1), primary=False)
MEMBER = Member(email="ada@example.org", affiliations=[MUSEUM, DISTRICT, COUNTY_OFFICE])


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(date(2018, 12, 31), None, id="before-any"),
        pytest.param(date(2019, 1, 1), MUSEUM, id="only-a-secondary-one"),
        pytest.param(date(2020, 8, 1), DISTRICT, id="primary-first-day"),
        pytest.param(date(2023, 6, 30), DISTRICT, id="primary-last-day"),
        pytest.param(date(2023, 7, 1), COUNTY_OFFICE, id="next-primary"),
        pytest.param(date(2040, 1, 1), COUNTY_OFFICE, id="open-ended"),
    ],
)
def test_affiliation_on_prefers_the_active_primary(day: date, expected: Affiliation | None) -> None:
    assert MEMBER.affiliation_on(day) == expected


def test_affiliation_on_takes_the_first_active_one_without_a_primary() -> None:
    first = Affiliation(organization_id="a", primary=False)
    second = Affiliation(organization_id="b", primary=False)
    member = Member(email="ada@example.org", affiliations=[first, second])

    assert member.affiliation_on(date(2024, 1, 1)) is first


def test_affiliation_on_without_affiliations_is_none() -> None:
    assert Member(email="ada@example.org").affiliation_on(date(2024, 1, 1)) is None


def test_an_affiliation_without_dates_is_always_active() -> None:
    always = Affiliation(organization_id="o1")

    assert always.active_on(date(1900, 1, 1))
    assert always.active_on(date(2100, 1, 1))


# ------------------------------------------------------------------ primary role


@pytest.mark.parametrize(
    ("roles", "primary"),
    [
        pytest.param([], None, id="none"),
        pytest.param(["other"], Role.OTHER, id="one"),
        pytest.param(["other", "teacher_leader", "teacher"], Role.TEACHER, id="declared-first"),
        pytest.param(["researcher", "tosa", "science_lead"], Role.TOSA, id="tosa"),
    ],
)
def test_primary_role_is_the_first_in_declaration_order(
    roles: list[str], primary: Role | None
) -> None:
    assert Member(email="ada@example.org", roles=roles).primary_role is primary


@given(st.frozensets(st.sampled_from(Role), min_size=1))
def test_primary_role_is_one_of_the_roles_and_ranks_first(roles: frozenset[Role]) -> None:
    primary = Member(email="ada@example.org", roles=roles).primary_role

    assert primary in roles
    assert all(list(Role).index(primary) <= list(Role).index(role) for role in roles)


# ------------------------------------------------------------------- survey items


def _item(kind: str) -> SurveyItem:
    return SurveyItem(key="q1", prompt="Prompt", kind=kind)


@pytest.mark.parametrize("kind", ["likert", "rating"])
@pytest.mark.parametrize("answer", [1, 3, 5])
def test_scores_accept_1_to_5(kind: str, answer: int) -> None:
    assert _item(kind).check(answer) is None


@pytest.mark.parametrize("kind", ["likert", "rating"])
@pytest.mark.parametrize("answer", [0, 6, -1, True, False, "3", 3.0])
def test_scores_refuse_anything_else(kind: str, answer: Answer) -> None:
    reason = _item(kind).check(answer)

    assert reason == f"q1: {answer!r} is not a score from 1 to 5"


@pytest.mark.parametrize("answer", [True, False])
def test_yes_no_accepts_booleans(answer: bool) -> None:
    assert _item("yes_no").check(answer) is None


@pytest.mark.parametrize("answer", [1, 0, "yes", "no", ""])
def test_yes_no_refuses_anything_else(answer: Answer) -> None:
    assert _item("yes_no").check(answer) == f"q1: {answer!r} is not yes/no"


@pytest.mark.parametrize("answer", ["", "Loved it", "5"])
def test_text_accepts_strings(answer: str) -> None:
    assert _item("text").check(answer) is None


@pytest.mark.parametrize("answer", [5, True])
def test_text_refuses_anything_else(answer: Answer) -> None:
    assert _item("text").check(answer) == f"q1: {answer!r} is not text"


@given(survey_items().flatmap(lambda item: st.tuples(st.just(item), answers_for(item))))
def test_answers_drawn_for_an_item_fit_it(pair: tuple[SurveyItem, Answer]) -> None:
    item, answer = pair

    assert item.check(answer) is None


@given(surveys().flatmap(lambda s: st.tuples(st.just(s), survey_responses(s))))
def test_drawn_responses_answer_every_required_item(pair: tuple[Survey, SurveyResponse]) -> None:
    survey, response = pair

    for item in survey.items:
        if item.required:
            assert item.key in response.answers
        if item.key in response.answers:
            assert item.check(response.answers[item.key]) is None
    assert set(response.answers) <= {item.key for item in survey.items}
    assert response.survey_id == survey.id


def test_item_kinds_are_the_four_documented() -> None:
    assert [k.value for k in ItemKind] == ["likert", "rating", "yes_no", "text"]


# -------------------------------------------------------------------- jurisdiction

STATE = Jurisdiction(
    code="CA",
    name="California",
    regions=(Region(code="11", name="Los Angeles"), Region(code="4", name="Bay Area")),
    counties=(
        County(code="19", name="Los Angeles", region_code="11"),
        County(code="01", name="Alameda", region_code="4"),
        County(code="02", name="Alpine"),
    ),
)


def test_counties_are_found_by_code_or_name_in_any_case() -> None:
    assert STATE.county("19") == STATE.counties[0]
    assert STATE.county("  los angeles ") == STATE.counties[0]
    assert STATE.county("ALAMEDA") == STATE.counties[1]
    assert STATE.county("Orange") is None


def test_a_countys_region_is_found() -> None:
    assert STATE.region_of("01") == Region(code="4", name="Bay Area")
    assert STATE.region_of("Alpine") is None
    assert STATE.region_of("99") is None
