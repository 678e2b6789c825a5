"""``cpnetwork sessions``: when and where programs meet, and who came."""

from __future__ import annotations

from collections import Counter

import click
from rich.console import RenderableType

from cpnetwork.cli._output import console, details, moment, plain, span, table
from cpnetwork.cli._state import CliError, CliState, find_member, find_program, pass_state
from cpnetwork.errors import NotFoundError
from cpnetwork.files import replace_file
from cpnetwork.model import AttendanceStatus


@click.group("sessions")
def sessions_group() -> None:
    """List and show the sessions of programs; write them as a calendar."""


@sessions_group.command(
    "list",
    epilog="""\b
Examples:
  cpnetwork sessions list
  cpnetwork sessions list --program "Science Leadership Academy" --cancelled
""",
)
@click.option("--program", metavar="ID_OR_TITLE", help="Only sessions of this program.")
@click.option("--cancelled", is_flag=True, help="Include cancelled sessions.")
@pass_state
def list_sessions(state: CliState, program: str | None, cancelled: bool) -> None:
    """List sessions by start time, in each session's own time zone."""
    network = state.open(read_only=True)
    program_id = find_program(network, program).id if program is not None else None
    found = network.sessions.find(program_id, include_cancelled=cancelled)
    out = console()
    if not found:
        out.print("No sessions match.")
        return
    titles = {p.id: p.title for p in network.programs.find()}
    columns = ["id", "start", "duration", "title", "kind", "modality"]
    if program_id is None:
        columns.append("program")
    shown = table(None, *columns)
    for session in found:
        title = f"{session.title} (cancelled)" if session.cancelled else session.title
        row: list[RenderableType] = [
            plain(session.id),
            moment(session.start, session.timezone),
            span(session.duration),
            plain(title),
            plain(session.kind),
            plain(session.modality),
        ]
        if program_id is None:
            row.append(plain(titles.get(session.program_id, session.program_id)))
        shown.add_row(*row)
    shown.caption = f"{len(found)} session{'s' if len(found) != 1 else ''}"
    out.print(shown)


@sessions_group.command(
    "show",
    epilog="""\b
Examples:
  cpnetwork sessions show 7d41...
""",
)
@click.argument("session", metavar="ID")
@pass_state
def show_session(state: CliState, session: str) -> None:
    """Show a session: schedule, place, and attendance by status."""
    network = state.open(read_only=True)
    found = network.sessions.get(session)
    try:
        program = network.programs.get(found.program_id).title
    except NotFoundError:
        program = found.program_id
    zone = found.timezone
    out = console()
    out.print(
        details(
            [
                ("id", plain(found.id)),
                ("program", plain(program)),
                ("kind", plain(found.kind)),
                ("start", moment(found.start, zone)),
                ("end", moment(found.end, zone)),
                ("time zone", plain(zone)),
                ("modality", plain(found.modality)),
                ("venue", plain(found.venue)),
                ("join url", plain(found.join_url)),
                ("capacity", plain(found.capacity)),
                ("counts toward completion", plain(found.counts_toward_completion)),
                ("module", plain(found.module)),
                ("track", plain(found.track)),
                ("series", plain(found.series_id)),
                ("cancelled", plain(found.cancelled)),
            ],
            title=found.title,
        )
    )
    counts = Counter(record.status for record in network.attendance.for_session(found.id))
    attendance = table("Attendance", "status", "count")
    for status in AttendanceStatus:
        attendance.add_row(status.value, str(counts.get(status, 0)))
    attendance.caption = f"{sum(counts.values())} recorded"
    out.print(attendance)


@sessions_group.command(
    "ics",
    epilog="""\b
Examples:
  cpnetwork sessions ics -o network.ics
  cpnetwork sessions ics --program "Science Leadership Academy" -o academy.ics
  cpnetwork sessions ics --member ada@example.org -o - | less
""",
)
@click.option("--program", metavar="ID_OR_TITLE", help="Only sessions of this program.")
@click.option(
    "--member",
    metavar="EMAIL_OR_ID",
    help="Only sessions of programs this member is accepted, enrolled or completed in.",
)
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True, writable=True),
    help="Where to write the calendar ('-' for stdout).",
)
@pass_state
def sessions_ics(state: CliState, program: str | None, member: str | None, output: str) -> None:
    """Write sessions as an iCalendar (.ics) feed that calendar programs subscribe to.

    Without options, every session of the network.  A recurring series is one event
    with its rule, skipped and moved occurrences included; cancelled one-off sessions
    are marked cancelled.  FILE is replaced only once the calendar is complete, so it
    can be published where subscribers fetch it.
    """
    network = state.open(read_only=True)
    program_id = find_program(network, program).id if program is not None else None
    member_id = find_member(network, member).id if member is not None else None
    data = network.sessions.ics(program_id, member_id=member_id)
    if output == "-":
        click.echo(data, nl=False)  # bytes go to the binary stream, as written
        return
    try:
        replace_file(output, data, private=False)  # a feed to publish: the umask decides
    except OSError as exc:
        raise CliError(f"cannot write {output}: {exc.strerror or exc}") from exc
    events = data.count(b"\r\nBEGIN:VEVENT\r\n")
    click.echo(f"Wrote {events} event{'s' if events != 1 else ''} to {output}.", err=True)
