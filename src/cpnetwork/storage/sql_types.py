"""Column types of the SQL store, chosen so that SQL compares values as Python does.

* Text uses the ``C`` collation on PostgreSQL: ordering and ``__lt`` comparisons go by
  code point, as in SQLite and the memory store, whatever the server's locale.
* Datetimes are stored as UTC instants (``timestamptz`` on PostgreSQL, fixed-width UTC
  ISO 8601 text on SQLite), so comparing and sorting them in SQL follows the instant
  even when records were written with different offsets.  The zone each was given in
  goes into a companion text column (:func:`zone_text`: the IANA key, or a fixed
  offset such as ``+05:30``), and a datetime reads back in that zone
  (:func:`in_zone`), with ``fold`` set from the instant (PEP 495), so 16:00 in
  Los Angeles is 16:00 in Los Angeles again.  A NULL zone means UTC.
* Durations are stored as seconds; non-scalar values as JSON (JSONB on PostgreSQL).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from json.scanner import make_scanner
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from cpnetwork.errors import ValidationError

#: Width of ``0001-01-01T00:00:00.000000+00:00``: every stored instant has it.
UTC_TEXT_WIDTH = 32


def text_type() -> TypeEngine[str]:
    """Text compared and sorted by code point on every dialect."""
    return sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")


def json_type() -> TypeEngine[Any]:
    """JSON, stored as JSONB on PostgreSQL; Python None is SQL NULL."""
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


_SCAN_JSON = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]
_EMPTY_JSON = {"[]": list, "{}": dict}


def json_loads(text: str | bytes) -> Any:
    """A JSON column's text as Python values: what ``json.loads`` gives, for less.

    Most JSON cells are short (an empty set, a small record), and ``json.loads``
    spends more on its Python layers than on parsing them; the values come straight
    from the decoder's scanner (C) here, and anything it does not take whole (leading
    or trailing space, an error to report, bytes in another encoding) goes through
    ``json.loads``.  psycopg hands over bytes, which PostgreSQL sends as UTF-8.
    """
    data = text if isinstance(text, str) else _utf8(text)
    if data is None:
        return json.loads(text)
    make = _EMPTY_JSON.get(data)
    if make is not None:
        return make()
    try:
        value, end = _SCAN_JSON(data, 0)
    except (StopIteration, ValueError):
        return json.loads(text)
    return value if end == len(data) else json.loads(text)


def _utf8(data: Any) -> str | None:
    try:
        return str(data, "utf-8")
    except (TypeError, UnicodeDecodeError):
        return None


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as its UTC instant; naive datetimes are refused."""

    impl = sa.String(UTC_TEXT_WIDTH)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.TIMESTAMP(timezone=True))
        return dialect.type_descriptor(sa.String(UTC_TEXT_WIDTH))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.utcoffset() is None:
            raise ValidationError("datetime", None, f"{value!r} has no time zone")
        instant = value.astimezone(UTC)
        if dialect.name == "postgresql":
            return instant
        return instant.isoformat(timespec="microseconds")

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        return moment.astimezone(UTC)


def zone_text(value: datetime | None) -> str | None:
    """The zone of a datetime as stored beside its instant: an IANA key or an offset.

    A ZoneInfo gives its key (``America/Los_Angeles``); any other tzinfo (UTC, a
    fixed offset, a zone without a key) gives the value's offset (``+00:00``).
    """
    if value is None:
        return None
    zone = value.tzinfo
    if isinstance(zone, ZoneInfo) and zone.key:
        return zone.key
    offset = value.utcoffset()
    if offset is None:
        raise ValidationError("datetime", None, f"{value!r} has no time zone")
    return _offset_text(offset)


def _offset_text(offset: timedelta) -> str:
    sign = "-" if offset < timedelta(0) else "+"
    seconds = int(abs(offset).total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")


def in_zone(instant: datetime, zone: str | None) -> datetime:
    """A stored instant in its stored zone (``fold`` follows from the instant).

    None (rows written before zones were kept) and a zone this Python does not know
    give UTC: the instant is right either way.
    """
    if zone is None:
        return instant.astimezone(UTC)
    if zone[:1] in "+-":
        sign = -1 if zone[0] == "-" else 1
        parts = [int(part) for part in zone[1:].split(":")]
        hours, minutes, seconds = (*parts, 0, 0)[:3]
        offset = timedelta(hours=hours, minutes=minutes, seconds=seconds) * sign
        return instant.astimezone(timezone(offset))
    try:
        return instant.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return instant.astimezone(UTC)


class Seconds(TypeDecorator[timedelta]):
    """A duration stored as a number of seconds, so it sorts and compares in SQL."""

    impl = sa.Double()
    cache_ok = True

    def process_bind_param(self, value: timedelta | float | None, dialect: Dialect) -> Any:
        if isinstance(value, timedelta):
            return value.total_seconds()
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> timedelta | None:
        return None if value is None else timedelta(seconds=value)
