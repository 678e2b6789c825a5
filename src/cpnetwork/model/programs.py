"""Programs, their enrollment policy and completion rule."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from attrs import field, frozen

from cpnetwork.errors import ValidationError
from cpnetwork.model import _validators as v
from cpnetwork.model._base import new_id
from cpnetwork.model.notifications import ReminderSettings


class EnrollmentMode(v.Choice):
    APPLICATION = "application"
    INTEREST = "interest"
    REGISTRATION = "registration"
    INVITATION = "invitation"


class Format(v.Choice):
    VIRTUAL = "virtual"
    IN_PERSON = "in_person"
    HYBRID = "hybrid"


class RuleKind(v.Choice):
    """What a built-in eligibility rule looks at."""

    ROLES = "roles"
    COUNTIES = "counties"
    REGIONS = "regions"
    ORGANIZATION_KINDS = "organization_kinds"
    GRADE_BANDS = "grade_bands"


@frozen(kw_only=True, field_transformer=v.checked_fields)
class EligibilityRule:
    """The member must have at least one of ``allowed`` for ``kind``."""

    kind: RuleKind = field(converter=RuleKind)
    allowed: frozenset[str] = field(converter=v.str_set)
    description: str = ""


class QuotaScope(v.Choice):
    ORGANIZATION = "organization"
    COUNTY = "county"
    REGION = "region"
    ROLE = "role"


@frozen(kw_only=True, field_transformer=v.checked_fields)
class Quota:
    """At most ``limit`` seats per organization / county / region / role.

    With ``value`` set the quota applies to that one key only (e.g. county "19");
    without it, to every key of the scope.
    """

    scope: QuotaScope = field(converter=QuotaScope)
    limit: int = field(validator=v.non_negative)
    value: str | None = None


@frozen(kw_only=True, field_transformer=v.checked_fields)
class CompletionRule:
    """When an enrolled member has completed the program.

    Counted sessions are those marked ``counts_toward_completion`` (and of
    ``session_kinds`` when given).  A member completes with at least
    ``min_sessions`` of them attended, or at least ``min_fraction`` of them.
    """

    min_sessions: int | None = field(default=None, validator=v.non_negative)
    min_fraction: float | None = field(default=None, validator=v.fraction)
    session_kinds: frozenset[str] = field(factory=frozenset, converter=v.str_set)
    count_partial: bool = True


def _rules(values: Iterable[EligibilityRule]) -> tuple[EligibilityRule, ...]:
    return tuple(values)


def _quotas(values: Iterable[Quota]) -> tuple[Quota, ...]:
    return tuple(values)


@frozen(kw_only=True, field_transformer=v.checked_fields)
class EnrollmentPolicy:
    mode: EnrollmentMode = field(default=EnrollmentMode.REGISTRATION, converter=EnrollmentMode)
    opens: datetime | None = field(default=None, validator=v.aware)
    deadline: datetime | None = field(default=None, validator=v.aware)
    capacity: int | None = field(default=None, validator=v.non_negative)
    waitlist: bool = True
    #: How long a waitlisted member has to take up a freed seat; None promotes at once.
    offer_window: timedelta | None = field(default=timedelta(days=7))
    eligibility: tuple[EligibilityRule, ...] = field(default=(), converter=_rules)
    quotas: tuple[Quota, ...] = field(default=(), converter=_quotas)

    @deadline.validator
    def _deadline_after_opening(self, attribute: object, value: datetime | None) -> None:
        if value is not None and self.opens is not None and value <= self.opens:
            raise ValidationError(
                "EnrollmentPolicy", None, "deadline is not after opening", field="deadline"
            )

    def window_problem(self, moment: datetime) -> str | None:
        """Why an entry at ``moment`` falls outside the opening and deadline, or None."""
        if self.opens is not None and moment < self.opens:
            return f"opens {self.opens.isoformat()}"
        if self.deadline is not None and moment > self.deadline:
            return f"deadline {self.deadline.isoformat()} has passed"
        return None

    @offer_window.validator
    def _positive_window(self, attribute: object, value: timedelta | None) -> None:
        if value is not None and value <= timedelta(0):
            raise ValidationError(
                "EnrollmentPolicy", None, "offer window must be positive", field="offer_window"
            )


@frozen(kw_only=True, field_transformer=v.checked_fields)
class Module:
    """A module or track of a multi-part program."""

    key: str = field(validator=v.non_empty)
    title: str = ""


def _modules(values: Iterable[Module]) -> tuple[Module, ...]:
    return tuple(values)


@frozen(kw_only=True, field_transformer=v.checked_fields)
class Program:
    """Something members take part in within a program year."""

    id: str = field(factory=new_id)
    title: str = field(validator=v.non_empty)
    program_year: int
    description: str = ""
    host_ids: tuple[str, ...] = field(default=(), converter=v.str_tuple)
    partner_ids: tuple[str, ...] = field(default=(), converter=v.str_tuple)
    audience: str = ""
    format: Format = field(default=Format.VIRTUAL, converter=Format)
    fee_cents: int = field(default=0, validator=v.non_negative)
    tags: frozenset[str] = field(factory=frozenset, converter=v.str_set)
    policy: EnrollmentPolicy = field(factory=EnrollmentPolicy)
    completion: CompletionRule | None = None
    #: This program's reminder schedule; None follows the network's.
    reminders: ReminderSettings | None = None
    modules: tuple[Module, ...] = field(default=(), converter=_modules)
    tracks: tuple[Module, ...] = field(default=(), converter=_modules)
