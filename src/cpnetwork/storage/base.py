"""The storage SPI: a small interface every backend implements.

A backend stores attrs records by kind.  All access happens inside a transaction,
which commits when its ``with`` block ends and rolls back, changing nothing, when the
block raises.  ``transaction(read_only=True)`` is for queries: it refuses writes and
never waits behind a writer.  Queries filter with ``where`` mappings::

    {"program_id": "p1"}                      # equality (None matches missing values)
    {"status": ["offered", "enrolled"]}       # a list, tuple or set means IN
    {"offer_expires_at__lt": now}             # __lt __le __gt __ge __ne compare
    {"roles__has": ["tosa", "science_lead"]}  # a collection field holds any of these

    {"identifiers.cds": "01100170000000"}   # a dotted name looks up a key of a dict field

``order_by`` names fields, a leading ``-`` sorting descending; missing values sort first
ascending and last descending, unless the name ends in ``" missing last"``
(``"rank missing last"``: ranked records in rank order, then the unranked).
Only scalar fields (strings, numbers, booleans, dates, datetimes, enums) can be used in
``where``, ``order_by`` and ``group_by``.

``group_by`` (of ``count`` and ``total``) takes field names and :class:`Month` entries.
A ``Month`` groups by the calendar month, as ``"YYYY-MM"`` text, of a date or datetime
field; a datetime falls in the month of its local time in the zone given, since the
store does not know the network's zone (a date is already a calendar day)::

    tx.count(Session, group_by=[Month("start", "America/Los_Angeles"), "program_id"])
    # {("2024-10", "p1"): 3, ("2024-11", "p1"): 4, ...}

An instant late on October 31 in California is already November in UTC: reports pass
the network's zone (``Month("start", profile.timezone)``).  Stores compute the month in
the query, grouping in the database; missing values form the group ``None``.

An :class:`Each` entry groups by every item of a collection field (a set or tuple of
scalars, such as a member's roles): a record counts once in the group of each of its
items, and a record with none counts in the group ``None``::

    tx.count(Member, group_by=[Each("roles"), "county"])
    # {("tosa", "19"): 4, ("teacher", "19"): 9, (None, "10"): 1, ...}

A :class:`Matching` value in ``where`` keeps the records whose field is among a
field of the records of another kind matching a ``where`` of their own (a semi-join,
run in the database, so no id is loaded)::

    {"member_id": Matching(Member, {"county": ["10", "19"]})}
    {"id": Matching(Enrollment, {"program_id": "p1"}, field="member_id")}

A dotted name also reaches into a nested record field (``reach.teachers_supported``)
in ``where`` and as the field ``total`` sums.

``aggregate`` answers several questions of one kind of record in one pass: how many
match, how many of those also match further conditions, and sums of fields with how
many records set them::

    tx.aggregate(Member, group_by=["county"],
                 counts={"leaders": {"roles__has": ["tosa", "science_lead"]}},
                 sums=["reach.teachers_supported"])
    # {("19",): Aggregate(count=9, counts={"leaders": 4},
    #                     sums={"reach.teachers_supported": 310.0},
    #                     present={"reach.teachers_supported": 5}), ...}
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
from attrs import field, frozen

from cpnetwork.errors import StorageError, ValidationError

R = TypeVar("R")

Where = Mapping[str, Any]

OPERATORS = ("lt", "le", "gt", "ge", "ne", "has")


@frozen(kw_only=True)
class RecordKind:
    """A kind of record a store keeps: its class, table name and unique keys.

    Plugins add kinds (an outbox, review scores, a ledger) through the
    ``register_record_kinds`` hook; stores make room for them without touching the
    core kinds.
    """

    name: str
    cls: type
    unique: tuple[tuple[str, ...], ...] = ()
    #: Fields queried often enough to deserve an index in SQL stores.
    indexed: tuple[str, ...] = field(default=())


def _zone_key(zone: str | ZoneInfo) -> str:
    return (zone.key or "") if isinstance(zone, ZoneInfo) else zone


@frozen
class Month:
    """A ``group_by`` entry: the calendar month (``"YYYY-MM"``) of a date or datetime field.

    ``zone`` is an IANA time-zone name (or a ZoneInfo) in which datetimes are read;
    it does not apply to date fields.  An unknown zone is a ValidationError here; a
    field that is not a date or datetime is one when the query runs.
    """

    field: str
    # attrs.field: inside this class body the bare name is the attribute above.
    zone: str = attrs.field(default="UTC", converter=_zone_key)

    @zone.validator
    def _known_zone(self, attribute: object, value: str) -> None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(
                "Month", None, f"{value!r} is not an IANA time zone", field="zone"
            ) from None

    def of(self, value: Any) -> str | None:
        """The group a stored value falls in: what every store computes in its query."""
        if value is None:
            return None
        if not isinstance(value, date):
            raise ValidationError(
                "Month", None, f"{self.field!r} is not a date or datetime field to group by month"
            )
        return calendar_month(value, self.zone)


def calendar_month(value: date | datetime, zone: str) -> str:
    """``"YYYY-MM"``: the month of a date, or of an aware datetime's local time in ``zone``."""
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise ValidationError("Month", None, f"{value!r} has no time zone")
        value = value.astimezone(ZoneInfo(zone))
    return f"{value.year:04d}-{value.month:02d}"


