"""Expanding a recurring session's RFC 5545 RRULE into occurrence starts.

Pure functions, no storage.  A rule expands over *naive local wall-clock times* in
the series' own IANA time zone (``dateutil.rrule.rrulestr``) and the zone is attached
to each occurrence afterwards, so a monthly 4 pm America/Los_Angeles session stays at
4 pm local while its UTC offset moves between -07:00 and -08:00.

Local times the zone makes odd are resolved as RFC 5545 §3.3.5 says:

* a wall-clock time that happens twice (the hour repeated when clocks fall back) means
  the first of the two, unless the series' first start was itself the second one
  (``fold=1``): every occurrence keeps the first start's choice;
* a wall-clock time that does not exist (the hour skipped when clocks spring forward)
  is read with the UTC offset from before the gap, so a 2:30 am session on that day
  starts at 3:30 am daylight time.  Its other occurrences stay at 2:30 am.

A series' first start is an instant, so a series cannot *begin* on a wall-clock time
its first day skips: the first start would read as the later time and every occurrence
would follow it.  The session service refuses edits that would do that (splitting a
series at such an occurrence without a new start, or moving it there).

A rule ends with its COUNT or UNTIL (an instant; a floating or date-only UNTIL is read
in the series' zone, a date meaning that whole day); a rule with neither ends at the
``until`` bound the caller gives, and more than :data:`MAX_OCCURRENCES` is refused.
Rules are limited to what a series of sessions needs: FREQ is DAILY, WEEKLY, MONTHLY
or YEARLY; BYHOUR, BYMINUTE and BYSECOND are refused because a series meets at the
local time of its first start; DTSTART, EXDATE and RDATE lines are refused because the
series record carries its first start and exceptions itself; the first start must be
the rule's first occurrence (RFC 5545 leaves any other DTSTART undefined).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrulestr

from cpnetwork.errors import ValidationError

if TYPE_CHECKING:
    from cpnetwork.model.sessions import SessionSeries

#: Most occurrences one series may have; more is almost surely a mistake in the rule.
MAX_OCCURRENCES = 1000

#: How far past the first start a COUNT rule is followed before giving up on it.
HORIZON = timedelta(days=100 * 366)

FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_SUB_DAILY = ("HOURLY", "MINUTELY", "SECONDLY")
_TIME_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
_PARTS = (
    "FREQ",
    "UNTIL",
    "COUNT",
    "INTERVAL",
    "BYDAY",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
)
#: Rule parts that pick days on their own instead of taking them from the first start.
_DAY_PARTS = ("BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYSETPOS", "BYMONTH")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
#: Allowed magnitudes of the numeric rule parts (RFC 5545 §3.3.10).
_RANGES = {
    "BYMONTH": (1, 12),
    "BYMONTHDAY": (1, 31),
    "BYYEARDAY": (1, 366),
    "BYWEEKNO": (1, 53),
    "BYSETPOS": (1, 366),
}
_LONGEST_MONTH = {
    1: 31,
    2: 29,
    3: 31,
    4: 30,
    5: 31,
    6: 30,
    7: 31,
    8: 31,
    9: 30,
    10: 31,
    11: 30,
    12: 31,
}

Parts = dict[str, str]


def _fail(reason: str, *, field: str = "rrule") -> NoReturn:
    raise ValidationError("SessionSeries", None, reason, field=field)


# -- parsing ------------------------------------------------------------------------
def _parse(text: str) -> Parts:
    """The rule's parts, upper-cased, in the order given; ValidationError if malformed."""
    if not isinstance(text, str) or not text.strip():
        _fail("the rule must not be empty")
    body = text.strip().upper()
    if "DTSTART" in body:
        _fail(
            f"{text!r} contains DTSTART; give the series' first_start instead, "
            "the rule is only the RRULE value"
        )
    if len(body.splitlines()) != 1:
        _fail(f"{text!r} is more than one line; give one RRULE and put exceptions in exdates")
    if any(character.isspace() for character in body):
        _fail(f"{text!r} contains blanks, which an RRULE has none of")
    if body.startswith("RRULE:"):
        body = body.removeprefix("RRULE:")
    elif ":" in body:
        name = body.partition(":")[0]
        _fail(f"{name} lines are not supported; give only the RRULE")
    parts: Parts = {}
    for item in body.split(";"):
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            _fail(f"{item!r} in {text!r} is not NAME=VALUE")
        if name in parts:
            _fail(f"{name} is given twice in {text!r}")
        if name in _TIME_PARTS:
            _fail(f"{name} is not supported: a series meets at the local time of its first start")
        if name not in _PARTS:
            _fail(f"{name} is not an RFC 5545 rule part")
        parts[name] = value
    _check(parts, text)
    return parts


