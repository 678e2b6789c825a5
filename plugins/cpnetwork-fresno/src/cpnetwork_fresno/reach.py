"""Fresno's section of the reach report: the county's members by science cohort."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from attrs import frozen

from cpnetwork import hookimpl
from cpnetwork.model import Member
from cpnetwork.reports import Chart, Filters, Section, column
from cpnetwork_fresno.rules import COHORTS, FRESNO

if TYPE_CHECKING:
    from cpnetwork.network import Network

#: What members of Fresno County may hold as their county: its code or its name.
FRESNO_KEYS = [FRESNO, "Fresno"]


@frozen(kw_only=True)
class CohortRow:
    """Fresno members who joined with one science leadership cohort."""

    cohort: str = column("Cohort", "the Fresno science leadership cohort ('(none)': not set)")
    members: int = column("Members", "Fresno County members of the cohort")


@hookimpl
def report_sections(report_name: str, filters: Filters, network: Network) -> list[Section]:
    if report_name != "reach":
        return []
    scope = filters.resolve(network)
    if scope.county_keys is not None and FRESNO not in scope.county_keys:
        return []  # the report covers other counties only
    where: dict[str, Any] = {**scope.members(), "county": FRESNO_KEYS}
    with network.reports.reading() as tx:
        # Four cohorts: one count each in the store (a custom field is not groupable).
        counts = {
            cohort: tx.count(Member, {**where, "custom.fresno_cohort": cohort}).get((), 0)
            for cohort in (*COHORTS, None)
        }
    rows = [CohortRow(cohort=cohort or "(none)", members=n) for cohort, n in counts.items()]
    return [
        Section(
            key="fresno_cohorts",
            title="Fresno County members by science cohort",
            row_type=CohortRow,
            rows=rows,
            chart=Chart(label="cohort", values=("members",)),
        )
    ]
