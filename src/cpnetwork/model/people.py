"""Members of the network and their affiliations over time."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from attrs import field, frozen

from cpnetwork.errors import ValidationError
from cpnetwork.model import _validators as v
from cpnetwork.model._base import new_id
from cpnetwork.model.notifications import Category, optional_categories

#: Values a plugin-declared custom field may hold.
CustomValue = str | int | float | bool | None


class Role(v.Choice):
    TEACHER = "teacher"
    TEACHER_LEADER = "teacher_leader"
    TOSA = "tosa"
    INSTRUCTIONAL_COACH = "instructional_coach"
    SITE_ADMINISTRATOR = "site_administrator"
    DISTRICT_ADMINISTRATOR = "district_administrator"
    COUNTY_ADMINISTRATOR = "county_administrator"
    SCIENCE_LEAD = "science_lead"
    PL_PROVIDER = "pl_provider"
    INFORMAL_EDUCATOR = "informal_educator"
    RESEARCHER = "researcher"
    OTHER = "other"


class GradeBand(v.Choice):
    PRE_K = "pre_k"
    K_2 = "k_2"
    GRADES_3_5 = "3_5"
    GRADES_6_8 = "6_8"
    GRADES_9_12 = "9_12"
    POSTSECONDARY = "postsecondary"


class EquityFocus(v.Choice):
    """Whether the member serves historically marginalized students."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


def _roles(values: Iterable[Role | str]) -> frozenset[Role]:
    return frozenset(Role(r) for r in ([values] if isinstance(values, str) else values))


def _grade_bands(values: Iterable[GradeBand | str]) -> frozenset[GradeBand]:
    return frozenset(GradeBand(g) for g in ([values] if isinstance(values, str) else values))


@frozen(kw_only=True)
class Affiliation:
    """A member working at an organization from ``start`` until ``end`` (open if None)."""

    organization_id: str = field(validator=v.non_empty)
    title: str = ""
    start: date | None = None
    end: date | None = field(default=None)
    primary: bool = True

    @end.validator
    def _end_after_start(self, attribute: object, value: date | None) -> None:
        if value is not None and self.start is not None and value < self.start:
            raise ValidationError(
                "Affiliation", self.organization_id, "ends before it starts", field="end"
            )

    def active_on(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)


def _affiliations(
    values: Iterable[Affiliation | Mapping[str, Any]],
) -> tuple[Affiliation, ...]:
    return tuple(a if isinstance(a, Affiliation) else Affiliation(**a) for a in values)


@frozen(kw_only=True)
class Reach:
    """Self-reported reach: how many teachers a leader supports, students reached."""

    teachers_supported: int | None = field(default=None, validator=v.non_negative)
    students_reached: int | None = field(default=None, validator=v.non_negative)


def _reach(value: Reach | Mapping[str, int | None]) -> Reach:
    return value if isinstance(value, Reach) else Reach(**value)


@frozen(kw_only=True)
class Member:
    """A person in the network."""

    id: str = field(factory=new_id)
    email: str = field(converter=v.normalize_email, validator=v.email)
    given_name: str = ""
    family_name: str = ""
    roles: frozenset[Role] = field(factory=frozenset, converter=_roles)
    grade_bands: frozenset[GradeBand] = field(factory=frozenset, converter=_grade_bands)
    affiliations: tuple[Affiliation, ...] = field(default=(), converter=_affiliations)
    county: str | None = None
    joined: date | None = None
    reach: Reach = field(factory=Reach, converter=_reach)
    equity_focus: EquityFocus = field(default=EquityFocus.UNKNOWN, converter=EquityFocus)
    #: Agreed to receive news beyond messages about their own enrollments.
    consents_to_updates: bool = False
    #: Optional message categories (reminders, news) the member asked not to receive.
    opted_out: frozenset[Category] = field(factory=frozenset, converter=optional_categories)
    #: Values of fields declared by plugins (``register_member_fields``).
    custom: dict[str, CustomValue] = field(factory=dict)
    #: When the member's personal data was erased (``members.erase``); None while kept.
    erased_at: datetime | None = field(default=None, validator=v.aware)

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip() or self.email

    def affiliation_on(self, day: date) -> Affiliation | None:
        """The primary affiliation active on ``day`` (else any active one)."""
        active = [a for a in self.affiliations if a.active_on(day)]
        return next((a for a in active if a.primary), active[0] if active else None)

    @property
    def primary_role(self) -> Role | None:
        return min(self.roles, key=list(Role).index) if self.roles else None