def _positive_int(parts: Parts, name: str, text: str) -> None:
    value = parts.get(name)
    if value is not None and (not value.isdigit() or int(value) < 1):
        _fail(f"{name}={value} in {text!r} is not a positive whole number")


def _check(parts: Parts, text: str) -> None:
    """Checks dateutil does not make, then dateutil's own parse of the rule."""
    freq = parts.get("FREQ")
    if freq is None:
        _fail(f"{text!r} has no FREQ")
    if freq in _SUB_DAILY:
        _fail(f"FREQ={freq} is not supported: sessions recur at most daily")
    if freq not in FREQUENCIES:
        _fail(f"FREQ={freq} is not one of {', '.join(FREQUENCIES)}")
    if "COUNT" in parts and "UNTIL" in parts:
        _fail(f"{text!r} has both COUNT and UNTIL, which RFC 5545 forbids")
    _positive_int(parts, "COUNT", text)
    _positive_int(parts, "INTERVAL", text)
    # RFC 5545 §3.3.10 restricts which parts go with which frequency.
    if "BYWEEKNO" in parts and freq != "YEARLY":
        _fail("BYWEEKNO is only allowed with FREQ=YEARLY")
    if "BYYEARDAY" in parts and freq != "YEARLY":
        _fail("BYYEARDAY is only allowed with FREQ=YEARLY")
    if "BYMONTHDAY" in parts and freq == "WEEKLY":
        _fail("BYMONTHDAY is not allowed with FREQ=WEEKLY")
    if "BYSETPOS" in parts and freq in ("DAILY", "WEEKLY"):
        _fail(f"BYSETPOS is not supported with FREQ={freq}")
    if freq in ("DAILY", "WEEKLY") and any(code[:-2] for code in parts.get("BYDAY", "").split(",")):
        _fail(f"numbered BYDAY values (like 3WE) need FREQ=MONTHLY or YEARLY, not {freq}")
    for name, (low, high) in _RANGES.items():
        if name not in parts:
            continue
        for value in parts[name].split(","):
            if not value.lstrip("+-").isdigit() or not low <= abs(int(value)) <= high:
                _fail(f"{name}={parts[name]} in {text!r}: {value} is not within ±{low}..{high}")
    if "BYMONTH" in parts and any(int(v) < 1 for v in parts["BYMONTH"].split(",")):
        _fail(f"BYMONTH={parts['BYMONTH']} in {text!r}: months are 1..12")
    if "BYMONTHDAY" in parts:
        months = [int(v) for v in parts.get("BYMONTH", "1").split(",")]
        longest = max(_LONGEST_MONTH[month] for month in months)
        if all(abs(int(v)) > longest for v in parts["BYMONTHDAY"].split(",")):
            # dateutil would search to the year 9999 for a day that never comes.
            _fail(f"{text!r} never occurs: no month it allows has those days")
    if "UNTIL" in parts:
        _until(parts["UNTIL"], ZoneInfo("UTC"), fold=0)
    try:
        rrulestr(_dateutil_text(parts, None), dtstart=datetime(2001, 1, 1))
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        _fail(f"{text!r} is not a valid RRULE: {exc}")


def _format(parts: Parts) -> str:
    ordered = {"FREQ": parts["FREQ"], **parts}
    return ";".join(f"{name}={value}" for name, value in ordered.items())


