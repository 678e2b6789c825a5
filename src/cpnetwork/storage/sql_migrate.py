"""Schema versions of SQL databases, managed by the Alembic migrations shipped here.

The rules:

* Core tables belong to the migrations in ``cpnetwork/storage/migrations``; the
  database records its revision in ``alembic_version``.
* Opening a new, empty database brings it to the head revision at once.
* Opening one at an older revision, or at a revision this library does not know
  (written by a newer cpnetwork), is a :class:`~cpnetwork.errors.SchemaVersionError`
  naming the command to run: ``cpnetwork db upgrade`` (:func:`upgrade`).
* Tables of plugin kinds are not migrated: the store creates them when the kind is
  registered and they are missing (see :meth:`SQLStorage.register_kinds`).

Schema changes run in one transaction holding a schema lock (``BEGIN IMMEDIATE`` on
SQLite, an advisory lock on PostgreSQL), so two processes opening the same new
database do not both build it.  A new revision is written with Alembic's own API, e.g.
``alembic.command.revision(alembic_config(url=...), "add x", autogenerate=True)``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from attrs import frozen

from cpnetwork.errors import SchemaVersionError
from cpnetwork.storage.sql_engine import (
    create_engine,
    display_url,
    driver_errors,
    sqlite_path,
    translated,
)

MIGRATIONS = Path(__file__).with_name("migrations")
UPGRADE_COMMAND = "cpnetwork db upgrade"


def alembic_config(*, connection: sa.Connection | None = None, url: str | None = None) -> Config:
    """An Alembic configuration for the shipped migrations, without an ini file.

    With ``connection`` the migrations run on it, inside its transaction; with only
    ``url`` (Alembic's command line, offline SQL) they open their own.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS))


def head_revision() -> str:
    """The revision this version of the library expects."""
    head = _scripts().get_current_head()
    if head is None:  # pragma: no cover - the package always ships its migrations
        raise SchemaVersionError("storage", None, "cpnetwork ships no migrations")
    return head


def first_revision() -> str:
    """The revision that created the core tables."""
    return _scripts().get_base() or head_revision()


def current_revision(connection: sa.Connection) -> str | None:
    """The revision a database is at, or None when it has never been migrated."""
    return MigrationContext.configure(connection).get_current_revision()


def _known(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except CommandError:
        return False


def hold_schema_lock(connection: sa.Connection) -> None:
    """Serialize schema changes for the rest of this transaction.

    On SQLite ``BEGIN IMMEDIATE`` already holds the write lock; on PostgreSQL an
    advisory lock keyed by the current schema does the same job.
    """
    if connection.dialect.name == "postgresql":
        key = "hashtext('cpnetwork.schema:' || current_schema())"
        connection.execute(sa.text(f"SELECT pg_advisory_xact_lock({key})"))


def _migrate(connection: sa.Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection=connection), revision)


def ensure_schema(
    engine: sa.Engine, core_tables: frozenset[str], url: str, *, read_only: bool = False
) -> None:
    """Bring a new database to head; refuse one at another revision (module docstring).

    A ``read_only`` database is only checked: it must already be at head.
    """
    with (
        translated(url, "checking the schema", driver_errors(engine)),
        engine.connect() as connection,
        connection.begin(),
    ):
        if not read_only:
            hold_schema_lock(connection)
        current = current_revision(connection)
        head = head_revision()
        if current == head:
            return
        if current is None and read_only:
            raise SchemaVersionError(
                "storage", url, "the database has no schema and is opened read-only"
            )
        if current is None:
            present = core_tables & set(sa.inspect(connection).get_table_names())
            if present:
                raise SchemaVersionError(
                    "storage",
                    url,
                    f"tables {sorted(present)} exist but no schema revision is recorded; "
                    f"this is not a database `{UPGRADE_COMMAND}` can manage",
                )
            _migrate(connection, "head")
            return
        if _known(current):
            raise SchemaVersionError(
                "storage",
                url,
                f"the database schema is at revision {current}, older than this "
                f"cpnetwork's {head}; run `{UPGRADE_COMMAND}` to upgrade it",
            )
        raise SchemaVersionError(
            "storage",
            url,
            f"the database schema is at revision {current}, newer than this cpnetwork "
            f"knows (its latest is {head}); install the cpnetwork that upgraded it — "
            f"`{UPGRADE_COMMAND}` only moves a schema forward",
        )


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` to ``revision`` (the latest by default).

    This is what ``cpnetwork db upgrade`` runs.  Upgrading a database already at
    the revision changes nothing.
    """
    shown = display_url(url)
    engine = create_engine(url)
    try:
        with (
            translated(shown, "upgrading the schema", driver_errors(engine)),
            engine.connect() as connection,
            connection.begin(),
        ):
            hold_schema_lock(connection)
            try:
                _migrate(connection, revision)
            except CommandError as exc:
                raise SchemaVersionError("storage", shown, str(exc)) from exc
    finally:
        engine.dispose()


@frozen(kw_only=True)
class SchemaStatus:
    """Where a database's schema stands against this cpnetwork's migrations."""

    url: str
    #: The revision the database is at; None when it has no schema yet.
    current: str | None
    #: The latest revision this cpnetwork knows.
    head: str

    @property
    def verdict(self) -> str:
        if self.current == self.head:
            return "up to date"
        if self.current is None:
            return f"no schema yet: `{UPGRADE_COMMAND}` creates it"
        if _known(self.current):
            return f"older than this cpnetwork: run `{UPGRADE_COMMAND}`"
        return "newer than this cpnetwork: install the cpnetwork that upgraded it"


def schema_status(url: str) -> SchemaStatus:
    """The schema revision of the database at ``url`` next to the latest one known."""
    shown = display_url(url)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return SchemaStatus(url=shown, current=None, head=head_revision())
    engine = create_engine(url, read_only=True)
    try:
        with (
            translated(shown, "reading the schema version", driver_errors(engine)),
            engine.connect() as connection,
        ):
            current = current_revision(connection)
    finally:
        engine.dispose()
    return SchemaStatus(url=shown, current=current, head=head_revision())
