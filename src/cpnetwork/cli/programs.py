"""``cpnetwork programs``: programs, their enrollment policy and where enrollment stands."""

from __future__ import annotations

import click
from rich.console import RenderableType

from cpnetwork.cli._output import console, details, moment, plain, span, table
from cpnetwork.cli._state import CliState, find_program, pass_state
from cpnetwork.errors import NotFoundError
from cpnetwork.model import (
    CompletionRule,
    EligibilityRule,
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
    """List and show programs and their enrollment."""


@programs_group.command(
    "list",
    epilog="""\b
Examples:
  cpnetwork programs list
  cpnetwork programs list --year 2024
""",
)
@click.option("--year", type=int, help="Only programs of this program year.")
@pass_state
def list_programs(state: CliState, year: int | None) -> None:
    """List programs by program year and title, with the seats left."""
    network = state.open(read_only=True)
    found = network.programs.find({"program_year": year} if year is not None else None)
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
""",
)
@click.argument("program", metavar="ID_OR_TITLE")
@click.option("--enrollments", is_flag=True, help="Also list every enrollment (with its id).")
@pass_state
def show_program(state: CliState, program: str, enrollments: bool) -> None:
    """Show a program: its enrollment policy, seats left and enrollments by status."""
    network = state.open(read_only=True)
    found = find_program(network, program)
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
