"""Reading times, durations and JSON for the commands that create and edit.

A time on the command line is ISO 8601: ``2024-09-15``, ``2024-09-15 17:00`` or
``2024-09-15T17:00-07:00``.  Without an offset it is on the wall clock of the zone the
command names (the network's, or a session's ``--timezone``).  A deadline given as a
date is the end of that day, an opening the start of it (see
:func:`cpnetwork.model.programs.deadline_at`).
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import click

from cpnetwork import recurrence
from cpnetwork.errors import ValidationError
from cpnetwork.model.programs import deadline_at, opening_at
from cpnetwork.plans import parse_duration
from cpnetwork.serialization import unstructure


def when(value: str) -> date | datetime:
    """A date or a datetime (naive unless an offset is given), or BadParameter."""
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date or time (2024-09-15, 2024-09-15 17:00)"
        ) from None


def moment(value: str, zone: str) -> datetime:
    """A point in time; a date alone is refused (say the time)."""
    found = when(value)
    if not isinstance(found, datetime):
        raise click.BadParameter(f"{value!r}: give a time too, e.g. '{value} 09:00'")
    return found if found.tzinfo is not None else recurrence.localize(found, zone_of(zone))


def fixed_now(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """``--now``: an ISO 8601 time with its offset (the network's zone is not known yet)."""
    if value is None or not value.strip():
        return None
    found = when(value)
    if not isinstance(found, datetime) or found.tzinfo is None:
        raise click.BadParameter(
            f"{value!r}: give a time with its offset, e.g. 2024-10-01T09:00-07:00 or "
            "2024-10-01T16:00Z"
        )
    return found


def deadline(value: str, zone: str) -> datetime:
    """A deadline: a date is the end of that day in ``zone``."""
    return deadline_at(_localized(when(value), zone), zone_of(zone))


def opening(value: str, zone: str) -> datetime:
    """An opening: a date is the start of that day in ``zone``."""
    return opening_at(_localized(when(value), zone), zone_of(zone))


def _localized(value: date | datetime, zone: str) -> date | datetime:
    if isinstance(value, datetime) and value.tzinfo is None:
        return recurrence.localize(value, zone_of(zone))
    return value


def zone_of(name: str) -> ZoneInfo:
    try:
        return recurrence.zone_of(name)
    except ValidationError as exc:
        raise click.BadParameter(f"{name!r} is not a time zone (America/Los_Angeles)") from exc


def duration(value: str) -> timedelta:
    """``90``, ``90m``, ``1h30m``, ``2h``, ``1d``: a positive length of time."""
    text = value.strip()
    try:
        return parse_duration(int(text) if text.isdigit() else text)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def as_json(record: Any) -> Any:
    """A record (or a list or dict of them) as JSON-compatible data."""
    if isinstance(record, list | tuple):
        return [as_json(item) for item in record]
    if isinstance(record, dict):
        return {key: as_json(item) for key, item in record.items()}
    if hasattr(record, "__attrs_attrs__"):
        return unstructure(record)
    return record


def echo_json(data: Any) -> None:
    """Write ``data`` as indented JSON with sorted keys on stdout: stable for scripts."""
    click.echo(json.dumps(as_json(data), indent=2, sort_keys=True, ensure_ascii=False))


#: The ``--json`` flag of list and show commands.
json_option = click.option(
    "--json", "as_json_", is_flag=True, help="Print JSON on stdout (stable, for scripts)."
)
