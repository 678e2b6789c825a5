"""``ical-sessions``: a program's sessions from an iCalendar file (a schedule kept in a calendar).

Option ``program=<id or exact title>`` names the program; ``session_kind=`` and
``modality=`` set those fields on every session (else the model's defaults, and
``in_person`` when LOCATION names a place rather than a link); ``timezone=`` and
``all_day=`` are described below.  Each VEVENT becomes:

* without RRULE: a one-off session (DTEND, or DURATION, gives its end);
* with RRULE: a session series (``FREQ`` daily to yearly, the rule parts
  :mod:`cpnetwork.recurrence` accepts), its EXDATEs as exception dates;
* a RECURRENCE-ID override: that occurrence moved, retitled or relocated on its own
  (``detached``), or with ``STATUS:CANCELLED`` an exception date;
* RDATEs (dates or periods), a DTSTART that is not an occurrence of its own RRULE
  (iCalendar expanders still list it), overrides of no occurrence, and overrides whose
  event is not in the file: one-off sessions, as the occurrences they are;
* ``STATUS:CANCELLED`` on the event: nothing new; sessions imported from it earlier are
  cancelled.

The occurrences are those ``recurring-ical-events`` lists for the same file, except
where this importer refuses a construct (sub-daily FREQ, BYHOUR / BYMINUTE / BYSECOND,
more than one RRULE, EXRULE, RANGE=THISANDFUTURE, a property an event has once given
twice, an end before the start, DTSTART and DTEND of different kinds: an error names the
event, the property and the reason) or skips an event with a note (no UID, no DTSTART,
no length), and except that a rule with neither COUNT nor UNTIL stops at the end of the
program's program year.  Of several versions of one event (or of one occurrence) the
highest SEQUENCE wins (two with the same SEQUENCE are refused); a change with a lower
SEQUENCE than its series, of an occurrence the series no longer has, is dropped.

Times: a TZID that is an IANA zone is used as is; a Windows zone name ("Pacific Standard
Time") is mapped to its IANA zone; otherwise the VTIMEZONE's ``X-LIC-LOCATION`` or a
zone path at the end of the TZID ("/mozilla.org/.../America/New_York"); otherwise
option ``timezone=`` if given, else the event is refused.  A series keeps its DTSTART's
zone, so it keeps its local time across daylight saving as the calendar does (a series
given in UTC stays in UTC).  Floating times and all-day dates are read in the calendar's
zone: option ``timezone``, else the calendar's ``X-WR-TIMEZONE``, else the network's.

All-day events (DATE values) become sessions from midnight to midnight local time,
spanning their days, 23 or 25 hours on a day clocks change (``all_day=skip`` leaves
them out instead); an occurrence of an all-day series is named by its day, however its
RECURRENCE-ID writes it.  An event with a time but neither DTEND nor DURATION, and an
event that ends at its start, have no length: they are skipped with a note saying
which, but their RDATE periods with an end of their own are sessions.

Re-import does not duplicate: a series' id, and a one-off session's, is derived from
the program and the event's UID (and, for an extra date, its start), so importing the
file again finds them and brings them in line: an occurrence is matched by its original
start (RECURRENCE-ID), so its session, and the attendance taken at it, stays.  An event
deleted from the calendar is not noticed: cancel its sessions in cpnetwork.  The calendar
is taken to be where the schedule is edited: a series split in cpnetwork ("this and
following") is not merged back, and the calendar's times and titles win.  Everything
is written in one transaction (:meth:`~cpnetwork.services.sessions.SessionService.
sync`); a dry run makes the same changes and rolls them back.
"""

from __future__ import annotations

import importlib
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
from attrs import define, field

from cpnetwork import recurrence
from cpnetwork.errors import BatchError, CpnetworkError, ValidationError
from cpnetwork.importers._common import (
    Options,
    batch_errors,
    check_record_limit,
    fail_if,
    file_error,
    find_program,
    record_limit,
)
from cpnetwork.importers.base import Importer, ImportFileError, ImportReport, RowError
from cpnetwork.model import Modality, Program, SessionKind
from cpnetwork.model._validators import MAX_DURATION, MAX_YEAR, MIN_YEAR
from cpnetwork.services.sessions_sync import (
    OccurrenceChange,
    PlannedSeries,
    PlannedSession,
)

