"""Sessions of programs, one-off or generated from a recurring series."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from attrs import field, frozen

from cpnetwork.errors import ValidationError
from cpnetwork.model import _validators as v
from cpnetwork.model._base import new_id


class SessionKind(v.Choice):
    KICKOFF = "kickoff"
    INSTITUTE = "institute"
    LEARNING_COMMUNITY = "learning_community"
    MODULE = "module"
    WORKSHOP = "workshop"
    KEYNOTE = "keynote"
    BREAKOUT = "breakout"
    MEETING = "meeting"
    CONVENING = "convening"


class Modality(v.Choice):
    VIRTUAL = "virtual"
    IN_PERSON = "in_person"
    HYBRID = "hybrid"


@frozen(kw_only=True)
class Session:
    """One meeting of a program, possibly spanning several days.

    ``series_id`` and ``recurrence_id`` (the occurrence's original start) link an
    occurrence to the series it came from; ``detached`` marks one edited on its own,
    which later edits of the whole series leave alone.  ``sequence`` counts the
    changes since it was scheduled (iCalendar's SEQUENCE, so calendars take a newer
    invite over an older one).
    """

    id: str = field(factory=new_id)
    program_id: str = field(validator=v.non_empty)
    title: str = field(validator=v.non_empty)
    kind: SessionKind = field(default=SessionKind.WORKSHOP, converter=SessionKind)
    start: datetime = field(validator=v.aware)
    end: datetime = field(validator=v.aware)
    timezone: str = field(default="America/Los_Angeles", validator=v.time_zone)
    modality: Modality = field(default=Modality.VIRTUAL, converter=Modality)
    venue: str | None = None
    join_url: str | None = None
    capacity: int | None = field(default=None, validator=v.non_negative)
    counts_toward_completion: bool = True
    facilitator_ids: tuple[str, ...] = field(default=(), converter=v.str_tuple)
    module: str | None = None
    track: str | None = None
    series_id: str | None = None
    recurrence_id: datetime | None = field(default=None, validator=v.aware)
    detached: bool = False
    cancelled: bool = False
    sequence: int = field(default=0, validator=v.non_negative)

    @end.validator
    def _end_after_start(self, attribute: object, value: datetime) -> None:
        if value <= self.start:
            raise ValidationError("Session", self.id, "ends before it starts", field="end")

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def local_start(self) -> datetime:
        """The start in the session's own time zone (e.g. 16:00 PDT), for display."""
        return self.start.astimezone(ZoneInfo(self.timezone))

    @property
    def local_end(self) -> datetime:
        return self.end.astimezone(ZoneInfo(self.timezone))


@frozen(kw_only=True)
class SessionSeries:
    """A recurring session: an RFC 5545 RRULE expanded in the series' own time zone.

    ``first_start`` is the first occurrence; later occurrences keep its local
    wall-clock time, so a 4 pm session stays at 4 pm across daylight-saving changes.
    ``sequence`` counts changes to the series itself (rule, exceptions, shared fields).
    """

    id: str = field(factory=new_id)
    program_id: str = field(validator=v.non_empty)
    title: str = field(validator=v.non_empty)
    kind: SessionKind = field(default=SessionKind.LEARNING_COMMUNITY, converter=SessionKind)
    rrule: str = field(validator=v.non_empty)
    first_start: datetime = field(validator=v.aware)
    duration: timedelta = field()
    timezone: str = field(default="America/Los_Angeles", validator=v.time_zone)
    #: Original starts of occurrences that do not take place.
    exdates: frozenset[datetime] = field(factory=frozenset, converter=v.datetime_set)
    modality: Modality = field(default=Modality.VIRTUAL, converter=Modality)
    venue: str | None = None
    join_url: str | None = None
    capacity: int | None = field(default=None, validator=v.non_negative)
    counts_toward_completion: bool = True
    sequence: int = field(default=0, validator=v.non_negative)

    @duration.validator
    def _positive(self, attribute: object, value: timedelta) -> None:
        if value <= timedelta(0):
            raise ValidationError("SessionSeries", self.id, "must last", field="duration")

    @exdates.validator
    def _aware_exdates(self, attribute: object, value: frozenset[datetime]) -> None:
        for moment in value:
            if moment.tzinfo is None:
                raise ValidationError(
                    "SessionSeries", self.id, f"{moment} has no time zone", field="exdates"
                )