@frozen
class Each:
    """A ``group_by`` entry: each item of a collection field (a set or tuple of scalars).

    A record counts (or adds its total) once in the group of each of its items, and in
    the group ``None`` when the collection is empty or missing.  Items group by their
    plain values (enums by value).
    """

    field: str


@frozen
class Related:
    """Records :meth:`Transaction.get_with` reads along with a record.

    ``on`` names a field of ``cls`` holding the record's id (an enrollment's
    ``member_id``); ``via`` names a collection field of the record and the key of its
    items holding ``cls`` ids (``"affiliations.organization_id"``).  Give one of the
    two.  ``where`` narrows them further, as in ``find``.
    """

    cls: type
    on: str | None = None
    via: str | None = None
    where: Mapping[str, Any] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        if (self.on is None) == (self.via is None):
            raise ValueError("Related takes one of on= and via=")
        if self.via is not None and "." not in self.via:
            raise ValueError(f"via={self.via!r} must name a field and its items' key")

    def ids_in(self, record: Any) -> list[str]:
        """The ids ``via`` lists in ``record``, in order, once each."""
        assert self.via is not None
        field_name, _, key = self.via.partition(".")
        ids: dict[str, None] = {}
        for item in getattr(record, field_name, None) or ():
            value = item.get(key) if isinstance(item, Mapping) else getattr(item, key, None)
            if isinstance(value, str):
                ids[value] = None
        return list(ids)


@frozen
class Matching:
    """A ``where`` value: among the ``field`` values of ``cls`` records matching ``where``.

    A semi-join the store runs itself (``IN (SELECT field FROM ... WHERE ...)`` in
    SQL): filtering attendance by the members' county, or members by the programs
    they enrolled in, without loading either side.  ``where`` may hold further
    ``Matching`` values.  Only equality takes one; a missing value never matches.
    """

    cls: type
    where: Mapping[str, Any] = attrs.field(factory=dict)
    field: str = "id"


@frozen
class Aggregate:
    """One group's answer to ``Transaction.aggregate``."""

    #: Records in the group.
    count: int
    #: Of those, how many also match each named condition.
    counts: Mapping[str, int]
    #: The sum of each field (missing values add nothing; datetimes as epoch seconds).
    sums: Mapping[str, float]
    #: How many records of the group have each summed field set.
    present: Mapping[str, int]


#: One ``group_by`` entry: a field name, a :class:`Month` or an :class:`Each`.
GroupBy = str | Month | Each


#: The ending of an ``order_by`` entry that sorts missing values after the others.
MISSING_LAST = " missing last"


def order_field(spec: str) -> tuple[str, bool, bool]:
    """``"-start"`` → ``("start", True, True)``: the field, whether descending, and
    whether missing values sort last (the default descending; ``MISSING_LAST`` asks
    for it ascending)."""
    descending = spec.startswith("-")
    name = spec.lstrip("-")
    missing_last = descending
    if name.endswith(MISSING_LAST):
        name, missing_last = name[: -len(MISSING_LAST)], True
    return name, descending, missing_last


def split_condition(key: str) -> tuple[str, str]:
    """``"start__lt"`` → ``("start", "lt")``; a bare field compares with ``eq``."""
    name, sep, op = key.rpartition("__")
    if sep and op in OPERATORS:
        return name, op
    return key, "eq"


def check_parent_field(child: type, field: str) -> None:
    """ValidationError unless ``field`` is a field of ``child`` (see ``locked_parent``)."""
    if field not in attrs.fields_dict(child):
        raise ValidationError(child.__name__, None, f"no field {field!r} to lock through")


def is_collection(value: Any) -> bool:
    return isinstance(value, list | tuple | set | frozenset)


