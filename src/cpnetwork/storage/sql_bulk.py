"""The bulk insert path of the SQL store: records to driver rows, many rows per call.

``Transaction.insert_many`` is what imports go through (``members.add_many``,
``attendance.record_many``, ``enrollment.import_many``...), so it must cost little
more than the database's own work.  Two things make it cheap:

* **Row functions.**  For each kind, once per dialect, a function is generated that
  turns a record into the tuple of values the driver binds, in column order.  It is
  derived from the same two sources of policy the statement path uses: non-scalar
  fields go through the cattrs converter's unstructure hook for the field's type
  (the very hook the converter's generated unstructure function calls for that
  field), enums are stored by value (as :func:`~cpnetwork.storage.memory.plain`
  does), and every value then goes through the bind processor SQLAlchemy applies
  for the column's type on this dialect (UTC text for datetimes on SQLite, JSON
  text, booleans...).  So the values are exactly those a statement would bind, with
  no per-row dict, no whole-record unstructure and no per-row statement bookkeeping.
* **Batched driver calls.**  On SQLite one ``executemany`` of a plain ``INSERT``
  per :data:`CHUNK_ROWS` rows; on PostgreSQL one ``COPY ... FROM STDIN`` (psycopg 3)
  streaming the whole batch.

``SQLTransaction.insert_many`` reads its records :data:`CHUNK_ROWS` at a time and
runs :meth:`BulkWriter.write` inside a savepoint; when the database refuses a row (a
taken id or unique key) it rolls back and finds the culprit, so a refused bulk write
raises the same :class:`~cpnetwork.errors.DuplicateError`, naming the key, as single
inserts do.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any

import sqlalchemy as sa
from attrs import frozen

from cpnetwork.serialization import converter
from cpnetwork.storage.sql_schema import ColumnKind, MappedKind
from cpnetwork.storage.sql_types import zone_text

#: Records ``insert_many`` reads at a time, and rows per ``executemany`` call on SQLite.
CHUNK_ROWS = 10_000
#: Batches this large go through COPY on PostgreSQL; smaller ones through one INSERT.
COPY_MIN_ROWS = 200

#: Scalar kinds whose values may arrive as enum members, stored by their value.
_PLAIN_KINDS = frozenset(
    {ColumnKind.TEXT, ColumnKind.INTEGER, ColumnKind.FLOAT, ColumnKind.BOOLEAN}
)

#: Kinds whose values are immutable, so a processed value can be reused by identity.
_MEMO_KINDS = frozenset({ColumnKind.DATE, ColumnKind.DATETIME, ColumnKind.DURATION})

#: Distinct sets of choices remembered per column (see ``_remembering``).
_CHOICE_SETS_KEPT = 1024

RowFunction = Callable[[Any], tuple[Any, ...]]


def _reusing_last(processor: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``processor`` that reuses its last answer when given the very same object again.

    Bulk imports stamp every record with one instant (``recorded_at``, ``created_at``),
    so converting it once per batch instead of once per row is a real saving.  Only
    for immutable values (dates, datetimes, durations); thread-safe, as the last pair
    is replaced in one assignment.
    """
    last: tuple[Any, Any] = (object(), None)

    def process(value: Any) -> Any:
        nonlocal last
        given, answer = last
        if value is given:
            return answer
        answer = processor(value)
        last = (value, answer)
        return answer

    return process


def _is_choice_set(hint: Any) -> bool:
    """Whether a field holds a set of text choices (``frozenset[Role]``)."""
    args = typing.get_args(hint)
    return (
        typing.get_origin(hint) is frozenset
        and len(args) == 1
        and isinstance(args[0], type)
        and issubclass(args[0], Enum)
        and issubclass(args[0], str)
    )


def _remembering(
    unstructure: Callable[[Any], Any], processor: Callable[[Any], Any] | None
) -> Callable[[Any], Any]:
    """The bound value of a set of choices, converted once per distinct set.

    A set of choices (a member's roles or grade bands) takes few distinct values, so a
    bulk import converts each of them once instead of once per row.  Equal sets of
    text choices always convert alike (to the sorted list of their values); at most
    :data:`_CHOICE_SETS_KEPT` sets are remembered, and anything unhashable is simply
    converted.
    """
    known: dict[Any, Any] = {}
    missing = object()

    def convert(value: Any) -> Any:
        data = unstructure(value)
        return data if processor is None else processor(data)

    def process(value: Any) -> Any:
        try:
            answer = known.get(value, missing)
        except TypeError:
            return convert(value)
        if answer is missing:
            answer = convert(value)
            if len(known) < _CHOICE_SETS_KEPT:
                known[value] = answer
        return answer

    return process


