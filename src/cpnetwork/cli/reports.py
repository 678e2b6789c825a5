"""``cpnetwork report``: list the registered reports, or run one and render it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from rich.console import Group

from cpnetwork.cli._output import console, plain, table
from cpnetwork.cli._state import CliState, pass_state
from cpnetwork.reports.render import FORMATS, render, write
from cpnetwork.reports.render.terminal import renderables
from cpnetwork.reports.service import registered_reports


@click.command(
    "report",
    epilog="""\b
Examples:
  cpnetwork report
  cpnetwork report reach --county Fresno --county 19
  cpnetwork report attendance --year 2024 --format csv -o attendance.csv
  cpnetwork report reach --format html -o reach.html
""",
)
@click.argument("name", required=False)
@click.option(
    "--format",
    "format_",
    type=click.Choice(list(FORMATS)),
    default="terminal",
    show_default=True,
    help="How to render it.",
)
@click.option("--county", multiple=True, help="Only this county (code or name); repeatable.")
@click.option("--region", multiple=True, help="Only the counties of this region; repeatable.")
@click.option("--program", multiple=True, help="Only this program (id or title); repeatable.")
@click.option("--year", type=int, help="Only programs of this program year.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="From this day (YYYY-MM-DD).")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="To this day, included.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file (replaced whole once written) instead of printing.",
)
@pass_state
def report_command(
    state: CliState,
    name: str | None,
    format_: str,
    county: tuple[str, ...],
    region: tuple[str, ...],
    program: tuple[str, ...],
    year: int | None,
    since: datetime | None,
    until: datetime | None,
    output: Path | None,
) -> None:
    """Run the report NAME and render it; without NAME, list the reports.

    Reports come from plugins (the built-ins too); every one takes the same filters.
    """
    if name is None:
        shown = table("Reports (cpnetwork report NAME)", "name", "title", "what it shows", ids=())
        for definition in registered_reports(state.host).values():
            shown.add_row(
                plain(definition.name), plain(definition.title), plain(definition.description)
            )
        console().print(shown)
        return
    network = state.open(read_only=True)
    if name not in network.reports.names():
        known = ", ".join(network.reports.names())
        raise click.BadParameter(f"no report {name!r} (known: {known})", param_hint="NAME")
    report = network.reports.run(
        name,
        county=county,
        region=region,
        program=program,
        year=year,
        since=since.date() if since else None,
        until=until.date() if until else None,
    )
    if output is not None:
        write(report, format_, output)
        click.echo(f"Wrote the {name} report ({format_}) to {output}", err=True)
    elif format_ == "terminal":
        console().print(Group(*renderables(report)))
    else:
        click.echo(render(report, format_), nl=False)
