"""The SQL store: one backend on SQLAlchemy Core for SQLite files and PostgreSQL.

``sqlite:///network.db`` is the embedded default; ``postgresql://…`` (run on psycopg 3)
serves a shared, multi-user deployment.  Each ``Storage.transaction()`` is one
database transaction on a pooled connection.  Writers serialize on SQLite by starting
every writing transaction with ``BEGIN IMMEDIATE``; on PostgreSQL ``lock`` takes a row
lock (``SELECT … FOR UPDATE``) that capacity checks rely on.  A read-only transaction
starts with a deferred ``BEGIN`` on SQLite (a WAL snapshot: it never waits for the
writer) and runs ``READ ONLY`` on PostgreSQL; both refuse writes before the database
sees them.  A SQLite file that cannot be written is opened read-only (see
:func:`~cpnetwork.storage.sql_engine.sqlite_read_only`): its schema is only checked,
and every transaction on it refuses writes.

Everything is done in SQL: filters, ordering, ``count`` and ``total`` (with GROUP BY),
so no table is ever loaded whole into Python.  Writes refused by a unique key raise
:class:`~cpnetwork.errors.DuplicateError` and leave the transaction usable (inserts
use ``ON CONFLICT DO NOTHING``; bulk inserts and updates a savepoint), as in the
memory store.  ``insert_many`` writes big batches with ``executemany`` or COPY (see
:mod:`cpnetwork.storage.sql_bulk`).  No driver exception escapes: they become
:class:`~cpnetwork.errors.StorageError`.

Schema versions are managed by Alembic (:mod:`cpnetwork.storage.sql_migrate`);
:func:`upgrade` is what ``cpnetwork db upgrade`` runs.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import wraps
from itertools import islice
from typing import Any, Concatenate, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ClauseElement, ColumnElement

from cpnetwork.errors import (
    DuplicateError,
    NotFoundError,
    SchemaVersionError,
    StorageError,
    ValidationError,
)
from cpnetwork.storage import sql_joined
from cpnetwork.storage.base import (
    Aggregate,
    GroupBy,
    RecordKind,
    Related,
    Storage,
    Transaction,
    Where,
    check_counts,
    check_parent_field,
    refused,
)
from cpnetwork.storage.kinds import CORE_KINDS
from cpnetwork.storage.sql_bulk import CHUNK_ROWS, BulkWriter
from cpnetwork.storage.sql_connections import ThreadConnections
from cpnetwork.storage.sql_engine import (
    create_engine,
    display_url,
    driver_errors,
    sqlite_read_only,
    translated,
)
from cpnetwork.storage.sql_migrate import (
    UPGRADE_COMMAND,
    SchemaStatus,
    ensure_schema,
    hold_schema_lock,
    schema_status,
    upgrade,
)
from cpnetwork.storage.sql_prepared import Prepared
from cpnetwork.storage.sql_query import (
    ShapeEntry,
    aggregate_select,
    grouping,
    numeric_column,
    order_clauses,
    where_clause,
    where_shape,
    where_template,
)
from cpnetwork.storage.sql_schema import MappedKind
from cpnetwork.storage.sql_url import is_sql_url

__all__ = [
    "SQLStorage",
    "SQLTransaction",
    "SchemaStatus",
    "is_sql_url",
    "schema_status",
    "upgrade",
]

R = TypeVar("R")
P = ParamSpec("P")
T = TypeVar("T")

#: Records per INSERT statement at most; fewer for kinds with many columns, so that
#: rows times columns stays under the database's parameter limit (see ``parameter_limit``).
BATCH_SIZE = 500
#: Bound parameters one PostgreSQL statement takes at most.
POSTGRES_PARAMETERS = 65_535
#: SQLite's limit when the connection cannot tell (SQLite 3.32's default).
SQLITE_PARAMETERS = 32_766
#: Rows ``scan`` fetches at a time.
SCAN_ROWS = 1_000

#: Table names the store never gives to a kind.
RESERVED_TABLES = frozenset({"alembic_version"})
#: Core table names and the classes they belong to: no other kind may take them.
CORE_CLASSES: dict[str, type] = {kind.name: kind.cls for kind in CORE_KINDS}
CORE_TABLES = frozenset(CORE_CLASSES)


#: Prepared statements a store keeps (one per kind and shape of call).
PREPARED_KEPT = 2048
#: Values a prepared find binds as they are (no enum or collection to turn into SQL).
PLAIN_VALUES = frozenset({str, int, float, bool})


class SQLStorage(Storage):
    """A store in a SQLite file or a PostgreSQL database (see the module docstring).

    Opening it brings a new, empty database to the current schema and refuses one at
    another schema version with :class:`~cpnetwork.errors.SchemaVersionError`.
    ``url`` is shown with its password hidden.  With ``read_only`` (or a SQLite file
    that cannot be written) nothing is ever written: the schema is only checked and
    every transaction refuses writes.
    """

    def __init__(self, url: str, *, read_only: bool = False) -> None:
        self.url = display_url(url)
        reason = sqlite_read_only(url)
        #: Why the database is opened read-only, or None when it can be written.
        self.read_only_reason: str | None = reason or ("asked for" if read_only else None)
        self._engine = create_engine(url, read_only=self.read_only)
        self._connections = ThreadConnections(
            self._engine, keep=self._engine.dialect.name == "sqlite"
        )
        self._drivers = driver_errors(self._engine)
        self._translators: dict[str, translated] = {}
        self._mapped: dict[type, MappedKind] = {}
        self._writers: dict[type, BulkWriter] = {}
        self._prepared: dict[Hashable, Prepared] = {}
        #: Prepared finds of plain values, by kind, keys, order and limit (see by_values).
        self._plain_finds: dict[Hashable, Prepared] = {}
        #: Kinds whose tables a read-only database lacks, with the reason.
        self._absent: dict[type, str] = {}
        #: What a refused row raises: through SQLAlchemy, or from the driver itself (COPY).
        self.refusals: tuple[type[BaseException], ...] = (
            sa.exc.IntegrityError,
            *_driver_integrity_error(self._engine),
        )
        self._register_lock = threading.Lock()
        self._local = threading.local()
        try:
            ensure_schema(self._engine, CORE_TABLES, self.url, read_only=self.read_only)
        except BaseException:
            self._engine.dispose()
            raise

    @property
    def read_only(self) -> bool:
        """Whether the database is opened read-only (see ``read_only_reason``)."""
        return self.read_only_reason is not None

    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine, for instrumentation (events, statement counts)."""
        return self._engine

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    def register_kinds(self, kinds: Iterable[RecordKind]) -> None:
        """Map kinds to tables, creating the tables of plugin kinds that are missing.

        The rule: core kinds' tables belong to the migrations and must already exist
        (else the schema is out of date).  A plugin kind's table is created with its
        unique keys and indexes the first time the kind is registered on a database;
        later it is used as it is, and the plugin owns any change to it — a table
        lacking one of the kind's fields is a SchemaVersionError.  Core tables are
        never touched here.  Registering a kind again changes nothing.
        """
        with self._register_lock:
            new = self._new_kinds(kinds)
            if not new:
                return
            metadata = sa.MetaData()
            mapped = [MappedKind.of(kind, metadata) for kind in new]
            with self._schema_change("registering kinds") as connection:
                inspector = sa.inspect(connection)
                tables = set(inspector.get_table_names())
                prepared = [
                    self._prepare_table(connection, inspector, item, item.kind.name in tables)
                    for item in mapped
                ]
            for item in prepared:
                if item is not None:
                    self._mapped[item.kind.cls] = item

    def _new_kinds(self, kinds: Iterable[RecordKind]) -> list[RecordKind]:
        names = {mapped.kind.name: cls for cls, mapped in self._mapped.items()}
        new: list[RecordKind] = []
        for kind in kinds:
            if kind.cls in self._mapped or any(k.cls is kind.cls for k in new):
                continue
            owner = names.get(kind.name, CORE_CLASSES.get(kind.name))
            if kind.name in RESERVED_TABLES or (owner is not None and owner is not kind.cls):
                raise StorageError(
                    "storage", self.url, f"table name {kind.name!r} of {kind.cls.__name__} is taken"
                )
            names[kind.name] = kind.cls
            new.append(kind)
        return new

    def _prepare_table(
        self, connection: sa.Connection, inspector: sa.Inspector, item: MappedKind, exists: bool
    ) -> MappedKind | None:
        """Check (or create) a kind's table: how to use it, or None when it cannot be made.

        A plugin table made before zones were kept lacks the zone columns of its
        datetimes: it is used without them (those datetimes read back in UTC).
        """
        name = item.kind.name
        if not exists and name in CORE_TABLES:
            raise SchemaVersionError(
                "storage", self.url, f"core table {name!r} is missing; run `{UPGRADE_COMMAND}`"
            )
        if not exists and self.read_only:
            # Nothing of this kind was ever stored here: the kind stays out of the store.
            self._absent[item.kind.cls] = f"table {name!r} of {item.record_name} is missing"
            return None
        if not exists:
            item.table.create(connection)
            return item
        if name in CORE_TABLES:
            return item
        present = {column["name"] for column in inspector.get_columns(name)}
        missing = sorted(set(item.columns) - present)
        if missing:
            raise SchemaVersionError(
                "storage",
                self.url,
                f"table {name!r} lacks columns {missing} of {item.record_name}; "
                "the plugin that stores it must migrate its table",
            )
        if not set(item.zones) <= present:
            return MappedKind.of(item.kind, sa.MetaData(), zones=present)
        return item

    @contextmanager
    def _schema_change(self, action: str) -> Iterator[sa.Connection]:
        with (
            translated(self.url, action, self._drivers),
            self._engine.connect() as connection,
            connection.begin(),
        ):
            hold_schema_lock(connection)
            yield connection

    def iter_kinds(self) -> Iterator[RecordKind]:
        return iter([mapped.kind for mapped in self._mapped.values()])

    def mapped(self, cls: type) -> MappedKind:
        try:
            return self._mapped[cls]
        except KeyError:
            absent = self._absent.get(cls)
            if absent is not None:
                reason = f"{absent} and the database is opened read-only"
                raise StorageError("storage", self.url, reason) from None
            raise StorageError(
                "storage", self.url, f"{cls.__name__} is not a registered kind of record"
            ) from None

    def prepared(self, key: Hashable, build: Callable[[], ClauseElement]) -> Prepared:
        """The statement ``build`` makes, compiled once under ``key`` (see sql_prepared)."""
        found = self._prepared.get(key)
        if found is None:
            if len(self._prepared) >= PREPARED_KEPT:
                self._prepared.clear()  # shapes come from code, so this is a safety net
            found = self._prepared[key] = Prepared(build(), self._engine.dialect)
        return found

    def by_id(self, mapped: MappedKind) -> Prepared:
        """``SELECT … WHERE id = :id`` of a kind: a get is the commonest read."""
        table = mapped.table
        return self.prepared(
            ("get", mapped.kind.cls),
            lambda: sa.select(table).where(table.c.id == sa.bindparam("id")),
        )

    def by_values(
        self, mapped: MappedKind, where: Where | None, order_by: tuple[str, ...], limit: int | None
    ) -> tuple[Prepared, dict[str, Any]] | None:
        """A prepared ``find`` for a ``where`` of plain comparisons, with its parameters.

        See :func:`~cpnetwork.storage.sql_query.where_shape`; any other ``where``
        returns None and is built as usual.
        """
        # The commonest find compares fields with plain values (a member by email): its
        # statement depends on the keys alone, so it is found without a shape.
        quick_key: Hashable = None
        if where is not None and all(type(v) in PLAIN_VALUES for v in where.values()):
            quick_key = (mapped.kind.cls, tuple(where), order_by, limit is not None)
            quick = self._plain_finds.get(quick_key)
            if quick is not None:
                values = {f"w{number}": value for number, value in enumerate(where.values())}
                if limit is not None:
                    values["limit"] = limit
                return quick, values
        found = where_shape(mapped, where, self._engine.dialect)
        if found is None:
            return None
        shape, values = found
        table, dialect = mapped.table, self._engine.dialect

        def build() -> ClauseElement:
            query = (
                sa.select(table)
                .where(where_template(mapped, shape, dialect))
                .order_by(*order_clauses(mapped, list(order_by)))
            )
            if limit is not None:
                query = query.limit(sa.bindparam("limit", type_=sa.Integer()))
            return query

        if limit is not None:
            values["limit"] = limit
        key = ("find", mapped.kind.cls, shape, order_by, limit is not None)
        prepared = self.prepared(key, build)
        if quick_key is not None and len(self._plain_finds) < PREPARED_KEPT:
            self._plain_finds[quick_key] = prepared
        return prepared, values

    def inserting(self, mapped: MappedKind) -> Prepared:
        """One record's ``INSERT … ON CONFLICT DO NOTHING RETURNING id``, prepared."""
        table, dialect = mapped.table, self._engine.dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert

        def build() -> ClauseElement:
            values = {c.name: sa.bindparam(f"v_{c.name}", type_=c.type) for c in table.columns}
            return insert(table).values(values).on_conflict_do_nothing().returning(table.c.id)

        return self.prepared(("insert", mapped.kind.cls), build)

    def updating(self, mapped: MappedKind) -> Prepared:
        """``UPDATE … SET every column WHERE id = :key``, prepared.

        On PostgreSQL a refused row aborts the transaction unless the statement runs
        in a savepoint (two more round trips), so there an update of a kind with
        unique keys checks them in its own WHERE: ``NOT EXISTS`` another row holding
        the new values.  It then updates nothing instead of failing, and
        :meth:`SQLTransaction.update` tells a taken key from a missing record.
        """
        table = mapped.table
        guarded = self._engine.dialect.name == "postgresql" and bool(mapped.kind.unique)

        def build() -> ClauseElement:
            values = {c.name: sa.bindparam(f"v_{c.name}", type_=c.type) for c in table.columns}
            condition: ColumnElement[bool] = table.c.id == sa.bindparam("key")
            for key in mapped.kind.unique if guarded else ():
                other = table.alias()
                holder = sa.select(other.c.id).where(
                    other.c.id != sa.bindparam("key"),
                    *(other.c[name] == values[name] for name in key),
                )
                condition = sa.and_(condition, ~sa.exists(holder))
            return table.update().where(condition).values(values)

        return self.prepared(("update", mapped.kind.cls), build)

    def deleting(self, mapped: MappedKind) -> Prepared:
        """``DELETE … WHERE id = :key``, prepared."""
        table = mapped.table
        return self.prepared(
            ("delete", mapped.kind.cls),
            lambda: table.delete().where(table.c.id == sa.bindparam("key")),
        )

    def locking(self, mapped: MappedKind, *, read: bool = False) -> Prepared:
        """``SELECT id … WHERE id = :key FOR UPDATE`` (PostgreSQL), prepared.

        With ``read`` it selects the whole row: the lock and the read in one statement.
        """
        table = mapped.table
        columns = [table] if read else [table.c.id]
        return self.prepared(
            ("lock", mapped.kind.cls, read),
            lambda: sa.select(*columns).where(table.c.id == sa.bindparam("key")).with_for_update(),
        )

    def locking_parent(self, mapped: MappedKind, child: MappedKind, field: str) -> Prepared:
        """``SELECT … WHERE id = (SELECT <field> FROM <child> WHERE id = :key) FOR
        UPDATE`` (PostgreSQL), prepared: a record locked through its child, in one
        statement."""
        table, child_table = mapped.table, child.table
        parent_id = (
            sa.select(child_table.c[field])
            .where(child_table.c.id == sa.bindparam("key"))
            .scalar_subquery()
        )
        return self.prepared(
            ("lock parent", mapped.kind.cls, child.kind.cls, field),
            lambda: sa.select(table).where(table.c.id == parent_id).with_for_update(),
        )

    def aggregating(
        self,
        mapped: MappedKind,
        where: Where | None,
        group_by: Sequence[GroupBy],
        counts: Mapping[str, Where],
        sums: Sequence[str],
    ) -> tuple[Prepared, dict[str, Any]] | None:
        """A prepared ``aggregate`` or ``count`` (plain fields and comparisons only), as
        :meth:`by_values`."""
        if not all(isinstance(entry, str) for entry in group_by):
            return None
        dialect = self._engine.dialect
        found = where_shape(mapped, where, dialect)
        if found is None:
            return None
        shape, values = found
        named: list[tuple[ShapeEntry, ...]] = []
        for number, extra in enumerate(counts.values()):
            extra_found = where_shape(mapped, extra, dialect, prefix=f"c{number}_")
            if extra_found is None:
                return None
            named.append(extra_found[0])
            values.update(extra_found[1])

        def build() -> ClauseElement:
            groups, source = grouping(mapped, list(group_by), dialect)
            return aggregate_select(
                mapped,
                groups,
                source,
                where_template(mapped, shape, dialect),
                [
                    where_template(mapped, extra, dialect, prefix=f"c{number}_")
                    for number, extra in enumerate(named)
                ],
                sums,
            )

        key = ("aggregate", mapped.kind.cls, shape, tuple(group_by), tuple(named), tuple(sums))
        return self.prepared(key, build), values

    def writer(self, mapped: MappedKind) -> BulkWriter:
        """The bulk writer of a kind, built on first use."""
        writer = self._writers.get(mapped.kind.cls)
        if writer is None:
            writer = BulkWriter.of(mapped, self._engine.dialect)
            self._writers[mapped.kind.cls] = writer
        return writer

    def transaction(self, *, read_only: bool = False) -> AbstractContextManager[Transaction]:
        if self.read_only_reason is not None:
            refusal: str | None = f"the database is opened read-only ({self.read_only_reason})"
        else:
            refusal = "the transaction is read-only" if read_only else None
        return _TransactionScope(self, self._local, self._connections, refusal)

    def translated(self, action: str) -> translated:
        """A block whose driver errors become StorageError naming this store."""
        # Stateless, and entered around every statement: one per action is enough.
        found = self._translators.get(action)
        if found is None:
            found = self._translators[action] = translated(self.url, action, self._drivers)
        return found

    def close(self) -> None:
        """Close the pooled connections; the store cannot be used afterwards."""
        self._connections.close()
        self._engine.dispose()

    def __repr__(self) -> str:
        return f"<SQLStorage {self.url}>"


