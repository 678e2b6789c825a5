"""Seed 000: a museum's K-12 Science Leader Network.

"Over 1,100 leaders from every county in California ... impact 100,000 teachers
locally ... 80% of the participants work with students who are historically
marginalized", launched in 2016, with an external evaluation whose table gives the
percent of educators agreeing with each statement.  The leaders here are synthetic
(one to three per county guaranteed, the rest spread at random); the structure and
the evaluation's statements and percentages are the seed's.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import date

from attrs import frozen

from cpnetwork.demo.clock import pacific
from cpnetwork.demo.people import People
from cpnetwork.model import (
    Affiliation,
    Answer,
    EnrollmentPolicy,
    ItemKind,
    Jurisdiction,
    Member,
    Organization,
    Program,
    Survey,
    SurveyItem,
)
from cpnetwork.network import Network

#: How many leaders the network holds ("over 1,100 leaders").
LEADERS = 1_100
#: Share of leaders serving historically marginalized students ("80% of the participants").
EQUITY_SHARE = 0.80
#: Leaders guaranteed in every county ("from every county in California").
PER_COUNTY = 3
#: Respondents to the evaluation survey: 200 makes every published percentage exact.
RESPONDENTS = 200

#: Roles of the network's leaders, with how often each is drawn.
ROLES: tuple[tuple[str, int], ...] = (
    ("teacher_leader", 30), ("tosa", 16), ("instructional_coach", 12), ("science_lead", 8),
    ("pl_provider", 8), ("site_administrator", 6), ("district_administrator", 5),
    ("county_administrator", 4), ("teacher", 8), ("informal_educator", 3),
)  # fmt: skip
#: Roles whose holders work for their county office.
OFFICE_ROLES = frozenset({"science_lead", "county_administrator", "tosa"})


@frozen
class Statement:
    """One line of the published evaluation table: what was asked, and % agreeing."""

    key: str
    prompt: str
    percent: int
    kind: ItemKind = ItemKind.LIKERT


#: "Educators agree that the K-12 Leader Network has had an impact by: ..." and the
#: external evaluation's three figures (Inverness Research, 2024), as published.
EVALUATION: tuple[Statement, ...] = (
    Statement("ngss", "Increased my ability to implement NGSS in my local context", 96),
    Statement("pd_quality", "Made me a better provider of quality professional development "
              "in science", 95),
    Statement("advocacy", "Gave me greater confidence in advocating for science improvement", 93),
    Statement("leadership", "Increased my confidence as a leader", 93),
    Statement("community", "Provided a professional community that is important to me", 88),
    Statement("institutes", "Rated the leadership institutes as high in quality", 100,
              ItemKind.RATING),
    Statement("effective", "Made me a more effective provider of professional development", 95),
    Statement("equity", "Increased my access to ideas and resources for addressing equity "
              "issues", 90),
)  # fmt: skip


@frozen
class LeaderNetwork:
    museum: Organization
    program: Program
    leaders: list[Member]
    survey: Survey


def build(
    net: Network,
    people: People,
    state: Jurisdiction,
    offices: Mapping[str, Organization],
) -> LeaderNetwork:
    """The museum, its leaders in all 58 counties, their roster, and the evaluation."""
    rng = people.rng
    museum = net.organizations.add(
        name="Exploratorium", kind="museum", county="38", website="https://museum.example.org"
    )
    counties = [c.code for c in state.counties]
    places = [code for code in counties for _ in range(PER_COUNTY)]
    places += rng.choices(counties, k=LEADERS - len(places))
    rng.shuffle(places)
    equity = set(rng.sample(range(LEADERS), round(EQUITY_SHARE * LEADERS)))
    roles, weights = zip(*ROLES, strict=True)
    leaders = []
    for n, county in enumerate(places):
        role = rng.choices(roles, weights)[0]
        teachers = rng.randint(20, 160) if role != "teacher" else rng.randint(1, 4)
        office = offices[county]
        leaders.append(
            people.member(
                roles=[role],
                county=county,
                domain=f"coe{county}",
                teachers=teachers,
                students=teachers * rng.randint(22, 30) if rng.random() < 0.7 else None,
                equity="yes" if n in equity else "no",
                affiliations=[Affiliation(organization_id=office.id, title=_title(role))]
                if role in OFFICE_ROLES
                else (),
                joined=date(rng.randint(2016, 2023), rng.randint(1, 12), 1),
            )
        )
    leaders = net.members.add_many(leaders)
    program = net.programs.create(
        title="K-12 Science Leader Network",
        program_year=2024,
        host_ids=[museum.id],
        description="A statewide network of science leaders, launched in 2016, with sustained "
        "inquiry-based professional development.",
        audience="teacher leaders, coaches, TOSAs and administrators from every county",
        policy=EnrollmentPolicy(mode="invitation"),
    )
    # The roster as it stood when the network moved onto cpnetwork: one import.
    joined = pacific(2024, 7, 1, 9)
    net.enrollment.import_many((m.id, program.id, "enrolled", None, joined) for m in leaders)
    net.history.add_milestone(
        2016,
        "K-12 Science Leader Network launched",
        description="The Exploratorium's network of educators serving as change agents in "
        "their districts, from remote rural areas to urban centers",
    )
    survey = net.surveys.create(
        "K-12 Science Leader Network evaluation",
        [SurveyItem(key=s.key, prompt=s.prompt, kind=s.kind) for s in EVALUATION],
        program_id=program.id,
        anonymous=True,
    )
    return LeaderNetwork(museum=museum, program=program, leaders=leaders, survey=survey)


def evaluation_answers(rng: random.Random, n: int = RESPONDENTS) -> list[dict[str, Answer]]:
    """``n`` responses agreeing with each statement in exactly its published share."""
    responses: list[dict[str, Answer]] = [{} for _ in range(n)]
    for statement in EVALUATION:
        agreeing = set(rng.sample(range(n), round(statement.percent * n / 100)))
        for number, response in enumerate(responses):
            response[statement.key] = (
                rng.choice((4, 5, 5)) if number in agreeing else rng.choice((1, 2, 3, 3))
            )
    return responses


def _title(role: str) -> str:
    return {"science_lead": "County science lead", "county_administrator": "Director"}.get(
        role, "Science TOSA"
    )


def leaders_in(leaders: Sequence[Member], counties: Sequence[str]) -> list[Member]:
    """The leaders of these counties, in the order they were added."""
    wanted = set(counties)
    return [m for m in leaders if m.county in wanted]
