"""Tables generated from record kinds, and the conversion of records to rows and back.

Each top-level scalar field of a record (str, int, float, bool, date, datetime,
timedelta, enum) gets a column of its own, so it can be filtered, sorted, grouped
and indexed in SQL; everything else (tuples, sets, dicts, nested records) goes into
a JSON column in the form the cattrs converter gives it.  A datetime field also gets
a companion text column ``<field>_tz`` holding the zone it was given in (see
:mod:`cpnetwork.storage.sql_types`), so it reads back in that zone.  Records are rebuilt through
that same converter, so the converter stays the one place serialization policy lives.
"""

from __future__ import annotations

import hashlib
import types
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from enum import Enum
from functools import cache
from typing import Any, TypeVar

import attrs
import sqlalchemy as sa
from attrs import field, frozen
from sqlalchemy.types import TypeEngine

from cpnetwork.errors import StorageError
from cpnetwork.serialization import converter
from cpnetwork.storage.base import RecordKind
from cpnetwork.storage.memory import plain
from cpnetwork.storage.sql_records import RecordReader
from cpnetwork.storage.sql_types import (
    Seconds,
    UTCDateTime,
    json_type,
    text_type,
    zone_text,
)

R = TypeVar("R")

#: PostgreSQL truncates longer identifiers; longer names are shortened with a hash.
MAX_NAME = 63
#: The suffix of the column holding a datetime field's zone.
ZONE_SUFFIX = "_tz"


class ColumnKind(Enum):
    TEXT = "text"
    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    DURATION = "duration"
    JSON = "json"


#: Kinds that SQL can filter, sort and group directly.
SCALAR_KINDS = frozenset(ColumnKind) - {ColumnKind.JSON}
NUMERIC_KINDS = frozenset({ColumnKind.INTEGER, ColumnKind.FLOAT})


@frozen
class ColumnSpec:
    """How one field of a record is stored."""

    name: str
    kind: ColumnKind
    nullable: bool

    @property
    def scalar(self) -> bool:
        return self.kind in SCALAR_KINDS


def _unwrap_optional(hint: Any) -> tuple[Any, bool]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            return rest[0], len(rest) < len(args)
    return hint, False


def _kind_of(hint: Any) -> ColumnKind:
    if not isinstance(hint, type):
        return ColumnKind.JSON
    if issubclass(hint, Enum):
        values = {type(member.value) for member in hint}
        if values <= {str}:
            return ColumnKind.TEXT
        if values <= {int}:
            return ColumnKind.INTEGER
        return ColumnKind.JSON
    for python_type, kind in (
        (bool, ColumnKind.BOOLEAN),
        (int, ColumnKind.INTEGER),
        (float, ColumnKind.FLOAT),
        (str, ColumnKind.TEXT),
        (datetime, ColumnKind.DATETIME),
        (date, ColumnKind.DATE),
        (timedelta, ColumnKind.DURATION),
    ):
        if issubclass(hint, python_type):
            return kind
    return ColumnKind.JSON


@cache
def _json_types(cls: type) -> dict[str, Any]:
    """The declared type of each field of ``cls`` kept in a JSON column."""
    hints = typing.get_type_hints(cls)
    return {
        spec.name: hints.get(spec.name, Any)
        for spec in column_specs(cls)
        if spec.kind is ColumnKind.JSON
    }


@cache
def column_specs(cls: type) -> tuple[ColumnSpec, ...]:
    """The columns of a record class, one per attrs field, in field order."""
    if not attrs.has(cls):
        raise StorageError("storage", None, f"{cls.__name__} is not an attrs record")
    try:
        hints = typing.get_type_hints(cls)
    except (NameError, TypeError) as exc:
        reason = f"cannot read the fields of {cls.__name__}: {exc}"
        raise StorageError("storage", None, reason) from exc
    specs = []
    for attribute in attrs.fields(cls):
        hint, optional = _unwrap_optional(hints.get(attribute.name, Any))
        # A column holds None (as SQL NULL) only when the field's type allows it.
        nullable = optional or hint is Any
        specs.append(ColumnSpec(attribute.name, _kind_of(hint), nullable=nullable))
    names = {spec.name: spec for spec in specs}
    if "id" not in names or names["id"].kind is not ColumnKind.TEXT:
        raise StorageError("storage", None, f"{cls.__name__} needs a string 'id' field")
    return tuple(specs)


def sql_type(kind: ColumnKind) -> TypeEngine[Any]:
    """The column type of a kind of field (see :mod:`cpnetwork.storage.sql_types`)."""
    factories: dict[ColumnKind, Callable[[], TypeEngine[Any]]] = {
        ColumnKind.TEXT: text_type,
        ColumnKind.INTEGER: sa.BigInteger,
        ColumnKind.FLOAT: sa.Double,
        ColumnKind.BOOLEAN: sa.Boolean,
        ColumnKind.DATE: sa.Date,
        ColumnKind.DATETIME: UTCDateTime,
        ColumnKind.DURATION: Seconds,
        ColumnKind.JSON: json_type,
    }
    return factories[kind]()


