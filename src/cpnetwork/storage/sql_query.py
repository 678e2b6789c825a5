"""``where``, ``order_by`` and ``group_by`` of the storage SPI compiled to SQL.

The semantics are the memory store's (see :mod:`cpnetwork.storage.base`): None
matches missing values, a collection means IN, ``__ne`` never matches a missing
value, missing values sort first ascending and last descending, ties go by id.
A dotted name (``identifiers.cds``) extracts a key of a JSON column.

A collection costs one bound parameter whatever its size, so a ``where`` of 100,000
emails runs on every database (PostgreSQL takes at most 65,535 parameters a statement,
SQLite builds often 32,766): on PostgreSQL ``col = ANY(CAST(:values AS type[]))``,
on SQLite ``col IN (SELECT value FROM json_each(:values))`` with the values as JSON
text.  Each value first goes through the column type's bind processor, so the values
compared are exactly those a single bound value would be (UTC text for instants on
SQLite, dates as ISO text, booleans as 0/1...).

A :class:`~cpnetwork.storage.base.Month` groups by an expression computed in the
query: on PostgreSQL ``to_char(timezone(zone, col), 'YYYY-MM')``, on SQLite (which
keeps UTC text and knows no time-zone rules) the ``cpnetwork_month`` function each
connection is given.  The zone is rendered into the SQL text at execution, so the
select list and the GROUP BY carry the very same expression (PostgreSQL insists on
that; two bound parameters would be two different expressions to it).

An :class:`~cpnetwork.storage.base.Each` group joins the items of a JSON array column
(``LEFT JOIN json_each(col)`` on SQLite, ``LEFT JOIN LATERAL
jsonb_array_elements_text(col)`` on PostgreSQL), so an empty array gives the group
None; a :class:`~cpnetwork.storage.base.Matching` value becomes ``col IN (SELECT ...)``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeEngine

from cpnetwork.errors import ValidationError
from cpnetwork.storage.base import (
    Each,
    GroupBy,
    Matching,
    Month,
    Where,
    is_collection,
    order_field,
    split_condition,
)
from cpnetwork.storage.memory import plain
from cpnetwork.storage.sql_engine import MONTH_FUNCTION
from cpnetwork.storage.sql_schema import NUMERIC_KINDS, ColumnKind, MappedKind

#: The mapped kind of a record class: how a Matching finds the table it reads.
Resolve = Callable[[type], MappedKind]

_COMPARE = {
    "lt": lambda expr, value: expr < value,
    "le": lambda expr, value: expr <= value,
    "gt": lambda expr, value: expr > value,
    "ge": lambda expr, value: expr >= value,
}


def _refuse(mapped: MappedKind, reason: str) -> ValidationError:
    return ValidationError(mapped.record_name, None, reason)


def scalar_column(mapped: MappedKind, name: str, purpose: str) -> ColumnElement[Any]:
    """The column of a scalar field, refusing unknown and non-scalar names."""
    spec = mapped.columns.get(name)
    if spec is None:
        raise _refuse(mapped, f"no field {name!r} to {purpose}")
    if not spec.scalar:
        raise _refuse(mapped, f"{name!r} is not a scalar field to {purpose}")
    return mapped.table.c[name]


def _json_key(mapped: MappedKind, name: str, sample: Any) -> ColumnElement[Any]:
    field_name, _, key = name.partition(".")
    spec = mapped.columns.get(field_name)
    if spec is None:
        raise _refuse(mapped, f"no field {field_name!r} to filter on")
    if spec.scalar:
        raise _refuse(mapped, f"{field_name!r} has no keys to look up")
    element: Any = mapped.table.c[field_name][key]
    extracted: ColumnElement[Any]
    if isinstance(sample, bool):
        extracted = element.as_boolean()
    elif isinstance(sample, int):
        extracted = element.as_integer()
    elif isinstance(sample, float):
        extracted = element.as_float()
    else:
        extracted = element.as_string()
    return extracted


def _sample(value: Any) -> Any:
    values = value if is_collection(value) else [value]
    return next((plain(v) for v in values if v is not None), None)


def _expression(mapped: MappedKind, name: str, value: Any) -> ColumnElement[Any]:
    if "." in name:
        return _json_key(mapped, name, _sample(value))
    spec = mapped.columns.get(name)
    if spec is None:
        raise _refuse(mapped, f"no field {name!r} to filter on")
    if not spec.scalar and value is not None:
        raise _refuse(mapped, f"{name!r} is not a scalar field to filter on")
    return mapped.table.c[name]


#: PostgreSQL element types of the arrays a collection is bound as, by column kind.
_ARRAY_ITEMS: dict[ColumnKind, Any] = {
    ColumnKind.TEXT: sa.Text(),
    ColumnKind.INTEGER: sa.BigInteger(),
    ColumnKind.FLOAT: sa.Double(),
    ColumnKind.BOOLEAN: sa.Boolean(),
    ColumnKind.DATE: sa.Date(),
    ColumnKind.DATETIME: postgresql.TIMESTAMP(timezone=True),
    ColumnKind.DURATION: sa.Double(),
}


def _item_kind(mapped: MappedKind, name: str, sample: Any) -> ColumnKind:
    """The kind of the values compared: the column's, or a JSON key's by its sample."""
    if "." not in name:
        return mapped.columns[name].kind
    if isinstance(sample, bool):
        return ColumnKind.BOOLEAN
    if isinstance(sample, int):
        return ColumnKind.INTEGER
    if isinstance(sample, float):
        return ColumnKind.FLOAT
    return ColumnKind.TEXT


def _bound_collection(
    mapped: MappedKind, name: str, expr: ColumnElement[Any], values: list[Any], dialect: sa.Dialect
) -> tuple[Any, TypeEngine[Any]]:
    """A collection as the one parameter ``_in_bound`` compares with, and its type.

    Each value goes through the column type's bind processor first: JSON text of the
    values on SQLite, an array of them on PostgreSQL.
    """
    processor = expr.type.dialect_impl(dialect).bind_processor(dialect)
    bound = values if processor is None else [processor(v) for v in values]
    if dialect.name == "postgresql":
        return bound, postgresql.ARRAY(_ARRAY_ITEMS[_item_kind(mapped, name, _sample(values))])
    try:
        return json.dumps(bound), sa.Text()
    except (TypeError, ValueError):
        raise _refuse(mapped, f"{name}: cannot compare with {values[:3]!r}...") from None


def _in_bound(
    expr: ColumnElement[Any], bound: BindParameter[Any], dialect: sa.Dialect
) -> ColumnElement[bool]:
    """``expr IN`` the values of one bound parameter (see the module docstring)."""
    if dialect.name == "postgresql":
        return expr == sa.any_(sa.cast(bound, bound.type))
    items: sa.Select[tuple[Any]] = sa.select(sa.column("value")).select_from(
        sa.func.json_each(bound)
    )
    return expr.in_(items.scalar_subquery())


def _member_of(
    mapped: MappedKind, name: str, expr: ColumnElement[Any], values: list[Any], dialect: sa.Dialect
) -> ColumnElement[bool]:
    """``expr IN values`` with the values bound as one parameter (see the module docstring)."""
    value, kind = _bound_collection(mapped, name, expr, values, dialect)
    return _in_bound(expr, sa.bindparam(None, value, type_=kind), dialect)


def _one_value(values: list[Any], present: list[Any]) -> bool:
    """Whether a collection compares as its one value (a check-in, a single id): no
    array to build and send, and the plan of a plain comparison."""
    return len(values) == 1 and bool(present)


def _in_condition(
    op: str, expr: ColumnElement[Any], member: ColumnElement[bool], *, with_none: bool
) -> ColumnElement[bool]:
    """A collection's condition: ``__ne`` never matches a missing value; None in an
    ``eq`` collection matches one."""
    if op == "ne":
        return sa.and_(expr.is_not(None), sa.not_(member))
    return sa.or_(member, expr.is_(None)) if with_none else member


def _matching(
    mapped: MappedKind,
    key: str,
    expr: ColumnElement[Any],
    value: Matching,
    dialect: sa.Dialect,
    resolve: Resolve | None,
) -> ColumnElement[bool]:
    """``expr IN (SELECT field FROM other WHERE ...)``: a semi-join run in the database."""
    if resolve is None or split_condition(key)[1] != "eq":
        raise _refuse(mapped, f"{key}: only equality takes Matching")
    other = resolve(value.cls)
    column = scalar_column(other, value.field, "match on")
    inner = sa.select(column).where(
        column.is_not(None), where_clause(other, value.where, dialect, resolve)
    )
    return expr.in_(inner.scalar_subquery())


def condition(
    mapped: MappedKind,
    key: str,
    value: Any,
    dialect: sa.Dialect,
    resolve: Resolve | None = None,
) -> ColumnElement[bool]:
    """One ``where`` entry as a SQL condition (a collection bound as one parameter, or
    compared as its one value)."""
    name, op = split_condition(key)
    if isinstance(value, Matching):
        expr = _expression(mapped, name, "")
        return _matching(mapped, key, expr, value, dialect, resolve)
    if op == "has":
        return _has(mapped, name, value, dialect)
    expr = _expression(mapped, name, value)
    if op in ("eq", "ne"):
        many = is_collection(value)
        values = [plain(v) for v in value] if many else [plain(value)]
        present = [v for v in values if v is not None]
        if many and not _one_value(values, present):
            member = _member_of(mapped, name, expr, present, dialect)
            return _in_condition(op, expr, member, with_none=len(present) < len(values))
        if op == "ne":
            known = expr.is_not(None)
            return sa.and_(known, expr != present[0]) if present else known
        return expr.is_(None) if not present else expr == present[0]
    if value is None or is_collection(value):
        raise _refuse(mapped, f"{key}: compare with a single value, not {value!r}")
    result: ColumnElement[bool] = _COMPARE[op](expr, plain(value))
    return result


def where_clause(
    mapped: MappedKind, where: Where | None, dialect: sa.Dialect, resolve: Resolve | None = None
) -> ColumnElement[bool]:
    """The ``where`` mapping as one SQL condition for ``dialect``.

    ``resolve`` maps a record class to its kind, for :class:`Matching` values.
    """
    conditions = (condition(mapped, k, v, dialect, resolve) for k, v in (where or {}).items())
    return sa.and_(sa.true(), *conditions)


def order_clauses(mapped: MappedKind, order_by: tuple[str, ...] | list[str]) -> list[Any]:
    """ORDER BY terms: missing values first ascending, last descending (or as the
    entry asks, see :func:`~cpnetwork.storage.base.order_field`), then by id."""
    terms: list[Any] = []
    for spec in order_by:
        name, descending, missing_last = order_field(spec)
        column = scalar_column(mapped, name, "sort by")
        ordered = column.desc() if descending else column.asc()
        terms.append(ordered.nulls_last() if missing_last else ordered.nulls_first())
    terms.append(mapped.table.c.id.asc())
    return terms


def aggregate_select(
    mapped: MappedKind,
    groups: list[Any],
    source: sa.FromClause,
    where: ColumnElement[bool],
    counts: list[ColumnElement[bool]],
    sums: Sequence[str],
) -> sa.Select[Any]:
    """``aggregate`` as one query: ``COUNT(*)``, ``SUM(CASE WHEN condition ...)`` per
    named count, ``SUM(field)`` and ``COUNT(field)`` per summed field, by group."""
    measures: list[Any] = [sa.func.count()]
    for matched in counts:
        measures.append(sa.func.coalesce(sa.func.sum(sa.case((matched, 1), else_=0)), 0))
    for name in sums:
        column = numeric_column(mapped, name)
        measures += [sa.func.coalesce(sa.func.sum(column), 0), sa.func.count(column)]
    query = sa.select(*groups, *measures).select_from(source)
    return query.where(where).group_by(*groups)


def grouping(
    mapped: MappedKind, group_by: tuple[GroupBy, ...] | list[GroupBy], dialect: sa.Dialect
) -> tuple[list[Any], sa.FromClause]:
    """The GROUP BY expressions and the FROM clause they read (joined for ``Each``)."""
    columns: list[Any] = []
    source: sa.FromClause = mapped.table
    for entry in group_by:
        if isinstance(entry, Month):
            columns.append(month_column(mapped, entry))
        elif isinstance(entry, Each):
            items = _each_items(mapped, entry, dialect)
            source = source.outerjoin(items, sa.true())
            columns.append(items.c.value)
        else:
            columns.append(scalar_column(mapped, entry, "group by"))
    return columns, source


def _has(mapped: MappedKind, name: str, value: Any, dialect: sa.Dialect) -> ColumnElement[bool]:
    """``EXISTS (SELECT 1 FROM <items of the array> WHERE value IN (...))``."""
    wanted = [plain(v) for v in (value if is_collection(value) else [value]) if v is not None]
    if not wanted:
        raise _refuse(mapped, f"{name}__has: give the values to look for, not {value!r}")
    if dialect.name == "postgresql" and all(isinstance(v, str) for v in wanted):
        # JSONB's own "holds any of these strings" operator, which its indexes serve.
        spec = mapped.columns.get(name)
        if spec is None or spec.scalar:
            raise _refuse(mapped, f"{name!r} is not a collection field to look in")
        array = sa.cast(
            sa.bindparam(None, wanted, type_=postgresql.ARRAY(sa.Text())),
            postgresql.ARRAY(sa.Text()),
        )
        has_any: ColumnElement[bool] = mapped.table.c[name].op("?|", return_type=sa.Boolean)(array)
        return has_any
    items = _each_items(mapped, Each(name), dialect)
    found = sa.select(sa.literal(1)).select_from(items).where(items.c.value.in_(wanted))
    return sa.exists(found)


def _each_items(mapped: MappedKind, entry: Each, dialect: sa.Dialect) -> Any:
    """The items of a JSON array column, one row each, as a table joined to the record."""
    spec = mapped.columns.get(entry.field)
    if spec is None:
        raise _refuse(mapped, f"no field {entry.field!r} to group by")
    if spec.scalar:
        raise _refuse(mapped, f"{entry.field!r} is not a collection field to group by each item")
    column = mapped.table.c[entry.field]
    if dialect.name == "postgresql":
        return sa.func.jsonb_array_elements_text(column).table_valued("value").lateral()
    # SQLite lets a table-valued function read the row it is joined to, without LATERAL.
    return sa.func.json_each(column).table_valued("value")


class InstantMonth(FunctionElement[str]):
    """``"YYYY-MM"`` of a datetime column's local time in a zone: (column, zone)."""

    type = sa.Text()
    name = "instant_month"
    inherit_cache = True


