"""The network's history: its timeline of milestones, partners over time, and awards."""

from __future__ import annotations

from datetime import date
from typing import Any

from attrs import evolve

from cpnetwork.errors import ValidationError
from cpnetwork.model import (
    Member,
    Milestone,
    Organization,
    Partnership,
    PartnershipScope,
    Recognition,
)
from cpnetwork.services.context import Context

#: Years the history accepts; anything else is a typo (``20216``), not a year.
_FIRST_YEAR, _LAST_YEAR = 1800, 2200


def _check_year(kind: str, year: int) -> None:
    if isinstance(year, bool) or not isinstance(year, int) or not _FIRST_YEAR <= year <= _LAST_YEAR:
        raise ValidationError(
            kind, None, f"{year!r} is not a year from {_FIRST_YEAR} to {_LAST_YEAR}", field="year"
        )


def _active(partnership: Partnership, on: date) -> bool:
    """Open-ended on either side: no start means "since before records", no end "ongoing"."""
    started = partnership.start is None or partnership.start <= on
    return started and (partnership.end is None or on <= partnership.end)


class HistoryService:
    def __init__(self, context: Context) -> None:
        self._context = context

    # -- timeline ------------------------------------------------------------------
    def add_milestone(
        self, year: int, title: str, *, on: date | None = None, description: str = ""
    ) -> Milestone:
        """Add a step to the timeline; ``on`` (a day) is optional, as history often
        knows only the year.  A day given must fall in ``year``."""
        _check_year("Milestone", year)
        if on is not None and on.year != year:
            raise ValidationError(
                "Milestone", None, f"{on.isoformat()} is not in {year}", field="on"
            )
        milestone = Milestone(year=year, title=title, on=on, description=description)
        with self._context.unit_of_work() as uow:
            uow.tx.insert(milestone)
            uow.record_changed(milestone, created=True)
        return milestone

    def timeline(self, *, since: int | None = None, until: int | None = None) -> list[Milestone]:
        """Milestones oldest first: by year, then by day (undated ones open their year)."""
        where: dict[str, Any] = {}
        if since is not None:
            where["year__ge"] = since
        if until is not None:
            where["year__le"] = until
        with self._context.reading() as tx:
            return tx.find(Milestone, where, order_by=("year", "on", "title"))

    # -- partners ------------------------------------------------------------------
    def add_partnership(
        self,
        organization_id: str,
        *,
        role: str = "",
        scope: PartnershipScope | str = PartnershipScope.STATE,
        start: date | None = None,
        end: date | None = None,
        description: str = "",
    ) -> Partnership:
        """Record that an (existing) organization partners with the network."""
        partnership = Partnership(
            organization_id=organization_id,
            role=role,
            scope=scope,
            start=start,
            end=end,
            description=description,
        )
        with self._context.unit_of_work() as uow:
            uow.require(Organization, organization_id)
            uow.tx.insert(partnership)
            uow.record_changed(partnership, created=True)
        return partnership

    def end_partnership(self, partnership_id: str, on: date) -> Partnership:
        """Close a partnership on a day (not before it started)."""
        with self._context.unit_of_work() as uow:
            partnership = evolve(uow.require(Partnership, partnership_id), end=on)
            uow.tx.update(partnership)
            uow.record_changed(partnership, created=False)
        return partnership

    def partners(self, on: date | None = None) -> list[Partnership]:
        """Partnerships active on a day (default: today in the network's time zone).

        Filtered here rather than in the store: an open start or end is a missing
        value, and the SPI's ``where`` cannot say "missing or before"; a network has
        dozens of partnerships, not thousands.
        """
        day = on or self._context.today()
        return [p for p in self.partnerships() if _active(p, day)]

    def partnerships(self, organization_id: str | None = None) -> list[Partnership]:
        """Every partnership, past and present, by start then end (open ends first)."""
        where = {} if organization_id is None else {"organization_id": organization_id}
        with self._context.reading() as tx:
            return tx.find(Partnership, where, order_by=("start", "end"))

    # -- recognitions ----------------------------------------------------------------
    def recognize(
        self,
        title: str,
        year: int,
        *,
        member_id: str | None = None,
        organization_id: str | None = None,
        awarded_by: str = "",
        description: str = "",
    ) -> Recognition:
        """Record an award to a member, an organization, or a member at an organization."""
        _check_year("Recognition", year)
        recognition = Recognition(
            title=title,
            year=year,
            member_id=member_id,
            organization_id=organization_id,
            awarded_by=awarded_by,
            description=description,
        )
        with self._context.unit_of_work() as uow:
            if member_id is not None:
                uow.require(Member, member_id)
            if organization_id is not None:
                uow.require(Organization, organization_id)
            uow.tx.insert(recognition)
            uow.record_changed(recognition, created=True)
        return recognition

    def recognitions(
        self,
        *,
        member_id: str | None = None,
        organization_id: str | None = None,
        year: int | None = None,
    ) -> list[Recognition]:
        """Awards matching every filter given, oldest first."""
        where: dict[str, Any] = {}
        for name, value in (
            ("member_id", member_id),
            ("organization_id", organization_id),
            ("year", year),
        ):
            if value is not None:
                where[name] = value
        with self._context.reading() as tx:
            return tx.find(Recognition, where, order_by=("year", "title"))
