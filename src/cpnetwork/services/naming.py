"""How messages name people, organizations, programs and places: by name and code.

A refusal a coordinator reads ("the organization quota of 1 for Oakland Unified (CDS
01612590000000) is filled") names what it is about as people know it, never only by an
internal id.  These helpers read what they name once, only when a message is built.
"""

from __future__ import annotations

from cpnetwork.model import Member, Organization, Program, QuotaScope
from cpnetwork.services.unit_of_work import UnitOfWork


def member_label(member: Member) -> str:
    """``Ada Lovelace <ada@example.org>``, or the email alone when there is no name."""
    return member.email if member.name == member.email else f"{member.name} <{member.email}>"


def organization_label(organization: Organization) -> str:
    """``Oakland Unified (CDS 01612590000000)``: the name with every external code."""
    codes = ", ".join(
        f"{scheme.upper()} {code}" for scheme, code in sorted(organization.identifiers.items())
    )
    return f"{organization.name} ({codes})" if codes else organization.name


def program_label(program: Program) -> str:
    """``'Science Leadership Academy' (2024)``: the title and the program year."""
    return f"{program.title!r} ({program.program_year})"


def member_named(uow: UnitOfWork, member_id: str) -> str:
    """The member's label, or their id in quotes when the record is gone."""
    member = uow.tx.get(Member, member_id)
    return member_label(member) if member is not None else f"member {member_id!r}"


def organization_named(uow: UnitOfWork, organization_id: str) -> str:
    organization = uow.tx.get(Organization, organization_id)
    if organization is None:
        return f"organization {organization_id!r}"
    return organization_label(organization)


def county_named(uow: UnitOfWork, county: str) -> str:
    """``'19' (Los Angeles)`` when a jurisdiction names the county, else ``'19'``."""
    for jurisdiction in uow.context.jurisdictions:
        found = jurisdiction.county(county)
        if found is not None and found.name.casefold() != county.casefold():
            return f"{county!r} ({found.name})"
    return repr(county)


def region_named(uow: UnitOfWork, region: str) -> str:
    """``'central' (Central Valley)`` when a jurisdiction names the region."""
    for jurisdiction in uow.context.jurisdictions:
        for known in jurisdiction.regions:
            if known.code == region and known.name and known.name != region:
                return f"{region!r} ({known.name})"
    return repr(region)


def quota_key_named(uow: UnitOfWork, scope: QuotaScope, key: str) -> str:
    """What a quota counts, named: an organization, a county, a region or a role."""
    if scope is QuotaScope.ORGANIZATION:
        return organization_named(uow, key)
    if scope is QuotaScope.COUNTY:
        return county_named(uow, key)
    if scope is QuotaScope.REGION:
        return region_named(uow, key)
    return repr(key)
