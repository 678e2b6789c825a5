"""``cpnetwork demo``: play the example network's year into a new database."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

import click
from click.core import ParameterSource

from cpnetwork.cli._output import console, echo
from cpnetwork.cli._state import CliError, CliState, database_url, sqlite_file
from cpnetwork.storage.sql_url import masked

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
  cpnetwork demo --db /tmp/example.db --reports example-reports
  cpnetwork --db demo-network.db programs list
""",
)
@click.option(
    "--db",
    metavar="URL_OR_PATH",
    help=f"Where to build the demo (default: the global --db if given, else {DEMO_DB}).",
)
@click.option(
    "--reports",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write every report (default: demo-reports/ beside an SQLite file, "
    "else in the working directory).",
)
@click.pass_context
def demo_command(ctx: click.Context, db: str | None, reports: Path | None) -> None:
    """Build the example network: the four seed networks and a year of them.

    It writes only into a new SQLite file or an empty database, and refuses one
    that holds a network (the demo's own included: delete it or pick another to
    run it again).  Every report goes to the --reports folder as HTML, CSV, JSON,
    Markdown and text.  Explore the result with the other commands, e.g.
    `cpnetwork --db demo-network.db programs list`.
    """
    state = ctx.find_object(CliState)
    if state is None:  # pragma: no cover - the root group always sets it
        raise click.UsageError("cpnetwork demo runs under the cpnetwork command")
    target = _target(ctx, state, db)
    url = database_url(target)
    module = _demo_module()
    path = sqlite_file(url)
    if path is not None:
        state.created_file(path)  # a new file is removed again if the demo fails
    if reports is None:
        reports = (path.parent if path is not None else Path.cwd()) / module.REPORTS_DIR
    network = module.run(url, console=console().console, reports=reports)
    network.close()
    echo(f"Explore it with `cpnetwork --db {masked(target)} programs list`.")
