"""Small named validators and converters shared by the model's records."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from cpnetwork.errors import ValidationError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _record(instance: Any) -> tuple[str, str | None]:
    return type(instance).__name__, getattr(instance, "id", None)


def str_tuple(values: Iterable[str]) -> tuple[str, ...]:
    return (values,) if isinstance(values, str) else tuple(values)


def str_set(values: Iterable[str]) -> frozenset[str]:
    return frozenset((values,) if isinstance(values, str) else values)


def datetime_set(values: Iterable[datetime]) -> frozenset[datetime]:
    return frozenset(values)


def fail(instance: Any, attribute: attrs.Attribute[Any], reason: str) -> ValidationError:
    kind, record_id = _record(instance)
    return ValidationError(kind, record_id, reason, field=attribute.name)


def normalize_email(value: str) -> str:
    """Emails compare case-insensitively and without surrounding blanks."""
    return value.strip().lower() if isinstance(value, str) else value


def email(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not _EMAIL.match(value):
        raise fail(instance, attribute, f"{value!r} is not an email address")


def optional_email(instance: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None:
        email(instance, attribute, value)


def aware(instance: Any, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    """Naive datetimes are ambiguous across a statewide network; refuse them."""
    if value is None:
        return
    if not isinstance(value, datetime):
        raise fail(instance, attribute, f"{value!r} is not a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise fail(instance, attribute, f"{value.isoformat()} has no time zone")


def non_negative(instance: Any, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and value < 0:
        raise fail(instance, attribute, f"must not be negative, got {value}")


def non_empty(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise fail(instance, attribute, "must not be empty")


def time_zone(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError) as exc:
        raise fail(instance, attribute, f"{value!r} is not an IANA time zone") from exc


def fraction(instance: Any, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and not 0 <= value <= 1:
        raise fail(instance, attribute, f"must be between 0 and 1, got {value}")


class Choice(StrEnum):
    """A closed set of values: accepts members, their values and names (any case)."""

    @classmethod
    def _missing_(cls, value: object) -> Self:
        if isinstance(value, str):
            key = value.strip().casefold()
            for member in cls:
                if key in (member.value.casefold(), member.name.casefold()):
                    return member
        allowed = ", ".join(repr(m.value) for m in cls)
        raise ValidationError(cls.__name__, None, f"{value!r} is not one of {allowed}")
