"""The reach report: members and leaders by county, region and role; county coverage.

"More than 1,100 leaders from every county, reaching 100,000 teachers" (seed 000) is
this report's summary row.  Every number is a grouped count or sum in the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from attrs import frozen

from cpnetwork.model import Member, Role
from cpnetwork.reports.filters import Scope
from cpnetwork.reports.places import Places, natural
from cpnetwork.reports.report import Chart, Section, column
from cpnetwork.storage.base import Each

if TYPE_CHECKING:
    from cpnetwork.network import Network

#: Roles that make a member a leader: everyone who leads or supports other educators.
LEADER_ROLES: tuple[Role, ...] = (
    Role.TEACHER_LEADER,
    Role.TOSA,
    Role.INSTRUCTIONAL_COACH,
    Role.SITE_ADMINISTRATOR,
    Role.DISTRICT_ADMINISTRATOR,
    Role.COUNTY_ADMINISTRATOR,
    Role.SCIENCE_LEAD,
    Role.PL_PROVIDER,
)

_TEACHERS = "reach.teachers_supported"
_STUDENTS = "reach.students_reached"


@frozen(kw_only=True)
class ReachSummary:
    """The network's reach in one row."""

    members: int = column("Members", "members the filters select")
    leaders: int = column(
        "Leaders", "members holding a leadership role (teacher leader, TOSA, coach, "
        "administrator, science lead or professional-learning provider)"
    )  # fmt: skip
    coverage: str = column(
        "Coverage", '"N of M": counties with at least one member, of those covered'
    )
    counties_covered: int = column("Counties with members", "counties with at least one member")
    counties: int = column(
        "Counties", "counties covered: those selected, else every registered one"
    )
    teachers_supported: int | None = column(
        "Teachers supported", "sum of the teachers members report supporting (None: nobody reports)"
    )
    members_reporting_teachers: int = column(
        "Members reporting teachers", "members who report how many teachers they support"
    )
    students_reached: int | None = column(
        "Students reached", "sum of the students members report reaching (None: nobody reports)"
    )
    members_reporting_students: int = column(
        "Members reporting students", "members who report how many students they reach"
    )


@frozen(kw_only=True)
class CountyReach:
    """One county's members, leaders and downstream reach."""

    county: str = column("County code", "the county's code (or the value stored, if unknown)")
    name: str = column("County", "the county's name")
    region: str | None = column("Region", "the region the county belongs to")
    members: int = column("Members", "members in the county")
    leaders: int = column("Leaders", "members in the county holding a leadership role")
    teachers_supported: int | None = column(
        "Teachers supported", "teachers the county's members report supporting (None: no report)"
    )
    students_reached: int | None = column(
        "Students reached", "students the county's members report reaching (None: no report)"
    )


@frozen(kw_only=True)
class RegionReach:
    """One region's members and county coverage."""

    region: str = column("Region code", "the region's code")
    name: str = column("Region", "the region's name")
    members: int = column("Members", "members in the region's counties")
    leaders: int = column("Leaders", "members there holding a leadership role")
    coverage: str = column("Coverage", '"N of M": the region\'s counties with members')


@frozen(kw_only=True)
class RoleReach:
    """Members holding one role (a member with two roles counts under each)."""

    role: str = column("Role", "the role (None: members with no role given)")
    members: int = column("Members", "members holding the role")


@frozen(kw_only=True)
class UncoveredCounty:
    """A county with no member."""

    county: str = column("County code", "the county's code")
    name: str = column("County", "the county's name")
    region: str | None = column("Region", "the region it belongs to")


def _known(total: float, reporting: float) -> int | None:
    return int(total) if reporting else None


