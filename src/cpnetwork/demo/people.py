"""Synthetic people: obviously fake names, example.org addresses, a seeded generator.

Every person the demo adds is made here, so no real name or address ever enters it:
given names come from a short list, the family name is ``Example`` with a number
(``Avery Example-0042``), and mail goes to ``example.org``.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from datetime import date

from cpnetwork.model import Affiliation, EquityFocus, Member, Role

GIVEN_NAMES = (
    "Avery", "Blake", "Casey", "Dana", "Emery", "Finley", "Gray", "Harper", "Indigo",
    "Jordan", "Kai", "Lane", "Morgan", "Noel", "Oakley", "Parker", "Quinn", "Reese",
    "Sage", "Taylor", "Uri", "Val", "Wren", "Yael",
)  # fmt: skip


class People:
    """Numbered synthetic people; each call continues the numbering, so no two repeat."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.count = 0

    def member(
        self,
        *,
        roles: Iterable[Role | str],
        county: str | None,
        domain: str,
        teachers: int | None = None,
        students: int | None = None,
        equity: EquityFocus | str = EquityFocus.UNKNOWN,
        affiliations: Sequence[Affiliation] = (),
        joined: date | None = None,
    ) -> Member:
        """The next synthetic person, at ``domain`` (a subdomain of example.org)."""
        self.count += 1
        number = self.count
        given = GIVEN_NAMES[number % len(GIVEN_NAMES)]
        grade = self.rng.choice(["k_2", "3_5", "6_8", "9_12"])
        return Member(
            email=f"{given.lower()}.example-{number:04d}@{domain}.example.org",
            given_name=given,
            family_name=f"Example-{number:04d}",
            roles=list(roles),
            grade_bands=[grade],
            county=county,
            reach={"teachers_supported": teachers, "students_reached": students},
            equity_focus=equity,
            affiliations=list(affiliations),
            joined=joined,
        )