if TYPE_CHECKING:
    from cpnetwork.network import Network

#: Namespace of the ids derived from calendar UIDs (uuid5, so the same UID gives the same id).
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:cpnetwork:importers:ical-sessions")

#: Windows time-zone names Outlook and Exchange write as TZID, for the common US zones and
#: a few others; icalendar's own full table is used when it has one.
WINDOWS_ZONES = {
    "Hawaiian Standard Time": "Pacific/Honolulu",
    "Alaskan Standard Time": "America/Anchorage",
    "Pacific Standard Time": "America/Los_Angeles",
    "US Mountain Standard Time": "America/Phoenix",
    "Mountain Standard Time": "America/Denver",
    "Central Standard Time": "America/Chicago",
    "Eastern Standard Time": "America/New_York",
    "Atlantic Standard Time": "America/Halifax",
    "UTC": "UTC",
    "GMT Standard Time": "Europe/London",
    "W. Europe Standard Time": "Europe/Berlin",
    "Romance Standard Time": "Europe/Paris",
    "Central European Standard Time": "Europe/Warsaw",
    "Tokyo Standard Time": "Asia/Tokyo",
    "China Standard Time": "Asia/Shanghai",
    "India Standard Time": "Asia/Kolkata",
    "AUS Eastern Standard Time": "Australia/Sydney",
}