def build(network: Network, scope: Scope) -> Sequence[Section]:
    """The reach report's sections: summary, by county, region, role; counties with no one."""
    places = Places(network.jurisdictions, scope)
    where: dict[str, Any] = dict(scope.members())
    with network.reports.reading() as tx:
        # One pass over the members for every number by county, one for the roles.
        counted = tx.aggregate(
            Member,
            where,
            group_by=["county"],
            counts={"leaders": {"roles__has": list(LEADER_ROLES)}},
            sums=[_TEACHERS, _STUDENTS],
        )
        roles = tx.count(Member, where, group_by=[Each("roles")])
    members = places.by_code({k: a.count for k, a in counted.items()})
    leaders = places.by_code({k: a.counts["leaders"] for k, a in counted.items()})
    sums = {
        name: places.by_code({k: a.sums[name] for k, a in counted.items()})
        for name in (_TEACHERS, _STUDENTS)
    }
    reporting = {
        name: places.by_code({k: a.present[name] for k, a in counted.items()})
        for name in (_TEACHERS, _STUDENTS)
    }

    def county_row(code: str, name: str, region: str | None) -> CountyReach:
        return CountyReach(
            county=code,
            name=name,
            region=places.region_names.get(region or "", region),
            members=int(members.get(code, 0)),
            leaders=int(leaders.get(code, 0)),
            teachers_supported=_known(
                sums[_TEACHERS].get(code, 0), reporting[_TEACHERS].get(code, 0)
            ),
            students_reached=_known(
                sums[_STUDENTS].get(code, 0), reporting[_STUDENTS].get(code, 0)
            ),
        )

    by_county = [county_row(c.code, c.name, c.region_code) for c in places.counties]
    covered_codes = {c.code for c in places.counties}
    # Values no registered county matches (or none at all), so no member goes uncounted.
    for code in sorted(set(members) - covered_codes):
        if scope.counties is None:
            by_county.append(county_row(code, places.county_label(code), None))
    uncovered = [c for c in places.counties if not members.get(c.code)]
    covered = len(places.counties) - len(uncovered)
    total_members = int(sum(members.values()))
    summary = ReachSummary(
        members=total_members,
        leaders=int(sum(leaders.values())),
        coverage=f"{covered} of {len(places.counties)}",
        counties_covered=covered,
        counties=len(places.counties),
        teachers_supported=_known(
            sum(sums[_TEACHERS].values()), sum(reporting[_TEACHERS].values())
        ),
        members_reporting_teachers=int(sum(reporting[_TEACHERS].values())),
        students_reached=_known(sum(sums[_STUDENTS].values()), sum(reporting[_STUDENTS].values())),
        members_reporting_students=int(sum(reporting[_STUDENTS].values())),
    )
    regions: dict[str, list[CountyReach]] = {}
    for county, row in zip(places.counties, by_county, strict=False):
        if county.region_code is not None:
            regions.setdefault(county.region_code, []).append(row)
    by_region = [
        RegionReach(
            region=code,
            name=places.region_names.get(code, code),
            members=sum(r.members for r in rows),
            leaders=sum(r.leaders for r in rows),
            coverage=f"{sum(1 for r in rows if r.members)} of {len(rows)}",
        )
        for code, rows in sorted(regions.items(), key=lambda item: natural(item[0]))
    ]
    order = {role.value: n for n, role in enumerate(Role)}
    by_role = [
        RoleReach(role=key[0] if key[0] is not None else "(none given)", members=n)
        for key, n in sorted(roles.items(), key=lambda item: order.get(item[0][0], len(order)))
    ]
    no_one = [
        UncoveredCounty(
            county=c.code, name=c.name, region=places.region_names.get(c.region_code or "")
        )
        for c in uncovered
    ]
    names = ", ".join(c.name for c in uncovered) or "none"
    return [
        Section(
            key="summary",
            title="Reach",
            row_type=ReachSummary,
            rows=[summary],
            notes=[f"Counties with no member: {names}."] if places.counties else [],
        ),
        Section(
            key="by_county",
            title="Members by county",
            row_type=CountyReach,
            rows=by_county,
            chart=Chart(label="name", values=("members", "leaders"), horizontal=True),
        ),
        Section(key="by_region", title="Members by region", row_type=RegionReach, rows=by_region),
        Section(key="by_role", title="Members by role", row_type=RoleReach, rows=by_role),
        Section(
            key="no_members",
            title="Counties with no member",
            row_type=UncoveredCounty,
            rows=no_one,
        ),
    ]
