"""The network's history: the timeline of milestones, partners and recognitions
(seed 002), and the archive of materials by program year (seed 001).

Filters: ``since`` / ``until`` keep milestones and recognitions of those calendar
years and partners active then; ``year`` and ``program`` narrow the archive; counties
narrow partners to organizations of those counties, and recognitions to members and
organizations of those counties.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from attrs import frozen

from cpnetwork.model import (
    Member,
    Milestone,
    Organization,
    Partnership,
    Program,
    Recognition,
    Resource,
)
from cpnetwork.reports.filters import Scope
from cpnetwork.reports.report import Chart, Section, column
from cpnetwork.storage.base import Matching

if TYPE_CHECKING:
    from cpnetwork.network import Network


@frozen(kw_only=True)
class MilestoneEntry:
    """A dated step in the network's history."""

    year: int = column("Year", "the year it happened")
    title: str = column("Milestone", "what happened")
    description: str = column("Description", "more about it")


@frozen(kw_only=True)
class PartnerEntry:
    """An organization partnering with the network."""

    partner: str = column("Partner", "the organization")
    scope: str = column("Scope", "local, regional, state or national")
    role: str = column("Role", "what the partnership does")
    start: date | None = column("From", "when it began")
    end: date | None = column("Until", "when it ended (None: ongoing)")


@frozen(kw_only=True)
class RecognitionEntry:
    """An award given to a member or an organization."""

    year: int = column("Year", "the year it was given")
    title: str = column("Recognition", "the award")
    recipient: str = column("Recipient", "the member, the organization, or both")
    awarded_by: str = column("Awarded by", "who gave it")
    description: str = column("Description", "more about it")


@frozen(kw_only=True)
class MaterialEntry:
    """One item of the archive."""

    year: int | None = column("Program year", "the program year it belongs to")
    title: str = column("Material", "its title")
    kind: str = column("Kind", "slides, protocol, module, toolkit, recording, ...")
    program: str | None = column("Program", "the program it belongs to")
    access: str = column("Access", "public, members or alumni")
    url: str = column("Link", "where it lives")


@frozen(kw_only=True)
class YearCount:
    """How many materials one program year holds."""

    year: str = column("Program year", "the program year ('(none)': not set)")
    materials: int = column("Materials", "materials of that year")


def timeline(network: Network, scope: Scope) -> Sequence[Section]:
    since, until = scope.filters.since, scope.filters.until
    milestones_where: dict[str, Any] = {}
    if since is not None:
        milestones_where["year__ge"] = since.year
    if until is not None:
        milestones_where["year__le"] = until.year
    partners_where: dict[str, Any] = {}
    if scope.counties is not None:
        partners_where["organization_id"] = Matching(Organization, {"county": scope.county_keys})
    recognitions_where = dict(milestones_where)  # both by calendar year
    with network.reports.reading() as tx:
        milestones = tx.find(Milestone, milestones_where, order_by=["-year", "-on", "title"])
        partners = tx.find(Partnership, partners_where, order_by=["start"])
        recognitions = tx.find(Recognition, recognitions_where, order_by=["-year", "title"])
        organization_ids = {p.organization_id for p in partners}
        organization_ids |= {r.organization_id for r in recognitions if r.organization_id}
        organizations = {o.id: o for o in tx.find(Organization, {"id": sorted(organization_ids)})}
        member_ids = sorted({r.member_id for r in recognitions if r.member_id})
        members = {m.id: m for m in tx.find(Member, {"id": member_ids})} if member_ids else {}
    names = {key: organization.name for key, organization in organizations.items()}
    if scope.counties is not None:
        # Recognitions are few (tens): whose county is selected is read here.
        counties = set(scope.county_keys or ())
        recognitions = [
            r for r in recognitions
            if (r.member_id in members and members[r.member_id].county in counties)
            or (r.organization_id in organizations
                and organizations[r.organization_id].county in counties)
        ]  # fmt: skip
    # Partnerships are few (tens): whether one overlaps the dates is read here.
    active = [
        p for p in partners
        if (since is None or p.end is None or p.end >= since)
        and (until is None or p.start is None or p.start <= until)
    ]  # fmt: skip
    return [
        Section(key="milestones", title="Timeline", row_type=MilestoneEntry, rows=[
            MilestoneEntry(year=m.year, title=m.title, description=m.description)
            for m in milestones
        ]),
        Section(key="partners", title="Partners", row_type=PartnerEntry, rows=[
            PartnerEntry(partner=names.get(p.organization_id, p.organization_id),
                         scope=p.scope.value, role=p.role, start=p.start, end=p.end)
            for p in sorted(active, key=lambda p: (p.scope.value, names.get(p.organization_id, "")))
        ]),
        Section(key="recognitions", title="Recognitions", row_type=RecognitionEntry, rows=[
            RecognitionEntry(year=r.year, title=r.title,
                             recipient=_recipient(r, members, names),
                             awarded_by=r.awarded_by, description=r.description)
            for r in recognitions
        ]),
    ]  # fmt: skip


def _recipient(
    recognition: Recognition, members: dict[str, Member], organizations: dict[str, str]
) -> str:
    """The member's name, the organization's, or "Name (Organization)" for both."""
    person = organization = None
    if recognition.member_id is not None:
        member = members.get(recognition.member_id)
        person = member.name if member is not None else recognition.member_id
    if recognition.organization_id is not None:
        organization = organizations.get(recognition.organization_id, recognition.organization_id)
    if person and organization:
        return f"{person} ({organization})"
    return person or organization or ""


def materials(network: Network, scope: Scope) -> Sequence[Section]:
    where: dict[str, Any] = {}
    if scope.program_ids is not None:
        where["program_id"] = list(scope.program_ids)
    if scope.filters.year is not None:
        where["program_year"] = scope.filters.year
    profile = network.profile
    if scope.filters.since is not None:
        where["program_year__ge"] = profile.program_year(scope.filters.since)
    if scope.filters.until is not None:
        where["program_year__le"] = profile.program_year(scope.filters.until)
    with network.reports.reading() as tx:
        by_year = tx.count(Resource, where, group_by=["program_year"])
        found = tx.find(Resource, where, order_by=["-program_year", "title"])
        titles = {
            p.id: p.title
            for p in tx.find(Program, {"id": sorted({r.program_id for r in found if r.program_id})})
        }
    counts = [
        YearCount(year=str(year) if year is not None else "(none)", materials=n)
        for (year,), n in sorted(by_year.items(), key=lambda i: (i[0][0] is None, i[0][0] or 0))
    ]
    return [
        Section(key="by_year", title="Materials by program year", row_type=YearCount, rows=counts,
                chart=Chart(label="year", values=("materials",))),
        Section(key="archive", title="Archive", row_type=MaterialEntry, rows=[
            MaterialEntry(year=r.program_year, title=r.title, kind=r.kind.value,
                          program=titles.get(r.program_id) if r.program_id else None,
                          access=r.access.value, url=r.url)
            for r in found
        ]),
    ]  # fmt: skip
