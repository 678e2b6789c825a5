"""MkDocs hook: the command-line reference, generated from the click commands.

A page holding the line ``<!-- cli-reference -->`` gets, in its place, one section per
command of ``cpnetwork`` (groups before their subcommands, by name), each with the
command's ``--help`` exactly as click prints it, examples included. Plugins are not
loaded from entry points, so the page shows the core commands whatever is installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click

MARKER = "<!-- cli-reference -->"
WIDTH = 88


def _commands(
    command: click.Command, ctx: click.Context
) -> Iterator[tuple[click.Command, click.Context]]:
    yield command, ctx
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            sub_ctx = click.Context(sub, info_name=name, parent=ctx, terminal_width=WIDTH)
            yield from _commands(sub, sub_ctx)


def cli_reference() -> str:
    """Markdown for every command: a heading, its summary, and its help as text."""
    from cpnetwork.cli import CliConfig, cli
    from cpnetwork.cli._state import CliState

    root = click.Context(
        cli,
        info_name="cpnetwork",
        obj=CliState(CliConfig(load_entrypoints=False)),
        terminal_width=WIDTH,
        max_content_width=WIDTH,
    )
    parts: list[str] = []
    for command, ctx in _commands(cli, root):
        path = ctx.command_path
        level = "#" * min(2 + path.count(" "), 4)
        summary = command.get_short_help_str(limit=200)
        usage = command.get_help(ctx).rstrip()
        parts.append(f"{level} `{path}`\n\n{summary}\n\n```text\n$ {path} --help\n{usage}\n```\n")
    return "\n".join(parts)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """Fill in the reference on the page that asks for it."""
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, cli_reference())
