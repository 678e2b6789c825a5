"""Writing records into a database kept at an older schema revision, for upgrade tests.

A store refuses to open a database at an older revision, so upgrade tests write their
rows below it: each record goes into whatever columns its table has at that revision.
Columns that earlier revisions have and the model no longer does get the value old
rows held (:data:`RETIRED_COLUMNS`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs
import sqlalchemy as sa

from cpnetwork.model import Enrollment, Transition
from cpnetwork.storage import CORE_KINDS
from cpnetwork.storage.sql_engine import create_engine
from cpnetwork.storage.sql_schema import MappedKind
from cpnetwork.storage.sql_types import json_type

#: Columns of earlier revisions gone from the model, by table, with an old row's value.
RETIRED_COLUMNS: dict[str, dict[str, Any]] = {
    # 0003: a resource names its session; sessions no longer list their resources.
    "sessions": {"resource_ids": []},
}


def write_below_head(url: str, records: Iterable[Any]) -> list[Any]:
    """Insert records into the tables the database at ``url`` has now, column by column.

    Records of kinds whose table a later revision creates are left out; the answer is
    the records written.
    """
    written: list[Any] = []
    engine = create_engine(url)
    mapped = {kind.cls: MappedKind.of(kind, sa.MetaData()) for kind in CORE_KINDS}
    try:
        with engine.begin() as connection:
            inspector = sa.inspect(connection)
            tables = set(inspector.get_table_names())
            for record in records:
                kind = mapped[type(record)]
                name = kind.kind.name
                if name not in tables:
                    continue
                present = {c["name"] for c in inspector.get_columns(name)}
                row = {k: v for k, v in kind.to_row(record).items() if k in present}
                retired = {k: v for k, v in RETIRED_COLUMNS.get(name, {}).items() if k in present}
                columns = [c._copy() for c in kind.table.columns if c.name in row]
                extra = [sa.Column(column, json_type()) for column in retired]
                table = sa.Table(name, sa.MetaData(), *columns, *extra)
                connection.execute(table.insert(), [{**row, **retired}])
                written.append(record)
    finally:
        engine.dispose()
    return written


def upgraded(record: Any, samples: Iterable[Any]) -> Any:
    """A record written below head as the migrations leave it.

    0007 gives each enrollment the count of its history as ``steps``.
    """
    if not isinstance(record, Enrollment):
        return record
    history = [s for s in samples if isinstance(s, Transition) and s.enrollment_id == record.id]
    return attrs.evolve(record, steps=len(history))
