"""The in-memory store: the reference implementation of the storage SPI.

Transactions run one at a time (a re-entrant lock) and write into an overlay that is
folded into the tables on commit, so a failed transaction leaves nothing behind.  A
read-only transaction refuses writes as every store does.
"""

from __future__ import annotations

import itertools
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

from cpnetwork.errors import DuplicateError, NotFoundError, StorageError, ValidationError
from cpnetwork.storage.base import (
    Aggregate,
    Each,
    GroupBy,
    Matching,
    Month,
    RecordKind,
    Storage,
    Transaction,
    Where,
    check_counts,
    is_collection,
    order_field,
    refused,
    split_condition,
)
from cpnetwork.storage.sql_url import masked

R = TypeVar("R")

_DELETED: Any = object()


def plain(value: Any) -> Any:
    """Enums compare and group by their value, as in SQL stores."""
    return value.value if isinstance(value, Enum) else value


def _value(record: Any, name: str) -> Any:
    field_name, _, key = name.partition(".")
    value = getattr(record, field_name)
    if key:
        if isinstance(value, dict):
            return value.get(key)
        # A nested record (a member's reach): its field, as a JSON column holds it.
        return plain(getattr(value, key, None)) if value is not None else None
    return plain(value)


class _Resolved(frozenset[Any]):
    """The plain values a :class:`Matching` stood for when its query was read."""


def _items(value: Any) -> list[Any]:
    """The group keys an :class:`Each` entry gives for one collection value."""
    items = sorted({plain(item) for item in value or ()}, key=repr)
    return items or [None]


def _matches(record: Any, conditions: list[tuple[str, str, Any]]) -> bool:
    for name, op, expected in conditions:
        actual = _value(record, name)
        if op == "eq":
            if isinstance(expected, _Resolved):
                if actual is None or actual not in expected:
                    return False
            elif is_collection(expected):
                if actual not in {plain(e) for e in expected}:
                    return False
            elif actual != plain(expected):
                return False
        elif op == "has":
            wanted = {plain(e) for e in (expected if is_collection(expected) else (expected,))}
            if not any(plain(item) in wanted for item in actual or ()):
                return False
        elif op == "ne":
            values = expected if is_collection(expected) else (expected,)
            excluded = {plain(e) for e in values}
            if actual in excluded or actual is None:
                return False
        else:
            if actual is None:
                return False
            value = plain(expected)
            if op == "lt" and not actual < value:
                return False
            if op == "le" and not actual <= value:
                return False
            if op == "gt" and not actual > value:
                return False
            if op == "ge" and not actual >= value:
                return False
    return True


def _sort_key(name: str, missing_last: bool = False) -> Any:
    def key(record: Any) -> Any:
        value = plain(getattr(record, name))
        return ((value is None) if missing_last else (value is not None), value)

    return key


class MemoryStorage(Storage):
    def __init__(self, url: str = "memory://", *, read_only: bool = False) -> None:
        self.url = masked(url)
        self._read_only = read_only
        self._kinds: dict[type, RecordKind] = {}
        self._tables: dict[type, dict[str, Any]] = {}
        self._unique: dict[type, dict[tuple[str, ...], dict[tuple[Any, ...], str]]] = {}
        self._lock = threading.RLock()
        self._active: MemoryTransaction | None = None

    def register_kinds(self, kinds: Iterable[RecordKind]) -> None:
        with self._lock:
            for kind in kinds:
                self._kinds.setdefault(kind.cls, kind)
                self._tables.setdefault(kind.cls, {})
                self._unique.setdefault(kind.cls, {key: {} for key in kind.unique})

    def iter_kinds(self) -> Iterator[RecordKind]:
        return iter(list(self._kinds.values()))

    @property
    def read_only(self) -> bool:
        return self._read_only

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[Transaction]:
        with self._lock:
            if self._active is not None:
                raise StorageError("storage", self.url, "transactions do not nest")
            tx = MemoryTransaction(self, read_only=read_only or self._read_only)
            self._active = tx
            try:
                yield tx
                tx.commit()
            finally:
                self._active = None

    def kind(self, cls: type) -> RecordKind:
        try:
            return self._kinds[cls]
        except KeyError:
            raise StorageError(
                "storage", self.url, f"{cls.__name__} is not a registered kind of record"
            ) from None


