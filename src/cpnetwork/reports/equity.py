"""The equity report: the share of members serving historically marginalized students.

"80% of the participants work with students who are historically marginalized" (seed
000): overall, by program and by region.  Members who have not said are counted as
unknown, never as no; the share is given both of those who said and of everyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from attrs import frozen

from cpnetwork.model import SEAT_STATUSES, Enrollment, EquityFocus, Member, Program
from cpnetwork.reports.filters import Scope
from cpnetwork.reports.places import Places, natural
from cpnetwork.reports.report import Chart, Section, column
from cpnetwork.storage.base import Matching

if TYPE_CHECKING:
    from cpnetwork.network import Network


@frozen(kw_only=True)
class EquityShare:
    """How many of a group serve historically marginalized students."""

    group: str = column("Group", "everyone, a program or a region")
    members: int = column("Members", "members in the group")
    serving: int = column(
        "Serving", "members who say they serve historically marginalized students"
    )
    not_serving: int = column("Not serving", "members who say they do not")
    unknown: int = column("Unknown", "members who have not said")
    percent_of_known: float | None = column(
        "% of those who said", "serving / (serving + not serving), 0-100 (None: nobody said)"
    )
    percent_of_all: float | None = column(
        "% of all", "serving / members, 0-100, unknowns counted as not known to serve"
    )


def share(group: str, counts: dict[str, int]) -> EquityShare:
    """A row from counts by equity focus value."""
    yes = counts.get(EquityFocus.YES.value, 0)
    no = counts.get(EquityFocus.NO.value, 0)
    unknown = counts.get(EquityFocus.UNKNOWN.value, 0)
    members = yes + no + unknown
    return EquityShare(
        group=group,
        members=members,
        serving=yes,
        not_serving=no,
        unknown=unknown,
        percent_of_known=round(100 * yes / (yes + no), 1) if yes + no else None,
        percent_of_all=round(100 * yes / members, 1) if members else None,
    )


def build(network: Network, scope: Scope) -> Sequence[Section]:
    places = Places(network.jurisdictions, scope)
    where: dict[str, Any] = dict(scope.members())
    with network.reports.reading() as tx:
        by_county = tx.count(Member, where, group_by=["county", "equity_focus"])
        # Participants: enrollments holding a seat, counted by their member's answer.
        participants: dict[str, Any] = {**scope.enrollments(), "status": list(SEAT_STATUSES)}
        by_program: dict[str, dict[str, int]] = {}
        for focus in EquityFocus:
            answered = {**where, "equity_focus": focus.value}
            counted = tx.count(
                Enrollment,
                {**participants, "member_id": Matching(Member, answered)},
                group_by=["program_id"],
            )
            for (program_id,), n in counted.items():
                by_program.setdefault(program_id, {})[focus.value] = n
        programs = tx.find(Program, {"id": sorted(by_program)}, order_by=["-program_year", "title"])
    overall: dict[str, int] = {}
    regions: dict[str, dict[str, int]] = {}
    for (stored, focus), n in by_county.items():
        overall[focus] = overall.get(focus, 0) + n
        county = places.county(stored)
        region = county.region_code if county is not None else None
        if region is not None:
            regions.setdefault(region, {}).setdefault(focus, 0)
            regions[region][focus] += n
    region_rows = [
        share(places.region_names.get(code, code), counts)
        for code, counts in sorted(regions.items(), key=lambda item: natural(item[0]))
    ]
    program_rows = [share(f"{p.title} ({p.program_year})", by_program[p.id]) for p in programs]
    chart = Chart(label="group", values=("percent_of_known",), horizontal=True, limit=100)
    return [
        Section(key="overall", title="Serving historically marginalized students",
                row_type=EquityShare, rows=[share("All members", overall)]),
        Section(key="by_program", title="By program (participants holding a seat)",
                row_type=EquityShare, rows=program_rows, chart=chart),
        Section(key="by_region", title="By region", row_type=EquityShare, rows=region_rows,
                notes=["Members whose county no registered jurisdiction knows are left out here."]),
    ]  # fmt: skip
