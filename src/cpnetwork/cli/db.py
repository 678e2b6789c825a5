"""``cpnetwork db``: the schema version of an SQL database, and upgrading it."""

from __future__ import annotations

import click

from cpnetwork.cli._output import console, details, working
from cpnetwork.cli._state import CliError, CliState, pass_state
from cpnetwork.storage.sql_url import is_sql_url


def _require_sql(url: str) -> None:
    if not is_sql_url(url):
        raise CliError(
            f"{url} is not an SQL database; schema versions apply to SQLite and PostgreSQL"
        )


def current_revision(url: str) -> str | None:
    """The schema revision recorded in the database (None: no schema yet)."""
    from cpnetwork.storage import sql_migrate
    from cpnetwork.storage.sql_engine import create_engine, display_url, driver_errors, translated

    engine = create_engine(url)
    try:
        with (
            translated(display_url(url), "reading the schema version", driver_errors(engine)),
            engine.connect() as connection,
        ):
            return sql_migrate.current_revision(connection)
    finally:
        engine.dispose()


def _is_known(revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from cpnetwork.storage.sql_migrate import MIGRATIONS

    try:
        return ScriptDirectory(str(MIGRATIONS)).get_revision(revision) is not None
    except CommandError:
        return False


def _verdict(current: str | None, head: str) -> str:
    if current == head:
        return "up to date"
    if current is None:
        return "no schema yet: `cpnetwork db upgrade` creates it"
    if _is_known(current):
        return "older than this cpnetwork: run `cpnetwork db upgrade`"
    return "newer than this cpnetwork: install the cpnetwork that upgraded it"


@click.group("db")
def db_group() -> None:
    """Create, inspect and upgrade the database schema (SQLite and PostgreSQL)."""


@db_group.command(
    epilog="""\b
Examples:
  cpnetwork db upgrade
  cpnetwork --db postgresql://user@host/network db upgrade
"""
)
@pass_state
def upgrade(state: CliState) -> None:
    """Bring the database to the schema of this cpnetwork, creating it if new.

    Run it after installing a newer cpnetwork; upgrading a database that is up to
    date changes nothing.
    """
    from cpnetwork.storage.sql import upgrade as upgrade_schema
    from cpnetwork.storage.sql_engine import display_url
    from cpnetwork.storage.sql_migrate import head_revision

    url = state.url
    _require_sql(url)
    before = current_revision(url)
    with working("Upgrading the database schema"):
        upgrade_schema(url)
    head = head_revision()
    shown = display_url(url)
    if before == head:
        click.echo(f"{shown}: already at schema revision {head}; nothing to do.")
    else:
        click.echo(f"{shown}: upgraded from schema revision {before or '(none)'} to {head}.")


@db_group.command(
    epilog="""\b
Examples:
  cpnetwork db status
  cpnetwork --db network.db db status
"""
)
@pass_state
def status(state: CliState) -> None:
    """Show the database's schema revision next to the one this cpnetwork expects."""
    from cpnetwork.storage.sql_engine import display_url
    from cpnetwork.storage.sql_migrate import head_revision

    url = state.url
    _require_sql(url)
    state.require_database(url)
    current = current_revision(url)
    head = head_revision()
    console().print(
        details(
            [
                ("database", display_url(url)),
                ("schema revision", current or "(none)"),
                ("cpnetwork expects", head),
                ("status", _verdict(current, head)),
            ]
        )
    )
