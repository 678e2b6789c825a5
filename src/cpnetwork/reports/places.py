"""Counties and regions as the registered jurisdictions name them, for report rows.

Members and enrollments hold a county as a code or a name; reports group by what is
stored (in the store) and read each group's county here, once per group.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cpnetwork.model import County, Jurisdiction
from cpnetwork.reports.filters import Scope

#: Shown for members whose county is not set.
NO_COUNTY = "(no county)"
#: Shown for a stored county no jurisdiction knows.
UNKNOWN_COUNTY = "(not a registered county)"


def natural(code: str) -> tuple[int, str]:
    """Codes sort as numbers where they are numbers: region "2" before region "10"."""
    return (int(code), "") if code.isdigit() else (1 << 30, code)


class Places:
    """The counties a report covers and the regions they fall in."""

    def __init__(self, jurisdictions: Iterable[Jurisdiction], scope: Scope) -> None:
        self.jurisdictions = list(jurisdictions)
        every = [c for j in self.jurisdictions for c in j.counties]
        #: The counties the report covers: those selected, else every registered one.
        self.counties: list[County] = list(scope.counties) if scope.counties is not None else every
        self.region_names = {r.code: r.name for j in self.jurisdictions for r in j.regions}

    def county(self, stored: Any) -> County | None:
        """The county a stored value (code or name) stands for, if any jurisdiction knows it."""
        if not isinstance(stored, str):
            return None
        return next((c for j in self.jurisdictions if (c := j.county(stored)) is not None), None)

    def by_code(self, counts: Mapping[tuple[Any, ...], float]) -> dict[str, float]:
        """Counts grouped by a stored county value (first key), folded onto county codes.

        Values no jurisdiction knows keep their stored text; a missing county is None.
        """
        folded: dict[str, float] = {}
        for key, value in counts.items():
            stored = key[0]
            county = self.county(stored)
            code = county.code if county is not None else (stored if stored else NO_COUNTY)
            folded[code] = folded.get(code, 0) + value
        return folded

    @staticmethod
    def county_label(code: str) -> str:
        """The name shown for a county no jurisdiction knows (or none at all)."""
        return NO_COUNTY if code == NO_COUNTY else UNKNOWN_COUNTY