class MemoryTransaction(Transaction):
    serializes_writers = True  # the store's one lock is held for the whole transaction

    def __init__(self, storage: MemoryStorage, *, read_only: bool = False) -> None:
        self._storage = storage
        self._read_only = read_only
        self._changes: dict[type, dict[str, Any]] = defaultdict(dict)
        self._claimed: dict[tuple[type, tuple[str, ...]], dict[tuple[Any, ...], str]] = defaultdict(
            dict
        )

    # reads -------------------------------------------------------------------
    def get(self, cls: type[R], record_id: str) -> R | None:
        self._storage.kind(cls)
        changed = self._changes[cls].get(record_id)
        if changed is _DELETED:
            return None
        if changed is not None:
            return changed  # type: ignore[no-any-return]
        return self._storage._tables[cls].get(record_id)

    def _all(self, cls: type) -> Iterator[Any]:
        self._storage.kind(cls)
        changes = self._changes[cls]
        for record_id, record in self._storage._tables[cls].items():
            if record_id not in changes:
                yield record
        for record in changes.values():
            if record is not _DELETED:
                yield record

    def _select(self, cls: type, where: Where | None) -> Iterator[Any]:
        conditions = self._conditions(cls, where)
        return (r for r in self._all(cls) if _matches(r, conditions))

    def _conditions(self, cls: type, where: Where | None) -> list[tuple[str, str, Any]]:
        """A ``where`` checked and compiled for :func:`_matches`."""
        conditions = []
        fields = {a.name for a in cls.__attrs_attrs__}  # type: ignore[attr-defined]
        for key, value in (where or {}).items():
            name, op = split_condition(key)
            if name.partition(".")[0] not in fields:
                raise ValidationError(cls.__name__, None, f"no field {name!r} to filter on")
            if op == "has" and not [
                v for v in (value if is_collection(value) else [value]) if v is not None
            ]:
                raise ValidationError(
                    cls.__name__, None, f"{key}: give the values to look for, not {value!r}"
                )
            if isinstance(value, Matching):
                if op != "eq":
                    raise ValidationError(
                        cls.__name__, None, f"{key}: only equality takes Matching"
                    )
                value = self._matching(value)
            conditions.append((name, op, value))
        return conditions

    def _matching(self, matching: Matching) -> _Resolved:
        """The values a Matching stands for, read like the SQL stores' subquery."""
        fields = {a.name for a in matching.cls.__attrs_attrs__}  # type: ignore[attr-defined]
        if matching.field not in fields:
            raise ValidationError(
                matching.cls.__name__, None, f"no field {matching.field!r} to match on"
            )
        values = (_value(r, matching.field) for r in self._select(matching.cls, matching.where))
        return _Resolved(v for v in values if v is not None)

    def find(
        self,
        cls: type[R],
        where: Where | None = None,
        *,
        order_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[R]:
        rows = sorted(self._select(cls, where), key=lambda r: r.id)
        for spec in reversed(order_by):
            name, descending, missing_last = order_field(spec)
            # Reversing puts missing values last, so they sort first to end up last.
            rows.sort(key=_sort_key(name, missing_last != descending), reverse=descending)
        return rows[:limit] if limit is not None else rows

    def _grouping(
        self, cls: type, group_by: Sequence[GroupBy]
    ) -> Callable[[Any], Iterable[tuple[Any, ...]]]:
        """A function giving a record's group keys (several with :class:`Each`), after
        checking the fields exist."""
        self._storage.kind(cls)
        fields = {a.name for a in cls.__attrs_attrs__}  # type: ignore[attr-defined]
        for entry in group_by:
            name = entry if isinstance(entry, str) else entry.field
            if name not in fields:
                raise ValidationError(cls.__name__, None, f"no field {name!r} to group by")

        def parts(record: Any, entry: GroupBy) -> list[Any]:
            if isinstance(entry, Month):
                return [entry.of(getattr(record, entry.field))]
            if isinstance(entry, Each):
                items = getattr(record, entry.field)
                if items is not None and not is_collection(items):
                    raise ValidationError(
                        cls.__name__,
                        None,
                        f"{entry.field!r} is not a collection field to group by each item",
                    )
                return _items(items)
            return [plain(getattr(record, entry))]

        def keys(record: Any) -> Iterable[tuple[Any, ...]]:
            return itertools.product(*(parts(record, entry) for entry in group_by))

        return keys

    def count(
        self, cls: type, where: Where | None = None, *, group_by: Sequence[GroupBy] = ()
    ) -> dict[tuple[Any, ...], int]:
        counts: dict[tuple[Any, ...], int] = defaultdict(int)
        key = self._grouping(cls, group_by)
        for record in self._select(cls, where):
            for group in key(record):
                counts[group] += 1
        if not group_by and not counts:
            counts[()] = 0
        return dict(counts)

    def total(
        self,
        cls: type,
        field_name: str,
        where: Where | None = None,
        *,
        group_by: Sequence[GroupBy] = (),
    ) -> dict[tuple[Any, ...], float]:
        sums: dict[tuple[Any, ...], float] = defaultdict(float)
        key = self._grouping(cls, group_by)
        for record in self._select(cls, where):
            value = _value(record, field_name) or 0
            if isinstance(value, datetime):
                value = value.timestamp()
            for group in key(record):
                sums[group] += value
        if not group_by and not sums:
            sums[()] = 0
        return dict(sums)

    def claim(
        self,
        cls: type[R],
        where: Where | None = None,
        *,
        order_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[R]:
        self._writable("claim")
        return self.find(cls, where, order_by=order_by, limit=limit)

    def delete_where(self, cls: type, where: Where) -> int:
        self._writable("delete_where")
        return super().delete_where(cls, where)

    def aggregate(
        self,
        cls: type,
        where: Where | None = None,
        *,
        group_by: Sequence[GroupBy] = (),
        counts: Mapping[str, Where] = {},
        sums: Sequence[str] = (),
    ) -> dict[tuple[Any, ...], Aggregate]:
        check_counts(cls, where, counts)
        key = self._grouping(cls, group_by)
        named = {name: self._conditions(cls, extra) for name, extra in counts.items()}
        fields = {a.name for a in cls.__attrs_attrs__}  # type: ignore[attr-defined]
        for name in sums:
            if name.partition(".")[0] not in fields:
                raise ValidationError(cls.__name__, None, f"no field {name!r} to total")
        groups: dict[tuple[Any, ...], list[Any]] = {}
        for record in self._select(cls, where):
            hits = [_matches(record, conditions) for conditions in named.values()]
            values = [_value(record, name) for name in sums]
            for group in key(record):
                tally = groups.setdefault(group, [0, [0] * len(named), [0.0] * len(sums),
                                                  [0] * len(sums)])  # fmt: skip
                tally[0] += 1
                for n, hit in enumerate(hits):
                    tally[1][n] += hit
                for n, value in enumerate(values):
                    if value is not None:
                        tally[2][n] += value.timestamp() if isinstance(value, datetime) else value
                        tally[3][n] += 1
        if not group_by and not groups:
            groups[()] = [0, [0] * len(named), [0.0] * len(sums), [0] * len(sums)]
        return {
            group: Aggregate(
                count=n,
                counts=dict(zip(named, hits, strict=True)),
                sums=dict(zip(sums, summed, strict=True)),
                present=dict(zip(sums, present, strict=True)),
            )
            for group, (n, hits, summed, present) in groups.items()
        }

    def lock(self, cls: type, record_id: str) -> None:
        # The store's single lock already serializes every transaction.
        self._writable("lock")
        self._storage.kind(cls)

    # writes ------------------------------------------------------------------
    def _writable(self, operation: str) -> None:
        if self._read_only:
            raise refused(self._storage.url, operation)

    def _owner(self, cls: type, key: tuple[str, ...], values: tuple[Any, ...]) -> str | None:
        for source in (self._claimed[(cls, key)], self._storage._unique[cls][key]):
            owner = source.get(values)
            if owner is not None:
                current = self.get(cls, owner)
                if current is not None and _key(current, key) == values:
                    return owner
        return None

    def _check_unique(self, record: Any) -> None:
        cls = type(record)
        for key in self._storage.kind(cls).unique:
            values = _key(record, key)
            if None in values:
                continue
            owner = self._owner(cls, key, values)
            if owner is not None and owner != record.id:
                shown = ", ".join(f"{k}={v!r}" for k, v in zip(key, values, strict=True))
                raise DuplicateError(cls.__name__, record.id, f"{shown} is already taken")

    def _claim(self, record: Any) -> None:
        cls = type(record)
        for key in self._storage.kind(cls).unique:
            self._claimed[(cls, key)][_key(record, key)] = record.id

    def insert(self, record: Any) -> None:
        self._writable("insert")
        cls = type(record)
        if self.get(cls, record.id) is not None:
            raise DuplicateError(cls.__name__, record.id, "id is already taken")
        self._check_unique(record)
        self._changes[cls][record.id] = record
        self._claim(record)

    def insert_many(self, records: Iterable[Any]) -> None:
        self._writable("insert_many")
        super().insert_many(records)

    def update(self, record: Any) -> None:
        self._writable("update")
        cls = type(record)
        if self.get(cls, record.id) is None:
            raise NotFoundError(cls.__name__, record.id)
        self._check_unique(record)
        self._changes[cls][record.id] = record
        self._claim(record)

    def delete(self, cls: type, record_id: str) -> None:
        self._writable("delete")
        if self.get(cls, record_id) is None:
            raise NotFoundError(cls.__name__, record_id)
        self._changes[cls][record_id] = _DELETED

    def commit(self) -> None:
        storage = self._storage
        for cls, changes in self._changes.items():
            table = storage._tables[cls]
            indexes = storage._unique[cls]
            for record_id, record in changes.items():
                old = table.get(record_id)
                if old is not None:
                    for key, index in indexes.items():
                        if index.get(_key(old, key)) == record_id:
                            del index[_key(old, key)]
                if record is _DELETED:
                    table.pop(record_id, None)
                    continue
                table[record_id] = record
                for key, index in indexes.items():
                    index[_key(record, key)] = record_id
        self._changes.clear()


def _key(record: Any, fields: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(plain(getattr(record, name)) for name in fields)
