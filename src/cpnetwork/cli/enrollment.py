"""``enroll``, ``review``, ``confirm``, the offers and ``withdraw``: members through a program."""

from __future__ import annotations

from typing import Any

import click

from cpnetwork.cli._output import echo, terminal_safe
from cpnetwork.cli._state import CliState, find_member, find_program, pass_state
from cpnetwork.errors import NotFoundError
from cpnetwork.model import Enrollment, EnrollmentMode, EnrollmentStatus
from cpnetwork.network import Network

#: What ``enroll`` does in each enrollment mode.
VERBS = {
    EnrollmentMode.REGISTRATION: "registered",
    EnrollmentMode.APPLICATION: "applied",
    EnrollmentMode.INTEREST: "expressed interest",
    EnrollmentMode.INVITATION: "invited",
}


def _moved(network: Network, enrollment: Enrollment, before: EnrollmentStatus | None) -> str:
    """``ada@example.org in Academy: applied -> accepted (enrollment 3f...)``."""
    try:
        who = network.members.get(enrollment.member_id).email
    except NotFoundError:
        who = enrollment.member_id
    try:
        where = network.programs.get(enrollment.program_id).title
    except NotFoundError:
        where = enrollment.program_id
    step = f"{before.value} -> " if before is not None else ""
    return f"{who} in {where}: {step}{enrollment.status.value} (enrollment {enrollment.id})"


@click.command(
    epilog="""\b
Examples:
  cpnetwork enroll "Science Leadership Academy" ada@example.org
  cpnetwork enroll 5b0e... ada@example.org --track conference
"""
)
@click.argument("program", metavar="PROGRAM")
@click.argument("member", metavar="MEMBER_EMAIL")
@click.option("--track", help="The program track to join (application or registration).")
@pass_state
def enroll(state: CliState, program: str, member: str, track: str | None) -> None:
    """Enroll a member in a program the way the program takes people in.

    A program enrolling by registration registers the member (enrolled while seats
    remain, else waitlisted); by application, submits an application; by interest
    form, records interest; by invitation, invites (enrolls) them.  PROGRAM is an
    id or an exact title; MEMBER_EMAIL may also be a member id.
    """
    network = state.open()
    found = find_program(network, program)
    person = find_member(network, member)
    mode = found.policy.mode
    if track is not None and mode not in (EnrollmentMode.APPLICATION, EnrollmentMode.REGISTRATION):
        raise click.UsageError(
            f"--track: {terminal_safe(found.title)!r} enrolls by {mode.value}, without tracks"
        )
    if mode is EnrollmentMode.APPLICATION:
        enrollment = network.enrollment.apply(found.id, person.id, track=track)
    elif mode is EnrollmentMode.REGISTRATION:
        enrollment = network.enrollment.register(found.id, person.id, track=track)
    elif mode is EnrollmentMode.INTEREST:
        enrollment = network.enrollment.express_interest(found.id, person.id)
    else:
        enrollment = network.enrollment.invite(found.id, person.id)
    echo(f"{VERBS[mode]}: {_moved(network, enrollment, None)}")


@click.command(
    epilog="""\b
Examples:
  cpnetwork review 3f2a... --start
  cpnetwork review 3f2a... --accept --rank 1
  cpnetwork review 3f2a... --waitlist --rank 4 --reason "strong, but no seat left"
  cpnetwork review 3f2a... --decline --reason "outside the program's counties"
"""
)
@click.argument("enrollment", metavar="ENROLLMENT")
@click.option("--start", is_flag=True, help="Start reviewing an application.")
@click.option("--accept", is_flag=True, help="Accept into a seat.")
@click.option("--waitlist", is_flag=True, help="Put on the waitlist.")
@click.option("--decline", is_flag=True, help="Decline the application.")
@click.option("--rank", type=click.IntRange(min=1), help="Review rank, 1 best (accept, waitlist).")
@click.option("--reason", help="Why, kept in the enrollment's history.")
@pass_state
def review(
    state: CliState,
    enrollment: str,
    start: bool,
    accept: bool,
    waitlist: bool,
    decline: bool,
    rank: int | None,
    reason: str | None,
) -> None:
    """Review an application: start the review, accept, waitlist or decline it.

    ENROLLMENT is an enrollment id (`cpnetwork programs show ID --enrollments` lists
    them).  Give exactly one action.
    """
    chosen = [
        name
        for name, given in (
            ("start", start),
            ("accept", accept),
            ("waitlist", waitlist),
            ("decline", decline),
        )
        if given
    ]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --start, --accept, --waitlist, --decline")
    action = chosen[0]
    if rank is not None and action not in ("accept", "waitlist"):
        raise click.UsageError("--rank goes with --accept or --waitlist")
    if reason is not None and action == "start":
        raise click.UsageError("--reason goes with --accept, --waitlist or --decline")
    network = state.open()
    before = network.enrollment.get(enrollment).status
    options: dict[str, Any] = {"reason": reason} if reason is not None else {}
    if action == "start":
        moved = network.enrollment.start_review(enrollment)
    elif action == "accept":
        moved = network.enrollment.accept(enrollment, rank=rank, **options)
    elif action == "waitlist":
        moved = network.enrollment.waitlist(enrollment, rank=rank, **options)
    else:
        moved = network.enrollment.decline(enrollment, **options)
    echo(_moved(network, moved, before))


@click.command(
    epilog="""\b
Examples:
  cpnetwork withdraw 3f2a...
  cpnetwork withdraw 3f2a... --reason "moved out of state"
"""
)
@click.argument("enrollment", metavar="ENROLLMENT")
@click.option("--reason", help="Why, kept in the enrollment's history.")
@pass_state
def withdraw(state: CliState, enrollment: str, reason: str | None) -> None:
    """Withdraw a member from a program; a seat they held goes to the waitlist."""
    network = state.open()
    before = network.enrollment.get(enrollment).status
    options: dict[str, Any] = {"reason": reason} if reason is not None else {}
    moved = network.enrollment.withdraw(enrollment, **options)
    echo(_moved(network, moved, before))


def _step(name: str, action: str, summary: str, examples: str) -> click.Command:
    """A command taking one enrollment one step: the member's own answer."""

    @click.command(name, epilog=f"\b\nExamples:\n{examples}", help=summary)
    @click.argument("enrollment", metavar="ENROLLMENT")
    @pass_state
    def step(state: CliState, enrollment: str) -> None:
        network = state.open()
        before = network.enrollment.get(enrollment).status
        moved = getattr(network.enrollment, action)(enrollment)
        echo(_moved(network, moved, before))

    return step


confirm = _step(
    "confirm",
    "confirm",
    """Confirm an accepted member's seat: accepted -> enrolled.

    ENROLLMENT is an enrollment id (`cpnetwork programs show ID --enrollments`).
    """,
    "  cpnetwork confirm 3f2a...\n",
)
accept_offer = _step(
    "accept-offer",
    "accept_offer",
    """Take up a seat offered from the waitlist before the offer expires.

    In a program enrolling by application the member is then accepted (confirm
    enrolls them); otherwise enrolled.
    """,
    "  cpnetwork accept-offer 3f2a...\n",
)
decline_offer = _step(
    "decline-offer",
    "decline_offer",
    """Turn down a seat offered from the waitlist; it goes to the next in line.""",
    "  cpnetwork decline-offer 3f2a...\n",
)
