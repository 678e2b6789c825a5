"""``cpnetwork programs``: programs, their enrollment policy and where enrollment stands."""

from __future__ import annotations

from typing import Any

import click
from attrs import evolve
from rich.console import RenderableType

from cpnetwork.cli import _values
from cpnetwork.cli._output import console, details, echo, moment, plain, span, table
from cpnetwork.cli._state import CliState, find_program, pass_state
from cpnetwork.errors import DuplicateError, NotFoundError
from cpnetwork.model import (
    CompletionRule,
    EligibilityRule,
    EnrollmentMode,
    EnrollmentPolicy,
    Format,
    Program,
    Quota,
)
from cpnetwork.network import Network


def _rule(rule: EligibilityRule) -> str:
    text = f"{rule.kind.value}: {', '.join(sorted(rule.allowed))}"
    return f"{text} ({rule.description})" if rule.description else text


def _quota(quota: Quota) -> str:
    where = f" {quota.value!r}" if quota.value is not None else ""
    return f"at most {quota.limit} per {quota.scope.value}{where}"


def _completion(rule: CompletionRule | None) -> str | None:
    if rule is None:
        return None
    needs = []
    if rule.min_sessions is not None:
        needs.append(f"at least {rule.min_sessions} sessions")
    if rule.min_fraction is not None:
        needs.append(f"{rule.min_fraction:.0%} of sessions")
    text = " and ".join(needs) or "any attendance"
    if rule.session_kinds:
        text += f" of kind {', '.join(sorted(rule.session_kinds))}"
    return text + ("; partial attendance counts" if rule.count_partial else "")


def _names(network: Network, organization_ids: tuple[str, ...]) -> list[str]:
    names = []
    for organization_id in organization_ids:
        try:
            names.append(network.organizations.get(organization_id).name)
        except NotFoundError:
            names.append(organization_id)
    return names


def _seats(capacity: int | None, left: int | None) -> str:
    return "unlimited" if capacity is None else f"{left} of {capacity}"


@click.group("programs")
def programs_group() -> None:
    """Create, edit, list and show programs and their enrollment."""


@programs_group.command(
    "list",
    epilog="""\b
Examples:
  cpnetwork programs list
  cpnetwork programs list --year 2024
  cpnetwork programs list --year 2024 --json
""",
)
@click.option("--year", type=int, help="Only programs of this program year.")
@_values.json_option
@pass_state
def list_programs(state: CliState, year: int | None, as_json_: bool) -> None:
    """List programs by program year and title, with the seats left."""
    network = state.open(read_only=True)
    found = network.programs.find({"program_year": year} if year is not None else None)
    if as_json_:
        _values.echo_json(
            [
                {**_values.as_json(p), "seats_left": network.enrollment.seats_left(p.id)}
                for p in found
            ]
        )
        return
    out = console()
    if not found:
        out.print("No programs match.")
        return
    shown = table(None, "id", "title", "year", "enrolls by", "format", "seats left")
    for program in found:
        left = network.enrollment.seats_left(program.id)
        shown.add_row(
            plain(program.id),
            plain(program.title),
            plain(program.program_year),
            plain(program.policy.mode),
            plain(program.format),
            _seats(program.policy.capacity, left),
        )
    shown.caption = f"{len(found)} program{'s' if len(found) != 1 else ''}"
    out.print(shown)


def _overview(network: Network, program: Program) -> list[tuple[str, RenderableType]]:
    policy = program.policy
    zone = network.profile.timezone
    sessions = network.sessions.find(program.id)
    return [
        ("id", plain(program.id)),
        ("program year", plain(program.program_year)),
        ("format", plain(program.format)),
        ("audience", plain(program.audience)),
        ("hosts", plain(_names(network, program.host_ids))),
        ("partners", plain(_names(network, program.partner_ids))),
        ("tracks", plain([t.key for t in program.tracks])),
        ("fee", plain(f"${program.fee_cents / 100:.2f}" if program.fee_cents else "")),
        ("sessions", plain(len(sessions))),
        ("enrolls by", plain(policy.mode)),
        ("opens", moment(policy.opens, zone)),
        ("deadline", moment(policy.deadline, zone)),
        ("seats left", _seats(policy.capacity, network.enrollment.seats_left(program.id))),
        ("waitlist", plain(policy.waitlist)),
        ("offer window", span(policy.offer_window) if policy.waitlist else plain(None)),
        ("eligibility", plain("; ".join(_rule(r) for r in policy.eligibility))),
        ("quotas", plain("; ".join(_quota(q) for q in policy.quotas))),
        ("completion", plain(_completion(program.completion))),
    ]


