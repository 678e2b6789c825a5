"""The ``cpnetwork`` command: a thin shell over :class:`cpnetwork.Network`.

Each command parses its arguments, makes one or two library calls and prints the
result.  Errors of the library (:class:`~cpnetwork.errors.CpnetworkError`) are shown
as one ``Error: ...`` line on stderr with exit status 1 (2 for bad usage, as click
does); ``--debug`` shows the traceback instead.

Plugins add commands through the ``register_commands`` hook, called with a group of
their own each run, so an embedding application or a test decides what loads by
passing :class:`CliConfig` as click's ``obj``::

    from click.testing import CliRunner
    from cpnetwork.cli import CliConfig, cli

    CliRunner().invoke(cli, ["plugins"], obj=CliConfig(plugins=[my_plugin]))
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import click

from cpnetwork import __version__
from cpnetwork.cli import _values
from cpnetwork.cli._output import echo, plain
from cpnetwork.cli._state import (
    DB_ENV,
    DEFAULT_DB,
    NOW_ENV,
    CliConfig,
    CliError,
    CliState,
    FixedClock,
    pass_state,
)
from cpnetwork.cli.attendance import attendance_group
from cpnetwork.cli.data import export, import_file, import_json
from cpnetwork.cli.db import db_group
from cpnetwork.cli.demo import demo_command
from cpnetwork.cli.enrollment import accept_offer, confirm, decline_offer, enroll, review, withdraw
from cpnetwork.cli.members import members_group
from cpnetwork.cli.notifications import notifications_group, tick_command
from cpnetwork.cli.plan import plan_group
from cpnetwork.cli.plugins import plugins_command
from cpnetwork.cli.programs import programs_group
from cpnetwork.cli.reports import report_command
from cpnetwork.cli.sessions import sessions_group
from cpnetwork.errors import CpnetworkError, PluginError
from cpnetwork.plugins import PluginHost, running_plugin

__all__ = ["CliConfig", "CliError", "CliState", "cli", "echo", "main", "plain"]


class RootGroup(click.Group):
    """The root group: loads plugin commands before parsing, turns errors into one line."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        given = extra.get("obj")
        if given is not None and not isinstance(given, CliConfig):
            raise TypeError(f"obj must be a CliConfig, not {type(given).__name__}")
        try:
            state = CliState(given or CliConfig())
            state.plugin_commands = plugin_commands(state.host, set(self.commands))
        except CpnetworkError as exc:
            if "--debug" in args:
                raise
            raise CliError.of(exc) from exc
        extra["obj"] = state
        return super().make_context(info_name, args, parent, **extra)

    def list_commands(self, ctx: click.Context) -> list[str]:
        state = ctx.find_object(CliState)
        extra = state.plugin_commands if state is not None else {}
        return sorted({*self.commands, *extra})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        state = ctx.find_object(CliState)
        found = super().get_command(ctx, cmd_name)
        if found is None and state is not None:
            found = state.plugin_commands.get(cmd_name)
        return found

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return self._invoke(ctx)
        except click.exceptions.Exit as exc:
            if exc.exit_code:
                _abandon(ctx)
            raise
        except BaseException:
            _abandon(ctx)
            raise

    def _invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except CpnetworkError as exc:
            if _debugging(ctx):
                raise
            raise CliError.of(exc) from exc
        except OSError as exc:
            if _debugging(ctx):
                raise
            raise CliError(_os_error(exc)) from exc
        except Exception as exc:
            if _debugging(ctx):
                raise
            raise CliError(
                f"unexpected {type(exc).__name__}: {exc} (run with --debug for the traceback)"
            ) from exc


def _abandon(ctx: click.Context) -> None:
    """A failed command leaves no database file it created behind."""
    state = ctx.find_object(CliState)
    if state is not None:
        state.abandon()


def _debugging(ctx: click.Context) -> bool:
    state = ctx.find_object(CliState)
    return state is not None and state.debug


