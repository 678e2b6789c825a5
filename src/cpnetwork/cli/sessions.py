"""``cpnetwork sessions``: when and where programs meet, and who came."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import click
from rich.console import RenderableType

from cpnetwork.cli import _values
from cpnetwork.cli._output import console, details, echo, moment, plain, span, table
from cpnetwork.cli._state import CliError, CliState, find_member, find_program, pass_state
from cpnetwork.errors import NotFoundError
from cpnetwork.files import replace_file
from cpnetwork.model import AttendanceStatus, Modality, Session, SessionKind
from cpnetwork.network import Network
from cpnetwork.services.sessions import EditScope


@click.group("sessions")
def sessions_group() -> None:
    """Create, edit, cancel, list and show sessions of programs; write them as a calendar."""


@sessions_group.command(
    "list",
    epilog="""\b
Examples:
  cpnetwork sessions list
  cpnetwork sessions list --program "Science Leadership Academy" --cancelled
  cpnetwork sessions list --program 5b0e... --json
""",
)
@click.option("--program", metavar="ID_OR_TITLE", help="Only sessions of this program.")
@click.option("--cancelled", is_flag=True, help="Include cancelled sessions.")
@_values.json_option
@pass_state
def list_sessions(state: CliState, program: str | None, cancelled: bool, as_json_: bool) -> None:
    """List sessions by start time, in each session's own time zone."""
    network = state.open(read_only=True)
    program_id = find_program(network, program).id if program is not None else None
    found = network.sessions.find(program_id, include_cancelled=cancelled)
    if as_json_:
        _values.echo_json(found)
        return
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
  cpnetwork sessions show 7d41... --json
""",
)
@click.argument("session", metavar="ID")
@_values.json_option
@pass_state
def show_session(state: CliState, session: str, as_json_: bool) -> None:
    """Show a session: schedule, place, and attendance by status."""
    network = state.open(read_only=True)
    found = network.sessions.get(session)
    if as_json_:
        records = network.attendance.for_session(found.id)
        counts = Counter(record.status.value for record in records)
        _values.echo_json(
            {
                "session": found,
                "attendance_by_status": {s.value: counts.get(s.value, 0) for s in AttendanceStatus},
            }
        )
        return
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


def _session_options(function: Any) -> Any:
    """The options ``sessions create`` and ``sessions edit`` share."""
    for option in reversed(
        [
            click.option("--title", help="What the session is called."),
            click.option(
                "--start",
                metavar="TIME",
                help="When it starts (2024-10-16 09:00, on the session's wall clock).",
            ),
            click.option("--end", metavar="TIME", help="When it ends (or give --duration)."),
            click.option("--duration", metavar="DURATION", help="How long: 90m, 1h30m, 2d."),
            click.option(
                "--kind", type=click.Choice([k.value for k in SessionKind]), help="Kind of session."
            ),
            click.option(
                "--modality",
                type=click.Choice([m.value for m in Modality]),
                help="Virtual, in person or hybrid.",
            ),
            click.option("--venue", help="Where it meets."),
            click.option("--join-url", metavar="URL", help="The video meeting link."),
            click.option("--capacity", type=click.IntRange(min=0), help="Seats in the room."),
        ]
    ):
        function = option(function)
    return function


def _session_fields(
    zone: str,
    *,
    title: str | None,
    start: str | None,
    end: str | None,
    duration: str | None,
    kind: str | None,
    modality: str | None,
    venue: str | None,
    join_url: str | None,
    capacity: int | None,
) -> dict[str, Any]:
    if end is not None and duration is not None:
        raise click.UsageError("give --end or --duration, not both")
    fields: dict[str, Any] = {}
    if start is not None:
        fields["start"] = _values.moment(start, zone)
    if end is not None:
        fields["end"] = _values.moment(end, zone)
    if duration is not None:
        fields["duration"] = _values.duration(duration)
    for name, value in (
        ("title", title),
        ("kind", kind),
        ("modality", modality),
        ("venue", venue),
        ("join_url", join_url),
        ("capacity", capacity),
    ):
        if value is not None:
            fields[name] = value
    return fields


def _said(network: Network, session: Session, verb: str) -> str:
    try:
        program = network.programs.get(session.program_id).title
    except NotFoundError:
        program = session.program_id
    when = moment(session.start, session.timezone)
    return f"{verb} session {session.title!r} of {program!r} at {when}: {session.id}"


@sessions_group.command(
    "create",
    epilog="""\b
