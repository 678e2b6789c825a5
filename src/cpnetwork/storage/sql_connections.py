"""The connection each transaction runs on: on SQLite, one kept per thread.

Taking a connection from SQLAlchemy's pool and giving it back (with the pool's reset)
costs more than a read by id on SQLite, so a SQLite store keeps one connection per
thread between transactions.  A SQLite connection is a file handle, not a server
session, so keeping one per thread costs the database nothing; the pool lets as many
as there are threads.  A PostgreSQL connection is a server process: those go back to
the pool after every transaction, where they are shared.

A kept connection's transactions are begun and ended on the driver
(:class:`KeptTransaction`): SQLAlchemy's own bookkeeping of a transaction cost several
times a read by id.  A Core statement run inside still works: SQLAlchemy then begins
its transaction over the driver's (the engine's ``begin`` listener sees the driver
already in one and sends nothing), and it is ended with the driver's.

A kept connection is dropped (closed, and made afresh by the next transaction) when a
transaction on it fails in the driver or cannot be rolled back (the library's own
errors, such as a record not found, roll back and keep it), when its thread ends, and
in a child process after ``fork``, which never touches its parent's connections.
``close`` closes every kept one.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import sqlalchemy as sa

from cpnetwork.errors import CpnetworkError
from cpnetwork.storage.sql_engine import READ_ONLY_OPTION, begin_sqlite


class _Kept:
    """A thread's connection; closed when the thread ends and its locals go."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection: sa.Connection | None = connection
        self.pid = os.getpid()

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None and self.pid == os.getpid():
            connection.close()

    def __del__(self) -> None:
        self.close()


class ThreadConnections:
    """Connections for transactions: kept per thread (``keep``) or pooled each time."""

    def __init__(self, engine: sa.Engine, *, keep: bool) -> None:
        self._engine = engine
        self._keep = keep
        self._local = threading.local()
        self._all: weakref.WeakSet[_Kept] = weakref.WeakSet()
        self._lock = threading.Lock()

    def transaction(self, *, read_only: bool) -> AbstractContextManager[sa.Connection]:
        """A transaction's connection, committed unless the block raises.

        ``read_only`` marks it on the connection (``READ_ONLY_OPTION`` in its info,
        read by the engine's ``begin`` listener) and, on PostgreSQL, starts it with
        ``BEGIN READ ONLY``; a SQLite write transaction starts with ``BEGIN IMMEDIATE``.
        """
        if self._keep:
            return KeptTransaction(self, read_only=read_only)
        return self._pooled_transaction(read_only=read_only)

    @contextmanager
    def _pooled_transaction(self, *, read_only: bool) -> Iterator[sa.Connection]:
        with self._engine.connect() as connection:
            connection.info[READ_ONLY_OPTION] = read_only
            if read_only and connection.dialect.name == "postgresql":
                # psycopg then starts it with BEGIN READ ONLY: no statement of its own.
                connection.execution_options(postgresql_readonly=True)
            with connection.begin():
                yield connection

    def kept(self) -> sa.Connection:
        """This thread's kept connection, made on first use."""
        kept: _Kept | None = getattr(self._local, "kept", None)
        if kept is not None and kept.connection is not None and kept.pid == os.getpid():
            return kept.connection
        fresh = _Kept(self._engine.connect())
        self._local.kept = fresh
        with self._lock:
            self._all.add(fresh)
        assert fresh.connection is not None
        return fresh.connection

    def drop(self) -> None:
        """Close this thread's kept connection; the next transaction makes another."""
        kept: _Kept | None = getattr(self._local, "kept", None)
        self._local.kept = None
        if kept is not None:
            kept.close()

    def close(self) -> None:
        """Close every kept connection (of every thread)."""
        with self._lock:
            kept = list(self._all)
            self._all.clear()
        for each in kept:
            each.close()


class KeptTransaction:
    """A transaction on the thread's kept connection, begun and ended on the driver.

    A block that raises is rolled back; the connection is dropped unless the error is
    the library's own (a refused record, a missing one) and the rollback worked: one
    whose block failed in the driver, or whose rollback failed, may be in any state.
    A class rather than a generator, as it wraps every read.
    """

    __slots__ = ("_connection", "_connections", "_read_only")

    def __init__(self, connections: ThreadConnections, *, read_only: bool) -> None:
        self._connections = connections
        self._read_only = read_only

    def __enter__(self) -> sa.Connection:
        connection = self._connection = self._connections.kept()
        # The connection's own info, so it is set afresh for every transaction.
        connection.info[READ_ONLY_OPTION] = self._read_only
        try:
            begin_sqlite(connection, read_only=self._read_only)
        except BaseException:
            self._connections.drop()
            raise
        return connection

    def __exit__(self, kind: object, exc: BaseException | None, traceback: object) -> None:
        try:
            _end(self._connection, commit=exc is None)
        except BaseException:
            self._connections.drop()
            if exc is None:
                raise
            raise exc from None  # the block's error is the one to see
        if exc is not None and not isinstance(exc, CpnetworkError):
            self._connections.drop()


def _end(connection: sa.Connection, *, commit: bool) -> None:
    if connection.in_transaction():  # begun by SQLAlchemy for a Core statement inside
        if commit:
            connection.commit()
        else:
            connection.rollback()
    driver: Any = connection.connection.dbapi_connection
    if driver.in_transaction:  # SQLite may have ended it itself (a full disk, say)
        if commit:
            driver.commit()
        else:
            driver.rollback()
