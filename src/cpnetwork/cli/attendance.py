"""``cpnetwork attendance``: who came to a session, recorded by hand and listed."""

from __future__ import annotations

import click

from cpnetwork.cli import _values
from cpnetwork.cli._output import console, echo, moment, plain, table
from cpnetwork.cli._state import CliState, find_member, pass_state
from cpnetwork.model import AttendanceStatus


@click.group("attendance")
def attendance_group() -> None:
    """Record attendance by hand and list who came to a session."""


@attendance_group.command(
    "record",
    epilog="""\b
Examples:
  cpnetwork attendance record 7d41... ada@example.org --status present --minutes 90
  cpnetwork attendance record 7d41... ada@example.org --status excused
""",
)
@click.argument("session", metavar="SESSION")
@click.argument("member", metavar="MEMBER_EMAIL")
@click.option(
    "--status",
    required=True,
    type=click.Choice([s.value for s in AttendanceStatus]),
    help="Present, partial, absent or excused.",
)
@click.option("--minutes", type=click.IntRange(min=0), help="Minutes attended.")
@_values.json_option
@pass_state
def record_attendance(
    state: CliState,
    session: str,
    member: str,
    status: str,
    minutes: int | None,
    as_json_: bool,
) -> None:
    """Record (or correct) one member's attendance at one session, by hand.

    SESSION is a session id (`cpnetwork sessions list` shows them); MEMBER_EMAIL may
    also be a member id.  The member need not be enrolled: drop-ins count too.
    """
    network = state.open()
    found = network.sessions.get(session)
    person = find_member(network, member)
    record = network.attendance.record(found.id, person.id, status, minutes=minutes)
    if as_json_:
        _values.echo_json(record)
        return
    spent = f", {record.minutes} minutes" if record.minutes is not None else ""
    echo(f"{person.email} at {found.title!r}: {record.status.value}{spent}")


@attendance_group.command(
    "list",
    epilog="""\b
Examples:
  cpnetwork attendance list 7d41...
  cpnetwork attendance list 7d41... --json
""",
)
@click.argument("session", metavar="SESSION")
@_values.json_option
@pass_state
def list_attendance(state: CliState, session: str, as_json_: bool) -> None:
    """List everyone recorded at a session, in the order they were recorded."""
    network = state.open(read_only=True)
    found = network.sessions.get(session)
    records = network.attendance.for_session(found.id)
    member_ids = sorted({r.member_id for r in records})
    people = network.members.find({"id": member_ids}) if member_ids else []
    emails = {m.id: m.email for m in people}
    if as_json_:
        _values.echo_json(
            [{**_values.as_json(r), "member_email": emails.get(r.member_id)} for r in records]
        )
        return
    out = console()
    if not records:
        out.print("No attendance recorded.")
        return
    shown = table(found.title, "member", "status", "minutes", "source", "recorded", ids=())
    for record in records:
        shown.add_row(
            plain(emails.get(record.member_id, record.member_id)),
            plain(record.status),
            plain(record.minutes),
            plain(record.source),
            moment(record.recorded_at, found.timezone),
        )
    shown.caption = f"{len(records)} recorded"
    out.print(shown)
