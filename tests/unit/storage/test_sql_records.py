"""Records rebuilt from stored rows: the planned path agrees with the converter's."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from cpnetwork import model as m
from cpnetwork.errors import ValidationError
from cpnetwork.storage import CORE_KINDS, RecordKind
from cpnetwork.storage.sql import SQLStorage
from cpnetwork.storage.sql_schema import ColumnKind, MappedKind
from cpnetwork.storage.sql_types import json_loads
from cpnetwork.testing.storage import sample_records
from cpnetwork.testing.strategies import records


def stored_values(store: SQLStorage, record: Any) -> tuple[Any, ...]:
    """The row the store holds for ``record``, as its read path receives it."""
    mapped = store.mapped(type(record))
    query = store.by_id(mapped)
    with store.transaction(read_only=True) as tx:
        rows = query.rows(query.execute(tx._connection, {"id": record.id}))  # type: ignore[attr-defined]
    assert len(rows) == 1
    return rows[0]


def test_every_sample_record_reads_back_as_written_both_ways(store: SQLStorage) -> None:
    records = sample_records()
    with store.transaction() as tx:
        tx.insert_many(records)
    zones_checked = 0
    for record in records:
        reader = store.mapped(type(record)).reader
        values = stored_values(store, record)
        planned, converted = reader.record(values), reader._slowly(values)
        assert planned == record, type(record).__name__
        assert planned == converted, type(record).__name__
        # Zones too: equal datetimes in different zones compare equal.
        for field in attrs.fields(type(record)):
            written = getattr(record, field.name)
            if isinstance(written, datetime):
                assert getattr(planned, field.name).tzinfo == written.tzinfo, field.name
                zones_checked += 1
    assert zones_checked > 10


def test_collections_come_back_in_their_declared_types(store: SQLStorage) -> None:
    member = m.Member(
        email="ada@example.org",
        roles=frozenset({m.Role.TEACHER, m.Role.SCIENCE_LEAD}),
        grade_bands=frozenset(),
    )
    with store.transaction() as tx:
        tx.insert(member)
        read = tx.get(m.Member, member.id)
    assert read is not None
    assert type(read.roles) is frozenset and read.roles == member.roles
    assert all(type(role) is m.Role for role in read.roles)
    assert read.grade_bands == frozenset() and read.affiliations == ()


@pytest.mark.parametrize(
    ("column", "cell", "named"),
    [("equity_focus", "sideways", "sideways"), ("roles", '["astronaut"]', "astronaut")],
    ids=["enum", "json"],
)
def test_a_damaged_cell_is_a_validation_error_naming_the_record(
    store: SQLStorage, db: Path, column: str, cell: str, named: str
) -> None:
    member = m.Member(email="ada@example.org")
    with store.transaction() as tx:
        tx.insert(member)
    with sqlite3.connect(db) as connection:
        connection.execute(f"UPDATE members SET {column} = ? WHERE id = ?", (cell, member.id))
    with store.transaction(read_only=True) as tx, pytest.raises(ValidationError) as raised:
        tx.get(m.Member, member.id)
    assert (raised.value.kind, raised.value.record_id) == ("Member", member.id)
    assert named in str(raised.value)


def read_back_values(mapped: MappedKind, record: Any) -> list[Any]:
    """The values the read path gets for ``record``'s row, without a database: scalars
    as the driver's type processing gives them, JSON as ``json.loads`` gives it."""
    row = mapped.to_row(record)
    json_columns = {n for n, spec in mapped.columns.items() if spec.kind is ColumnKind.JSON}
    return [
        json.loads(json.dumps(row[name])) if name in json_columns else row[name]
        for name in mapped.names
    ]


#: The kinds with a Hypothesis strategy (the outbox and its kin are in the samples above).
DRAWN_KINDS = [kind for kind in CORE_KINDS if kind.cls in m.RECORD_TYPES]


@pytest.mark.parametrize("kind", DRAWN_KINDS, ids=lambda kind: kind.cls.__name__)
@given(data=st.data())
def test_planned_records_equal_converted_ones(kind: RecordKind, data: st.DataObject) -> None:
    mapped = MappedKind.of(kind, sa.MetaData())
    record = data.draw(records(kind.cls))
    values = read_back_values(mapped, record)
    planned = mapped.reader.record(values)
    assert planned == record
    assert planned == mapped.reader._slowly(values)
    assert type(planned) is kind.cls


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(json_values, st.sampled_from(["", " ", "\n"]), st.booleans())
def test_json_loads_reads_what_json_loads_reads(value: Any, space: str, ascii: bool) -> None:
    text = space + json.dumps(value, ensure_ascii=ascii) + space
    assert json_loads(text) == json.loads(text)
    for encoding in ("utf-8", "utf-8-sig", "utf-16"):
        data = text.encode(encoding)
        assert json_loads(data) == json.loads(data)


@pytest.mark.parametrize("text", ["", "[", "[1,]", "{} x", "nul"])
@pytest.mark.parametrize("as_bytes", [False, True])
def test_json_loads_refuses_what_json_loads_refuses(text: str, as_bytes: bool) -> None:
    with pytest.raises(json.JSONDecodeError):
        json_loads(text.encode() if as_bytes else text)


def test_json_loads_refuses_bytes_that_are_not_text() -> None:
    with pytest.raises(UnicodeDecodeError):
        json.loads(b"\xff[]")
    with pytest.raises(UnicodeDecodeError):
        json_loads(b"\xff[]")


def test_empty_collections_are_fresh_each_time() -> None:
    first = json_loads("[]")
    first.append(1)
    assert json_loads("[]") == [] and json_loads("{}") == {}


@attrs.frozen
class Badge:
    """A plugin's kind whose class must be called: it computes a field after init."""

    id: str
    title: str
    earned: datetime | None = None
    label: str = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "label", self.title.upper())


def test_a_class_with_post_init_is_called_not_filled(tmp_path: Path) -> None:
    store = SQLStorage(f"sqlite:///{tmp_path / 'badges.db'}")
    store.register_kinds([RecordKind(name="badges", cls=Badge)])
    earned = datetime(2024, 5, 1, 9, tzinfo=ZoneInfo("America/Los_Angeles"))
    with store.transaction() as tx:
        tx.insert(Badge(id="b1", title="mentor", earned=earned))
    with sqlite3.connect(tmp_path / "badges.db") as connection:  # what the class recomputes
        connection.execute("UPDATE badges SET label = 'stale'")
    with store.transaction(read_only=True) as tx:
        read = tx.get(Badge, "b1")
    assert read == Badge(id="b1", title="mentor", earned=earned)
    assert read is not None and read.label == "MENTOR" and read.earned.tzinfo == earned.tzinfo
