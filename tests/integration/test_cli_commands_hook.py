"""Plugins add commands through ``register_commands``; each run asks them afresh."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from cpnetwork import hookimpl
from cpnetwork.cli import CliConfig, CliState, cli


class Greeter:
    """Adds ``hello`` and a ``greeter`` group whose command reads the network."""

    @hookimpl
    def register_commands(self, cli: click.Group) -> None:
        @cli.command()
        @click.argument("name")
        def hello(name: str) -> None:
            """Greet someone."""
            click.echo(f"hello {name}")

        @cli.group()
        def greeter() -> None:
            """Counts from the greeter."""

        @greeter.command()
        @click.pass_obj
        def members(state: CliState) -> None:
            """Count members."""
            network = state.open()
            click.echo(f"{len(network.members.find())} members in {network.profile.name}")


class Clashing:
    @hookimpl
    def register_commands(self, cli: click.Group) -> None:
        @cli.command("members")
        def members() -> None:
            """Not the built-in one."""


class Failing:
    @hookimpl
    def register_commands(self, cli: click.Group) -> None:
        raise RuntimeError("cannot add")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CPNETWORK_DB", raising=False)
    monkeypatch.chdir(tmp_path)


def run(*args: str, plugins: tuple[object, ...]) -> Result:
    config = CliConfig(plugins=plugins, load_entrypoints=False)
    return CliRunner().invoke(cli, list(args), obj=config)


def test_a_plugin_command_runs_and_shows_in_help() -> None:
    result = run("hello", "world", plugins=(Greeter(),))
    assert result.exit_code == 0, result.output
    assert result.output == "hello world\n"
    assert "hello" in run("--help", plugins=(Greeter(),)).output


def test_a_plugin_command_opens_the_network_of_db() -> None:
    assert run("db", "upgrade", plugins=()).exit_code == 0
    result = run("greeter", "members", plugins=(Greeter(),))
    assert result.exit_code == 0, result.output
    assert result.output == "0 members in Network\n"
    missing = run("--db", "typo.db", "greeter", "members", plugins=(Greeter(),))
    assert missing.exit_code == 1 and "no database at typo.db" in missing.stderr


def test_commands_do_not_outlive_the_run_that_loaded_them() -> None:
    assert run("hello", "x", plugins=(Greeter(),)).exit_code == 0
    result = run("hello", "x", plugins=())
    assert result.exit_code == 2
    assert "No such command 'hello'" in result.stderr


def test_plugins_lists_commands_added_by_plugins() -> None:
    result = run("plugins", plugins=(Greeter(),))
    assert "Greeter" in result.output and "register_commands" in result.output
    assert "Commands added by plugins" in result.output
    assert "Greet someone." in result.output


def test_a_command_name_taken_by_a_builtin_is_a_plugin_error() -> None:
    result = run("--help", plugins=(Clashing(),))
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: plugin 'Clashing': hook register_commands: "
        "command 'members' is already defined by cpnetwork\n"
    )


class OtherGreeter(Greeter):
    """Another plugin adding the same commands."""


def test_two_plugins_adding_one_name_is_a_plugin_error() -> None:
    result = run("plugins", plugins=(Greeter(), OtherGreeter()))
    assert result.exit_code == 1
    assert "command 'hello' is already defined by" in result.stderr
    assert "Greeter" in result.stderr and "OtherGreeter" in result.stderr


def test_a_plugin_raising_is_named() -> None:
    result = run("plugins", plugins=(Failing(),))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: plugin 'Failing': hook register_commands: raised")
    debugged = run("--debug", "plugins", plugins=(Failing(),))
    assert debugged.exception is not None and "Failing" in str(debugged.exception)