class DateMonth(FunctionElement[str]):
    """``"YYYY-MM"`` of a date column: (column,)."""

    type = sa.Text()
    name = "date_month"
    inherit_cache = True


def month_column(mapped: MappedKind, month: Month) -> ColumnElement[str]:
    """The SQL expression of a Month group, refusing fields that are not dates."""
    column = scalar_column(mapped, month.field, "group by month")
    kind = mapped.columns[month.field].kind
    if kind is ColumnKind.DATETIME:
        # literal_execute: the zone goes into the SQL text when it runs (see above),
        # and compiled statements stay cacheable whatever the zone.
        zone = sa.bindparam(None, month.zone, type_=sa.Text(), literal_execute=True)
        return InstantMonth(column, zone)
    if kind is ColumnKind.DATE:
        return DateMonth(column)
    raise _refuse(mapped, f"{month.field!r} is not a date or datetime field to group by month")


def _arguments(element: FunctionElement[str]) -> list[Any]:
    return list(element.clauses)


@compiles(InstantMonth, "postgresql")
def _instant_month_postgresql(element: InstantMonth, compiler: SQLCompiler, **kw: Any) -> str:
    column, zone = _arguments(element)
    local = sa.func.timezone(zone, column)
    return compiler.process(sa.func.to_char(local, sa.literal_column("'YYYY-MM'")), **kw)