def check_counts(cls: type, where: Where | None, counts: Mapping[str, Where]) -> None:
    """ValidationError when a named count of ``aggregate`` repeats a key of ``where``."""
    for name, extra in counts.items():
        shared = sorted(set(extra) & set(where or {}))
        if shared:
            raise ValidationError(cls.__name__, None, f"count {name!r} repeats {shared} of where")


def refused(url: str, operation: str, why: str = "the transaction is read-only") -> StorageError:
    """The error a write in a read-only transaction (or store) raises, naming both."""
    return StorageError("storage", url, f"{operation} refused: {why}")


class Transaction(ABC):
    """One all-or-nothing unit of work against a store."""

    #: Whether a writing transaction holds the store's only write lock from its start
    #: (SQLite's ``BEGIN IMMEDIATE``, the memory store's lock), so a record it read
    #: before :meth:`lock` is still current after.  False (the safe answer) where
    #: writers run at once and only row locks order them.
    serializes_writers: bool = False

    @abstractmethod
    def get(self, cls: type[R], record_id: str) -> R | None:
        """The record of ``cls`` with this id, or None."""

    @abstractmethod
    def insert(self, record: Any) -> None:
        """Add a new record; DuplicateError if its id or a unique key is taken."""

    def insert_many(self, records: Iterable[Any]) -> None:
        """Add many records of one or more kinds; all of them, or none.

        ``records`` may be any iterable, a generator of millions included: backends
        read it chunk by chunk and batch the writes.  A taken id or unique key raises
        DuplicateError and undoes the whole call; the transaction can go on.
        """
        for record in records:
            self.insert(record)

    @abstractmethod
    def update(self, record: Any) -> None:
        """Replace the stored record with the same id; NotFoundError if absent."""

    @abstractmethod
    def delete(self, cls: type, record_id: str) -> None:
        """Remove a record; NotFoundError if absent."""

    @abstractmethod
    def find(
        self,
        cls: type[R],
        where: Where | None = None,
        *,
        order_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[R]:
        """Records of ``cls`` matching ``where``, in ``order_by`` order (then by id)."""

    def scan(
        self,
        cls: type[R],
        where: Where | None = None,
        *,
        order_by: Sequence[str] = (),
        chunk_size: int = 1_000,
    ) -> Iterator[R]:
        """The records ``find`` gives, one by one, without loading them all at once.

        Backends read ``chunk_size`` rows at a time (a server-side cursor, say); this
        default, for stores that hold everything in memory anyway, iterates ``find``.
        The query is checked when called.  Iterate inside the transaction.
        """
        return iter(self.find(cls, where, order_by=order_by))

    def find_one(self, cls: type[R], where: Where) -> R | None:
        found = self.find(cls, where, limit=1)
        return found[0] if found else None

    def claim(
        self,
        cls: type[R],
        where: Where | None = None,
        *,
        order_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[R]:
        """Records ``find`` gives, locked for this transaction, skipping any another holds.

        For work queues: several workers claiming at once each get different records
        and none waits for another.  PostgreSQL answers with ``FOR UPDATE SKIP
        LOCKED``.  This default suits stores whose writers are serialized anyway
        (SQLite's write lock, the memory store's): no other writer can hold a record.
        Like a write, a claim is refused in a read-only transaction.
        """
        return self.find(cls, where, order_by=order_by, limit=limit)

    def delete_where(self, cls: type, where: Where) -> int:
        """Remove every record of ``cls`` matching ``where``; how many were removed.

        ``where`` must not be empty: removing a whole kind is never a mistake to make
        by leaving out an argument.
        """
        if not where:
            raise ValidationError(cls.__name__, None, "delete_where needs a condition")
        removed = 0
        record: Any
        for record in self.find(cls, where):
            self.delete(cls, record.id)
            removed += 1
        return removed

    @abstractmethod
    def count(
        self, cls: type, where: Where | None = None, *, group_by: Sequence[GroupBy] = ()
    ) -> dict[tuple[Any, ...], int]:
        """How many records match, grouped: ``{(group values...): n}``.

        Without ``group_by`` the answer is ``{(): n}``.  Enum values come back as
        their plain values, :class:`Month` groups as ``"YYYY-MM"`` text.
        """

    @abstractmethod
    def total(
        self,
        cls: type,
        field_name: str,
        where: Where | None = None,
        *,
        group_by: Sequence[GroupBy] = (),
    ) -> dict[tuple[Any, ...], float]:
        """The sum of a numeric field over matching records, grouped like ``count``.

        A datetime field sums its instants as seconds since 1970-01-01 UTC, so the
        difference of two totals over paired records (a decision and its application)
        is their total time apart, computed in the store.
        """

    def aggregate(
        self,
        cls: type,
        where: Where | None = None,
        *,
        group_by: Sequence[GroupBy] = (),
        counts: Mapping[str, Where] = {},
        sums: Sequence[str] = (),
    ) -> dict[tuple[Any, ...], Aggregate]:
        """Counts and sums of the records matching ``where``, grouped like ``count``.

        ``counts`` names further conditions (their keys must not repeat ``where``'s): a
        record counts under a name when it matches both.  Each of ``sums`` is summed
        like ``total`` and its records with a value counted (``present``).  Backends
        answer in one query; this default, for any backend, asks ``count`` and
        ``total`` once per question.
        """
        check_counts(cls, where, counts)
        base = dict(where or {})
        totals = self.count(cls, base, group_by=group_by)
        named = {n: self.count(cls, {**base, **w}, group_by=group_by) for n, w in counts.items()}
        summed = {f: self.total(cls, f, base, group_by=group_by) for f in sums}
        present = {f: self.count(cls, {**base, f"{f}__ne": None}, group_by=group_by) for f in sums}
        return {
            key: Aggregate(
                count=n,
                counts={name: named[name].get(key, 0) for name in counts},
                sums={f: float(summed[f].get(key, 0)) for f in sums},
                present={f: present[f].get(key, 0) for f in sums},
            )
            for key, n in totals.items()
        }

    @abstractmethod
    def lock(self, cls: type, record_id: str) -> None:
        """Serialize writers on this record until the transaction ends.

        Capacity and quota checks lock their program first, so two writers never
        both take the last seat.
        """

    def get_with(
        self, cls: type[R], record_id: str, related: Mapping[str, Related]
    ) -> tuple[R | None, dict[str, list[Any]]]:
        """A record and, by name, the records ``related`` describes (see :class:`Related`).

        Each list is in id order; a missing record gives None and empty lists.  This
        reads one query per relation; a store that can join them in one statement
        (the SQL store) overrides it.
        """
        record = self.get(cls, record_id)
        found: dict[str, list[Any]] = {name: [] for name in related}
        if record is None:
            return None, found
        for name, relation in related.items():
            if relation.on is not None:
                where = {**relation.where, relation.on: record_id}
            else:
                ids = relation.ids_in(record)
                if not ids:
                    continue
                where = {**relation.where, "id": ids}
            found[name] = self.find(relation.cls, where)
        return record, found

    def locked(self, cls: type[R], record_id: str) -> R | None:
        """:meth:`lock` the record, then read it as it is now (None when missing).

        A store that can do both in one statement (``SELECT … FOR UPDATE``) overrides
        this; a refusal names ``lock``.
        """
        self.lock(cls, record_id)
        return self.get(cls, record_id)

    def locked_parent(self, cls: type[R], child: type, child_id: str, field: str) -> R | None:
        """The record of ``cls`` whose id the ``child`` record's ``field`` holds,
        :meth:`locked` (an enrollment's program, before the enrollment is read again).

        None when either is missing.  The field must never change once written, as an
        enrollment's ``program_id`` does not: a store may read it before taking the
        lock.  One that can do it all in one statement overrides this; a refusal names
        ``lock``.
        """
        check_parent_field(child, field)
        found = self.get(child, child_id)
        parent_id = None if found is None else getattr(found, field)
        return None if parent_id is None else self.locked(cls, parent_id)


class Storage(ABC):
    """A backend: opened from a URL by the ``open_storage`` hook."""

    url: str

    @abstractmethod
    def register_kinds(self, kinds: Iterable[RecordKind]) -> None:
        """Make room for these kinds of record (idempotent)."""

    @abstractmethod
    def transaction(self, *, read_only: bool = False) -> AbstractContextManager[Transaction]:
        """A new transaction, committed when the block ends without an error.

        A ``read_only`` transaction refuses ``insert``, ``insert_many``, ``update``,
        ``delete`` and ``lock`` with a :class:`~cpnetwork.errors.StorageError` (see
        :func:`refused`) and sees data committed before it began.  Stores run it
        without taking their write lock, so readers never queue behind a writer.
        """

    @property
    def read_only(self) -> bool:
        """Whether every transaction of this store refuses writes (opened read-only)."""
        return False

    def close(self) -> None:  # noqa: B027 - most backends have something to release
        """Release connections and files."""

    def __enter__(self) -> Storage:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def iter_kinds(self) -> Iterator[RecordKind]:
        """The kinds this store keeps."""
        return iter(())
