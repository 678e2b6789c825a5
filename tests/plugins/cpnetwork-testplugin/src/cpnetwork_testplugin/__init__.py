"""A test plugin: one custom member field and one eligibility rule.

Programs tagged ``credential-required`` only take members whose custom field
``science_credential`` is true.
"""

from __future__ import annotations

from cpnetwork.fields import CustomField
from cpnetwork.hookspecs import hookimpl
from cpnetwork.model import Member, Program

CREDENTIAL_TAG = "credential-required"


@hookimpl
def register_member_fields() -> list[CustomField]:
    return [
        CustomField(
            name="science_credential",
            type="boolean",
            description="Holds a California single-subject science credential.",
        )
    ]


@hookimpl
def check_eligibility(program: Program, member: Member) -> list[str]:
    if CREDENTIAL_TAG in program.tags and member.custom.get("science_credential") is not True:
        return ["needs a science credential (science_credential)"]
    return []
