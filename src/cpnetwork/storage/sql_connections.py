"""The connection each transaction runs on: on SQLite, one kept per thread.

Taking a connection from SQLAlchemy's pool and giving it back (with the pool's reset)
costs more than a read by id on SQLite, so a SQLite store keeps one connection per
thread between transactions.  A SQLite connection is a file handle, not a server
session, so keeping one per thread costs the database nothing; the pool lets as many
as there are threads.  A PostgreSQL connection is a server process: those go back to
the pool after every transaction, where they are shared.

A kept connection is dropped (closed, and made afresh by the next transaction) when a
transaction on it fails, when its thread ends, and in a child process after ``fork``,
which never touches its parent's connections.  ``close`` closes every kept one.

A kept connection's transactions are begun and ended on the driver
(:func:`driver_transaction`): SQLAlchemy's own bookkeeping of a transaction cost
several times a read by id.  A Core statement run inside still works: SQLAlchemy then
begins its transaction over the driver's (the engine's ``begin`` listener sees the
driver already in one and sends nothing), and it is ended with the driver's.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from cpnetwork.storage.sql_prepared import run_on_driver


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

    @property
    def kept(self) -> bool:
        """Whether connections are kept per thread (and their transactions run on the driver)."""
        return self._keep

    @contextmanager
    def connection(self) -> Iterator[sa.Connection]:
        """A connection for one transaction; a failure drops a kept one."""
        if not self._keep:
            with self._engine.connect() as connection:
                yield connection
            return
        kept = self._kept()
        try:
            yield kept
        except BaseException:
            self._drop()
            raise

    def _kept(self) -> sa.Connection:
        kept: _Kept | None = getattr(self._local, "kept", None)
        if kept is not None and kept.connection is not None and kept.pid == os.getpid():
            return kept.connection
        fresh = _Kept(self._engine.connect())
        self._local.kept = fresh
        with self._lock:
            self._all.add(fresh)
        assert fresh.connection is not None
        return fresh.connection

    def _drop(self) -> None:
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


@contextmanager
def driver_transaction(connection: sa.Connection, *, immediate: bool) -> Iterator[None]:
    """A SQLite transaction begun and ended on the driver, committed unless the block raises.

    ``immediate`` takes the database's write lock at ``BEGIN`` (``BEGIN IMMEDIATE``),
    so writers queue there rather than fail when they first write.
    """
    run_on_driver(connection, "BEGIN IMMEDIATE" if immediate else "BEGIN").close()
    try:
        yield
    except BaseException:
        _end(connection, commit=False)
        raise
    _end(connection, commit=True)


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