def _dateutil_text(parts: Parts, horizon: datetime | None) -> str:
    """The rule dateutil expands: our COUNT and UNTIL handling, dateutil's days.

    COUNT and UNTIL are applied by :func:`rule_starts` (UNTIL is an instant, compared
    after the zone is attached); dateutil gets a floating local horizon to stop at.
    WKST defaults to Monday as RFC 5545 says, not to the process-wide
    ``calendar.firstweekday()`` dateutil would use.
    """
    kept = {k: v for k, v in parts.items() if k not in ("COUNT", "UNTIL")}
    kept.setdefault("WKST", "MO")
    if horizon is not None:
        kept["UNTIL"] = horizon.strftime("%Y%m%dT%H%M%S")
    return _format(kept)


def normalize_rule(text: str) -> str:
    """The rule in canonical form (upper case, FREQ first, no ``RRULE:``); raises if bad."""
    return _format(_parse(text))


# -- local times --------------------------------------------------------------------
def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError) as exc:
        raise ValidationError(
            "SessionSeries", None, f"{name!r} is not an IANA time zone", field="timezone"
        ) from exc


def localize(naive: datetime, zone: tzinfo, fold: int = 0) -> datetime:
    """A wall-clock time in ``zone`` as an aware datetime, resolved per RFC 5545.

    ``fold`` picks which of a repeated hour is meant; a skipped hour is read with the
    offset from before the gap and normalized to the local time that really exists.
    """
    candidate = naive.replace(tzinfo=zone, fold=fold)
    real = candidate.astimezone(UTC).astimezone(zone)
    if real.replace(tzinfo=None, fold=0) == naive.replace(fold=0):
        return candidate
    # In a gap zoneinfo reads fold=0 with the offset before the transition.
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC).astimezone(zone)


def exists(naive: datetime, zone: tzinfo) -> bool:
    """Whether this wall-clock time happens in ``zone`` (False inside a DST gap)."""
    real = naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)
    return real.replace(tzinfo=None) == naive


def instant(moment: datetime) -> datetime:
    """``moment`` in UTC: aware datetimes in one zone compare by wall clock, not instant."""
    return moment.astimezone(UTC)


def _aware(moment: datetime, name: str) -> None:
    if not isinstance(moment, datetime) or moment.tzinfo is None or moment.utcoffset() is None:
        _fail(f"{moment!r} must be a datetime with a time zone", field=name)


def _until(value: str, zone: tzinfo, fold: int) -> datetime:
    """An RRULE UNTIL as an instant: UTC with ``Z``, else local time (a date: whole day)."""
    try:
        if len(value) == 8:
            day = datetime.strptime(value, "%Y%m%d").date()
            return localize(datetime.combine(day, time.max), zone, fold)
        if value.endswith("Z"):
            return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        return localize(datetime.strptime(value, "%Y%m%dT%H%M%S"), zone, fold)
    except ValueError:
        _fail(f"UNTIL={value} is not a date, a local date-time or a UTC date-time")


# -- expansion ----------------------------------------------------------------------
def _naive_starts(parts: Parts, dtstart: datetime, horizon: datetime) -> Iterator[datetime]:
    rule = rrulestr(_dateutil_text(parts, horizon), dtstart=dtstart.replace(microsecond=0))
    for moment in rule:
        # dateutil drops microseconds from dtstart; give them back to every occurrence.
        yield moment.replace(microsecond=dtstart.microsecond)


def _horizon(start: datetime, bound: datetime | None, zone: tzinfo) -> datetime:
    """A naive local time safely past ``bound`` (a day covers any offset change)."""
    if bound is None:
        target = start + HORIZON
    else:
        target = bound.astimezone(zone).replace(tzinfo=None) + timedelta(days=1)
    return min(target, datetime(9999, 12, 30))