def windows_zones() -> dict[str, str]:
    """Windows zone name → IANA zone: icalendar's table where it ships one, and ours."""
    table = dict(WINDOWS_ZONES)
    for module_name in ("icalendar.timezone.windows_to_olson", "icalendar.windows_to_olson"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        found = getattr(module, "WINDOWS_TO_OLSON", None)
        if isinstance(found, dict):
            table.update({str(k): str(v) for k, v in found.items()})
            break
    return table


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        # OSError: a key naming a folder of the zone database ("Pacific").
        return False
    return True


def derived_id(program_id: str, uid: str, start: datetime | None = None) -> str:
    """The record id for an event (and one extra start of it) in a program."""
    name = f"{program_id}\n{uid}"
    if start is not None:
        name += f"\n{recurrence.instant(start).isoformat()}"
    return uuid.uuid5(ID_NAMESPACE, name).hex


class Refused(Exception):
    """A property this importer cannot use: becomes a RowError for its event."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


class Skipped(Exception):
    """An event this importer leaves out, with a note saying why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@define
class _Event:
    """One VEVENT, read: times are aware, in an IANA zone."""

    number: int
    uid: str
    title: str
    start: datetime
    #: None when the event has no length (see ``no_length``).
    end: datetime | None
    zone: str
    all_day: bool
    cancelled: bool
    location: str
    #: Why the event has no length ("has neither DTEND nor DURATION", "ends at its start").
    no_length: str = ""
    sequence: int = 0
    recurrence_id: datetime | None = None
    #: The RECURRENCE-ID's day as written: what names an occurrence of an all-day series.
    recurrence_day: date | None = None
    rrule: str | None = None
    exdates: list[datetime] = field(factory=list)
    #: Dates excluded whole (a DATE EXDATE on an event with times).
    exdays: list[date] = field(factory=list)
    rdates: list[tuple[datetime, datetime | None]] = field(factory=list)

    @property
    def label(self) -> str:
        return f"event {self.number} ({self.title!r})"


@define
class _Extra:
    """A one-off occurrence of an event (RDATE, off-rule DTSTART, stray override)."""

    original: datetime
    start: datetime
    end: datetime
    title: str
    location: str
    cancelled: bool = False


class _Reader:
    """Reads VEVENTs' properties into :class:`_Event`, resolving every time zone."""

    def __init__(self, calendar: Any, zone: str, forced: str | None) -> None:
        self.zone = zone
        self.forced = forced
        self.windows = {k.casefold(): val for k, val in windows_zones().items()}
        self.locations: dict[str, str] = {}
        for component in calendar.walk("VTIMEZONE"):
            tzid = str(component.get("TZID", ""))
            location = str(component.get("X-LIC-LOCATION", "") or "")
            if tzid and location and _is_zone(location):
                self.locations[tzid] = location

    def iana(self, tzid: str) -> str | None:
        """The IANA zone a TZID stands for, or None."""
        if _is_zone(tzid):
            return tzid
        if tzid.casefold() in self.windows:
            return self.windows[tzid.casefold()]
        if tzid in self.locations:
            return self.locations[tzid]
        parts = [p for p in tzid.split("/") if p]
        for size in (3, 2, 1):
            candidate = "/".join(parts[-size:])
            if len(parts) >= size and "/" in candidate and _is_zone(candidate):
                return candidate
        return self.forced

    def moment(
        self, value: Any, tzid: str | None, column: str, zone: str | None = None
    ) -> tuple[datetime, str, bool]:
        """An aware datetime, its IANA zone, and whether it was a DATE (all-day) value.

        A DATE is midnight, and a floating time is read, in ``zone`` (else the calendar's).
        """
        if isinstance(value, date):
            _check_year(value, column)
        if isinstance(value, datetime):
            if value.tzinfo is None and tzid:
                # A TZID icalendar could not resolve (no VTIMEZONE, not a zone it
                # knows): never read it as a floating time in the calendar's zone.
                return self._in_zone(value, str(tzid), column)
            if value.tzinfo is None:
                zone = zone or self.zone
                return recurrence.localize(value, ZoneInfo(zone)), zone, False
            if isinstance(value.tzinfo, ZoneInfo) and _is_zone(value.tzinfo.key):
                return value, value.tzinfo.key, False
            if not tzid:
                # A UTC time (``Z``) under a time-zone provider other than zoneinfo.
                return value.astimezone(ZoneInfo("UTC")), "UTC", False
            return self._in_zone(value.replace(tzinfo=None), str(tzid), column)
        if isinstance(value, date):
            zone = zone or self.zone
            return _midnight(value, zone), zone, True
        if isinstance(value, time):
            raise Refused(column, f"{value.isoformat()} is a time of day without a date")
        raise Refused(column, f"{value!r} is not a date or a date-time")

    def _in_zone(self, local: datetime, tzid: str, column: str) -> tuple[datetime, str, bool]:
        """A wall-clock time in the zone a TZID names; refused if it names none."""
        name = self.iana(tzid)
        if name is None:
            raise Refused(
                column,
                f"time zone {tzid!r} is neither an IANA nor a Windows zone name, and the "
                "calendar has no VTIMEZONE saying where it is; give timezone=<IANA zone> "
                "to read it in that zone",
            )
        return recurrence.localize(local, ZoneInfo(name)), name, False

    def read(self, number: int, event: Any, title_default: str) -> _Event:
        title = " ".join(_text(event, "SUMMARY").split()) or title_default
        uid = _text(event, "UID").strip()
        if not uid:
            raise Skipped("has no UID (what lets a re-import find its sessions)")
        prop = _one(event, "DTSTART")
        if prop is None:
            raise Skipped("has no DTSTART")
        start, zone, all_day = self.moment(
            _value(prop, "DTSTART"), prop.params.get("TZID"), "DTSTART"
        )
        status = _text(event, "STATUS").strip().upper()
        found = _Event(
            number=number,
            uid=uid,
            title=title,
            start=start,
            end=None,
            zone=zone,
            all_day=all_day,
            cancelled=status == "CANCELLED",
            location=" ".join(_text(event, "LOCATION").split()),
            sequence=_sequence(event),
        )
        found.end, found.no_length = self._end(event, start, all_day)
        rid = _one(event, "RECURRENCE-ID")
        if rid is not None:
            if str(rid.params.get("RANGE", "")).upper() == "THISANDFUTURE":
                raise Refused(
                    "RECURRENCE-ID",
                    "RANGE=THISANDFUTURE overrides are not supported; "
                    "split the series in the calendar app",
                )
            value = _value(rid, "RECURRENCE-ID")
            found.recurrence_id = self.moment(value, rid.params.get("TZID"), "RECURRENCE-ID")[0]
            if isinstance(value, date):
                found.recurrence_day = value.date() if isinstance(value, datetime) else value
        if "EXRULE" in event:
            raise Refused("EXRULE", "EXRULE is not supported (RFC 5545 deprecates it)")
        # An empty RRULE (Germany_Holidays.ics writes "RRULE:") is no rule.
        rules = [r.to_ical().decode() for r in _listed(event.get("RRULE"))]
        rules = [text for text in rules if text.strip()]
        if len(rules) > 1:
            raise Refused("RRULE", "more than one RRULE is not supported")
        for text in rules:
            try:
                found.rrule = recurrence.normalize_rule(text)
            except ValidationError as exc:
                raise Refused("RRULE", exc.reason) from exc
        for prop in _listed(event.get("EXDATE")):
            for item in prop.dts:
                value = _value(item, "EXDATE")
                if isinstance(value, date) and not isinstance(value, datetime) and not all_day:
                    found.exdays.append(value)
                    continue
                found.exdates.append(self.moment(value, prop.params.get("TZID"), "EXDATE")[0])
        for prop in _listed(event.get("RDATE")):
            for item in prop.dts:
                self._rdate(found, _value(item, "RDATE"), prop.params.get("TZID"))
        return found

    def _rdate(self, found: _Event, value: Any, tzid: str | None) -> None:
        # A date on an event with times is midnight in the event's own zone.
        zone = None if found.all_day else found.zone
        if isinstance(value, tuple):
            begin = self.moment(value[0], tzid, "RDATE", zone)[0]
            other = value[1]
            if isinstance(other, timedelta):
                finish = recurrence.instant(begin) + other
            else:
                finish = self.moment(other, tzid, "RDATE", zone)[0]
            if recurrence.instant(finish) < recurrence.instant(begin):
                raise Refused("RDATE", f"the period from {begin.isoformat()} ends before it starts")
            found.rdates.append((begin, finish))
        else:
            found.rdates.append((self.moment(value, tzid, "RDATE", zone)[0], None))

    def _end(self, event: Any, start: datetime, all_day: bool) -> tuple[datetime | None, str]:
        """The event's end, or None and why it has no length."""
        dtend, duration = _one(event, "DTEND"), _one(event, "DURATION")
        kind = "an all-day date" if all_day else "a date-time"
        if dtend is not None:
            value = _value(dtend, "DTEND")
            if isinstance(value, date) and isinstance(value, datetime) == all_day:
                raise Refused(
                    "DTEND",
                    f"DTEND is not {kind} as DTSTART is (RFC 5545 wants both of one kind)",
                )
            end = self.moment(value, dtend.params.get("TZID"), "DTEND")[0]
            column = "DTEND"
        elif duration is not None:
            length = _value(duration, "DURATION")
            if not isinstance(length, timedelta):
                raise Refused("DURATION", f"{length!r} is not a duration")
            if abs(length) > MAX_DURATION:
                raise Refused("DURATION", f"{length} is longer than {MAX_DURATION.days:,} days")
            if all_day and length % timedelta(days=1):
                raise Refused(
                    "DURATION",
                    f"DURATION {duration.to_ical().decode()} is not whole days, as an all-day "
                    "event's must be (RFC 5545)",
                )
            if all_day:
                end = _midnight(start.date() + length, self.zone)
            else:
                end = recurrence.instant(start) + length
            column = "DURATION"
        elif all_day:
            return _midnight(start.date() + timedelta(days=1), self.zone), ""
        else:
            return None, "has neither DTEND nor DURATION"
        if recurrence.instant(end) < recurrence.instant(start):
            raise Refused(column, f"the event ends before it starts ({column} is before DTSTART)")
        if recurrence.instant(end) == recurrence.instant(start):
            return None, f"ends at its start ({column} gives it no length)"
        return end, ""


def _check_year(value: date, column: str) -> None:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise Refused(
            column,
            f"{value.isoformat()} is not between the years {MIN_YEAR} and {MAX_YEAR}",
        )


def _midnight(day: date, zone: str) -> datetime:
    return recurrence.localize(datetime.combine(day, time()), ZoneInfo(zone))


def _one(event: Any, name: str) -> Any:
    """A property an event has at most once; given more than once (differently), refused."""
    value = event.get(name)
    if isinstance(value, list):
        if len({_ical(item) for item in value}) > 1:
            raise Refused(
                name,
                f"{name} is given {len(value)} times with different values; "
                "an event has it at most once",
            )
        value = value[0] if value else None
    return value


def _ical(prop: Any) -> bytes | str:
    try:
        return bytes(prop.to_ical())
    except (AttributeError, TypeError, ValueError):
        return repr(prop)


def _text(event: Any, name: str) -> str:
    value = _one(event, name)
    return "" if value is None else str(value)


def _sequence(event: Any) -> int:
    value = _one(event, "SEQUENCE")
    if value is None:
        return 0
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise Refused("SEQUENCE", f"{value!r} is not a whole number") from exc


def _value(prop: Any, column: str) -> Any:
    """A property's date, date-time, duration or period; unreadable ones are refused."""
    try:
        return prop.dt
    except ValueError as exc:  # icalendar's BrokenCalendarProperty among them
        raise Refused(column, f"cannot read it: {exc}") from exc


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)