def _status_counts(network: Network, program: Program) -> dict[str, int]:
    counts = network.enrollment.status_counts(program.id)
    return {status.value: n for status, n in counts.items()}


@programs_group.command(
    "show",
    epilog="""\b
Examples:
  cpnetwork programs show 5b0e...
  cpnetwork programs show "Science Leadership Academy" --enrollments
  cpnetwork programs show 5b0e... --enrollments --json
""",
)
@click.argument("program", metavar="ID_OR_TITLE")
@click.option("--enrollments", is_flag=True, help="Also list every enrollment (with its id).")
@_values.json_option
@pass_state
def show_program(state: CliState, program: str, enrollments: bool, as_json_: bool) -> None:
    """Show a program: its enrollment policy, seats left and enrollments by status."""
    network = state.open(read_only=True)
    found = find_program(network, program)
    if as_json_:
        _values.echo_json(_program_json(network, found, enrollments=enrollments))
        return
    out = console()
    out.print(details(_overview(network, found), title=found.title))
    counts = {status: n for status, n in _status_counts(network, found).items() if n}
    by_status = table("Enrollments by status", "status", "count")
    for status, n in counts.items():
        by_status.add_row(status, str(n))
    by_status.caption = f"{sum(counts.values())} in all"
    out.print(by_status)
    if not enrollments:
        return
    listed = network.enrollment.find(found.id)
    member_ids = sorted({e.member_id for e in listed})
    people = network.members.find({"id": member_ids}) if member_ids else []
    emails = {member.id: member.email for member in people}
    shown = table("Enrollments", "id", "member", "status", "rank", "queue", "updated")
    for enrollment in listed:
        shown.add_row(
            plain(enrollment.id),
            plain(emails.get(enrollment.member_id, enrollment.member_id)),
            plain(enrollment.status),
            plain(enrollment.rank),
            plain(enrollment.queue_number),
            moment(enrollment.updated_at, network.profile.timezone),
        )
    out.print(shown)


def _program_json(network: Network, program: Program, *, enrollments: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "program": _values.as_json(program),
        "seats_left": network.enrollment.seats_left(program.id),
        "sessions": len(network.sessions.find(program.id)),
        "enrollments_by_status": _status_counts(network, program),
    }
    if enrollments:
        listed = network.enrollment.find(program.id)
        member_ids = sorted({e.member_id for e in listed})
        people = network.members.find({"id": member_ids}) if member_ids else []
        emails = {member.id: member.email for member in people}
        data["enrollments"] = [
            {**_values.as_json(e), "member_email": emails.get(e.member_id)} for e in listed
        ]
    return data


def _policy(
    network: Network,
    policy: EnrollmentPolicy,
    *,
    mode: str | None,
    capacity: int | None,
    unlimited: bool,
    opens: str | None,
    deadline: str | None,
    waitlist: bool | None,
    offer_window: str | None,
) -> EnrollmentPolicy:
    """``policy`` with the options given changed."""
    zone = network.profile.timezone
    changes: dict[str, Any] = {}
    if mode is not None:
        changes["mode"] = EnrollmentMode(mode)
    if unlimited:
        changes["capacity"] = None
    elif capacity is not None:
        changes["capacity"] = capacity
    if opens is not None:
        changes["opens"] = None if opens == "" else _values.opening(opens, zone)
    if deadline is not None:
        changes["deadline"] = None if deadline == "" else _values.deadline(deadline, zone)
    if waitlist is not None:
        changes["waitlist"] = waitlist
    if offer_window is not None:
        changes["offer_window"] = None if offer_window == "none" else _values.duration(offer_window)
    return evolve(policy, **changes)


def _program_options(function: Any) -> Any:
    """The options ``programs create`` and ``programs edit`` share."""
    for option in reversed(
        [
            click.option("--year", type=int, help="The program year (default: the current one)."),
            click.option(
                "--mode",
                type=click.Choice([m.value for m in EnrollmentMode]),
                help="How members get in (default: registration).",
            ),
            click.option(
                "--format",
                "format_",
                type=click.Choice([f.value for f in Format]),
                help="Virtual, in person or hybrid.",
            ),
            click.option("--capacity", type=click.IntRange(min=0), help="Seats in all."),
            click.option(
                "--opens",
                metavar="DATE_OR_TIME",
                help="When entries open: a date is its first minute (network time zone).",
            ),
            click.option(
                "--deadline",
                metavar="DATE_OR_TIME",
                help="The last minute entries are taken: a date is the end of that day.",
            ),
            click.option(
                "--waitlist/--no-waitlist",
                default=None,
                help="Keep a waitlist when seats run out.",
            ),
            click.option(
                "--offer-window",
                metavar="DURATION",
                help="How long a freed seat is offered (7d, 48h; 'none' promotes at once).",
            ),
            click.option("--description", help="What the program is."),
            click.option("--audience", help="Who it is for."),
        ]
    ):
        function = option(function)
    return function


