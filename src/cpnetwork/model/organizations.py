"""Organizations the members work for and the network partners with."""

from __future__ import annotations

from datetime import date

from attrs import field, frozen

from cpnetwork.errors import ValidationError
from cpnetwork.model import _validators as v
from cpnetwork.model._base import new_id


class OrganizationKind(v.Choice):
    COUNTY_OFFICE = "county_office"
    DISTRICT = "district"
    SCHOOL = "school"
    CHARTER_NETWORK = "charter_network"
    UNIVERSITY = "university"
    MUSEUM = "museum"
    NONPROFIT = "nonprofit"
    STATE_AGENCY = "state_agency"
    PROFESSIONAL_ASSOCIATION = "professional_association"
    FOUNDATION = "foundation"
    EVALUATOR = "evaluator"
    OTHER = "other"


class OrganizationStatus(v.Choice):
    ACTIVE = "active"
    CLOSED = "closed"
    MERGED = "merged"
    PENDING = "pending"


@frozen(kw_only=True, field_transformer=v.checked_fields)
class Organization:
    """A county office, district, school, museum, university, nonprofit..."""

    id: str = field(factory=new_id)
    name: str = field(validator=v.non_empty)
    kind: OrganizationKind = field(converter=OrganizationKind)
    parent_id: str | None = field(default=None)
    county: str | None = None
    #: External identifiers by scheme, e.g. ``{"cds": "01100170000000", "nces": "0691051"}``.
    identifiers: dict[str, str] = field(factory=dict)
    status: OrganizationStatus = field(
        default=OrganizationStatus.ACTIVE, converter=OrganizationStatus
    )
    website: str | None = None

    @parent_id.validator
    def _not_own_parent(self, attribute: object, value: str | None) -> None:
        if value is not None and value == self.id:
            raise ValidationError(
                "Organization", self.id, "cannot be its own parent", field="parent_id"
            )


class PartnershipScope(v.Choice):
    LOCAL = "local"
    REGIONAL = "regional"
    STATE = "state"
    NATIONAL = "national"


@frozen(kw_only=True, field_transformer=v.checked_fields)
class Partnership:
    """An organization partnering with the network over a span of time."""

    id: str = field(factory=new_id)
    organization_id: str
    role: str = ""
    scope: PartnershipScope = field(default=PartnershipScope.STATE, converter=PartnershipScope)
    start: date | None = None
    end: date | None = field(default=None)
    description: str = ""

    @end.validator
    def _end_after_start(self, attribute: object, value: date | None) -> None:
        if value is not None and self.start is not None and value < self.start:
            raise ValidationError("Partnership", self.id, "ends before it starts", field="end")