class _TransactionScope:
    """One transaction of a store, as the context manager ``transaction`` returns.

    A class rather than a generator, as it wraps every read: it marks the thread as in
    a transaction (they do not nest), takes the connection's transaction (see
    :mod:`~cpnetwork.storage.sql_connections`), and turns the driver errors of both,
    and of the block, into StorageError.
    """

    __slots__ = ("_connections", "_local", "_refusal", "_scope", "_storage", "_tx")

    def __init__(
        self,
        storage: SQLStorage,
        local: threading.local,
        connections: ThreadConnections,
        refusal: str | None,
    ) -> None:
        """``local`` is the store's per-thread state, ``connections`` its connections."""
        self._storage = storage
        self._local = local
        self._connections = connections
        self._refusal = refusal

    def __enter__(self) -> SQLTransaction:
        storage, local = self._storage, self._local
        if getattr(local, "active", False):
            raise StorageError("storage", storage.url, "transactions do not nest")
        local.active = True
        try:
            with storage.translated("the transaction"):
                scope = self._connections.transaction(read_only=self._refusal is not None)
                connection = scope.__enter__()
        except BaseException:
            local.active = False
            raise
        self._scope = scope
        self._tx = SQLTransaction(storage, connection, refusal=self._refusal)
        return self._tx

    def __exit__(self, kind: Any, exc: BaseException | None, traceback: Any) -> None:
        storage = self._storage
        try:
            with storage.translated("the transaction"):
                try:
                    self._tx.close_results()
                finally:
                    # Neither kind of connection scope swallows the block's error.
                    self._scope.__exit__(kind, exc, traceback)
            if exc is not None:  # the block's own driver error becomes a StorageError
                storage.translated("the transaction").__exit__(kind, exc, traceback)
        finally:
            self._local.active = False