def row_function(mapped: MappedKind, dialect: sa.Dialect) -> RowFunction:
    """A generated ``record -> tuple`` of driver values, in the table's column order."""
    hints = typing.get_type_hints(mapped.kind.cls)
    namespace: dict[str, Any] = {"_Enum": Enum}
    values: list[str] = []
    for number, column in enumerate(mapped.table.columns):
        zoned = mapped.zones.get(column.name)
        if zoned is not None:  # the zone of a datetime field, as ``MappedKind.to_row`` gives it
            namespace[f"_zone{number}"] = _reusing_last(zone_text)
            values.append(f"_zone{number}(record.{zoned})")
            continue
        spec = mapped.columns[column.name]
        hint = hints.get(column.name, Any)
        processor = column.type.dialect_impl(dialect).bind_processor(dialect)
        value = f"record.{column.name}"
        if spec.kind is ColumnKind.JSON:
            unstructure = converter.get_unstructure_hook(hint)
            if _is_choice_set(hint):
                namespace[f"_choices{number}"] = _remembering(unstructure, processor)
                values.append(f"_choices{number}({value})")
                continue
            namespace[f"_unstructure{number}"] = unstructure
            value = f"_unstructure{number}({value})"
        elif spec.kind in _PLAIN_KINDS and column.name != "id":
            value = f"(_v.value if isinstance(_v := {value}, _Enum) else _v)"
        if processor is not None:
            memo = spec.kind in _MEMO_KINDS
            namespace[f"_bind{number}"] = _reusing_last(processor) if memo else processor
            value = f"_bind{number}({value})"
        values.append(value)
    source = f"def row(record):\n    return ({', '.join(values)},)\n"
    code = compile(source, f"<cpnetwork row of {mapped.kind.name}>", "exec")
    exec(code, namespace)  # the source is built above from attrs field names only
    function: RowFunction = namespace["row"]
    return function


@frozen
class BulkWriter:
    """Writes one kind's records on one dialect with batched driver calls."""

    mapped: MappedKind
    row: RowFunction
    #: ``INSERT INTO t (...) VALUES (?, ...)`` in the driver's parameter style.
    insert_sql: str
    #: ``COPY t (...) FROM STDIN`` (used on PostgreSQL only).
    copy_sql: str

    @classmethod
    def of(cls, mapped: MappedKind, dialect: sa.Dialect) -> BulkWriter:
        preparer = dialect.identifier_preparer
        table = preparer.format_table(mapped.table)
        columns = ", ".join(preparer.quote(column.name) for column in mapped.table.columns)
        marker = "?" if dialect.paramstyle == "qmark" else "%s"
        markers = ", ".join([marker] * len(mapped.table.columns))
        return cls(
            mapped,
            row_function(mapped, dialect),
            insert_sql=f"INSERT INTO {table} ({columns}) VALUES ({markers})",
            copy_sql=f"COPY {table} ({columns}) FROM STDIN",
        )

    @staticmethod
    def worth_it(dialect: sa.Dialect, rows: int) -> bool:
        """Whether a batch this big should take the bulk path on this dialect."""
        return dialect.name != "postgresql" or rows >= COPY_MIN_ROWS

    def write(self, connection: sa.Connection, records: Sequence[Any]) -> None:
        """Insert the records; a refused row raises the driver's IntegrityError.

        Nothing here undoes rows written before the refused one: run it in a savepoint.
        """
        if connection.dialect.name == "postgresql":
            self._copy(connection, records)
            return
        row = self.row
        for start in range(0, len(records), CHUNK_ROWS):
            rows = [row(record) for record in records[start : start + CHUNK_ROWS]]
            connection.exec_driver_sql(self.insert_sql, rows)

    def _copy(self, connection: sa.Connection, records: Sequence[Any]) -> None:
        row = self.row
        driver = connection.connection.driver_connection
        if driver is None:  # pragma: no cover - a pooled connection always has one
            raise sa.exc.InvalidRequestError("the connection is closed")
        with driver.cursor() as cursor, cursor.copy(self.copy_sql) as copy:
            write_row = copy.write_row
            for record in records:
                write_row(row(record))
