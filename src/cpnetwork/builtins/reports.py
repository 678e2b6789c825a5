"""The built-in reports, registered through the same hook third-party reports use."""

from __future__ import annotations

from cpnetwork.hookspecs import hookimpl
from cpnetwork.reports import (
    ReportDefinition,
    attendance,
    catalog,
    equity,
    funnel,
    history,
    reach,
    surveys,
)


@hookimpl
def register_reports() -> list[ReportDefinition]:
    return [
        ReportDefinition(
            name="reach",
            title="Reach and county coverage",
            description="Members and leaders by county, region and role; counties with no "
            "one; teachers and students members report reaching.",
            build=reach.build,
        ),
        ReportDefinition(
            name="equity",
            title="Serving historically marginalized students",
            description="The share of members serving historically marginalized students, "
            "overall, by program and by region; unknowns shown as unknown.",
            build=equity.build,
        ),
        ReportDefinition(
            name="funnel",
            title="Enrollment funnel",
            description="Per program: applied, accepted, enrolled, completed; waitlist, "
            "declines, withdrawals and expired offers.",
            build=funnel.build,
        ),
        ReportDefinition(
            name="attendance",
            title="Attendance and completion",
            description="Attendance per session, per program and month by month; completion "
            "per program.",
            build=attendance.build,
        ),
        ReportDefinition(
            name="surveys",
            title="Survey impact",
            description="Per statement, the percent who agree or strongly agree, with n, "
            "by program year.",
            build=surveys.build,
        ),
        ReportDefinition(
            name="catalog",
            title="Scope & sequence",
            description="The program year's programs (host, audience, enrollment, deadline, "
            "capacity) and their sessions.",
            build=catalog.build,
        ),
        ReportDefinition(
            name="timeline",
            title="Timeline and partners",
            description="The network's milestones, its partners over time, and recognitions.",
            build=history.timeline,
        ),
        ReportDefinition(
            name="materials",
            title="Materials archive",
            description="Materials by program year, with their program, access and link.",
            build=history.materials,
        ),
    ]
