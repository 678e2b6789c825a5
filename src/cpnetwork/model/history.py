"""The network's history: milestones and recognitions."""

from __future__ import annotations

from datetime import date

from attrs import field, frozen

from cpnetwork.errors import ValidationError
from cpnetwork.model import _validators as v
from cpnetwork.model._base import new_id


@frozen(kw_only=True, field_transformer=v.checked_fields)
class Milestone:
    """A dated step in the network's timeline."""

    id: str = field(factory=new_id)
    year: int
    title: str = field(validator=v.non_empty)
    on: date | None = None
    description: str = ""


@frozen(kw_only=True, field_transformer=v.checked_fields)
class Recognition:
    """An award given to a member or an organization."""

    id: str = field(factory=new_id)
    title: str = field(validator=v.non_empty)
    year: int
    member_id: str | None = None
    organization_id: str | None = field(default=None)
    awarded_by: str = ""
    description: str = ""

    @organization_id.validator
    def _has_recipient(self, attribute: object, value: str | None) -> None:
        if value is None and self.member_id is None:
            raise ValidationError(
                "Recognition", self.id, "needs a member or an organization", field="member_id"
            )