def _os_error(exc: OSError) -> str:
    where = f"{exc.filename}: " if exc.filename else ""
    return f"{where}{exc.strerror or exc}"


class _PluginCommands(click.Group):
    """The ``cli`` given to ``register_commands``: notes the plugin adding each command.

    pluggy calls the implementations one after another, so the plugin running when a
    command is added is the one adding it; a name already taken is refused at once.
    """

    def __init__(self, builtin: set[str]) -> None:
        super().__init__("cpnetwork")
        self.builtin = builtin
        self.owners: dict[str, str] = {}

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        name = name or cmd.name or ""
        plugin = running_plugin() or "a plugin"
        if name in self.builtin or name in self.owners:
            owner = self.owners.get(name, "cpnetwork")
            raise PluginError(
                plugin, "register_commands", f"command {name!r} is already defined by {owner}"
            )
        super().add_command(cmd, name)
        self.owners[name] = plugin


def plugin_commands(host: PluginHost, builtin: set[str]) -> dict[str, click.Command]:
    """Commands plugins add through ``register_commands``, called through pluggy.

    A name already taken (by a built-in command or another plugin) is a PluginError
    naming the plugin, as any wrong answer to a hook is.
    """
    group = _PluginCommands(builtin)
    host.call_all("register_commands", cli=group)
    return dict(group.commands)


@click.group(
    cls=RootGroup,
    epilog=f"""\b
Examples:
  cpnetwork db upgrade
  cpnetwork import members roster.csv --dry-run
  cpnetwork --db /srv/network.db members list --county 19
  {DB_ENV}=postgresql://host/network cpnetwork programs list --year 2024
  cpnetwork --now 2024-10-01T09:00-07:00 tick
""",
)
@click.option(
    "--db",
    metavar="URL_OR_PATH",
    envvar=DB_ENV,
    show_envvar=True,
    default=DEFAULT_DB,
    show_default=True,
    help="Database: an SQLite file path, or a URL (sqlite:///..., postgresql://...).",
)
@click.option(
    "--as",
    "acting_as",
    metavar="ACTOR",
    envvar="CPNETWORK_AS",
    help="Work as this actor, seeing and changing only their part of the network: "
    "admin, county:CODE, region:CODE, facilitator:EMAIL_OR_ID or member:EMAIL_OR_ID.",
)
@click.option(
    "--now",
    metavar="TIME",
    envvar=NOW_ENV,
    show_envvar=True,
    callback=_values.fixed_now,
    help="Run as if it were TIME, an ISO 8601 time with its offset "
    "(2024-10-01T09:00-07:00): to rehearse a year on a copy, or in scripts' tests.",
)
@click.option("--debug", is_flag=True, help="Show the traceback of an error.")
@click.version_option(__version__, "--version", prog_name="cpnetwork")
@pass_state
def cli(state: CliState, db: str, acting_as: str | None, now: datetime | None, debug: bool) -> None:
    """Run a statewide network of science-education leaders.

    Members, organizations, programs, sessions, enrollment and attendance, kept in
    one database.  Commands that only read refuse a database file that does not
    exist; `db upgrade`, `import`, `import-json` and `demo` create it.
    """
    state.db = db
    state.debug = debug
    state.acting_as = acting_as
    if now is not None:
        state.clock = FixedClock(now)


for _command in (
    db_group,
    import_file,
    import_json,
    export,
    members_group,
    programs_group,
    sessions_group,
    enroll,
    review,
    confirm,
    accept_offer,
    decline_offer,
    withdraw,
    attendance_group,
    plan_group,
    demo_command,
    plugins_command,
    notifications_group,
    tick_command,
    report_command,
):
    cli.add_command(_command)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command (the ``cpnetwork`` console script and ``python -m cpnetwork``)."""
    cli.main(args=list(argv) if argv is not None else None)
