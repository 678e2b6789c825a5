"""Teams and groups, and the resources shared with them."""

from __future__ import annotations

from attrs import field, frozen

from cpnetwork.errors import ValidationError
from cpnetwork.model import _validators as v
from cpnetwork.model._base import new_id


class TeamKind(v.Choice):
    REGIONAL = "regional"
    COUNTY = "county"
    COHORT = "cohort"
    GRADE_LEVEL = "grade_level"
    JOB_ALIKE = "job_alike"
    LEARNING_COMMUNITY = "learning_community"
    WORKING_GROUP = "working_group"


@frozen(kw_only=True, field_transformer=v.checked_fields)
class Team:
    """A regional or county team, a cohort, a grade-level or job-alike group."""

    id: str = field(factory=new_id)
    name: str = field(validator=v.non_empty)
    kind: TeamKind = field(converter=TeamKind)
    program_id: str | None = None
    county: str | None = None
    region: str | None = None
    member_ids: frozenset[str] = field(factory=frozenset, converter=v.str_set)
    lead_ids: frozenset[str] = field(factory=frozenset, converter=v.str_set)

    @lead_ids.validator
    def _leads_are_members(self, attribute: object, value: frozenset[str]) -> None:
        strangers = value - self.member_ids
        if strangers:
            raise ValidationError(
                "Team", self.id, f"leads {sorted(strangers)} are not members", field="lead_ids"
            )


class AccessLevel(v.Choice):
    PUBLIC = "public"
    MEMBERS = "members"
    #: Only members who completed ``Resource.program_id``.
    ALUMNI = "alumni"


class ResourceKind(v.Choice):
    SLIDES = "slides"
    PROTOCOL = "protocol"
    MODULE = "module"
    TOOLKIT = "toolkit"
    RECORDING = "recording"
    FLYER = "flyer"
    WEBSITE = "website"
    DOCUMENT = "document"


@frozen(kw_only=True, field_transformer=v.checked_fields)
class Resource:
    """Material linked to a program or session, with an access level."""

    id: str = field(factory=new_id)
    title: str = field(validator=v.non_empty)
    kind: ResourceKind = field(converter=ResourceKind)
    url: str = field(validator=v.non_empty)
    access: AccessLevel = field(default=AccessLevel.PUBLIC, converter=AccessLevel)
    program_id: str | None = None
    session_id: str | None = None
    program_year: int | None = None

    @access.validator
    def _alumni_need_program(self, attribute: object, value: AccessLevel) -> None:
        if value is AccessLevel.ALUMNI and self.program_id is None:
            raise ValidationError(
                "Resource", self.id, "alumni access needs a program", field="access"
            )
