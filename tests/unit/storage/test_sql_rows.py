"""A record's row holds in each JSON column what serializing the whole record gives."""

from __future__ import annotations

import sqlalchemy as sa

from cpnetwork.serialization import unstructure
from cpnetwork.storage import CORE_KINDS
from cpnetwork.storage.sql_schema import ColumnKind, MappedKind
from cpnetwork.testing.storage import sample_records


def test_json_columns_hold_what_the_record_serializes_to() -> None:
    metadata = sa.MetaData()
    mapped = {kind.cls: MappedKind.of(kind, metadata) for kind in CORE_KINDS}
    checked = 0
    for record in sample_records():
        kind = mapped[type(record)]
        row, whole = kind.to_row(record), unstructure(record)
        for name, spec in kind.columns.items():
            if spec.kind is ColumnKind.JSON:
                assert row[name] == whole[name], f"{type(record).__name__}.{name}"
                checked += 1
    assert checked > 20
