"""The one place serialization policy lives: a cattrs converter for every record.

Records unstructure to JSON-compatible dicts (ISO 8601 datetimes with their offset,
dates, durations in seconds, enums by value, sets as sorted lists) and structure back
with unknown keys refused.

A wall-clock time that a DST change repeats or skips also carries its IANA zone, as
RFC 9557 writes it (``2024-11-03T01:30:00-08:00[America/Los_Angeles]``): under PEP 495
such a datetime never equals one in another zone, so the offset alone would not read
back equal.  It reads back in that zone, with ``fold`` chosen to match the offset.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import Enum, StrEnum
from functools import cache
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn
from cattrs.v import format_exception

from cpnetwork.errors import ValidationError
from cpnetwork.model import Answer, CustomValue

T = TypeVar("T")

#: Plain-value dicts and the value types each may hold: custom fields take any JSON
#: scalar, survey answers only scores, text and yes/no.
_PLAIN_DICTS: dict[Any, tuple[type, ...]] = {
    dict[str, CustomValue]: (str, int, float, bool, type(None)),
    dict[str, Answer]: (int, str, bool),
}


def _is_ambiguous(moment: datetime) -> bool:
    """A wall-clock time a DST change repeats or skips: its offset depends on ``fold``."""
    return moment.replace(fold=0).utcoffset() != moment.replace(fold=1).utcoffset()


def _unstructure_datetime(moment: datetime) -> str:
    text = moment.isoformat()
    zone = moment.tzinfo
    if isinstance(zone, ZoneInfo) and zone.key and _is_ambiguous(moment):
        return f"{text}[{zone.key}]"
    return text


def _on_wall_clock(moment: datetime, zone: ZoneInfo) -> datetime:
    """``moment``'s wall time in ``zone``, with the ``fold`` that keeps its offset."""
    wall = moment.replace(tzinfo=None)
    for fold in (0, 1):
        candidate = wall.replace(tzinfo=zone, fold=fold)
        if candidate.utcoffset() == moment.utcoffset():
            return candidate
    return moment.astimezone(zone)  # the zone's rules changed: keep the instant


def _structure_datetime(value: Any, _: type) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.endswith("]"):
        text, _bracket, key = value[:-1].partition("[")
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is not None:
            return _on_wall_clock(moment, ZoneInfo(key))
    else:
        moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return moment


def _structure_scalar_dict(value: Any, cls: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{value!r} is not a mapping")
    allowed = _PLAIN_DICTS[cls]
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, allowed):
            raise ValueError(f"{key!r}: {item!r} is not a plain value")
    return dict(value)


def _sorted(values: frozenset[Any]) -> list[Any]:
    return sorted(values, key=str)


def _enum_value(member: Enum) -> Any:
    return member.value


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True)
    # cattrs passes StrEnum members through as str subclasses; emit the plain value.
    # (StrEnum must be registered itself: ``str`` precedes ``Enum`` in its MRO.)
    for base in (Enum, StrEnum):
        converter.register_unstructure_hook(base, _enum_value)
    converter.register_unstructure_hook(datetime, _unstructure_datetime)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_unstructure_hook(date, date.isoformat)
    converter.register_structure_hook(date, lambda value, _: date.fromisoformat(value))
    converter.register_unstructure_hook(timedelta, timedelta.total_seconds)
    converter.register_structure_hook(timedelta, lambda value, _: timedelta(seconds=value))
    converter.register_unstructure_hook_func(
        lambda cls: getattr(cls, "__origin__", None) is frozenset,
        lambda values: [converter.unstructure(v) for v in _sorted(values)],
    )
    converter.register_structure_hook_func(lambda t: t in _PLAIN_DICTS, _structure_scalar_dict)
    converter.register_unstructure_hook_func(lambda t: t in _PLAIN_DICTS, dict)

    def attrs_structure(cls: type[Any]) -> Any:
        return make_dict_structure_fn(cls, converter, _cattrs_forbid_extra_keys=True)

    converter.register_structure_hook_factory(
        lambda cls: hasattr(cls, "__attrs_attrs__"), attrs_structure
    )
    converter.register_unstructure_hook_factory(
        lambda cls: hasattr(cls, "__attrs_attrs__"),
        lambda cls: make_dict_unstructure_fn(cls, converter),
    )
    return converter


converter = _make_converter()


def unstructure(record: Any) -> dict[str, Any]:
    """A record as a JSON-compatible dict."""
    result: dict[str, Any] = converter.unstructure(record)
    return result


def structure(data: Any, cls: type[T]) -> T:
    """A record of ``cls`` from a dict made by :func:`unstructure` (or by hand).

    Malformed input is a :class:`~cpnetwork.errors.ValidationError` naming the record
    (``cls``), with ``field`` set to the offending attribute when there is one.  Errors
    deeper down (a bad enum value, a nested record's own validator) are reported by
    path in the reason, still under ``cls``.
    """
    if attrs.has(cls) and not isinstance(data, dict):
        raise ValidationError(cls.__name__, None, f"expected a mapping, got {type(data).__name__}")
    try:
        return converter.structure(data, cls)
    except ValidationError:
        raise  # raised by ``cls`` itself: it already names the record and field
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError) as exc:
        own = _own_error(exc)
        if own is not None:
            raise own from exc
        record_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(record_id, str):
            record_id = None
        raise ValidationError(cls.__name__, record_id, _describe(exc), field=_field(exc)) from exc


def _own_error(exc: BaseException) -> ValidationError | None:
    """The record's own ValidationError (from its validators), if cattrs wrapped it."""
    if isinstance(exc, cattrs.ClassValidationError):
        _, without_attribute = exc.group_exceptions()
        return next((e for e in without_attribute if isinstance(e, ValidationError)), None)
    return None


def _format(exc: BaseException, type_: type | None) -> str:
    if isinstance(exc, ValidationError):
        return str(exc)
    base = format_exception(exc, type_)
    if isinstance(exc, ValueError) and str(exc) and str(exc) not in base:
        return f"{base}: {exc}"
    return base


def _describe(exc: BaseException) -> str:
    if isinstance(exc, cattrs.BaseValidationError):
        return "; ".join(cattrs.transform_error(exc, format_exception=_format))
    return _format(exc, None)


def _field(exc: BaseException) -> str | None:
    """The one top-level attribute every error is under, if there is one."""
    if not isinstance(exc, cattrs.ClassValidationError):
        return None
    with_notes, without = exc.group_exceptions()
    names = {note.name for _, note in with_notes}
    if without or len(names) != 1:
        return None
    return names.pop()


@cache
def field_names(cls: type) -> tuple[str, ...]:
    return tuple(a.name for a in cls.__attrs_attrs__)  # type: ignore[attr-defined]