def rule_starts(
    rrule: str,
    first_start: datetime,
    timezone: str,
    *,
    until: datetime | None = None,
    limit: int = MAX_OCCURRENCES,
    anchored: bool = True,
) -> list[datetime]:
    """Every start the rule generates from ``first_start``, exdates not removed.

    The rule's COUNT or UNTIL ends it; a rule with neither ends at ``until`` (the
    service passes the end of the program year) and without that is refused.  More than
    ``limit`` occurrences is a ValidationError.  ``anchored`` requires ``first_start`` to
    be the first occurrence (RFC 5545 leaves a DTSTART off its own rule undefined);
    without it ``first_start`` only sets where expansion begins and the local time.
    Starts are aware, in ``timezone``, strictly increasing.
    """
    parts = _parse(rrule)
    zone = zone_of(timezone)
    _aware(first_start, "first_start")
    if until is not None:
        _aware(until, "until")
    # Through UTC, so ``fold`` is 1 only for the second of a repeated hour.
    local = first_start.astimezone(UTC).astimezone(zone)
    naive, fold = local.replace(tzinfo=None, fold=0), local.fold
    count = int(parts["COUNT"]) if "COUNT" in parts else None
    if count is not None:
        bound = None
    elif "UNTIL" in parts:
        bound = _until(parts["UNTIL"], zone, fold)
    elif until is not None:
        bound = until
    else:
        _fail(f"{rrule!r} never ends: give it COUNT or UNTIL, or expand it up to a bound")
    starts: list[datetime] = []
    for moment in _naive_starts(parts, naive, _horizon(naive, bound, zone)):
        start = localize(moment, zone, fold)
        if bound is not None and start > bound:
            break
        starts.append(start)
        if len(starts) > limit:
            _fail(f"{rrule!r} has more than {limit} occurrences")
        if len(starts) == count:
            break
    if count is not None and len(starts) < count:
        _fail(f"{rrule!r}: its {count} occurrences do not fit within 100 years")
    if anchored:
        if not starts:
            _fail(f"{rrule!r} has no occurrence from {local.isoformat()} to {bound:%Y-%m-%d}")
        if instant(starts[0]) != instant(first_start):
            _fail(
                f"first_start {local.isoformat()} is not an occurrence of {rrule!r} "
                f"(its first is {starts[0].isoformat()})",
                field="first_start",
            )
    return starts


def remove_exdates(starts: Iterable[datetime], exdates: Iterable[datetime]) -> list[datetime]:
    """``starts`` without the exception dates, compared as instants."""
    excluded = {instant(moment) for moment in exdates}
    return [start for start in starts if instant(start) not in excluded]


def occurrences(
    series: SessionSeries, *, until: datetime | None = None, limit: int = MAX_OCCURRENCES
) -> list[datetime]:
    """The starts of a series' occurrences that take place (exdates removed)."""
    starts = rule_starts(
        series.rrule, series.first_start, series.timezone, until=until, limit=limit
    )
    return remove_exdates(starts, series.exdates)


def index_of(starts: Sequence[datetime], moment: datetime | None) -> int | None:
    """The position of ``moment`` among ``starts``, comparing instants."""
    if moment is None:
        return None
    wanted = instant(moment)
    for position, start in enumerate(starts):
        if instant(start) == wanted:
            return position
    return None


# -- rewriting rules ----------------------------------------------------------------
def _utc_text(moment: datetime) -> str:
    # UNTIL has whole seconds; round up so the last kept occurrence stays included.
    rounded = instant(moment)
    if rounded.microsecond:
        rounded = rounded.replace(microsecond=0) + timedelta(seconds=1)
    return rounded.strftime("%Y%m%dT%H%M%SZ")


def end_before(rrule: str, starts: Sequence[datetime], index: int) -> str:
    """The rule cut to its first ``index`` occurrences (``starts`` from rule_starts).

    A COUNT rule keeps COUNT (now ``index``); any other gets UNTIL = the last kept
    occurrence, in UTC as RFC 5545 asks of a zoned rule.
    """
    if not 1 <= index <= len(starts):
        raise ValueError(f"cannot keep {index} of {len(starts)} occurrences")
    parts = _parse(rrule)
    if "COUNT" in parts:
        parts["COUNT"] = str(index)
    else:
        parts["UNTIL"] = _utc_text(starts[index - 1])
    return _format(parts)