def _driver_integrity_error(engine: sa.Engine) -> tuple[type[BaseException], ...]:
    error = getattr(engine.dialect.loaded_dbapi, "IntegrityError", None)
    return (error,) if isinstance(error, type) and issubclass(error, BaseException) else ()


def _translated(
    action: str,
) -> Callable[
    [Callable[Concatenate[SQLTransaction, P], T]], Callable[Concatenate[SQLTransaction, P], T]
]:
    """Run a transaction method with driver errors turned into StorageError."""

    def decorate(
        method: Callable[Concatenate[SQLTransaction, P], T],
    ) -> Callable[Concatenate[SQLTransaction, P], T]:
        @wraps(method)
        def run(self: SQLTransaction, /, *args: P.args, **kwargs: P.kwargs) -> T:
            with self._storage.translated(action):
                return method(self, *args, **kwargs)

        return run

    return decorate


def parameter_limit(connection: sa.Connection) -> int:
    """How many parameters one statement may bind on this connection."""
    if connection.dialect.name == "postgresql":
        return POSTGRES_PARAMETERS
    driver = connection.connection.driver_connection
    if isinstance(driver, sqlite3.Connection):
        return driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return SQLITE_PARAMETERS  # pragma: no cover - another SQLite driver


def _by_kind(records: list[Any]) -> dict[type, list[Any]]:
    """The records grouped by class, classes in order of first appearance."""
    groups: dict[type, list[Any]] = {}
    for record in records:
        group = groups.get(type(record))
        if group is None:
            groups[type(record)] = group = []
        group.append(record)
    return groups


