"""Records rebuilt from the rows a SQL store reads, one plan per kind.

Rebuilding a record through the cattrs converter's whole-record function cost more
than the SQL that read its row: every value passed through a structure hook and the
record's ``__init__`` ran its converters again, and dates and durations were written
out as text and numbers only to be parsed back.  A :class:`RecordReader` plans, once
per kind, what each column's value needs to become the field's value:

* a plain value (str, int, float, bool, date, timedelta) comes out of the driver's type
  processing as the field wants it, and is passed on;
* a datetime is put back in its stored zone (:func:`~.sql_types.in_zone`);
* an enum is looked up by value; a JSON column's data is rebuilt by a plan of its
  declared type (sets, tuples, nested records, dates as text), and anything the plan
  does not know (dicts, unions, ``Any``) goes through the converter's own hook.

A stored row passed the model's rules when it was written, so its record is made as an
ORM loads one: the fields are set on a new instance without running ``__init__``
(for a class that has no ``__attrs_post_init__`` and takes every field in its
``__init__``; others are called, with :func:`~cpnetwork.model._validators.stored_values`
in force, as the converter would call them).  A row the plan cannot rebuild (a value
an older version wrote, a damaged cell) is rebuilt the long way, through
:func:`~cpnetwork.serialization.structure`, whose error names the record and field.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

import attrs

from cpnetwork.model._validators import stored_values, with_stored_values
from cpnetwork.serialization import converter, structure
from cpnetwork.storage.sql_types import in_zone

Convert = Callable[[Any], Any]

#: Field types a column's value already is, after the driver's type processing.
COLUMN_PLAIN = frozenset({str, int, float, bool, date, timedelta})
#: Field types JSON data already is.
JSON_PLAIN = frozenset({str, int, bool})

#: The attribute attrs keeps a cached hash in (``cache_hash=True``).
HASH_CACHE = "_attrs_cached_hash"

_new = object.__new__
_set = object.__setattr__


class Step(typing.NamedTuple):
    """How one column's value becomes a field of the record."""

    #: The field's name (the key cattrs reads).
    name: str
    #: The value's position in the row.
    column: int
    #: Whether the field takes None.
    optional: bool
    #: The value's conversion, or None when it is already the field's value.
    convert: Convert | None = None
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
            hint = hints.get(attribute.name, Any)
            bare, optional = _without_none(hint)
            zone = zone_of.get(attribute.name)
            plain = bare in COLUMN_PLAIN or bare is datetime
            steps.append(
                Step(
                    attribute.name,
                    position[attribute.name],
                    optional or hint is Any,
                    convert=None if plain else json_plan(bare),
                    zone_index=None if zone is None else position[zone],
                    is_datetime=bare is datetime,
                )
            )
        self._steps = tuple(steps)
        self._planned = self._compile()

    def record(self, values: Sequence[Any]) -> Any:
        """The record a row holds, its values in the table's column order."""
        return with_stored_values(self._planned, values)

    def _compile(self) -> Callable[[Sequence[Any]], Any]:
        """The plan as one generated function, as attrs and cattrs generate theirs.

        For a step ``i`` reading column ``n`` it runs ``f<i> = values[n]`` and, when the
        value is not None, the step's conversion; a None the field does not take sends
        the row the long way.  Then the record is made from ``f0, f1, ...``.
        """
        scope: dict[str, Any] = {
            "make": maker(self.cls),
            "slowly": self._slowly,
            "in_zone": in_zone,
        }
        lines = ["def planned(values):", "    try:"]
        for number, step in enumerate(self._steps):
            field = f"f{number}"
            lines.append(f"        {field} = values[{step.column}]")
            if step.is_datetime:
                zone = "None" if step.zone_index is None else f"values[{step.zone_index}]"
                change = f"{field} = in_zone({field}, {zone})"
            elif step.convert is not None:
                scope[f"c{number}"] = step.convert
                change = f"{field} = c{number}({field})"
            else:
                change = None
            if change is not None:
                lines += [f"        if {field} is not None:", f"            {change}"]
                if not step.optional:  # only an older or damaged row: the long way
                    lines.append("        else:\n            return slowly(values)")
            elif not step.optional:
                lines.append(f"        if {field} is None:\n            return slowly(values)")
        fields = ", ".join(f"f{number}" for number in range(len(self._steps)))
        lines += [
            f"        return make({fields})",
            "    except Exception:  # the long way, whose error names what is wrong",
            "        return slowly(values)",
        ]
        return _generated("\n".join(lines), "planned", scope, self.cls)

    def _slowly(self, values: Sequence[Any]) -> Any:
        """The record through the converter's whole-record function, as data it reads."""
        data: dict[str, Any] = {}
        for step in self._steps:
            value = values[step.column]
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


