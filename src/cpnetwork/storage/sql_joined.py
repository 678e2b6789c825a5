"""``get_with`` in one statement: a record and its related records, joined.

The record's table comes first, then one LEFT JOIN per :class:`Related`: on a field
holding the record's id (``enrollments.member_id = members.id``), or through the items
of a JSON array (``json_each`` on SQLite, ``jsonb_array_elements`` on PostgreSQL) on
the key holding the other record's id.  Each relation's ``where`` goes into its join
condition, so a record without related records still comes back.  The rows repeat
the record once per combination of related records; they are told apart by id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from attrs import frozen

from cpnetwork.storage.base import Related
from cpnetwork.storage.sql_query import ShapeEntry, where_shape, where_template
from cpnetwork.storage.sql_schema import MappedKind


@frozen
class Relation:
    """A :class:`Related` resolved to its table, with its ``where`` shape."""

    name: str
    related: Related
    mapped: MappedKind
    shape: tuple[ShapeEntry, ...]

    @property
    def key(self) -> tuple[Any, ...]:
        related = self.related
        return (self.name, related.cls, related.on, related.via, self.shape)


def relations(
    main: MappedKind, related: Mapping[str, Related], resolve: Any, dialect: sa.Dialect
) -> tuple[list[Relation], dict[str, Any]] | None:
    """The relations and their parameters; None when one statement cannot hold them.

    A relation reading the record's own kind or a kind read by another relation
    (a table joined twice), or one whose ``where`` is not a plain comparison, is
    left to the one-query-per-relation default.
    """
    tables = {main.kind.cls}
    found: list[Relation] = []
    values: dict[str, Any] = {}
    for number, (name, relation) in enumerate(related.items()):
        mapped: MappedKind = resolve(relation.cls)
        if mapped.kind.cls in tables or not _joinable(main, mapped, relation):
            return None
        tables.add(mapped.kind.cls)
        shaped = where_shape(mapped, relation.where, dialect, prefix=f"r{number}_")
        if shaped is None:
            return None
        shape, params = shaped
        values.update(params)
        found.append(Relation(name, relation, mapped, shape))
    return found, values


def _joinable(main: MappedKind, mapped: MappedKind, relation: Related) -> bool:
    if relation.on is not None:
        spec = mapped.columns.get(relation.on)
        return spec is not None and spec.scalar
    assert relation.via is not None
    spec = main.columns.get(relation.via.partition(".")[0])
    return spec is not None and not spec.scalar


def joined_select(main: MappedKind, found: Sequence[Relation], dialect: sa.Dialect) -> Any:
    """``SELECT main.*, related.* … WHERE main.id = :id`` with a LEFT JOIN per relation."""
    source: Any = main.table
    for number, relation in enumerate(found):
        table = relation.mapped.table
        narrowed = where_template(relation.mapped, relation.shape, dialect, prefix=f"r{number}_")
        if relation.related.on is not None:
            joined = sa.and_(table.c[relation.related.on] == main.table.c.id, narrowed)
            source = source.outerjoin(table, joined)
            continue
        assert relation.related.via is not None
        field_name, _, key = relation.related.via.partition(".")
        column = main.table.c[field_name]
        if dialect.name == "postgresql":
            items: Any = (
                sa.func.jsonb_array_elements(column).table_valued("value").lateral(f"via{number}")
            )
            item_id: Any = items.c.value.op("->>")(sa.literal_column(f"'{_plain_key(key)}'"))
        else:
            # SQLite lets a table-valued function read the row it is joined to.
            items = sa.func.json_each(column).table_valued("value", name=f"via{number}")
            item_id = sa.func.json_extract(items.c.value, f"$.{_plain_key(key)}")
        source = source.outerjoin(items, sa.true())
        source = source.outerjoin(table, sa.and_(table.c.id == item_id, narrowed))
    tables = [main.table, *(relation.mapped.table for relation in found)]
    return sa.select(*tables).select_from(source).where(main.table.c.id == sa.bindparam("id"))


def _plain_key(key: str) -> str:
    if not key.replace("_", "").isalnum():
        raise ValueError(f"{key!r} is not a plain key")
    return key


def split_rows(
    main: MappedKind, found: Sequence[Relation], rows: Sequence[Sequence[Any]]
) -> tuple[Any, dict[str, list[Any]]]:
    """The record and its related records (each once, in id order) from the joined rows."""
    if not rows:
        return None, {relation.name: [] for relation in found}
    widths = [len(main.names), *(len(relation.mapped.names) for relation in found)]
    starts = [sum(widths[:n]) for n in range(len(widths))]
    record = main.from_values(rows[0][: widths[0]])
    related: dict[str, list[Any]] = {}
    for number, relation in enumerate(found, start=1):
        start, width = starts[number], widths[number]
        position = start + relation.mapped.names.index("id")
        seen: dict[str, Sequence[Any]] = {}
        for row in rows:
            if row[position] is not None and row[position] not in seen:
                seen[row[position]] = row[start : start + width]
        related[relation.name] = [
            relation.mapped.from_values(seen[record_id]) for record_id in sorted(seen)
        ]
    return record, related
