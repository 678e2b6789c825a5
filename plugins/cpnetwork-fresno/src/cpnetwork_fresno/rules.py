"""Fresno's custom field and eligibility rule."""

from __future__ import annotations

from collections.abc import Sequence

from cpnetwork import hookimpl
from cpnetwork.fields import CustomField
from cpnetwork.model import Member, Organization, OrganizationKind, Program

#: Fresno County's code in the state's county list.
FRESNO = "10"

#: Programs with this tag are for Fresno County Superintendent of Schools staff only.
COE_ONLY_TAG = "fresno-coe-only"

COHORTS = ("2022", "2023", "2024", "2025")


@hookimpl
def register_member_fields() -> list[CustomField]:
    return [
        CustomField(
            name="fresno_cohort",
            type="text",
            choices=COHORTS,
            description="The Fresno science leadership cohort the member joined with.",
        )
    ]


def _works_at_the_county_office(organizations: Sequence[Organization]) -> bool:
    return any(
        org.kind is OrganizationKind.COUNTY_OFFICE and org.county == FRESNO for org in organizations
    )


@hookimpl
def check_eligibility(
    program: Program, member: Member, organizations: Sequence[Organization]
) -> list[str]:
    if COE_ONLY_TAG in program.tags and not _works_at_the_county_office(organizations):
        return ["open to Fresno County Superintendent of Schools staff only"]
    return []