def _place(location: str, modality: Modality | None) -> dict[str, Any]:
    """Venue, join URL and modality from a LOCATION (a URL is a join link)."""
    if _URL.match(location):
        venue, join_url = None, location
    else:
        venue, join_url = (location or None), None
    if modality is None:
        modality = Modality.IN_PERSON if venue else Modality.VIRTUAL
    return {"venue": venue, "join_url": join_url, "modality": modality}


class ICalSessionsImporter(Importer):
    kind = "ical-sessions"
    description = "A program's sessions (one-off and recurring) from an iCalendar (.ics) file."

    OPTIONS: ClassVar[tuple[str, ...]] = (
        "program",
        "timezone",
        "session_kind",
        "modality",
        "all_day",
    )

    def run(
        self,
        network: Network,
        path: Path,
        *,
        dry_run: bool = False,
        options: Mapping[str, str] | None = None,
    ) -> ImportReport:
        opts = Options(options, self.OPTIONS)
        errors = opts.problems()
        limit = record_limit(opts, errors)
        program = find_program(network, opts.get("program"), errors)
        forced = opts.get("timezone") or None
        if forced is not None and not _is_zone(forced):
            errors.append(RowError(row=None, column=None, reason=f"{forced!r} is not an IANA zone"))
            forced = None
        extra_fields: dict[str, Any] = {}
        modality: Modality | None = None
        kind, chosen = opts.get("session_kind"), opts.get("modality")
        try:
            if kind:
                extra_fields["kind"] = SessionKind(kind)
            if chosen:
                modality = Modality(chosen)
        except ValidationError as exc:
            errors.append(RowError(row=None, column=None, reason=exc.reason))
        all_day = (opts.get("all_day") or "import").lower()
        if all_day not in ("import", "skip"):
            errors.append(RowError(row=None, column=None, reason="all_day must be import or skip"))
        calendar = self._calendar(path, errors)
        fail_if(errors, path)
        assert program is not None and calendar is not None
        wr_zone = str(calendar.get("X-WR-TIMEZONE", "") or "").strip()
        zone = forced or (wr_zone if wr_zone and _is_zone(wr_zone) else network.profile.timezone)
        reader = _Reader(calendar, zone, forced)
        events: list[_Event] = []
        notes: list[str] = []
        for number, component in enumerate(calendar.walk("VEVENT"), start=1):
            try:
                event = reader.read(number, component, program.title)
            except Refused as exc:
                errors.append(RowError(row=number, column=exc.column, reason=exc.reason))
                continue
            except Skipped as exc:
                title = " ".join(str(component.get("SUMMARY", "")).split()) or program.title
                notes.append(f"event {number} ({title!r}) {exc.reason}: skipped")
                continue
            except Exception as exc:  # icalendar's and our own surprises alike: by event
                reason = f"cannot read the event: {type(exc).__name__}: {exc}"
                errors.append(RowError(row=number, column=None, reason=reason))
                continue
            if event.all_day and all_day == "skip":
                notes.append(f"{event.label} is an all-day event: skipped (all_day=skip)")
                continue
            events.append(event)
        service = network.sessions
        year = (
            network.profile.program_year_bounds(program.program_year)[0],
            service.year_end(program),
        )
        planner = _Planner(program, year, extra_fields, modality, zone)
        planner.plan(events, errors, notes)
        check_record_limit(planner.records, limit, "sessions and series", errors)
        fail_if(errors, path)
        try:
            result = service.sync(program.id, planner.series, planner.sessions, dry_run=dry_run)
        except BatchError as exc:
            places = {e.number: (e.number, None) for e in events}
            raise ImportFileError(str(path), batch_errors(exc, places)) from exc
        except CpnetworkError as exc:
            raise file_error(path, exc) from exc
        by_number = {e.number: e for e in events}
        for ref in sorted(set(result.skipped)):
            skipped = by_number.get(ref)
            if skipped is not None and skipped.cancelled and skipped.recurrence_id is None:
                notes.append(f"{skipped.label} is cancelled and was never imported: nothing to do")
        notes.insert(
            0,
            f"{planner.series_count} series and {planner.one_off_count} one-off session(s) "
            f"in the calendar; {result.cancelled} session(s) "
            f"{'would be ' if dry_run else ''}cancelled",
        )
        return ImportReport(
            kind=self.kind,
            source=str(path),
            dry_run=dry_run,
            created=result.created,
            updated=result.updated + result.cancelled,
            unchanged=result.unchanged,
            notes=notes,
        )

    @staticmethod
    def _calendar(path: Path, errors: list[RowError]) -> Any:
        try:
            data = path.read_bytes()
        except OSError as exc:
            errors.append(RowError(row=None, column=None, reason=f"cannot read the file: {exc}"))
            return None
        try:
            return icalendar.Calendar.from_ical(data)
        except (ValueError, IndexError, KeyError) as exc:
            errors.append(RowError(row=None, column=None, reason=f"not an iCalendar file: {exc}"))
            return None


