"""Engines for the URLs the SQL store serves, and the translation of driver errors.

SQLite runs in WAL mode (readers do not block the writer) with foreign keys on and a
busy timeout, and every writing transaction starts with ``BEGIN IMMEDIATE`` so writers
serialize at the start of a transaction instead of failing half-way with "database is
locked".  A read-only transaction (:data:`READ_ONLY_OPTION` set in the connection's
``info``) starts with a plain deferred ``BEGIN`` instead: in WAL mode it
reads a snapshot and never waits for the writer.  pysqlite's own transaction handling
is switched off for that, following SQLAlchemy's documented recipe.

A new SQLite file is created owner-only (mode 0600) before SQLite opens it; SQLite
gives its ``-wal`` and ``-shm`` files the same mode.

A SQLite file that cannot be written (``?mode=ro`` in the URL, or a file or folder
that is not writable, as on a read-only medium) is opened read-only through a SQLite
URI (``file:…?mode=ro``, adding ``immutable=1`` when nothing can write beside it);
then no connection sets WAL or writes anything (see :func:`sqlite_read_only`).

Each SQLite connection also gets the SQL function ``cpnetwork_month(utc_text, zone)``
that grouping by :class:`~cpnetwork.storage.base.Month` calls (SQLite has no
time-zone rules of its own).  PostgreSQL URLs run on psycopg 3.

A PostgreSQL connection taken from the pool is pinged first (the dialect's own
``do_ping``) when the server has sent it something while it sat idle (a server ending
the session, on a restart or ``pg_terminate_backend``, says so and closes the socket,
which then reads as ready without a round trip) or when it has been idle for
:data:`PING_AFTER_IDLE_SECONDS` (a link that dropped silently).  A dead one is replaced
before a transaction runs on it.  Pinging every checkout, as ``pool_pre_ping`` does,
cost a round trip per transaction, as much as the read it preceded.
"""

from __future__ import annotations

import contextlib
import functools
import os
import select
import sqlite3
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import exc as sa_exc

from cpnetwork.errors import CpnetworkError, StorageError, ValidationError
from cpnetwork.files import create_private
from cpnetwork.storage.base import calendar_month
from cpnetwork.storage.sql_prepared import run_on_driver
from cpnetwork.storage.sql_types import json_loads
from cpnetwork.storage.sql_url import POSTGRES_DRIVERS, SQLITE_DRIVERS, masked

#: How long a SQLite transaction waits for another writer before giving up.
BUSY_TIMEOUT_SECONDS = 30
#: The SQLite function giving the month of a stored UTC instant in a time zone.
MONTH_FUNCTION = "cpnetwork_month"
#: The key in a connection's ``info`` marking its transaction read-only.
READ_ONLY_OPTION = "cpnetwork_read_only"
#: A pooled PostgreSQL connection idle this long is pinged before it is used.
PING_AFTER_IDLE_SECONDS = 5.0
#: The key in a pooled connection's ``info`` holding when it was last given back.
_RETURNED_AT = "cpnetwork_returned_at"


def _parse(url: str) -> sa.URL:
    try:
        return sa.make_url(url)
    except sa_exc.ArgumentError as exc:
        raise ValidationError("storage", None, f"not a database URL: {masked(str(exc))}") from exc


def display_url(url: str) -> str:
    """The URL with its secrets hidden (:func:`~cpnetwork.storage.sql_url.masked`).

    This is what messages and ``Storage.url`` show.
    """
    return masked(_parse(url).render_as_string(hide_password=True))


def engine_url(url: str) -> sa.URL:
    """The SQLAlchemy URL: plain ``postgresql://`` runs on psycopg 3."""
    parsed = _parse(url)
    if parsed.drivername in POSTGRES_DRIVERS:
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername in SQLITE_DRIVERS:
        return parsed
    raise ValidationError("storage", display_url(url), "not a SQLite or PostgreSQL URL")


def _sqlite_file(parsed: sa.URL) -> Path | None:
    """The file a SQLite URL names, or None for an in-memory database."""
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def sqlite_path(url: str) -> Path | None:
    """The file a SQLite URL names; None for another database or one in memory."""
    parsed = _parse(url)
    return _sqlite_file(parsed) if parsed.drivername in SQLITE_DRIVERS else None