class SQLTransaction(Transaction):
    """One database transaction on one pooled connection."""

    def __init__(
        self, storage: SQLStorage, connection: sa.Connection, *, refusal: str | None = None
    ) -> None:
        self._storage = storage
        self._connection = connection
        #: Why writes are refused (a read-only transaction or database), or None.
        self._refusal = refusal
        # SQLite's BEGIN IMMEDIATE holds the database's one write lock from the start.
        self.serializes_writers = connection.dialect.name == "sqlite"
        #: The results of the scans begun in this transaction (see close_results).
        self._open_results: list[sa.CursorResult[Any]] | None = None

    def _writable(self, operation: str) -> None:
        if self._refusal is not None:
            raise refused(self._storage.url, operation, self._refusal)

    def _mapped(self, cls: type) -> MappedKind:
        return self._storage.mapped(cls)

    # reads -------------------------------------------------------------------
    @_translated("get")
    def get(self, cls: type[R], record_id: str) -> R | None:
        mapped = self._mapped(cls)
        query = self._storage.by_id(mapped)
        rows = query.rows(query.execute(self._connection, {"id": record_id}))
        record: R | None = mapped.from_values(rows[0]) if rows else None
        return record

    @_translated("find")
    def find(
        self,
        cls: type[R],
        where: Where | None = None,
        *,
        order_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[R]:
        mapped = self._mapped(cls)
        cached = self._storage.by_values(mapped, where, tuple(order_by), limit)
        if cached is not None:
            prepared, params = cached
            values = prepared.rows(prepared.execute(self._connection, params))
            return [mapped.from_values(row) for row in values]
        query = (
            sa.select(mapped.table)
            .where(where_clause(mapped, where, self._connection.dialect, self._mapped))
            .order_by(*order_clauses(mapped, list(order_by)))
        )
        if limit is not None:
            query = query.limit(limit)
        return [mapped.from_values(row) for row in self._connection.execute(query)]

    @_translated("scan")
    def scan(
        self,
        cls: type[R],
        where: Where | None = None,
        *,
        order_by: Sequence[str] = (),
        chunk_size: int = SCAN_ROWS,
    ) -> Iterator[R]:
        """Matching records one by one, fetched ``chunk_size`` rows at a time.

        PostgreSQL reads through a server-side cursor; SQLite steps its cursor as the
        rows are taken.  The query is checked when called; iterate inside the
        transaction.
        """
        mapped = self._mapped(cls)
        query = (
            sa.select(mapped.table)
            .where(where_clause(mapped, where, self._connection.dialect, self._mapped))
            .order_by(*order_clauses(mapped, list(order_by)))
            .execution_options(stream_results=True, yield_per=max(1, chunk_size))
        )
        return self._scan(mapped, query)

    def _scan(self, mapped: MappedKind, query: sa.Select[Any]) -> Iterator[Any]:
        with self._storage.translated("scan"):
            result = self._connection.execute(query)
            if self._open_results is None:
                self._open_results = []
            self._open_results.append(result)
            try:
                for rows in result.partitions():
                    for row in rows:
                        yield mapped.from_values(row)
            finally:
                result.close()

    def close_results(self) -> None:
        """Close the results of scans left unfinished, as the transaction ends.

        A scan's generator may be collected later, when its connection serves another
        transaction: its cursor must be gone by then, or closing it would fail there.
        """
        if self._open_results is not None:
            results, self._open_results = self._open_results, None
            for result in results:
                result.close()

    @_translated("count")
    def count(
        self, cls: type, where: Where | None = None, *, group_by: Sequence[GroupBy] = ()
    ) -> dict[tuple[Any, ...], int]:
        # A count is an aggregate with no named counts or sums: the same one query.
        groups = self.aggregate(cls, where, group_by=group_by)
        return {key: group.count for key, group in groups.items()}

    @_translated("total")
    def total(
        self,
        cls: type,
        field_name: str,
        where: Where | None = None,
        *,
        group_by: Sequence[GroupBy] = (),
    ) -> dict[tuple[Any, ...], float]:
        mapped = self._mapped(cls)
        dialect = self._connection.dialect
        groups, source = grouping(mapped, list(group_by), dialect)
        summed = sa.func.coalesce(sa.func.sum(numeric_column(mapped, field_name)), 0)
        query = sa.select(*groups, summed).select_from(source)
        query = query.where(where_clause(mapped, where, dialect, self._mapped)).group_by(*groups)
        rows = self._connection.execute(query)
        return {tuple(row[:-1]): float(row[-1]) for row in rows}

    @_translated("claim")
    def claim(
        self,
        cls: type[R],
        where: Where | None = None,
        *,
        order_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[R]:
        self._writable("claim")
        mapped = self._mapped(cls)
        query = (
            sa.select(mapped.table)
            .where(where_clause(mapped, where, self._connection.dialect, self._mapped))
            .order_by(*order_clauses(mapped, list(order_by)))
        )
        if limit is not None:
            query = query.limit(limit)
        if self._connection.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        # SQLite: BEGIN IMMEDIATE holds the write lock, so no other writer holds a row.
        return [mapped.from_values(row) for row in self._connection.execute(query)]

    @_translated("delete_where")
    def delete_where(self, cls: type, where: Where) -> int:
        self._writable("delete_where")
        mapped = self._mapped(cls)
        if not where:
            raise ValidationError(mapped.record_name, None, "delete_where needs a condition")
        condition = where_clause(mapped, where, self._connection.dialect, self._mapped)
        result = self._connection.execute(mapped.table.delete().where(condition))
        return int(result.rowcount)

    @_translated("aggregate")
    def aggregate(
        self,
        cls: type,
        where: Where | None = None,
        *,
        group_by: Sequence[GroupBy] = (),
        counts: Mapping[str, Where] = {},
        sums: Sequence[str] = (),
    ) -> dict[tuple[Any, ...], Aggregate]:
        """One query: ``COUNT(*)``, ``SUM(CASE WHEN condition ...)`` per named count,
        ``SUM(field)`` and ``COUNT(field)`` per summed field."""
        check_counts(cls, where, counts)
        mapped = self._mapped(cls)
        prepared = self._storage.aggregating(mapped, where, group_by, counts, sums)
        if prepared is not None:
            statement, params = prepared
            rows: Iterable[Sequence[Any]] = statement.rows(
                statement.execute(self._connection, params)
            )
            width = len(group_by)
        else:
            dialect = self._connection.dialect
            groups, source = grouping(mapped, list(group_by), dialect)
            query = aggregate_select(
                mapped,
                groups,
                source,
                where_clause(mapped, where, dialect, self._mapped),
                [where_clause(mapped, extra, dialect, self._mapped) for extra in counts.values()],
                sums,
            )
            rows = self._connection.execute(query)
            width = len(groups)
        answer: dict[tuple[Any, ...], Aggregate] = {}
        for row in rows:
            values = list(row[width:])
            named = values[1 : 1 + len(counts)]
            pairs = values[1 + len(counts) :]
            answer[tuple(row[:width])] = Aggregate(
                count=int(values[0]),
                counts={n: int(v) for n, v in zip(counts, named, strict=True)},
                sums={f: float(pairs[2 * i]) for i, f in enumerate(sums)},
                present={f: int(pairs[2 * i + 1]) for i, f in enumerate(sums)},
            )
        return answer

    @_translated("lock")
    def lock(self, cls: type, record_id: str) -> None:
        self._writable("lock")
        mapped = self._mapped(cls)
        if self._connection.dialect.name == "postgresql":
            statement = self._storage.locking(mapped)
            statement.rows(statement.execute(self._connection, {"key": record_id}))
        # SQLite: BEGIN IMMEDIATE already holds the database's write lock.

    @_translated("get_with")
    def get_with(
        self, cls: type[R], record_id: str, related: Mapping[str, Related]
    ) -> tuple[R | None, dict[str, list[Any]]]:
        """One statement joining the relations (see :mod:`~cpnetwork.storage.sql_joined`)."""
        main = self._mapped(cls)
        dialect = self._connection.dialect
        resolved = sql_joined.relations(main, related, self._mapped, dialect)
        if resolved is None:
            return super().get_with(cls, record_id, related)
        found, values = resolved
        statement = self._storage.prepared(
            ("get_with", cls, tuple(relation.key for relation in found)),
            lambda: sql_joined.joined_select(main, found, dialect),
        )
        rows = statement.rows(statement.execute(self._connection, {**values, "id": record_id}))
        record, lists = sql_joined.split_rows(main, found, rows)
        return record, lists

    @_translated("lock")
    def locked(self, cls: type[R], record_id: str) -> R | None:
        self._writable("lock")
        mapped = self._mapped(cls)
        if self._connection.dialect.name != "postgresql":
            return self.get(cls, record_id)  # BEGIN IMMEDIATE holds the write lock
        statement = self._storage.locking(mapped, read=True)
        rows = statement.rows(statement.execute(self._connection, {"key": record_id}))
        record: R | None = mapped.from_values(rows[0]) if rows else None
        return record

    @_translated("lock")
    def locked_parent(self, cls: type[R], child: type, child_id: str, field: str) -> R | None:
        self._writable("lock")
        if self._connection.dialect.name != "postgresql":
            return super().locked_parent(cls, child, child_id, field)
        check_parent_field(child, field)
        mapped, child_mapped = self._mapped(cls), self._mapped(child)
        statement = self._storage.locking_parent(mapped, child_mapped, field)
        rows = statement.rows(statement.execute(self._connection, {"key": child_id}))
        record: R | None = mapped.from_values(rows[0]) if rows else None
        return record

    # writes ------------------------------------------------------------------
    @_translated("insert")
    def insert(self, record: Any) -> None:
        self._writable("insert")
        self._insert(self._mapped(type(record)), [record])

    @_translated("insert_many")
    def insert_many(self, records: Iterable[Any]) -> None:
        """Insert records from any iterable, :data:`CHUNK_ROWS` at a time, in batched writes.

        The records are read chunk by chunk, never all at once, so a generator of a
        million records costs the memory of one chunk.  In each chunk the records are
        grouped by kind, in order of first appearance, and big groups take the bulk
        path (:mod:`cpnetwork.storage.sql_bulk`): one ``executemany`` per chunk on
        SQLite, one COPY on PostgreSQL.  The call runs in one savepoint: a refused row
        raises DuplicateError naming the key and undoes the whole call, and the
        transaction goes on.

        A list or tuple is written with that one savepoint only; when the database
        refuses a row, everything is undone and written again guarded (a savepoint per
        chunk, and a refused chunk row by row) to name the key.  A one-shot iterable
        cannot be read twice, so it is written guarded from the start.
        """
        self._writable("insert_many")
        if isinstance(records, Sequence) and len(records) == 1:
            # One row is one statement, refused whole or written: no savepoint to undo.
            self._insert(self._mapped(type(records[0])), [records[0]])
            return
        if isinstance(records, Sequence):
            try:
                self._write_chunks(records, guarded=False)
            except self._storage.refusals:
                self._write_chunks(records, guarded=True)  # raises DuplicateError
            return
        self._write_chunks(records, guarded=True)

    def _write_chunks(self, records: Iterable[Any], *, guarded: bool) -> None:
        source = iter(records)
        chunk = list(islice(source, CHUNK_ROWS))
        if not chunk:
            return
        dialect = self._connection.dialect
        # Kinds that took the bulk path keep it, so a short last chunk is no INSERT.
        bulk: set[type] = set()
        with self._savepoint():
            while chunk:
                for cls, batch in _by_kind(chunk).items():
                    mapped = self._mapped(cls)
                    if cls not in bulk and not BulkWriter.worth_it(dialect, len(batch)):
                        self._insert_batches(mapped, batch)
                        continue
                    bulk.add(cls)
                    if guarded:
                        self._insert_bulk(mapped, batch)
                    else:
                        self._storage.writer(mapped).write(self._connection, batch)
                chunk = list(islice(source, CHUNK_ROWS))

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        """A savepoint undoing the block when it raises, the block's error kept.

        SQLite ends the whole transaction on some errors (a full disk, an I/O error);
        the savepoint is then gone and rolling back to it fails.  The block's error is
        what the caller must see, not "no such savepoint".
        """
        savepoint = self._connection.begin_nested()
        try:
            yield
        except BaseException as exc:
            try:
                savepoint.rollback()
            except sa.exc.SQLAlchemyError:
                raise exc from None
            raise
        savepoint.commit()

    def _batch_rows(self, mapped: MappedKind) -> int:
        """Rows per multi-row INSERT: at most BATCH_SIZE, and rows times columns under the limit."""
        columns = len(mapped.table.columns)
        return max(1, min(BATCH_SIZE, parameter_limit(self._connection) // columns))

    def _insert_batches(self, mapped: MappedKind, records: list[Any]) -> None:
        size = self._batch_rows(mapped)
        for start in range(0, len(records), size):
            self._insert(mapped, records[start : start + size])

    def _insert_bulk(self, mapped: MappedKind, records: list[Any]) -> None:
        """The bulk path; a refused row undoes the whole batch and raises DuplicateError.

        When the database refuses a row, the batch is written again through
        ``_insert``, which names the key that is taken.
        """
        writer = self._storage.writer(mapped)
        try:
            with self._savepoint():
                writer.write(self._connection, records)
        except self._storage.refusals:
            self._insert_batches(mapped, records)

    def _insert(self, mapped: MappedKind, records: list[Any]) -> None:
        """One multi-row INSERT; keep ``len(records)`` times columns under the parameter limit."""
        if len(records) == 1:
            self._insert_one(mapped, records[0])
            return
        rows = [mapped.to_row(record) for record in records]
        insert = (
            postgresql.insert if self._connection.dialect.name == "postgresql" else sqlite.insert
        )
        statement = insert(mapped.table).on_conflict_do_nothing().returning(mapped.table.c.id)
        written = Counter(self._connection.execute(statement, rows).scalars())
        for record in records:
            if written[record.id] > 0:
                written[record.id] -= 1
            else:
                raise self._duplicate(mapped, record)

    def _insert_one(self, mapped: MappedKind, record: Any) -> None:
        statement = self._storage.inserting(mapped)
        values = {f"v_{name}": value for name, value in mapped.to_row(record).items()}
        if not statement.rows(statement.execute(self._connection, values)):
            raise self._duplicate(mapped, record)

    @_translated("update")
    def update(self, record: Any) -> None:
        self._writable("update")
        mapped = self._mapped(type(record))
        statement = self._storage.updating(mapped)
        values = {f"v_{name}": value for name, value in mapped.to_row(record).items()}
        values["key"] = record.id
        # SQLite undoes only a refused statement and keeps the transaction going; on
        # PostgreSQL the statement itself leaves out a row whose unique key is taken.
        try:
            cursor = statement.execute(self._connection, values)
        except self._storage.refusals:
            raise self._taken_key(mapped, record) from None
        updated = cursor.rowcount
        cursor.close()
        if updated == 0:
            if not self._exists(mapped, record.id):
                raise NotFoundError(mapped.record_name, record.id)
            raise self._taken_key(mapped, record)

    @_translated("delete")
    def delete(self, cls: type, record_id: str) -> None:
        self._writable("delete")
        mapped = self._mapped(cls)
        cursor = self._storage.deleting(mapped).execute(self._connection, {"key": record_id})
        deleted = cursor.rowcount
        cursor.close()
        if deleted == 0:
            raise NotFoundError(mapped.record_name, record_id)

    def _duplicate(self, mapped: MappedKind, record: Any) -> DuplicateError:
        """The DuplicateError for a refused write, naming the key that is taken."""
        if self._exists(mapped, record.id):
            return DuplicateError(mapped.record_name, record.id, "id is already taken")
        return self._taken_key(mapped, record)

    def _exists(self, mapped: MappedKind, record_id: str) -> bool:
        table = mapped.table
        query = sa.select(table.c.id).where(table.c.id == record_id)
        return self._connection.execute(query).first() is not None

    def _taken_key(self, mapped: MappedKind, record: Any) -> DuplicateError:
        """The DuplicateError naming which unique key of ``record`` another row holds."""
        table, row = mapped.table, mapped.to_row(record)
        for key in mapped.kind.unique:
            values = tuple(row[name] for name in key)
            if None in values:
                continue
            matches = [table.c[name] == value for name, value in zip(key, values, strict=True)]
            owner = sa.select(table.c.id).where(table.c.id != record.id, *matches).limit(1)
            if self._connection.execute(owner).first() is not None:
                shown = ", ".join(f"{k}={v!r}" for k, v in zip(key, values, strict=True))
                return DuplicateError(mapped.record_name, record.id, f"{shown} is already taken")
        return DuplicateError(mapped.record_name, record.id, "a unique key is already taken")