def maker(cls: type) -> Callable[..., Any]:
    """Makes a record of ``cls`` from its fields' values, as arguments in field order.

    Called with stored values in force (see :meth:`RecordReader.record`).
    """
    fields = attrs.fields(cls)
    init = getattr(cls.__init__, "__code__", None)  # type: ignore[misc]
    direct = (
        all(attribute.init for attribute in fields)
        and not hasattr(cls, "__attrs_pre_init__")
        and not hasattr(cls, "__attrs_post_init__")
        # A class caching its hash sets the cache in ``__init__``.
        and init is not None
        and HASH_CACHE not in (*init.co_names, *init.co_consts)
    )
    parameters = ", ".join(f"f{number}" for number in range(len(fields)))
    if direct:
        # Set as ``object.__setattr__`` sets them: frozen classes refuse their own setattr.
        body = ["    record = new(cls)"]
        body += [f"    set(record, {a.name!r}, f{n})" for n, a in enumerate(fields)]
        body.append("    return record")
    else:
        # As cattrs does: a field ``__init__`` does not take is left to its default.
        arguments = ", ".join(f"{a.alias or a.name}=f{n}" for n, a in enumerate(fields) if a.init)
        body = [f"    return cls({arguments})"]
    source = "\n".join([f"def make({parameters}):", *body])
    return _generated(source, "make", {"cls": cls, "new": _new, "set": _set}, cls)


def _generated(source: str, name: str, scope: dict[str, Any], cls: type) -> Callable[..., Any]:
    """The function ``name`` that ``source`` defines, compiled in ``scope``."""
    code = compile(source, f"<cpnetwork {name} {cls.__module__}.{cls.__qualname__}>", "exec")
    exec(code, scope)
    function: Callable[..., Any] = scope[name]
    return function


def json_plan(hint: Any) -> Convert | None:
    """How data of type ``hint``, as JSON holds it (or a column's enum), becomes a value:
    None when the data already is the value."""
    bare, optional = _without_none(hint)
    plan = _plan(bare)
    if plan is None or not optional:
        return plan

    def optional_value(value: Any) -> Any:
        return None if value is None else plan(value)

    return optional_value


def _plan(bare: Any) -> Convert | None:
    if bare in JSON_PLAIN:
        return None
    if bare is float:
        return float
    if bare is date:
        return date.fromisoformat
    if bare is timedelta:
        return _seconds
    if isinstance(bare, type) and issubclass(bare, Enum):
        return _member_of(bare)
    origin, args = typing.get_origin(bare), typing.get_args(bare)
    sets = origin in (frozenset, set) and len(args) == 1
    if sets or (origin is tuple and len(args) == 2 and args[1] is ...):
        return _collection(origin, json_plan(args[0]))
    if attrs.has(bare) and isinstance(bare, type):
        return _nested(bare)
    hook = converter.get_structure_hook(bare)

    def through_hook(value: Any) -> Any:
        return hook(value, bare)

    return through_hook


def _seconds(value: Any) -> timedelta:
    return timedelta(seconds=value)


def _member_of(enum: type[Enum]) -> Convert:
    members = enum._value2member_map_

    def member(value: Any) -> Any:
        found = members.get(value)
        return enum(value) if found is None else found

    return member


#: Containers one empty instance of may be shared by every record read.
IMMUTABLE = frozenset({frozenset, tuple})


def _collection(container: Callable[..., Any], item: Convert | None) -> Convert:
    empty = container() if container in IMMUTABLE else None

    def collection(values: Any) -> Any:
        if values.__class__ is not list:
            raise TypeError(f"{values!r} is not a list")
        if not values:
            return container() if empty is None else empty
        return container(values if item is None else map(item, values))

    return collection


def _nested(cls: type) -> Convert:
    """A nested record from its dict: planned when the dict has every field, else cattrs.

    Generated as the row's plan is (see :meth:`RecordReader._compile`): a record nested
    in every row of its kind (a member's reach, each affiliation) is rebuilt as often.
    """
    hints = typing.get_type_hints(cls)
    fields = attrs.fields(cls)
    scope: dict[str, Any] = {
        "make": maker(cls),
        "keys": frozenset(a.name for a in fields),
        "hook": converter.get_structure_hook(cls),
        "cls": cls,
    }
    arguments = []
    for number, attribute in enumerate(fields):
        plan = json_plan(hints.get(attribute.name, Any))
        value = f"value[{attribute.name!r}]"
        if plan is not None:
            scope[f"c{number}"] = plan
            value = f"c{number}({value})"
        arguments.append(value)
    source = "\n".join(
        [
            "def nested(value):",
            "    if value.__class__ is dict and value.keys() == keys:",
            f"        return make({', '.join(arguments)})",
            "    return hook(value, cls)",
        ]
    )
    nested: Convert = _generated(source, "nested", scope, cls)
    return nested


def _without_none(hint: Any) -> tuple[Any, bool]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return rest[0], True
    return hint, False
