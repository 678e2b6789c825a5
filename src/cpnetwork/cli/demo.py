"""``cpnetwork demo``: play the example network's year into a new database."""

from __future__ import annotations

import importlib
from types import ModuleType

import click
from click.core import ParameterSource

from cpnetwork.cli._output import console
from cpnetwork.cli._state import CliError, CliState, database_url, sqlite_file

#: Where the demo goes when no ``--db`` is given (the same file as ``python -m cpnetwork.demo``).
DEMO_DB = "demo-network.db"


def _demo_module() -> ModuleType:
    try:
        return importlib.import_module("cpnetwork.demo")
    except ModuleNotFoundError as exc:
        if exc.name != "cpnetwork.demo":
            raise
        raise CliError("the demo is not part of this installation (no cpnetwork.demo)") from exc


def _target(ctx: click.Context, state: CliState, db: str | None) -> str:
    """The demo's own --db, else the global --db when given, else demo-network.db."""
    if db is not None:
        return db
    source = ctx.find_root().get_parameter_source("db")
    if source in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT):
        return state.db
    return DEMO_DB


@click.command(
    "demo",
    epilog="""\b
Examples:
  cpnetwork demo
  cpnetwork demo --db /tmp/example.db
  cpnetwork --db demo-network.db programs list
""",
)
@click.option(
    "--db",
    metavar="URL_OR_PATH",
    help=f"Where to build the demo (default: the global --db if given, else {DEMO_DB}).",
)
@click.pass_context
def demo_command(ctx: click.Context, db: str | None) -> None:
    """Build the example network: a year of programs, enrollment and attendance.

    It writes a new network and so refuses an SQLite file that already exists;
    delete the file or pick another to run it again.  Explore the result with the
    other commands, e.g. `cpnetwork --db demo-network.db programs list`.
    """
    state = ctx.find_object(CliState)
    if state is None:  # pragma: no cover - the root group always sets it
        raise click.UsageError("cpnetwork demo runs under the cpnetwork command")
    target = _target(ctx, state, db)
    url = database_url(target)
    path = sqlite_file(url)
    if path is not None and path.exists():
        raise CliError(f"{path} already exists; the demo builds a new network (use another --db)")
    module = _demo_module()
    network = module.run(url, console=console().console)
    network.close()
    click.echo(f"Explore it with `cpnetwork --db {target} programs list`.")