def continue_from(rrule: str, index: int) -> str:
    """The rule for the occurrences from ``index`` on, started at occurrence ``index``."""
    parts = _parse(rrule)
    if "COUNT" in parts:
        remaining = int(parts["COUNT"]) - index
        if remaining < 1:
            raise ValueError(f"{rrule!r} has no occurrence {index}")
        parts["COUNT"] = str(remaining)
    return _format(parts)


def shift_until(rrule: str, delta: timedelta, timezone: str) -> str:
    """The rule with its UNTIL moved ``delta`` on the wall clock, as its occurrences move.

    When a whole series moves an hour or a day later, an UNTIL left in place would cut
    off the last occurrence.  Rules without UNTIL come back unchanged.
    """
    parts = _parse(rrule)
    if "UNTIL" not in parts or not delta:
        return _format(parts)
    zone = zone_of(timezone)
    until = _until(parts["UNTIL"], zone, fold=0).astimezone(zone)
    moved = localize(until.replace(tzinfo=None) + delta, zone, until.fold)
    parts["UNTIL"] = _utc_text(moved)
    return _format(parts)


def _days_in_month(day: date) -> int:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return (following - timedelta(days=1)).day


def _rotate(code: str, shift: int) -> str:
    return WEEKDAYS[(WEEKDAYS.index(code) + shift) % 7]


def move_days(rrule: str, old_day: date, new_day: date) -> str:
    """The rule re-anchored so the occurrence on ``old_day`` falls on ``new_day``.

    Calendars re-derive a rule from a moved occurrence ("monthly on the third Wednesday"
    moved to a Thursday becomes "monthly on the third Thursday"); this does the same
    for the rules that say it plainly:

    * days taken from the first start (plain DAILY / WEEKLY / MONTHLY / YEARLY): as is;
    * plain weekdays (``BYDAY=MO,WE``): rotated by the number of days moved;
    * one numbered weekday in a MONTHLY rule (``BYDAY=3WE``, ``BYDAY=-1FR``): the new
      day's weekday and its position in the month, counted from the same end;
    * one day of the month in a MONTHLY rule (``BYMONTHDAY=15``): the new day.

    Any other rule is a ValidationError: give the new rule itself.
    """
    shift = (new_day - old_day).days
    if shift == 0:
        return normalize_rule(rrule)
    parts = _parse(rrule)
    freq = parts["FREQ"]
    chosen = [name for name in _DAY_PARTS if name in parts]
    if not chosen:
        return _format(parts)
    byday = parts.get("BYDAY", "").split(",")
    if chosen == ["BYDAY"] and all(code in WEEKDAYS for code in byday):
        parts["BYDAY"] = ",".join(_rotate(code, shift) for code in byday)
        return _format(parts)
    if chosen == ["BYDAY"] and freq == "MONTHLY" and len(byday) == 1:
        ordinal = int(byday[0][:-2] or "1")
        weekday = WEEKDAYS[new_day.weekday()]
        if ordinal < 0:
            ordinal = -((_days_in_month(new_day) - new_day.day) // 7 + 1)
        else:
            ordinal = (new_day.day - 1) // 7 + 1
        parts["BYDAY"] = f"{ordinal}{weekday}"
        return _format(parts)
    bymonthday = parts.get("BYMONTHDAY", "")
    if chosen == ["BYMONTHDAY"] and freq == "MONTHLY" and "," not in bymonthday:
        if int(bymonthday) < 0:
            parts["BYMONTHDAY"] = str(new_day.day - _days_in_month(new_day) - 1)
        else:
            parts["BYMONTHDAY"] = str(new_day.day)
        return _format(parts)
    _fail(
        f"cannot move the days of {_format(parts)!r} by {shift} days; "
        "give the new rule as rrule= along with the new start"
    )
