"""CDS codes: 14 digits, 2 county + 5 district + 7 school, county part a known county."""

from __future__ import annotations

import pytest
from cpnetwork_california import CdsCode, cds_problem, is_valid_cds, normalize_cds, parse_cds

from cpnetwork import ValidationError


def test_parse_splits_the_three_parts() -> None:
    code = parse_cds("01611190130229")
    assert code == CdsCode("01", "61119", "0130229")
    assert str(code) == "01611190130229"
    assert code.county_name == "Alameda"
    assert not code.is_district_level
    assert code.district_code() == CdsCode("01", "61119", "0000000")
    assert code.district_code().is_district_level


@pytest.mark.parametrize(
    "value",
    ["01 61119 0130229", "01-61119-0130229", " 01611190130229\t", 1611190130229, 1611190130229.0],
)
def test_loose_spellings_and_numbers_that_lost_the_leading_zero(value: object) -> None:
    assert normalize_cds(value) == "01611190130229"
    assert is_valid_cds(value)
    assert str(parse_cds(value)) == "01611190130229"


def test_every_county_code_is_accepted() -> None:
    for county in range(1, 59):
        assert is_valid_cds(f"{county:02d}100170000000")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("0161119013022", "expected 14 digits"),
        ("016111901302290", "expected 14 digits"),
        ("01611190I30229", "expected 14 digits"),
        ("", "expected 14 digits"),
        (None, "expected 14 digits"),
        (True, "expected 14 digits"),
        (-1611190130229, "expected 14 digits"),
        ("٠١٦١١١٩٠١٣٠٢٢٩", "expected 14 digits"),  # Arabic-Indic digits are not CDS digits
        ("59611190130229", "'59' is not a California county code"),
        ("00611190130229", "'00' is not a California county code"),
    ],
)
def test_invalid_codes_say_why(value: object, reason: str) -> None:
    assert not is_valid_cds(value)
    problem = cds_problem(value)
    assert problem is not None and reason in problem
    with pytest.raises(ValidationError, match="CDS code"):
        parse_cds(value)
