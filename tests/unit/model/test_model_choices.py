"""Choice enums: accept a member, its value or its name in any case; refuse the rest."""

from __future__ import annotations

from typing import cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

import cpnetwork.model
from cpnetwork.errors import ValidationError
from cpnetwork.model import GradeBand, OrganizationKind, Role
from cpnetwork.model._validators import Choice

CHOICES: list[type[Choice]] = sorted(
    (
        obj
        for obj in vars(cpnetwork.model).values()
        if isinstance(obj, type) and issubclass(obj, Choice) and obj is not Choice
    ),
    key=lambda cls: cls.__name__,
)


def test_the_model_exports_its_choices() -> None:
    defined = {c for c in Choice.__subclasses__() if c.__module__.startswith("cpnetwork.model.")}

    assert {Role, GradeBand, OrganizationKind} <= set(CHOICES)
    assert set(CHOICES) == defined


@pytest.mark.parametrize("choice", CHOICES, ids=lambda cls: cls.__name__)
def test_every_member_is_found_by_value_and_name_in_any_case(choice: type[Choice]) -> None:
    for member in choice:
        spellings = {
            member.value,
            member.value.upper(),
            member.value.title(),
            member.name,
            member.name.lower(),
            f"  {member.name.title()} ",
        }
        for spelling in spellings:
            assert choice(spelling) is member, spelling
        assert choice(member) is member


@pytest.mark.parametrize("choice", CHOICES, ids=lambda cls: cls.__name__)
def test_names_and_values_do_not_collide(choice: type[Choice]) -> None:
    """No spelling could mean two members (the lookup would silently take the first)."""
    seen: dict[str, Choice] = {}
    for member in choice:
        for key in {member.value.casefold(), member.name.casefold()}:
            assert seen.setdefault(key, member) is member, key


def test_grade_bands_are_found_by_name_although_values_are_digits() -> None:
    assert GradeBand("grades_3_5") is GradeBand.GRADES_3_5
    assert GradeBand("3_5") is GradeBand.GRADES_3_5
    assert GradeBand("K_2") is GradeBand.K_2


def test_an_unknown_value_is_refused_with_the_allowed_list() -> None:
    with pytest.raises(ValidationError) as caught:
        OrganizationKind("castle")

    error = caught.value
    assert error.kind == "OrganizationKind"
    assert error.record_id is None
    assert error.field is None
    allowed = ", ".join(repr(kind.value) for kind in OrganizationKind)
    assert str(error) == f"OrganizationKind: 'castle' is not one of {allowed}"


@pytest.mark.parametrize("value", [None, 3, 1.5, b"teacher", ["teacher"], "", " ", "teach"])
def test_non_members_are_refused(value: object) -> None:
    with pytest.raises(ValidationError, match="is not one of 'teacher'"):
        Role(cast(str, value))


def test_surrounding_blanks_are_forgiven() -> None:
    assert Role(" teacher\t") is Role.TEACHER


@given(st.text(max_size=20))
def test_any_text_is_a_member_or_a_validation_error(text: str) -> None:
    try:
        role = Role(text)
    except ValidationError as error:
        assert error.kind == "Role"
        assert repr(text) in str(error)
    else:
        assert text.strip().casefold() in (role.value, role.name.casefold())


def test_choices_are_plain_strings_by_value() -> None:
    assert str(Role.TOSA) == "tosa"
    assert f"{GradeBand.GRADES_9_12}" == "9_12"
