"""Survey impact: per statement, the percent who agree or strongly agree, with n.

The shape of the published table in seed 000 ("Educators agree that the network has
had an impact by: increasing their ability to implement NGSS ... 96%"), one row per
statement and program year so years compare.  Counted in the store: two grouped
counts per statement (answered, agreeing) by month of submission, folded into
program years (a program year starting mid-month is read from its month's first day).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from attrs import frozen

from cpnetwork.model import Survey
from cpnetwork.reports.filters import Scope
from cpnetwork.reports.report import Chart, Section, column
from cpnetwork.services.surveys import agreement_counts, reported
from cpnetwork.storage.base import Month

if TYPE_CHECKING:
    from cpnetwork.network import Network


@frozen(kw_only=True)
class ItemResult:
    """One statement's agreement in one program year."""

    survey: str = column("Survey", "the survey's title")
    statement: str = column("Statement", "the item's prompt")
    year: int = column("Program year", "the program year responses were submitted in")
    n: int = column("n", "respondents who answered the statement")
    agreeing: int = column("Agreeing", "answered agree or strongly agree (4-5; yes on yes/no)")
    percent_agree: float | None = column("% agree", "agreeing / n, 0-100 (None: nobody answered)")


def build(network: Network, scope: Scope) -> Sequence[Section]:
    profile = network.profile
    zone = ZoneInfo(profile.timezone)
    rows: list[ItemResult] = []
    with network.reports.reading() as tx:
        surveys = tx.find(Survey, _surveys_where(scope), order_by=["title"])
        for survey in surveys:
            where: dict[str, Any] = dict(scope.responses(survey.id))
            if scope.filters.year is not None:
                start, end = profile.program_year_bounds(scope.filters.year)
                where["submitted_at__ge"] = max(
                    datetime.combine(start, time(), zone), where.get("submitted_at__ge", _EARLIEST)
                )
                where["submitted_at__lt"] = min(
                    datetime.combine(end, time(), zone), where.get("submitted_at__lt", _LATEST)
                )
            for item in survey.items:
                if not reported(item):
                    continue
                month = [Month("submitted_at", profile.timezone)]
                answered, agreeing = agreement_counts(tx, item, where, month)
                years: dict[int, list[int]] = {}
                for counts, slot in ((answered, 0), (agreeing, 1)):
                    for (text,), n in counts.items():
                        year, month_number = (int(part) for part in text.split("-"))
                        program_year = profile.program_year(date(year, month_number, 1))
                        years.setdefault(program_year, [0, 0])[slot] += n
                rows += [
                    ItemResult(
                        survey=survey.title,
                        statement=item.prompt,
                        year=year,
                        n=n,
                        agreeing=agreed,
                        percent_agree=round(100 * agreed / n, 1) if n else None,
                    )
                    for year, (n, agreed) in sorted(years.items())
                ]
    latest: dict[tuple[str, str], ItemResult] = {}
    for row in rows:
        latest[(row.survey, row.statement)] = row  # rows run oldest year first
    return [
        Section(key="items", title="Percent who agree or strongly agree", row_type=ItemResult,
                rows=rows),
        Section(key="latest", title="Agreement, latest year of each statement",
                row_type=ItemResult, rows=list(latest.values()),
                chart=Chart(label="statement", values=("percent_agree",), horizontal=True,
                            limit=100)),
    ]  # fmt: skip


_EARLIEST = datetime(1, 1, 2, tzinfo=ZoneInfo("UTC"))
_LATEST = datetime(9999, 12, 30, tzinfo=ZoneInfo("UTC"))


def _surveys_where(scope: Scope) -> dict[str, Any]:
    """Surveys of the programs selected; with no program filter every survey."""
    if scope.program_ids is None:
        return {}
    return {"program_id": list(scope.program_ids)}
