"""``cpnetwork plan apply``: a program year described in one TOML file."""

from __future__ import annotations

from pathlib import Path

import click

from cpnetwork.cli import _values
from cpnetwork.cli._output import echo, working
from cpnetwork.cli._state import CliError, CliState, pass_state
from cpnetwork.network import Network
from cpnetwork.plans import PlanResult


@click.group("plan")
def plan_group() -> None:
    """Apply a program year described in one file: programs, policies, sessions."""


@plan_group.command(
    "apply",
    epilog="""\b
Examples:
  cpnetwork plan apply year.toml --dry-run
  cpnetwork plan apply year.toml
  cpnetwork plan apply year.toml --json
""",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print the changes it would make; write nothing.")
@_values.json_option
@pass_state
def apply_command(state: CliState, file: Path, dry_run: bool, as_json_: bool) -> None:
    """Bring the network in line with the plan in FILE (TOML), all or nothing.

    Programs are matched by title and program year, one-off sessions by title and
    start, series by title: what is missing is created, what differs is changed,
    what the plan does not mention is left alone.  Applying the same plan twice
    changes nothing the second time.  See docs/cli.md for the file's format.
    """
    network = state.open()
    if not isinstance(network, Network):
        raise CliError("plan apply changes the whole network: run it without --as")
    with working(f"Applying {file.name}"):
        result = network.apply_plan(file, dry_run=dry_run)
    if as_json_:
        _values.echo_json(result_json(result))
        return
    for line in result.lines():
        echo(line)


def result_json(result: PlanResult) -> dict[str, object]:
    """What ``--json`` prints: every change (``unchanged`` ones too) and the counts."""
    return {
        "dry_run": result.dry_run,
        "changed": len(result.changed),
        "unchanged": len(result.changes) - len(result.changed),
        "changes": [
            {"action": c.action, "kind": c.kind, "name": c.name, "detail": c.detail}
            for c in result.changes
        ],
    }