@compiles(InstantMonth, "sqlite")
def _instant_month_sqlite(element: InstantMonth, compiler: SQLCompiler, **kw: Any) -> str:
    column, zone = _arguments(element)
    return compiler.process(getattr(sa.func, MONTH_FUNCTION)(column, zone), **kw)


@compiles(DateMonth, "postgresql")
def _date_month_postgresql(element: DateMonth, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = _arguments(element)
    return compiler.process(sa.func.to_char(column, sa.literal_column("'YYYY-MM'")), **kw)


@compiles(DateMonth, "sqlite")
def _date_month_sqlite(element: DateMonth, compiler: SQLCompiler, **kw: Any) -> str:
    # Dates are stored as ISO text, YYYY-MM-DD.
    (column,) = _arguments(element)
    return compiler.process(
        sa.func.substr(column, sa.literal_column("1"), sa.literal_column("7")), **kw
    )


class EpochSeconds(FunctionElement[float]):
    """Seconds since 1970-01-01 UTC of a datetime column: (column,)."""

    type = sa.Double()
    name = "epoch_seconds"
    inherit_cache = True


@compiles(EpochSeconds, "postgresql")
def _epoch_postgresql(element: EpochSeconds, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = list(element.clauses)
    return f"EXTRACT(EPOCH FROM {compiler.process(column, **kw)})"


@compiles(EpochSeconds, "sqlite")
def _epoch_sqlite(element: EpochSeconds, compiler: SQLCompiler, **kw: Any) -> str:
    # Instants are stored as ISO UTC text; 2440587.5 is the Julian day of the epoch.
    (column,) = list(element.clauses)
    return f"((julianday({compiler.process(column, **kw)}) - 2440587.5) * 86400.0)"


def numeric_column(mapped: MappedKind, name: str) -> ColumnElement[Any]:
    if "." in name:  # a number in a nested record or dict: summed as a float
        return _json_key(mapped, name, 0.0)
    column = scalar_column(mapped, name, "total")
    if mapped.columns[name].kind is ColumnKind.DATETIME:
        return EpochSeconds(column)
    if mapped.columns[name].kind not in NUMERIC_KINDS:
        raise _refuse(mapped, f"{name!r} is not a numeric field to total")
    return column


#: One ``where`` entry of a prepared shape: its key, and how its value is given.
#: ``("key", "bound")`` takes a parameter; ``("key", None)`` is NULL; ``("key",
#: "many", with_none)`` is a collection, bound as one parameter.
ShapeEntry = tuple[Any, ...]


def where_shape(
    mapped: MappedKind, where: Where | None, dialect: sa.Dialect, prefix: str = "w"
) -> tuple[tuple[ShapeEntry, ...], dict[str, Any]] | None:
    """What a prepared statement for ``where`` depends on, and its parameters.

    Plain comparisons of scalar fields (the commonest reads: a member by email, a
    program's sessions, its seats by status) give the same statement whatever the
    values, so it is compiled once and run with them bound as ``w0``, ``w1``...
    (``prefix`` names them).  A collection is one parameter, as in
    :func:`where_clause`, and a collection of one value is that value.  Anything else
    (dotted keys, ``__has``, Matching) returns None and is built afresh by
    :func:`where_clause`.
    """
    shape: list[ShapeEntry] = []
    values: dict[str, Any] = {}
    for number, (key, value) in enumerate((where or {}).items()):
        name, op = split_condition(key)
        spec = mapped.columns.get(name)
        if spec is None or not spec.scalar or op == "has" or isinstance(value, Matching):
            return None
        if value is None:
            if op not in ("eq", "ne"):
                return None  # refused by where_clause, with its message
            shape.append((key, None))
        elif is_collection(value):
            if op not in ("eq", "ne"):
                return None
            given = [plain(v) for v in value]
            present = [v for v in given if v is not None]
            if _one_value(given, present):
                shape.append((key, "bound"))
                values[f"{prefix}{number}"] = present[0]
                continue
            column = mapped.table.c[name]
            bound, _ = _bound_collection(mapped, name, column, present, dialect)
            shape.append((key, "many", len(present) < len(given)))
            values[f"{prefix}{number}"] = bound
        else:
            shape.append((key, "bound"))
            values[f"{prefix}{number}"] = plain(value)
    return tuple(shape), values


def where_template(
    mapped: MappedKind, shape: tuple[ShapeEntry, ...], dialect: sa.Dialect, prefix: str = "w"
) -> ColumnElement[bool]:
    """The condition of a shape from :func:`where_shape`, its values as parameters.

    Single values and None go through :func:`condition` and collections through the
    same ``_in_bound`` and ``_in_condition``, so a prepared ``where`` means what
    ``where_clause`` means; only the values are left as parameters.
    """
    conditions = []
    for number, (key, given, *extra) in enumerate(shape):
        name, op = split_condition(key)
        column = mapped.table.c[name]
        if given == "many":
            # A PostgreSQL array's item type follows the column (never a JSON key here).
            _, kind = _bound_collection(mapped, name, column, [], dialect)
            bound = sa.bindparam(f"{prefix}{number}", type_=kind)
            member = _in_bound(column, bound, dialect)
            conditions.append(_in_condition(op, column, member, with_none=extra[0]))
            continue
        value = sa.bindparam(f"{prefix}{number}", type_=column.type) if given else None
        conditions.append(condition(mapped, key, value, dialect))
    return sa.and_(sa.true(), *conditions)