def sqlite_read_only(url: str) -> str | None:
    """Why a SQLite URL must be opened read-only, or None when it can be written.

    ``?mode=ro`` asks for it; an existing file that is not writable, or whose folder
    is not (SQLite writes its WAL files beside the database), needs it.  The check
    asks the operating system (``os.access``), so a read-only mount counts even for
    root.  PostgreSQL URLs and new files are never read-only.
    """
    parsed = _parse(url)
    if parsed.drivername not in SQLITE_DRIVERS:
        return None
    if parsed.query.get("mode") == "ro":
        return "mode=ro"
    path = _sqlite_file(parsed)
    if path is None or not path.exists():
        return None
    if not os.access(path, os.W_OK):
        return f"{path} is not writable"
    if not os.access(path.parent, os.W_OK):
        return f"the folder of {path} is not writable"
    return None


def _read_only_url(parsed: sa.URL) -> sa.URL:
    """The SQLite URI opening the file read-only, without creating or writing anything."""
    path = _sqlite_file(parsed)
    if path is None:
        return parsed.update_query_dict({"mode": "ro", "uri": "true"})
    query = {"mode": "ro", "uri": "true"}
    wal = path.with_name(path.name + "-wal")
    if not os.access(path.parent, os.W_OK) and not wal.exists():
        # Nothing can write here (a writer needs a -wal or journal file beside it), and
        # SQLite could not make the shared-memory file WAL readers need: read it as is.
        query["immutable"] = "1"
    kept = {k: v for k, v in parsed.query.items() if k not in ("mode", "uri")}
    return parsed.set(database=f"file:{quote(str(path.absolute()))}", query={**kept, **query})


def create_engine(url: str, *, read_only: bool = False) -> sa.Engine:
    """A pooled engine for ``url``, set up as the module docstring says.

    With ``read_only`` a SQLite file that could be written is opened with
    ``PRAGMA query_only``: SQLite refuses every change, and the last connection to
    close still tidies the ``-wal`` and ``-shm`` files away as a writer's would.  A
    file that cannot be written (or ``?mode=ro``), or a missing one asked for
    read-only, is opened through a read-only URI instead.  A SQLite file that does
    not exist yet is created here, empty and owner-only (mode 0600), so its ``-wal``
    and ``-shm`` files, which SQLite gives the database's mode, are private too.
    """
    target = engine_url(url)
    if target.get_backend_name() == "sqlite":
        path = _sqlite_file(target)
        missing = path is not None and not path.exists()
        uri_read_only = sqlite_read_only(url) is not None or (read_only and missing)
        if uri_read_only:
            target = _read_only_url(target)
        elif not read_only:
            _create_private(target)
        read_only = read_only or uri_read_only
        timeout = busy_timeout(target)
        target = target.difference_update_query(["timeout"])
        # A file database's store keeps one connection per thread (see sql_connections):
        # the pool must not cap how many threads there are.
        pooling = {} if _in_memory(target) else {"max_overflow": -1}
        engine = sa.create_engine(
            target, connect_args={"timeout": timeout}, json_deserializer=json_loads, **pooling
        )
        set_up = functools.partial(
            _sqlite_set_up, wal=not read_only, query_only=read_only, timeout=timeout
        )
        event.listen(engine, "connect", lambda dbapi, record: set_up(dbapi))
        event.listen(engine, "begin", _sqlite_begin_deferred if read_only else _sqlite_begin)
        return engine
    engine = sa.create_engine(target, json_deserializer=json_loads)
    event.listen(engine, "checkin", _returned)
    event.listen(engine, "checkout", functools.partial(_ping_if_idle, engine.dialect))
    return engine


def _has_input(dbapi_connection: Any) -> bool:
    """Whether an idle connection's socket has something to read (or is closed)."""
    try:
        readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except (OSError, ValueError):  # no socket left to ask
        return True
    return bool(readable)


def _returned(dbapi_connection: Any, record: Any) -> None:
    record.info[_RETURNED_AT] = time.monotonic()


def _ping_if_idle(dialect: sa.Dialect, dbapi_connection: Any, record: Any, proxy: Any) -> None:
    returned = record.info.get(_RETURNED_AT)
    if returned is None:
        return  # made for this checkout
    recent = time.monotonic() - returned < PING_AFTER_IDLE_SECONDS
    if recent and not _has_input(dbapi_connection):
        return
    try:
        alive = dialect.do_ping(dbapi_connection)
    except Exception:
        alive = False
    if not alive:
        # The pool's documented answer: it discards this connection and makes another.
        raise sa_exc.DisconnectionError("the connection was lost while it sat in the pool")


def _in_memory(parsed: sa.URL) -> bool:
    """Whether a SQLite URL names a database in memory (SQLAlchemy pools those apart)."""
    database = parsed.database or ""
    return database in ("", ":memory:") or parsed.query.get("mode") == "memory"


def _create_private(parsed: sa.URL) -> None:
    """Create the SQLite file ``parsed`` names, empty and mode 0600, if it is not there."""
    path = _sqlite_file(parsed)
    if path is None:
        return
    # A missing folder, say, is left for SQLite to report when it opens the file.
    with contextlib.suppress(OSError):
        create_private(path)


