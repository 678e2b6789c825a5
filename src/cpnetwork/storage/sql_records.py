"""Records rebuilt from the rows a SQL store reads, one plan per kind.

Rebuilding a record through the cattrs converter's whole-record function costs more
than the SQL that read its row: every field passes through a structure hook, and
dates and durations are written back out as text and numbers only to be parsed again.
A :class:`RecordReader` plans, once per kind, what each column's value needs:

* a plain value (str, int, float, bool, date, timedelta, or None for an optional one)
  comes out of the driver's type processing as the field wants it, and is passed on;
* a datetime is put back in its stored zone (:func:`~.sql_types.in_zone`);
* anything else (enums, JSON columns: sets, tuples, nested records, dicts) goes
  through the converter's own structure hook for the field's type.

The record is then made by calling its class under
:func:`~cpnetwork.model._validators.stored_values`, as the converter would, so its
converters and validators run as before.  A row the plan cannot rebuild (a value an
older version wrote, a corrupt cell) is rebuilt the long way, through
:func:`~cpnetwork.serialization.structure`, which names the record and the field in
the error it raises.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import attrs

from cpnetwork.model._validators import stored_values, with_stored_values
from cpnetwork.serialization import converter, structure
from cpnetwork.storage.sql_types import in_zone

#: Field types whose column value is already the field's value.
PLAIN_TYPES = frozenset({str, int, float, bool, date, timedelta})


@attrs.frozen
class Step:
    """How one column's value becomes an argument of the record's class."""

    #: The field's name (the key cattrs reads) and its ``__init__`` argument.
    name: str
    argument: str
    #: The value's position in the row.
    index: int
    #: Whether the field takes None.
    optional: bool
    #: The converter's structure hook for the field, or None for a plain value.
    convert: Callable[[Any], Any] | None = None
    #: For a datetime: the position of its zone column, or None when the table has none.
    zone_index: int | None = None
    is_datetime: bool = False


class RecordReader:
    """Rebuilds records of one class from rows in a table's column order."""

    def __init__(self, cls: type, names: Sequence[str], zone_of: Mapping[str, str]) -> None:
        """``names`` are the table's columns in order; ``zone_of`` maps a datetime
        field to its zone column, for the zone columns the table has."""
        self.cls = cls
        position = {name: index for index, name in enumerate(names)}
        hints = typing.get_type_hints(cls)
        steps: list[Step] = []
        for attribute in attrs.fields(cls):
            if not attribute.init:
                continue
            hint = hints.get(attribute.name, Any)
            bare, optional = _without_none(hint)
            zone = zone_of.get(attribute.name)
            steps.append(
                Step(
                    attribute.name,
                    attribute.alias or attribute.name,
                    position[attribute.name],
                    optional or hint is Any,
                    convert=None if bare in PLAIN_TYPES or bare is datetime else _hook(bare),
                    zone_index=None if zone is None else position[zone],
                    is_datetime=bare is datetime,
                )
            )
        self._steps = tuple(steps)

    def record(self, values: Sequence[Any]) -> Any:
        """The record a row holds, its values in the table's column order."""
        arguments: dict[str, Any] = {}
        try:
            for step in self._steps:
                value = values[step.index]
                if value is None:
                    if not step.optional:  # only an older or damaged row: the long way
                        return self._slowly(values)
                elif step.is_datetime:
                    zone_index = step.zone_index
                    value = in_zone(value, None if zone_index is None else values[zone_index])
                elif step.convert is not None:
                    value = step.convert(value)
                arguments[step.argument] = value
            return with_stored_values(self.cls, arguments)
        except Exception:  # rebuilt the long way, whose error names what is wrong
            return self._slowly(values)

    def _slowly(self, values: Sequence[Any]) -> Any:
        """The record through the converter's whole-record function, as data it reads."""
        data: dict[str, Any] = {}
        for step in self._steps:
            value = values[step.index]
            if value is None:
                pass
            elif step.is_datetime:
                zone_index = step.zone_index
                value = in_zone(value, None if zone_index is None else values[zone_index])
            elif isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, timedelta):
                value = value.total_seconds()
            data[step.name] = value
        with stored_values():
            return structure(data, self.cls)


def _without_none(hint: Any) -> tuple[Any, bool]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return rest[0], True
    return hint, False


def _hook(bare: Any) -> Callable[[Any], Any]:
    """The converter's structure hook for a field's type, taking just the value.

    A set or a variadic tuple of one type is made from its items' hook directly:
    cattrs' container functions cost several times the items for the short (often
    empty) collections records hold.
    """
    origin, args = typing.get_origin(bare), typing.get_args(bare)
    sets = origin in (frozenset, set) and len(args) == 1
    variadic = origin is tuple and len(args) == 2 and args[1] is ...
    if sets or variadic:
        container: Callable[..., Any] = origin
        item_type = args[0]
        item = converter.get_structure_hook(item_type)

        def convert_items(values: Any) -> Any:
            return container(item(value, item_type) for value in values) if values else container()

        return convert_items
    hook = converter.get_structure_hook(bare)

    def convert(value: Any) -> Any:
        return hook(value, bare)

    return convert
