"""``cpnetwork fresno digest``: the coordinator's digest on the command line."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from cpnetwork import hookimpl
from cpnetwork.cli import CliState, echo
from cpnetwork_fresno.digest import digest


@hookimpl
def register_commands(cli: click.Group) -> None:
    @cli.group()
    def fresno() -> None:
        """Fresno County's tools."""

    @fresno.command("digest")
    @click.option(
        "--since",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        help="Only changes on or after this date (UTC), e.g. 2024-09-01.",
    )
    @click.pass_obj
    def show_digest(state: CliState, since: datetime | None) -> None:
        """Enrollment changes of Fresno members, oldest first.

        Example: cpnetwork --db network.db fresno digest --since 2024-09-01
        """
        network = state.open(read_only=True)
        with network.storage.transaction() as tx:
            entries = digest(tx, since.replace(tzinfo=UTC) if since else None)
        for entry in entries:
            before = entry.from_status or "new"
            echo(
                f"{entry.at:%Y-%m-%d %H:%M} {entry.member_email}: {entry.program_title} "
                f"{before} -> {entry.to_status} ({entry.reason})"
            )
        echo(f"{len(entries)} change(s)")
