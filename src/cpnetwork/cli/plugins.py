"""``cpnetwork plugins``: what is loaded, from which distribution, doing what."""

from __future__ import annotations

import click

from cpnetwork.cli import _values
from cpnetwork.cli._output import console, plain, table
from cpnetwork.cli._state import CliState, pass_state
from cpnetwork.importers.registry import registered_importers
from cpnetwork.plugins import DEFAULT_PLUGINS


@click.command(
    "plugins",
    epilog="""\b
Examples:
  cpnetwork plugins
  CPNETWORK_BLOCK_PLUGINS=cpnetwork-california cpnetwork plugins
  cpnetwork plugins --json
""",
)
@_values.json_option
@pass_state
def plugins_command(state: CliState, as_json_: bool) -> None:
    """List loaded plugins, their versions and the hooks they implement.

    Built-in behaviour is listed too: it is registered as plugins.  Needs no
    database.  Block a plugin with the CPNETWORK_BLOCK_PLUGINS environment variable
    (comma-separated names).
    """
    host = state.host
    importers = registered_importers(host)
    if as_json_:
        _values.echo_json(
            {
                "plugins": [
                    {
                        "name": name,
                        "version": host.versions.get(name)
                        or ("built-in" if name in DEFAULT_PLUGINS else None),
                        "hooks": list(host.hooks_of(name)),
                    }
                    for name in host.names()
                ],
                "importers": [
                    {"kind": kind, "plugin": plugin, "description": importer.description}
                    for kind, (plugin, importer) in sorted(importers.items())
                ],
                "commands": [
                    {"name": name, "help": command.get_short_help_str(limit=200)}
                    for name, command in sorted(state.plugin_commands.items())
                ],
            }
        )
        return
    out = console()
    shown = table("Plugins", "plugin", "version", "hooks", ids=())
    for name in host.names():
        version = host.versions.get(name) or ("built-in" if name in DEFAULT_PLUGINS else "")
        shown.add_row(plain(name), plain(version), plain(", ".join(host.hooks_of(name))))
    out.print(shown)
    if importers:
        kinds = table("Importers (cpnetwork import KIND FILE)", "kind", "plugin", "reads", ids=())
        for kind, (plugin, importer) in sorted(importers.items()):
            kinds.add_row(plain(kind), plain(plugin), plain(importer.description))
        out.print(kinds)
    if state.plugin_commands:
        commands = table("Commands added by plugins", "command", "does", ids=())
        for name, command in sorted(state.plugin_commands.items()):
            commands.add_row(plain(name), plain(command.get_short_help_str(limit=80)))
        out.print(commands)
