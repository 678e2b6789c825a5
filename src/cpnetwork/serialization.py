"""The one place serialization policy lives: a cattrs converter for every record.

Records unstructure to JSON-compatible dicts (ISO 8601 datetimes with their offset,
dates, durations in seconds, enums by value, sets as sorted lists) and structure back
with unknown keys refused.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, TypeVar

import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn

from cpnetwork.errors import ValidationError
from cpnetwork.model import Answer, CustomValue

T = TypeVar("T")

_SCALARS = (str, int, float, bool, type(None))


def _structure_datetime(value: Any, _: type) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return moment


def _structure_scalar_dict(value: Any, _: type) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{value!r} is not a mapping")
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, _SCALARS):
            raise ValueError(f"{key!r}: {item!r} is not a plain value")
    return dict(value)


def _sorted(values: frozenset[Any]) -> list[Any]:
    return sorted(values, key=str)


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    converter.register_structure_hook(datetime, _structure_datetime)
    converter.register_unstructure_hook(date, date.isoformat)
    converter.register_structure_hook(date, lambda value, _: date.fromisoformat(value))
    converter.register_unstructure_hook(timedelta, timedelta.total_seconds)
    converter.register_structure_hook(timedelta, lambda value, _: timedelta(seconds=value))
    converter.register_unstructure_hook_func(
        lambda cls: getattr(cls, "__origin__", None) is frozenset,
        lambda values: [converter.unstructure(v) for v in _sorted(values)],
    )
    plain_dicts = (dict[str, CustomValue], dict[str, Answer])
    converter.register_structure_hook_func(lambda t: t in plain_dicts, _structure_scalar_dict)
    converter.register_unstructure_hook_func(lambda t: t in plain_dicts, dict)

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

    Malformed input is a :class:`~cpnetwork.errors.ValidationError` naming the record.
    """
    try:
        return converter.structure(data, cls)
    except ValidationError:
        raise
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError) as exc:
        own = _own_error(exc)
        if own is not None:
            raise own from exc
        record_id = data.get("id") if isinstance(data, dict) else None
        raise ValidationError(cls.__name__, record_id, _describe(exc)) from exc


def _own_error(exc: BaseException) -> ValidationError | None:
    """The model's own ValidationError, if cattrs wrapped one."""
    if isinstance(exc, ValidationError):
        return exc
    for inner in getattr(exc, "exceptions", ()):
        found = _own_error(inner)
        if found is not None:
            return found
    return None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, cattrs.BaseValidationError):
        leaves = cattrs.transform_error(exc)
        return "; ".join(leaves)
    return str(exc)


@cache
def field_names(cls: type) -> tuple[str, ...]:
    return tuple(a.name for a in cls.__attrs_attrs__)  # type: ignore[attr-defined]
