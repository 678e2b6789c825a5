"""``cpnetwork db``: the schema version of an SQL database, and upgrading it."""

from __future__ import annotations

import click

from cpnetwork.cli import _values
from cpnetwork.cli._output import console, details, echo, working
from cpnetwork.cli._state import CliError, CliState, pass_state
from cpnetwork.storage.sql_url import is_sql_url, masked


def _require_sql(url: str) -> None:
    if not is_sql_url(url):
        raise CliError(
            f"{masked(url)} is not an SQL database; schema versions apply to SQLite and PostgreSQL"
        )


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
    from cpnetwork.storage.sql import schema_status
    from cpnetwork.storage.sql import upgrade as upgrade_schema

    url = state.url
    _require_sql(url)
    created = state.missing_file(url)
    if created is not None:
        state.created_file(created)  # removed again if the upgrade fails
    before = schema_status(url)
    with working("Upgrading the database schema"):
        upgrade_schema(url)
    shown, head = before.url, before.head
    if before.current == head:
        echo(f"{shown}: already at schema revision {head}; nothing to do.")
    else:
        echo(f"{shown}: upgraded from schema revision {before.current or '(none)'} to {head}.")


@db_group.command(
    epilog="""\b
Examples:
  cpnetwork db status
  cpnetwork --db network.db db status
  cpnetwork db status --json
"""
)
@_values.json_option
@pass_state
def status(state: CliState, as_json_: bool) -> None:
    """Show the database's schema revision next to the one this cpnetwork expects."""
    from cpnetwork.storage.sql import schema_status

    url = state.url
    _require_sql(url)
    state.require_database(url)
    found = schema_status(url)
    if as_json_:
        _values.echo_json(
            {
                "database": found.url,
                "revision": found.current,
                "expected": found.head,
                "up_to_date": found.current == found.head,
                "status": found.verdict,
            }
        )
        return
    console().print(
        details(
            [
                ("database", found.url),
                ("schema revision", found.current or "(none)"),
                ("cpnetwork expects", found.head),
                ("status", found.verdict),
            ]
        )
    )