def object_name(prefix: str, table: str, columns: Iterable[str]) -> str:
    """A stable constraint or index name, shortened with a hash past PostgreSQL's limit."""
    name = "_".join([prefix, table, *columns])
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_NAME - 9]}_{digest}"


def zone_columns(cls: type) -> dict[str, str]:
    """The zone companion column of each datetime field: ``{"start_tz": "start"}``."""
    specs = column_specs(cls)
    taken = {spec.name for spec in specs}
    zones: dict[str, str] = {}
    for spec in specs:
        if spec.kind is ColumnKind.DATETIME:
            name = spec.name + ZONE_SUFFIX
            if name in taken:
                reason = f"{cls.__name__}: field {name!r} clashes with the zone of {spec.name!r}"
                raise StorageError("storage", None, reason)
            zones[name] = spec.name
    return zones


def build_table(
    kind: RecordKind, metadata: sa.MetaData, *, zones: Iterable[str] | None = None
) -> sa.Table:
    """The table of a kind: a column per field, its unique keys and indexes.

    Each datetime field gets its zone column (``zones`` picks which, when a table
    made before zones were kept lacks some).
    """
    specs = {spec.name: spec for spec in column_specs(kind.cls)}
    for key in (*kind.unique, tuple(kind.indexed)):
        for name in key:
            if name not in specs or not specs[name].scalar:
                raise StorageError(
                    "storage", None, f"{kind.name}: {name!r} is not a scalar field to index"
                )
    columns = [
        sa.Column(
            spec.name,
            sql_type(spec.kind),
            primary_key=spec.name == "id",
            nullable=spec.nullable and spec.name != "id",
        )
        for spec in specs.values()
    ]
    wanted = zone_columns(kind.cls)
    kept = set(wanted if zones is None else zones)
    columns += [sa.Column(name, text_type(), nullable=True) for name in wanted if name in kept]
    constraints: list[sa.Constraint] = [
        sa.PrimaryKeyConstraint("id", name=object_name("pk", kind.name, ()))
    ]
    constraints += [
        sa.UniqueConstraint(*key, name=object_name("uq", kind.name, key)) for key in kind.unique
    ]
    indexes = [sa.Index(object_name("ix", kind.name, (name,)), name) for name in kind.indexed]
    return sa.Table(kind.name, metadata, *columns, *constraints, *indexes)


def core_metadata() -> sa.MetaData:
    """The tables of the core kinds: what the migrations build, for autogenerate."""
    from cpnetwork.storage.kinds import CORE_KINDS

    metadata = sa.MetaData()
    for kind in CORE_KINDS:
        build_table(kind, metadata)
    return metadata


@frozen
class MappedKind:
    """A registered kind with its table and column specs."""

    kind: RecordKind
    table: sa.Table
    #: The fields' columns, by field name.
    columns: Mapping[str, ColumnSpec]
    #: The zone columns the table has, and the datetime field each belongs to.
    zones: Mapping[str, str]
    #: The table's column names, in the order ``SELECT`` of the table returns them.
    names: tuple[str, ...] = field(init=False)

    @names.default
    def _column_names(self) -> tuple[str, ...]:
        return tuple(self.table.columns.keys())

    #: Rebuilds records from rows in that order.
    reader: RecordReader = field(init=False)

    @reader.default
    def _reader(self) -> RecordReader:
        return RecordReader(
            self.kind.cls, self.names, {field: zone for zone, field in self.zones.items()}
        )

    @classmethod
    def of(
        cls, kind: RecordKind, metadata: sa.MetaData, *, zones: Iterable[str] | None = None
    ) -> MappedKind:
        """``zones`` limits the zone columns to those a table made earlier has."""
        table = build_table(kind, metadata, zones=zones)
        specs = {spec.name: spec for spec in column_specs(kind.cls)}
        present = {name: field for name, field in zone_columns(kind.cls).items() if name in table.c}
        return cls(kind, table, specs, present)

    @property
    def record_name(self) -> str:
        return self.kind.cls.__name__

    def to_row(self, record: Any) -> dict[str, Any]:
        """Column values of a record: scalars as plain values, the rest as JSON data.

        A JSON column holds what :func:`~cpnetwork.serialization.unstructure` gives for
        its field, made from that field alone (by its declared type), not the record.
        """
        json_types = _json_types(self.kind.cls)
        row: dict[str, Any] = {}
        for name, spec in self.columns.items():
            value = getattr(record, name)
            if spec.kind is ColumnKind.JSON:
                row[name] = converter.unstructure(value, unstructure_as=json_types[name])
            else:
                row[name] = plain(value)
        for name, field_name in self.zones.items():
            row[name] = zone_text(getattr(record, field_name))
        return row

    def from_values(self, values: Sequence[Any]) -> Any:
        """The record a row holds, given as values in the table's column order.

        Its values are taken as stored: they passed the model's rules when written, so
        the record is made without running them again, and rows of an older version
        stay readable (see :mod:`~cpnetwork.storage.sql_records`).
        """
        return self.reader.record(values)
