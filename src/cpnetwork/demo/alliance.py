"""Seed 002: a long-running science professional-development alliance.

Its history as the seed tells it: established in 1987 from the merger of CSIN, SPAN
and the SS&C programs; a timeline of milestones from the NGSS adoption (2013) to
virtual NextGen TIME (2020); state and national partners; recognitions (the CASE
Distinguished Contributions award, WestEd's Paul Hood Award); and its impact.  Its
CA NGSS K-8 Early Implementation Initiative (2014-2020: eight districts and two charter
management organizations) is loaded as a finished program with synthetic teacher
leaders, whose reported reach gives the impact counts (the reach report filtered to
the program).  Districts, charter networks and people are synthetic.
"""

from __future__ import annotations

from datetime import date

from attrs import frozen

from cpnetwork.demo.clock import pacific
from cpnetwork.demo.people import People
from cpnetwork.model import Affiliation, EnrollmentPolicy, Member, Organization, Program
from cpnetwork.network import Network

#: (year, title, description) from the seed's timeline of activities.
MILESTONES = (
    (1987, "K-12 Alliance established",
     "The California Science Implementation Network (CSIN, 1987), the NSF State Systemic "
     "Initiative (1992), SPAN (1997) and Scope, Sequence and Coordination (1989) merge"),
    (2013, "CA Adoption NGSS",
     "Facilitates the California Science Expert Panel for the adoption of the NGSS"),
    (2013, "CA NGSS Collaborative",
     "Joins the CDE, CCSESA, the California Science Project and CSTA to launch the "
     "CA NGSS Collaborative"),
    (2014, "State Implementation Plan",
     "Facilitates the NGSS Systems Implementation Plan for California Science"),
    (2014, "Early Implementers",
     "Launches the CA NGSS K-8 Early Implementation Initiative: 8 districts and 2 charter "
     "management organizations"),
    (2015, "CFCC Committee",
     "Trained educators serve on the Curriculum Framework Criteria Committee"),
    (2016, "Distinguished Contributions", "CASE Distinguished Contributions award"),
    (2016, "Science Collaboration Committee",
     "Joins the California Science Collaboration Committee"),
    (2017, "NextGen TIME", "Partners with BSCS and Achieve to create NextGen TIME"),
    (2018, "CA NGSS TIME", "Leads the CA NGSS Collaborative in customizing NextGen TIME"),
    (2018, "Instructional Materials Adoption",
     "16 trained educators serve on the Science Instructional Materials Adoption committee"),
    (2018, "OpenSciEd", "Becomes the official California partner for OpenSciEd"),
    (2019, "NGSS Learning Sequences", "Begins releasing designed-for-NGSS learning sequences K-8"),
    (2020, "Virtual NextGen TIME",
     "Partners with BSCS to develop, field test and pilot virtual NextGen TIME"),
)  # fmt: skip

#: (partner, role, start year, end year) as the seed lists them; years only where it says.
STATE_PARTNERS = (
    ("Cal Alive!", "", None, None),
    ("Cal Water Challenge", "", None, None),
    ("California Environmental Literacy Initiative (CAELI)", "", None, None),
    ("California Partnership for Math and Science Education (CAPMSE)",
     "Science Community of Practice", 2016, None),
    ("CISC/Genentech: It's All About the Electron", "", None, None),
    ("Education and the Environment Initiative (EEI)", "", None, None),
    ("FOSS Leadership Academy", "", None, None),
    ("UC/CSU Environmental and Climate Change Literacy Summit (ECCLPS)", "", None, None),
)  # fmt: skip
NATIONAL_PARTNERS = (
    ("BSCS/WestEd National Academy for Curriculum Leadership (NACL)", "", None, None),
    ("COVID-19 Outdoor Learning Initiative", "", None, None),
    ("Center for the Assessment and Evaluation of Student Learning (CAESL)", "", 2000, 2005),
    ("Disney Planet Challenge", "", None, None),
    ("National Academy for Science and Mathematics Education Leadership (NASMEL)", "", None,
     None),
    ("NextGen Toolkit for Instructional Materials Evaluation (TIME)",
     "with Achieve and BSCS", 2017, None),
    ("Using Data Project (UDP)", "", None, None),
)  # fmt: skip

