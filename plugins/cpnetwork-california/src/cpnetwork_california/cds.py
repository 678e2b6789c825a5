"""CDS codes: the 14-digit County-District-School codes of the California Department of Education.

A CDS code is 2 digits of county (``"01"`` Alameda ... ``"58"`` Yuba), 5 of district
and 7 of school.  District-level records (districts and county offices of education)
have the school part ``0000000``::

    >>> code = parse_cds("01 61119 0130229")
    >>> code.county, code.district, code.school
    ('01', '61119', '0130229')
    >>> str(code.district_code())
    '01611190000000'
"""

from __future__ import annotations

from attrs import frozen

from cpnetwork.errors import ValidationError
from cpnetwork_california.geography import county_names

#: The school part of a district-level record (a district or a county office).
NO_SCHOOL = "0000000"
#: The district part of a county-level code.
NO_DISTRICT = "00000"


@frozen
class CdsCode:
    """A parsed, valid CDS code; ``str()`` gives the 14 digits."""

    county: str
    district: str
    school: str

    def __str__(self) -> str:
        return f"{self.county}{self.district}{self.school}"

    @property
    def county_name(self) -> str:
        return county_names()[self.county]

    @property
    def is_district_level(self) -> bool:
        """True for districts and county offices (school part ``0000000``)."""
        return self.school == NO_SCHOOL

    def district_code(self) -> CdsCode:
        """The code of the district-level record this code belongs to."""
        return CdsCode(self.county, self.district, NO_SCHOOL)


def normalize_cds(value: object) -> str | None:
    """The 14 digits of a CDS code written loosely, or None if it has not 14 digits.

    Blanks and dashes between the parts are ignored; an integer (a spreadsheet cell
    that lost the leading zero) is padded back to 14 digits.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        text = f"{value:014d}" if value >= 0 else ""
    elif isinstance(value, str):
        text = "".join(value.split()).replace("-", "")
    else:
        return None
    if len(text) != 14 or not text.isascii() or not text.isdigit():
        return None
    return text


def _check(value: object) -> tuple[str | None, str | None]:
    text = normalize_cds(value)
    if text is None:
        return None, f"{value!r} is not a CDS code (expected 14 digits)"
    if text[:2] not in county_names():
        return None, f"{text!r}: county part {text[:2]!r} is not a California county code"
    return text, None


def cds_problem(value: object) -> str | None:
    """Why ``value`` is not a valid CDS code, or None if it is one."""
    return _check(value)[1]


def is_valid_cds(value: object) -> bool:
    """Whether ``value`` is a 14-digit CDS code whose county part is a known county."""
    return _check(value)[0] is not None


def parse_cds(value: object) -> CdsCode:
    """Split a CDS code into county, district and school; ValidationError if invalid."""
    text, problem = _check(value)
    if text is None:
        raise ValidationError("CDS code", str(value), problem or "invalid")
    return CdsCode(text[:2], text[2:7], text[7:])
