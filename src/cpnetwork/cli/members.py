"""``cpnetwork members``: list and show the people of the network."""

from __future__ import annotations

import json
from typing import IO, Any

import click
from rich.console import RenderableType

from cpnetwork.cli import _values
from cpnetwork.cli._output import console, details, echo, moment, plain, table, terminal_safe
from cpnetwork.cli._state import CliState, find_member, pass_state
from cpnetwork.errors import NotFoundError
from cpnetwork.files import replace_file
from cpnetwork.model import Member, Role
from cpnetwork.network import Network


def county_keys(network: Network, county: str) -> list[str]:
    """What members of ``county`` may hold: its code and name if a jurisdiction knows it."""
    for jurisdiction in network.jurisdictions:
        found = jurisdiction.county(county)
        if found is not None:
            return sorted({found.code, found.name})
    return [county]


def county_label(network: Network, county: str | None) -> str | None:
    """``19`` → ``19 (Los Angeles)`` when a jurisdiction names the county."""
    if county is None:
        return None
    for jurisdiction in network.jurisdictions:
        found = jurisdiction.county(county)
        if found is not None and found.name != county:
            return f"{county} ({found.name})"
    return county


@click.group("members")
def members_group() -> None:
    """List and show members of the network."""


@members_group.command(
    "list",
    epilog="""\b
Examples:
  cpnetwork members list
  cpnetwork members list --county 19 --role tosa --limit 20
  cpnetwork members list --json
""",
)
@click.option("--county", help="Only members in this county (code or name).")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role], case_sensitive=False),
    help="Only members with this role.",
)
@click.option("--limit", type=click.IntRange(min=1), help="Show at most this many.")
@_values.json_option
@pass_state
def list_members(
    state: CliState, county: str | None, role: str | None, limit: int | None, as_json_: bool
) -> None:
    """List members by family and given name."""
    network = state.open(read_only=True)
    where: dict[str, Any] = {}
    if county is not None:
        where["county"] = county_keys(network, county)
    if role is None:
        found = network.members.find(where, limit=limit)
    else:
        wanted = Role(role.lower())
        found = [m for m in network.members.find(where) if wanted in m.roles][:limit]
    if as_json_:
        _values.echo_json(found)
        return
    out = console()
    if not found:
        out.print("No members match.")
        return
    shown = table(None, "id", "email", "name", "roles", "county")
    for member in found:
        shown.add_row(
            plain(member.id),
            plain(member.email),
            plain(member.name if member.name != member.email else ""),
            plain(member.roles),
            plain(member.county),
        )
    shown.caption = f"{len(found)} member{'s' if len(found) != 1 else ''}"
    out.print(shown)


def _profile(network: Network, member: Member) -> list[tuple[str, RenderableType]]:
    rows: list[tuple[str, RenderableType]] = [
        ("id", plain(member.id)),
        ("email", plain(member.email)),
        ("name", plain(f"{member.given_name} {member.family_name}".strip())),
        ("roles", plain(member.roles)),
        ("grade bands", plain(member.grade_bands)),
        ("county", plain(county_label(network, member.county))),
        ("joined", plain(member.joined)),
        ("equity focus", plain(member.equity_focus)),
        ("teachers supported", plain(member.reach.teachers_supported)),
        ("students reached", plain(member.reach.students_reached)),
        ("consents to updates", plain(member.consents_to_updates)),
    ]
    rows += [(name, plain(value)) for name, value in sorted(member.custom.items())]
    return rows


@members_group.command(
    "show",
    epilog="""\b
Examples:
  cpnetwork members show ada@example.org
  cpnetwork members show 9f1c2e...
  cpnetwork members show ada@example.org --json
""",
)
@click.argument("member", metavar="EMAIL_OR_ID")
@_values.json_option
@pass_state
def show_member(state: CliState, member: str, as_json_: bool) -> None:
    """Show a member: profile, affiliations and enrollments."""
    network = state.open(read_only=True)
    found = find_member(network, member)
    if as_json_:
        listed = network.enrollment.find(where={"member_id": found.id})
        _values.echo_json({"member": found, "enrollments": listed})
        return
    out = console()
    out.print(details(_profile(network, found), title=found.name))
    if found.affiliations:
        affiliations = table("Affiliations", "organization", "title", "start", "end", "primary")
        for affiliation in found.affiliations:
            try:
                organization = network.organizations.get(affiliation.organization_id).name
            except NotFoundError:
                organization = affiliation.organization_id
            affiliations.add_row(
                plain(organization),
                plain(affiliation.title),
                plain(affiliation.start),
                plain(affiliation.end),
                plain(affiliation.primary),
            )
        out.print(affiliations)
    enrollments = network.enrollment.find(where={"member_id": found.id})
    if enrollments:
        shown = table("Enrollments", "id", "program", "status", "updated")
        zone = network.profile.timezone
        for enrollment in enrollments:
            try:
                program = network.programs.get(enrollment.program_id).title
            except NotFoundError:
                program = enrollment.program_id
            shown.add_row(
                plain(enrollment.id),
                plain(program),
                plain(enrollment.status),
                moment(enrollment.updated_at, zone),
            )
        out.print(shown)


@members_group.command(
    "erase",
    epilog="""\b
Examples:
  cpnetwork members erase ada@example.org --yes
""",
)
@click.argument("member", metavar="EMAIL_OR_ID")
@click.option("--yes", is_flag=True, help="Erase without asking.")
@pass_state
def erase_member_command(state: CliState, member: str, yes: bool) -> None:
    """Erase a member's personal data everywhere; anonymous counts stay right.

    Names, email, affiliations, form answers, free-text survey answers, messages and
    what plugins keep about them are removed; attendance and enrollment counts stay.
    This cannot be undone.
    """
    network = state.open()
    found = find_member(network, member)
    if not yes:
        click.confirm(f"Erase {terminal_safe(found.email)} ({found.id}) for good?", abort=True)
    erased = network.members.erase(found.id)
    echo(f"Erased member {erased.id}.")


@members_group.command(
    "export-data",
    epilog="""\b
Examples:
  cpnetwork members export-data ada@example.org -o ada.json
""",
)
@click.argument("member", metavar="EMAIL_OR_ID")
@click.option(
    "-o",
    "--output",
    "file",
    default="-",
    show_default=True,
    help="Where to write the JSON ('-' for stdout).",
)
@pass_state
def export_member_data(state: CliState, member: str, file: str) -> None:
    """Write everything held about one member as JSON (their right to know).

    A file is written beside FILE and renamed onto it only once complete, readable by
    its owner only (mode 0600): it holds personal data.
    """
    network = state.open(read_only=True)
    data = network.members.export_data(find_member(network, member).id)

    def write(out: IO[str]) -> None:
        json.dump(data, out, indent=2, sort_keys=True, ensure_ascii=False)
        out.write("\n")

    if file == "-":
        with click.open_file(file, "w", encoding="utf-8") as out:
            write(out)
    else:
        replace_file(file, write)