Examples:
  cpnetwork sessions create 5b0e... --title Kickoff --start "2024-10-16 09:00" --duration 90m
  cpnetwork sessions create "Science Leadership Academy" --title Retreat --start 2025-06-23T09:00 --duration 2d --modality in_person --venue Asilomar
  cpnetwork sessions create 5b0e... --title PLC --start 2024-10-02T16:00 --duration 1h --rrule FREQ=WEEKLY
""",  # noqa: E501
)
@click.argument("program", metavar="PROGRAM")
@_session_options
@click.option(
    "--timezone",
    metavar="ZONE",
    help="The session's IANA time zone (default: the network's); times are read in it.",
)
@click.option(
    "--rrule",
    metavar="RULE",
    help="Repeat by this RFC 5545 rule (FREQ=WEEKLY;COUNT=6): a series, one session each time.",
)
@_values.json_option
@pass_state
def create_session(
    state: CliState,
    program: str,
    title: str | None,
    start: str | None,
    end: str | None,
    duration: str | None,
    kind: str | None,
    modality: str | None,
    venue: str | None,
    join_url: str | None,
    capacity: int | None,
    timezone: str | None,
    rrule: str | None,
    as_json_: bool,
) -> None:
    """Schedule a session of PROGRAM (an id or an exact title).

    Give --title, --start and --end or --duration.  With --rrule the session repeats:
    a series is created with one session per occurrence (to the end of the program
    year unless the rule has COUNT or UNTIL).
    """
    if title is None or start is None or (end is None and duration is None):
        raise click.UsageError("give --title, --start and --end or --duration")
    network = state.open()
    found = find_program(network, program)
    zone = timezone or network.profile.timezone
    _values.zone_of(zone)
    fields = _session_fields(
        zone,
        title=title,
        start=start,
        end=end,
        duration=duration,
        kind=kind,
        modality=modality,
        venue=venue,
        join_url=join_url,
        capacity=capacity,
    )
    fields["timezone"] = zone
    if rrule is None:
        created = [network.sessions.schedule(found.id, **fields)]
    else:
        first: datetime = fields.pop("start")
        length: timedelta = fields.pop("end") - first if "end" in fields else fields.pop("duration")
        _series, created = network.sessions.schedule_series(
            found.id,
            rrule=rrule,
            first_start=first,
            duration=length,
            **fields,
        )
    if as_json_:
        _values.echo_json(created if rrule is not None else created[0])
        return
    for session in created:
        echo(_said(network, session, "Scheduled"))


SCOPE = click.option(
    "--scope",
    type=click.Choice([s.value for s in EditScope]),
    default=EditScope.THIS.value,
    show_default=True,
    help="For a session of a series: this one, this and the following, or all.",
)


@sessions_group.command(
    "edit",
    epilog="""\b
Examples:
  cpnetwork sessions edit 7d41... --start "2024-10-16 10:00" --venue "Room 4"
  cpnetwork sessions edit 7d41... --title "Kickoff (moved)" --scope all
""",
)
@click.argument("session", metavar="ID")
@_session_options
@SCOPE
@_values.json_option
@pass_state
def edit_session(
    state: CliState,
    session: str,
    title: str | None,
    start: str | None,
    end: str | None,
    duration: str | None,
    kind: str | None,
    modality: str | None,
    venue: str | None,
    join_url: str | None,
    capacity: int | None,
    scope: str,
    as_json_: bool,
) -> None:
    """Change a session; only the options given change.

    Times are read on the session's wall clock.  For a session of a series, --scope
    says which occurrences change (a new --start moves the series as far as this one).
    """
    network = state.open()
    found = network.sessions.get(session)
    changes = _session_fields(
        found.timezone,
        title=title,
        start=start,
        end=end,
        duration=duration,
        kind=kind,
        modality=modality,
        venue=venue,
        join_url=join_url,
        capacity=capacity,
    )
    if not changes:
        raise click.UsageError("nothing to change: give at least one option")
    edited = network.sessions.edit(found.id, scope, **changes)
    if as_json_:
        _values.echo_json(edited)
        return
    echo(_said(network, edited, "Changed"))


@sessions_group.command(
    "cancel",
    epilog="""\b
Examples:
  cpnetwork sessions cancel 7d41...
  cpnetwork sessions cancel 7d41... --scope this_and_following
""",
)
@click.argument("session", metavar="ID")
@SCOPE
@pass_state
def cancel_session(state: CliState, session: str, scope: str) -> None:
    """Cancel a session (or, for a series, this and the following or all of them)."""
    network = state.open()
    cancelled = network.sessions.cancel(session, scope)
    echo(_said(network, cancelled, "Cancelled"))
