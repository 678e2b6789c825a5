"""The filters every report takes, checked against the network, and the queries they give.

:class:`Filters` is what the caller asked for (``county="Fresno"``, ``year=2024``...).
:meth:`Filters.resolve` checks it against the network (an unknown county, region or
program is a typed error naming it) and gives a :class:`Scope`: the ``where`` of each
kind of record the reports count, with the filters applied *in the store*
(:class:`~cpnetwork.storage.base.Matching` semi-joins, never ids loaded into Python).

How each filter narrows each kind of record:

=============  =====================================================================
filter         meaning
=============  =====================================================================
county         members of these counties (code or name); enrollments made from them;
               attendance and survey responses of their members
region         every county of these regions, as above
program        these programs (id or exact title): their enrollments, sessions,
               attendance, surveys; members enrolled in them
year           programs of this program year, and everything of theirs, as above
since, until   members who joined, enrollments made, sessions held, responses
               submitted, on days between them (both included, the network's zone)
=============  =====================================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from attrs import field, frozen

from cpnetwork.errors import NotFoundError, ValidationError
from cpnetwork.model import County, Enrollment, Jurisdiction, Member, Program, Region, Session
from cpnetwork.storage.base import Matching, Where

if TYPE_CHECKING:
    from cpnetwork.network import Network


def _texts(value: str | Iterable[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    values = [value] if isinstance(value, str) else list(value)
    return tuple(v.strip() for v in values if v.strip())


def _day(value: date | str | None) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError("Filters", value, "is not a date (YYYY-MM-DD)") from None


@frozen(kw_only=True)
class Filters:
    """What a report is asked to cover; every field optional (empty: everything)."""

    county: tuple[str, ...] = field(default=(), converter=_texts)
    region: tuple[str, ...] = field(default=(), converter=_texts)
    program: tuple[str, ...] = field(default=(), converter=_texts)
    year: int | None = None
    since: date | None = field(default=None, converter=_day)
    until: date | None = field(default=None, converter=_day)

    def __attrs_post_init__(self) -> None:
        if self.since is not None and self.until is not None and self.until < self.since:
            raise ValidationError(
                "Filters", None, f"until {self.until} is before since {self.since}"
            )

    def applied(self) -> dict[str, Any]:
        """The filters given, by name, as plain values (what reports show)."""
        shown: dict[str, Any] = {}
        for name in ("county", "region", "program"):
            if getattr(self, name):
                shown[name] = list(getattr(self, name))
        for name in ("year", "since", "until"):
            value = getattr(self, name)
            if value is not None:
                shown[name] = value.isoformat() if isinstance(value, date) else value
        return shown

    def resolve(self, network: Network) -> Scope:
        """Check the filters against ``network``; the queries they give.

        An unknown county or region is a ValidationError, an unknown program a
        NotFoundError, each naming it.  Without a registered jurisdiction, counties
        are taken as written and regions cannot be used.
        """
        counties = _counties(network.jurisdictions, self.county, self.region)
        programs = _programs(network, self.program)
        return Scope(
            filters=self,
            counties=counties,
            program_ids=programs,
            zone=network.profile.timezone,
        )


def _counties(
    jurisdictions: list[Jurisdiction], wanted: tuple[str, ...], regions: tuple[str, ...]
) -> tuple[County, ...] | None:
    """The counties the filters select (None: no county filter)."""
    if not wanted and not regions:
        return None
    found: dict[str, County] = {}
    for value in wanted:
        county = next((c for j in jurisdictions if (c := j.county(value)) is not None), None)
        if county is None:
            if jurisdictions:
                raise ValidationError(
                    "county", value, "is not a county of any registered jurisdiction"
                )
            county = County(code=value, name=value)
        found[county.code] = county
    for value in regions:
        region = _region(jurisdictions, value)
        for jurisdiction in jurisdictions:
            for county in jurisdiction.counties:
                if county.region_code == region.code:
                    found[county.code] = county
    return tuple(found.values())


def _region(jurisdictions: list[Jurisdiction], value: str) -> Region:
    key = value.casefold()
    for jurisdiction in jurisdictions:
        for region in jurisdiction.regions:
            if key in (region.code.casefold(), region.name.casefold()):
                return region
    raise ValidationError("region", value, "is not a region of any registered jurisdiction")


def _programs(network: Network, wanted: tuple[str, ...]) -> tuple[str, ...] | None:
    """Program ids for ids or exact (case-insensitive) titles; None: no program filter."""
    if not wanted:
        return None
    ids: list[str] = []
    with network.reports.reading() as tx:
        for value in wanted:
            if tx.get(Program, value) is not None:
                ids.append(value)
                continue
            titled = tx.find(Program, {"title": value})
            if not titled:
                # Titles compare case-insensitively; programs are few next to members.
                titled = [p for p in tx.find(Program) if p.title.casefold() == value.casefold()]
            if not titled:
                raise NotFoundError("Program", value, "no program has this id or title")
            if len(titled) > 1:
                years = ", ".join(str(p.program_year) for p in titled)
                raise ValidationError(
                    "Program",
                    value,
                    f"several programs have this title (years {years}): give an id",
                )
            ids.append(titled[0].id)
    return tuple(ids)


@frozen(kw_only=True)
class Scope:
    """Checked filters and the ``where`` of each kind of record they select."""

    filters: Filters
    #: The counties selected, or None for every county.
    counties: tuple[County, ...] | None
    #: The programs selected, or None for every program.
    program_ids: tuple[str, ...] | None
    zone: str

    @property
    def county_keys(self) -> list[str] | None:
        """What a record may hold for the selected counties: codes and names."""
        if self.counties is None:
            return None
        return sorted({key for c in self.counties for key in (c.code, c.name)})

    def _instants(self) -> tuple[datetime | None, datetime | None]:
        """``since`` at midnight and the midnight after ``until``, in the network's zone."""
        zone = ZoneInfo(self.zone)
        since, until = self.filters.since, self.filters.until
        start = datetime.combine(since, time(), zone) if since else None
        end = datetime.combine(until + timedelta(days=1), time(), zone) if until else None
        return start, end

    def programs(self) -> dict[str, Any]:
        where: dict[str, Any] = {}
        if self.program_ids is not None:
            where["id"] = list(self.program_ids)
        if self.filters.year is not None:
            where["program_year"] = self.filters.year
        return where

    def _program_link(self, where: dict[str, Any], name: str = "program_id") -> None:
        if self.program_ids is not None and self.filters.year is None:
            where[name] = list(self.program_ids)
        elif self.program_ids is not None or self.filters.year is not None:
            where[name] = Matching(Program, self.programs())

    def _member_link(self, where: dict[str, Any]) -> None:
        if self.counties is not None:
            where["member_id"] = Matching(Member, {"county": self.county_keys})

    def members(self) -> Where:
        """Members in the counties, joined in the dates, enrolled in the programs."""
        where: dict[str, Any] = {}
        if self.counties is not None:
            where["county"] = self.county_keys
        if self.filters.since is not None:
            where["joined__ge"] = self.filters.since
        if self.filters.until is not None:
            where["joined__le"] = self.filters.until
        if self.program_ids is not None or self.filters.year is not None:
            enrolled: dict[str, Any] = {}
            self._program_link(enrolled)
            where["id"] = Matching(Enrollment, enrolled, field="member_id")
        return where

    def enrollments(self) -> Where:
        """Enrollments in the programs, made from the counties, in the dates."""
        where: dict[str, Any] = {}
        self._program_link(where)
        if self.counties is not None:
            where["county"] = self.county_keys
        start, end = self._instants()
        if start is not None:
            where["created_at__ge"] = start
        if end is not None:
            where["created_at__lt"] = end
        return where

    def sessions(self) -> Where:
        """Sessions of the programs, starting in the dates."""
        where: dict[str, Any] = {}
        self._program_link(where)
        start, end = self._instants()
        if start is not None:
            where["start__ge"] = start
        if end is not None:
            where["start__lt"] = end
        return where

    def attendance(self) -> Where:
        """Attendance at the sessions, of members of the counties."""
        where: dict[str, Any] = {}
        self._program_link(where)
        if self.filters.since is not None or self.filters.until is not None:
            where["session_id"] = Matching(Session, self.sessions())
        self._member_link(where)
        return where

    def responses(self, survey_id: str) -> Where:
        """Responses to a survey, submitted in the dates, by members of the counties.

        With a county filter, anonymous responses (no member) are left out.
        """
        where: dict[str, Any] = {"survey_id": survey_id}
        start, end = self._instants()
        if start is not None:
            where["submitted_at__ge"] = start
        if end is not None:
            where["submitted_at__lt"] = end
        self._member_link(where)
        return where