class _Planner:
    """Turns read events into the series and sessions the program should have."""

    def __init__(
        self,
        program: Program,
        year: tuple[date, datetime],
        fields: Mapping[str, Any],
        modality: Modality | None,
        zone: str,
    ) -> None:
        self.program = program
        self.year_start, self.year_end = year
        self.fields = dict(fields)
        self.modality = modality
        self.zone = zone
        self.series: list[PlannedSeries] = []
        self.sessions: list[PlannedSession] = []
        #: Series and one-off sessions the calendar has (not counting cancelled ones).
        self.series_count = self.one_off_count = 0
        #: Sessions and series the calendar describes: what the import may write.
        self.records = 0

    def plan(self, events: Sequence[_Event], errors: list[RowError], notes: list[str]) -> None:
        masters: dict[str, _Event] = {}
        overrides: dict[tuple[str, Any], _Event] = {}
        for event in events:
            if event.recurrence_id is None:
                self._newest(masters, event.uid, event, errors, notes)
            else:
                at = recurrence.instant(event.recurrence_id)
                self._newest(overrides, (event.uid, at), event, errors, notes)
        changes: dict[str, list[_Event]] = {}
        for (uid, _), change in overrides.items():
            changes.setdefault(uid, []).append(change)
        for uid, master in masters.items():
            try:
                self._plan_event(master, changes.pop(uid, []), notes)
            except Refused as exc:
                errors.append(RowError(row=master.number, column=exc.column, reason=exc.reason))
            except Exception as exc:  # a surprise (an overflow...): named by its event
                reason = f"cannot plan the event: {type(exc).__name__}: {exc}"
                errors.append(RowError(row=master.number, column=None, reason=reason))
        for stray in changes.values():
            for event in stray:
                self._stray(event, notes)

    @staticmethod
    def _newest(
        kept: dict[Any, _Event],
        key: Any,
        event: _Event,
        errors: list[RowError],
        notes: list[str],
    ) -> None:
        """Keep the version of an event (or of one occurrence) with the highest SEQUENCE."""
        other = kept.get(key)
        if other is None:
            kept[key] = event
            return
        if event.sequence == other.sequence:
            column = "UID" if event.recurrence_id is None else "RECURRENCE-ID"
            reason = (
                f"event {other.number} has the same UID and SEQUENCE ({event.sequence}): "
                "two versions of one event and neither is newer (RFC 5545: the highest "
                "SEQUENCE wins)"
            )
            errors.append(RowError(row=event.number, column=column, reason=reason))
            return
        newer, older = (event, other) if event.sequence > other.sequence else (other, event)
        kept[key] = newer
        notes.append(
            f"{older.label} is an older version (SEQUENCE {older.sequence}) of event "
            f"{newer.number} (SEQUENCE {newer.sequence}): ignored"
        )

    def _stray(self, event: _Event, notes: list[str]) -> None:
        """An occurrence whose event is not in the file (or has no length): a one-off."""
        assert event.recurrence_id is not None
        if event.end is None:
            notes.append(f"{event.label} {event.no_length}: skipped")
            return
        extra = _extra(event, original=event.recurrence_id)
        self._add(event, extra, derived_id(self.program.id, event.uid, extra.original))

    # -- one event -------------------------------------------------------------------
    def _plan_event(self, master: _Event, changes: list[_Event], notes: list[str]) -> None:
        if master.end is None:
            self._plan_without_length(master, changes, notes)
            return
        length = _length(master)
        key = recurrence.instant
        starts = self._rule_starts(master) if master.rrule is not None else []
        extras: dict[datetime, _Extra] = {}
        if not starts or key(starts[0]) != key(master.start):
            # Calendars list DTSTART even when the rule does not generate it.
            extras[key(master.start)] = _extra(master, original=master.start)
        rule = {key(s): s for s in starts}
        for begin, finish in master.rdates:
            if key(begin) not in extras and key(begin) not in rule:
                end = finish if finish is not None else _after(master, begin, length)
                if key(end) == key(begin):
                    notes.append(f"{master.label}: its RDATE {begin.isoformat()} has no length")
                    continue
                extras[key(begin)] = _Extra(
                    original=begin,
                    start=begin,
                    end=end,
                    title=master.title,
                    location=master.location,
                )
        excluded = {key(d) for d in master.exdates}
        local = ZoneInfo(master.zone)
        for day in master.exdays:
            originals = [*starts, *(e.original for e in extras.values())]
            excluded |= {key(s) for s in originals if s.astimezone(local).date() == day}
        occurring = set(rule) - excluded
        moved: list[OccurrenceChange] = []
        called_off: set[datetime] = set()
        for change in changes:
            assert change.recurrence_id is not None
            at = key(change.recurrence_id)
            if master.all_day and change.recurrence_day is not None:
                # An all-day series' occurrence is its day, however the RECURRENCE-ID
                # writes it (a date, or midnight in UTC or in another zone).
                at = key(_midnight(change.recurrence_day, master.zone))
            if at in excluded:
                notes.append(f"{change.label} changes an excluded occurrence: ignored")
            elif change.sequence < master.sequence and at not in rule and at not in extras:
                notes.append(
                    f"{change.label} changes an occurrence the newer version of its event "
                    f"(SEQUENCE {master.sequence}) does not have: ignored"
                )
            elif change.end is None:
                notes.append(f"{change.label} {change.no_length}: its occurrence is skipped")
                if at in occurring:
                    called_off.add(at)
                elif at in extras:
                    extras[at].cancelled = True
            elif at in occurring and change.cancelled:
                called_off.add(at)
            elif at in occurring:
                differs = self._differences(master, length, change, rule[at])
                if differs:
                    moved.append(OccurrenceChange(recurrence_id=rule[at], changes=differs))
            else:
                original = extras[at].original if at in extras else change.recurrence_id
                extras[at] = _extra(change, original=original)
        plain = master.rrule is None
        for at, extra in extras.items():
            # The event's own one-off keeps the UID's id; other dates add their start.
            own = plain and at == key(master.start)
            record_id = derived_id(self.program.id, master.uid, None if own else extra.original)
            extra.cancelled = extra.cancelled or master.cancelled or at in excluded
            self._add(master, extra, record_id)
        own_id = derived_id(self.program.id, master.uid)
        if not plain:
            # A one-off imported before the event became recurring is cancelled.
            self.sessions.append(
                PlannedSession(ref=master.number, id=own_id, fields={}, cancelled=True)
            )
        if plain or not occurring - called_off:
            # No series (any more): one imported earlier is cancelled, else nothing.
            self.series.append(
                PlannedSeries(ref=master.number, id=own_id, fields={}, cancelled=True)
            )
        else:
            self.series_count += 0 if master.cancelled else 1
            self.records += 1 + len(occurring)
            self.series.append(
                PlannedSeries(
                    ref=master.number,
                    id=own_id,
                    fields={
                        **self.fields,
                        **_place(master.location, self.modality),
                        "title": master.title,
                        "rrule": master.rrule,
                        "first_start": starts[0],
                        "duration": length,
                        "timezone": master.zone,
                        "exdates": {s for s in starts if key(s) in excluded | called_off},
                    },
                    changes=tuple(moved),
                    cancelled=master.cancelled,
                )
            )
        first = min([*starts, *(e.start for e in extras.values())], key=key)
        if first.astimezone(local).date() < self.year_start:
            notes.append(
                f"{master.label} starts {first.astimezone(local).date().isoformat()}, "
                f"before program year "
                f"{self.program.program_year}"
            )

    def _plan_without_length(self, master: _Event, changes: list[_Event], notes: list[str]) -> None:
        """An event without a length: only its RDATE periods and changed occurrences
        that have an end of their own become sessions."""
        periods = [(b, f) for b, f in master.rdates if f is not None and f != b]
        kept = [c for c in changes if c.end is not None]
        also = " (its RDATE periods and changed occurrences with an end are imported)"
        notes.append(f"{master.label} {master.no_length}: skipped{also if periods or kept else ''}")
        for begin, finish in periods:
            extra = _Extra(
                original=begin,
                start=begin,
                end=finish,
                title=master.title,
                location=master.location,
                cancelled=master.cancelled,
            )
            self._add(master, extra, derived_id(self.program.id, master.uid, begin))
        for change in changes:
            self._stray(change, notes)

    def _rule_starts(self, master: _Event) -> list[datetime]:
        assert master.rrule is not None
        key = recurrence.instant
        try:
            starts = recurrence.rule_starts(
                master.rrule, master.start, master.zone, until=self.year_end, anchored=False
            )
            if starts and key(starts[0]) != key(master.start):
                # DTSTART is off the rule: the series begins at the rule's first start,
                # which must give the same occurrences.
                again = recurrence.rule_starts(
                    master.rrule, starts[0], master.zone, until=self.year_end
                )
                if [key(s) for s in again] != [key(s) for s in starts]:
                    raise Refused(
                        "DTSTART",
                        "DTSTART is not an occurrence of its RRULE, and the rule started at "
                        "its first occurrence gives other dates",
                    )
        except ValidationError as exc:
            raise Refused("RRULE", exc.reason) from exc
        bounded = any(part in master.rrule for part in ("COUNT=", "UNTIL="))
        if not starts and not bounded:
            raise Refused(
                "DTSTART",
                f"the series has no occurrence before program year "
                f"{self.program.program_year} ends ({self.year_end.date().isoformat()})",
            )
        return starts

    def _differences(
        self, master: _Event, length: timedelta, change: _Event, original: datetime
    ) -> dict[str, Any]:
        """What an override changes of its occurrence (at ``original``): times, title, place."""
        assert change.end is not None
        key = recurrence.instant
        found: dict[str, Any] = {}
        if key(change.start) != key(original) or _length(change) != length:
            found["start"] = change.start
            found["end"] = change.end
        if change.title != master.title:
            found["title"] = change.title
        if change.location != master.location:
            found.update(_place(change.location, self.modality))
        return found

    def _add(self, event: _Event, extra: _Extra, record_id: str) -> None:
        # A one-off given in UTC is shown in the calendar's zone; the instant is the same.
        zone = self.zone if event.zone == "UTC" else event.zone
        self.one_off_count += 0 if extra.cancelled else 1
        self.records += 1
        self.sessions.append(
            PlannedSession(
                ref=event.number,
                id=record_id,
                fields={
                    **self.fields,
                    **_place(extra.location, self.modality),
                    "title": extra.title,
                    "start": extra.start,
                    "end": extra.end,
                    "timezone": zone,
                },
                cancelled=extra.cancelled,
            )
        )


def _length(event: _Event) -> timedelta:
    """How long an event lasts: elapsed time, or whole days for an all-day event."""
    assert event.end is not None
    if event.all_day:
        local = ZoneInfo(event.zone)
        days = event.end.astimezone(local).date() - event.start.astimezone(local).date()
        return timedelta(days=days.days)
    return recurrence.instant(event.end) - recurrence.instant(event.start)


def _after(event: _Event, start: datetime, length: timedelta) -> datetime:
    """The end of an occurrence of ``event`` at ``start``: all-day ones end at midnight."""
    if event.all_day:
        day = start.astimezone(ZoneInfo(event.zone)).date()
        return _midnight(day + length, event.zone)
    return recurrence.instant(start) + length


def _extra(event: _Event, *, original: datetime) -> _Extra:
    """A one-off occurrence with an event's own times, title and place."""
    assert event.end is not None
    return _Extra(
        original=original,
        start=event.start,
        end=event.end,
        title=event.title,
        location=event.location,
        cancelled=event.cancelled,
    )