def busy_timeout(url: sa.URL) -> float:
    """Seconds a SQLite writer waits for another: ``?timeout=`` in the URL, else 30."""
    given = url.query.get("timeout")
    if given is None:
        return BUSY_TIMEOUT_SECONDS
    text = given if isinstance(given, str) else given[-1]
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < 86_400:
        raise ValidationError(
            "storage", None, f"timeout={text!r} is not a number of seconds under a day"
        )
    return seconds


def _set_wal(cursor: Any, timeout: float) -> None:
    """``PRAGMA journal_mode=WAL``, retried while another opener holds the lock.

    SQLite may answer "database is locked" at once, without waiting, when two
    connections switch a new database to WAL together; the busy timeout still bounds it.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def _sqlite_set_up(dbapi_connection: Any, *, wal: bool, query_only: bool, timeout: float) -> None:
    # Stop pysqlite from emitting BEGIN itself; _sqlite_begin does it instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        if wal:  # a read-only file keeps the journal mode it was written with
            _set_wal(cursor, timeout)
        if query_only:  # SQLite itself refuses any change, whatever runs
            cursor.execute("PRAGMA query_only=ON")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        # Safe in WAL mode: a crash loses no committed transaction, power loss may.
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()
    # Deterministic (same answer for the same arguments), so SQLite may use it freely.
    dbapi_connection.create_function(MONTH_FUNCTION, 2, sqlite_month, deterministic=True)


def sqlite_month(utc_text: str | None, zone: str) -> str | None:
    """``cpnetwork_month``: the month of a stored UTC instant, read in ``zone``."""
    if utc_text is None:
        return None
    return calendar_month(datetime.fromisoformat(utc_text), zone)


def begin_sqlite(connection: sa.Connection, *, read_only: bool) -> None:
    """Begin a SQLite transaction on the driver, unless one is open there already.

    A writer's ``BEGIN IMMEDIATE`` takes the write lock at once; a reader's deferred
    ``BEGIN`` reads a snapshot.  Straight to the driver: through ``exec_driver_sql`` it
    cost more than the read it starts.  A store's transaction already begun on the
    driver (see sql_connections) is the one a SQLAlchemy transaction then runs in.
    """
    if not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        run_on_driver(connection, "BEGIN" if read_only else "BEGIN IMMEDIATE").close()


def _sqlite_begin(connection: sa.Connection) -> None:
    begin_sqlite(connection, read_only=bool(connection.info.get(READ_ONLY_OPTION)))


def _sqlite_begin_deferred(connection: sa.Connection) -> None:
    begin_sqlite(connection, read_only=True)


def driver_errors(engine: sa.Engine) -> tuple[type[BaseException], ...]:
    """The DB-API's root error class, raised unwrapped from a few driver paths."""
    error = getattr(engine.dialect.loaded_dbapi, "Error", None)
    return (error,) if isinstance(error, type) and issubclass(error, BaseException) else ()


class translated:  # lower case: it reads as the function it replaced
    """A block whose driver and SQLAlchemy errors become a StorageError; ours pass through.

    A class rather than a generator: every statement a transaction runs is inside one.
    """

    __slots__ = ("action", "drivers", "url")

    def __init__(
        self, url: str, action: str, drivers: tuple[type[BaseException], ...] = ()
    ) -> None:
        self.url, self.action, self.drivers = url, action, drivers

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, traceback: object) -> None:
        if exc is None or isinstance(exc, CpnetworkError):
            return
        if isinstance(exc, sa_exc.StatementError) and isinstance(exc.orig, CpnetworkError):
            raise exc.orig from exc
        if isinstance(exc, (sa_exc.SQLAlchemyError, *self.drivers)):
            raise StorageError(
                "storage", self.url, f"{self.action} failed: {_reason(exc)}"
            ) from exc


def _reason(exc: BaseException) -> str:
    return BUSY if _busy(exc) else describe(exc)


#: Why a SQLite writer gave up waiting, and what to do about it.
BUSY = (
    "the database is busy: another process kept it locked past the wait allowed "
    "(add ?timeout=SECONDS to the URL to wait longer); nothing was written"
)


def _busy(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", None)
    return "database is locked" in str(orig if orig is not None else exc)


def describe(exc: BaseException) -> str:
    """The driver's own message, without the statement and its parameters."""
    orig = getattr(exc, "orig", None)
    source = orig if isinstance(orig, BaseException) else exc
    message = str(source).strip() if orig is not None else str(exc).partition("\n")[0]
    return f"{type(source).__name__}: {message}"
