"""The network itself: the root record every other record belongs to."""

from __future__ import annotations

from datetime import date

from attrs import field, frozen

from cpnetwork.errors import ValidationError
from cpnetwork.model import _validators as v
from cpnetwork.model.notifications import NotificationSettings


@frozen(kw_only=True)
class Priority:
    """A core belief or priority that programs and sessions are tagged with."""

    key: str = field(validator=v.non_empty)
    statement: str = ""


def _years(value: int | None) -> int | None:
    if value is not None and value < 0:
        raise ValidationError("RetentionSettings", None, "years kept cannot be negative")
    return value


@frozen(kw_only=True)
class RetentionSettings:
    """How long personal details are kept once a program year has ended, in whole years.

    None keeps them.  0 clears them as soon as the year ends.  Counts (attendance,
    enrollments by status, survey percentages) are never touched.
    """

    #: Members' answers on application and interest forms.
    application_answers: int | None = field(default=None, converter=_years)
    #: Free-text survey answers (scale and yes/no answers stay).
    survey_comments: int | None = field(default=None, converter=_years)
    #: Reasons written on enrollment steps ("moved out of state").
    step_reasons: int | None = field(default=None, converter=_years)


@frozen(kw_only=True)
class NetworkProfile:
    """Name, home time zone and program-year boundary of a network."""

    id: str = "network"
    name: str = field(validator=v.non_empty)
    timezone: str = field(default="America/Los_Angeles", validator=v.time_zone)
    #: Month and day a program year starts, e.g. (7, 1) for July 1.
    year_start_month: int = field(default=7)
    year_start_day: int = field(default=1)
    priorities: tuple[Priority, ...] = ()
    notifications: NotificationSettings = field(factory=NotificationSettings)
    retention: RetentionSettings = field(factory=RetentionSettings)

    @year_start_day.validator
    def _check_year_start(self, attribute: object, value: int) -> None:
        try:
            date(2001, self.year_start_month, value)
        except (ValueError, TypeError) as exc:
            raise ValidationError(
                "NetworkProfile", self.id, f"bad program-year start: {exc}", field="year_start"
            ) from exc

    def program_year(self, on: date) -> int:
        """The program year a date falls in, named by the calendar year it starts in."""
        start = date(on.year, self.year_start_month, self.year_start_day)
        return on.year if on >= start else on.year - 1

    def program_year_bounds(self, year: int) -> tuple[date, date]:
        """First day of ``year`` and first day of the next program year."""
        return (
            date(year, self.year_start_month, self.year_start_day),
            date(year + 1, self.year_start_month, self.year_start_day),
        )