#: Early Implementation districts and charter networks (synthetic), with their counties.
EARLY_IMPLEMENTERS = (
    ("district", "10"), ("district", "15"), ("district", "19"), ("district", "30"),
    ("district", "34"), ("district", "37"), ("district", "43"), ("district", "49"),
    ("charter_network", "19"), ("charter_network", "01"),
)  # fmt: skip
#: Teacher leaders per Early Implementation organization.
LEADERS_PER_ORGANIZATION = 12


@frozen
class Alliance:
    alliance: Organization
    partners: list[Organization]
    early_implementation: Program
    teacher_leaders: list[Member]


def build(net: Network, people: People, capmse: Organization) -> Alliance:
    """The alliance, its timeline, partners, recognitions and Early Implementation."""
    wested = net.organizations.add(name="WestEd", kind="nonprofit")
    alliance = net.organizations.add(
        name="K-12 Alliance",
        kind="nonprofit",
        parent_id=wested.id,
        website="https://k12.example.org",
    )
    for year, title, description in MILESTONES:
        net.history.add_milestone(year, title, description=description)
    partners = []
    for scope, listed in (("state", STATE_PARTNERS), ("national", NATIONAL_PARTNERS)):
        for name, role, start, end in listed:
            organization = capmse if name == capmse.name else net.organizations.add(
                name=name, kind="other"
            )  # fmt: skip
            partners.append(organization)
            net.history.add_partnership(
                organization.id,
                role=role or "partner of the K-12 Alliance",
                scope=scope,
                start=date(start, 1, 1) if start else None,
                end=date(end, 12, 31) if end else None,
            )
    case = net.organizations.find({"name": "California Association of Science Educators (CASE)"})
    net.history.recognize(
        "Distinguished Contributions award", 2016, organization_id=alliance.id,
        awarded_by=case[0].name if case else "CASE",
        description="for work advancing NGSS in California",
    )  # fmt: skip
    net.history.recognize(
        "Paul Hood Award", 2008, organization_id=alliance.id, awarded_by="WestEd",
        description="to the K-12 Alliance Regional Directors for a team's Outstanding "
        "Contribution to the Field",
    )  # fmt: skip
    program, leaders = _early_implementation(net, people, alliance)
    for leader, (title, year) in zip(
        leaders[:: LEADERS_PER_ORGANIZATION * 3],
        (("Teacher Leadership Award", 2019), ("District Teacher of the Year", 2021),
         ("Distinguished Service Award", 2023), ("Administrator Leadership Award", 2024)),
        strict=False,
    ):  # fmt: skip
        net.history.recognize(
            title, year, member_id=leader.id, organization_id=alliance.id,
            awarded_by="CASE" if "Year" not in title else "the district",
            description="a synthetic teacher leader of the demo",
        )  # fmt: skip
    return Alliance(
        alliance=alliance, partners=partners, early_implementation=program, teacher_leaders=leaders
    )


def _early_implementation(
    net: Network, people: People, alliance: Organization
) -> tuple[Program, list[Member]]:
    organizations = net.organizations.add_many(
        Organization(
            name=f"Early Implementer {'District' if kind == 'district' else 'Charter Network'} "
            f"{chr(ord('A') + n)} (synthetic)",
            kind=kind,
            county=county,
        )
        for n, (kind, county) in enumerate(EARLY_IMPLEMENTERS)
    )
    rng = people.rng
    leaders = net.members.add_many(
        people.member(
            roles=[rng.choice(["teacher_leader", "teacher_leader", "site_administrator"])],
            county=organization.county,
            domain=f"ei{n:02d}",
            teachers=rng.randint(15, 60),
            students=rng.randint(400, 1500),
            equity=rng.choice(["yes", "yes", "yes", "no", "unknown"]),
            affiliations=[Affiliation(organization_id=organization.id, title="Teacher leader")],
            joined=date(2014, 8, 1),
        )
        for n, organization in enumerate(organizations)
        for _ in range(LEADERS_PER_ORGANIZATION)
    )
    program = net.programs.create(
        title="CA NGSS K-8 Early Implementation Initiative",
        program_year=2014,
        host_ids=[alliance.id],
        audience="8 school districts and 2 charter management organizations",
        description="A fast-start demonstration project (2014-2020) building districts' "
        "capacity to fully implement the NGSS K-8",
        policy=EnrollmentPolicy(mode="invitation"),
    )
    finished = pacific(2020, 6, 30, 17)
    net.enrollment.import_many((m.id, program.id, "completed", None, finished) for m in leaders)
    return program, leaders
