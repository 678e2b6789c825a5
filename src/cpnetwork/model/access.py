"""Who is acting: the actor a scoped network works for, and the roles they hold."""

from __future__ import annotations

from attrs import field, frozen

from cpnetwork.errors import ValidationError
from cpnetwork.model import _validators as v


class ActorRole(v.Choice):
    #: Sees and changes everything.
    ADMIN = "admin"
    #: Sees and changes the members of the counties of one region; runs programs.
    REGION_LEAD = "region_lead"
    #: Sees and changes the members of one county; runs programs.
    COUNTY_COORDINATOR = "county_coordinator"
    #: Sees the programs whose sessions they facilitate, their members and attendance.
    FACILITATOR = "facilitator"
    #: Sees and changes only their own record and enrollments.
    MEMBER = "member"


#: What each role must name: the county, the region or the member they are.
_NEEDS = {
    ActorRole.REGION_LEAD: "region",
    ActorRole.COUNTY_COORDINATOR: "county",
    ActorRole.FACILITATOR: "member_id",
    ActorRole.MEMBER: "member_id",
}


@frozen(kw_only=True)
class Actor:
    """Someone acting on the network, and the part of it they may see and change.

    ``Actor.parse("county:10")`` reads the form the command line's ``--as`` takes:
    ``admin``, ``region:CODE``, ``county:CODE``, ``facilitator:MEMBER_ID`` or
    ``member:MEMBER_ID``.
    """

    role: ActorRole = field(converter=ActorRole)
    county: str | None = None
    region: str | None = None
    member_id: str | None = None

    def __attrs_post_init__(self) -> None:
        needed = _NEEDS.get(self.role)
        if needed is not None and not getattr(self, needed):
            raise ValidationError("Actor", None, f"a {self.role.value} names a {needed}")

    @property
    def label(self) -> str:
        """How the actor is written in messages and in ``--as``."""
        detail = self.county or self.region or self.member_id
        short = {
            ActorRole.COUNTY_COORDINATOR: "county",
            ActorRole.REGION_LEAD: "region",
        }.get(self.role, self.role.value)
        return f"{short}:{detail}" if detail else short

    @classmethod
    def parse(cls, text: str) -> Actor:
        kind, _, value = text.strip().partition(":")
        kind = kind.strip().lower()
        value = value.strip()
        if kind == "admin" and not value:
            return cls(role=ActorRole.ADMIN)
        fields = {
            "county": (ActorRole.COUNTY_COORDINATOR, "county"),
            "region": (ActorRole.REGION_LEAD, "region"),
            "facilitator": (ActorRole.FACILITATOR, "member_id"),
            "member": (ActorRole.MEMBER, "member_id"),
        }
        if kind not in fields or not value:
            raise ValidationError(
                "Actor",
                None,
                f"{text!r} is not admin, county:CODE, region:CODE, facilitator:ID or member:ID",
            )
        role, name = fields[kind]
        return cls(role=role, **{name: value})
