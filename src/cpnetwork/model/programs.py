"""Programs, their enrollment policy and completion rule."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo

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


#: A deadline holds to the end of the minute it names.
DEADLINE_GRACE = timedelta(minutes=1)


def end_of_day(day: date, zone: tzinfo) -> datetime:
    """The deadline a date names: its last minute (23:59, so until midnight) in ``zone``."""
    return datetime.combine(day, time(23, 59), tzinfo=zone)


def start_of_day(day: date, zone: tzinfo) -> datetime:
    """The opening a date names: its first instant in ``zone``."""
    return datetime.combine(day, time(), tzinfo=zone)


def deadline_at(value: date | datetime, zone: tzinfo) -> datetime:
    """A deadline given as a datetime or a date (the end of that day in ``zone``).

    A naive datetime is read on the wall clock of ``zone``.
    """
    if not isinstance(value, datetime):
        return end_of_day(value, zone)
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def opening_at(value: date | datetime, zone: tzinfo) -> datetime:
    """An opening given as a datetime or a date (the start of that day in ``zone``)."""
    if not isinstance(value, datetime):
        return start_of_day(value, zone)
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


@frozen(kw_only=True, field_transformer=v.checked_fields)
class EnrollmentPolicy:
    """How a program takes people in: the mode, the window, seats, eligibility and quotas.

    The window runs from ``opens`` (inclusive) to the end of the minute ``deadline``
    names: a deadline of 23:59 takes an application at 23:59:30 and refuses one at
    midnight (see :attr:`closes`).
    """

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

    @property
    def closes(self) -> datetime | None:
        """The first instant entries are refused: the end of the deadline's minute.

        Counted in UTC, so a deadline in the hour a DST change repeats closes one
        minute after it, not an hour later.
        """
        if self.deadline is None:
            return None
        minute = self.deadline.astimezone(UTC).replace(second=0, microsecond=0)
        return (minute + DEADLINE_GRACE).astimezone(self.deadline.tzinfo)

    def window_problem(self, moment: datetime) -> str | None:
        """Why an entry at ``moment`` falls outside the opening and deadline, or None.

        The deadline is inclusive to the end of the minute it names.
        """
        if self.opens is not None and moment < self.opens:
            return f"opens {self.opens.isoformat()}"
        closes = self.closes
        if self.deadline is not None and closes is not None and moment >= closes:
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