@programs_group.command(
    "create",
    epilog="""\b
Examples:
  cpnetwork programs create Institute --year 2025 --mode application --deadline 2025-02-14
  cpnetwork programs create "Spring Convening" --capacity 200 --opens "2025-03-01 09:00"
  cpnetwork programs create Retreat --format in_person --capacity 40 --offer-window 3d --json
""",
)
@click.argument("title")
@_program_options
@_values.json_option
@pass_state
def create_program(
    state: CliState,
    title: str,
    year: int | None,
    mode: str | None,
    format_: str | None,
    capacity: int | None,
    opens: str | None,
    deadline: str | None,
    waitlist: bool | None,
    offer_window: str | None,
    description: str | None,
    audience: str | None,
    as_json_: bool,
) -> None:
    """Create a program titled TITLE with its enrollment policy.

    A program is known by its title and program year: a second program of the same
    title in the same year is refused.  Times are ISO 8601 (2024-09-15 or
    2024-09-15 17:00) on the network's wall clock; a deadline given as a date takes
    entries to the end of that day.
    """
    network = state.open()
    year = year if year is not None else network.programs.current_year()
    if network.programs.find({"title": title, "program_year": year}):
        raise DuplicateError("Program", title, f"a program of {year} already has this title")
    policy = _policy(
        network,
        EnrollmentPolicy(),
        mode=mode,
        capacity=capacity,
        unlimited=False,
        opens=opens,
        deadline=deadline,
        waitlist=waitlist,
        offer_window=offer_window,
    )
    fields: dict[str, Any] = {"title": title, "program_year": year, "policy": policy}
    if format_ is not None:
        fields["format"] = format_
    if description is not None:
        fields["description"] = description
    if audience is not None:
        fields["audience"] = audience
    created = network.programs.create(**fields)
    if as_json_:
        _values.echo_json(created)
        return
    echo(f"Created program {created.title!r} ({created.program_year}): {created.id}")


@programs_group.command(
    "edit",
    epilog="""\b
Examples:
  cpnetwork programs edit "Science Leadership Academy" --capacity 35 --deadline "2024-09-20 17:00"
  cpnetwork programs edit 5b0e... --no-waitlist --title "Science Leadership Academy 2024"
  cpnetwork programs edit 5b0e... --unlimited --deadline ""
""",
)
@click.argument("program", metavar="ID_OR_TITLE")
@click.option("--title", help="A new title.")
@_program_options
@click.option("--unlimited", is_flag=True, help="No capacity limit.")
@_values.json_option
@pass_state
def edit_program(
    state: CliState,
    program: str,
    title: str | None,
    year: int | None,
    mode: str | None,
    format_: str | None,
    capacity: int | None,
    opens: str | None,
    deadline: str | None,
    waitlist: bool | None,
    offer_window: str | None,
    description: str | None,
    audience: str | None,
    unlimited: bool,
    as_json_: bool,
) -> None:
    """Change a program: only the options given change.

    More capacity offers the freed seats to the waitlist.  An empty --opens or
    --deadline ("") removes it.
    """
    if unlimited and capacity is not None:
        raise click.UsageError("give --capacity or --unlimited, not both")
    network = state.open()
    found = find_program(network, program)
    changes: dict[str, Any] = {}
    for name, value in (
        ("title", title),
        ("program_year", year),
        ("format", format_),
        ("description", description),
        ("audience", audience),
    ):
        if value is not None:
            changes[name] = value
    policy = _policy(
        network,
        found.policy,
        mode=mode,
        capacity=capacity,
        unlimited=unlimited,
        opens=opens,
        deadline=deadline,
        waitlist=waitlist,
        offer_window=offer_window,
    )
    if policy != found.policy:
        changes["policy"] = policy
    if not changes:
        raise click.UsageError("nothing to change: give at least one option")
    edited = network.programs.update(found.id, **changes)
    if as_json_:
        _values.echo_json(edited)
        return
    echo(f"Changed program {edited.title!r} ({edited.program_year}): {edited.id}")
