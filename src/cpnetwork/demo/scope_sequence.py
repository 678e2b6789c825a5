"""Seed 003: a statewide professional-learning scope & sequence for 2024/25.

Three core beliefs; a Science Leadership Academy by application (due September 15,
limited capacity: a virtual kickoff on October 16, 2024, a two-day institute at the
Exploratorium from January 30, 2025 and monthly virtual learning communities); an
Administrators Science Support Network by interest form (first session September 27
at 10:30); and an in-person convening in Sacramento for representatives of the 58
county offices (November 7, 2024, with a conference track, closing with a keynote on
Sunday November 10).  Capacities, quotas and the learning communities' hour are the
demo's own choices; dates and structure are the seed's.
"""

from __future__ import annotations

from datetime import timedelta

from attrs import frozen

from cpnetwork.demo.clock import pacific
from cpnetwork.model import (
    CompletionRule,
    EligibilityRule,
    EnrollmentPolicy,
    Module,
    Organization,
    Priority,
    Program,
    Quota,
    Session,
)
from cpnetwork.network import Network

#: Roles the academy is for: "teacher leaders, TOSAs, and other professional learning providers".
ACADEMY_ROLES = ("teacher_leader", "tosa", "instructional_coach", "pl_provider", "science_lead")
#: Seats in the academy ("capacity is limited").
ACADEMY_SEATS = 24
#: Learning communities: "virtual, monthly ... year-long", October to June.
COMMUNITIES = 9
#: Seats at the convening, and per county office.
CONVENING_SEATS = 20
PER_OFFICE = 2

CORE_BELIEFS = (
    Priority(key="all_students", statement="All students are capable of excelling in science."),
    Priority(key="all_educators", statement="All educators are capable of fully serving students."),
    Priority(
        key="shifts",
        statement="The best professional learning shifts mindsets and practices, and supports "
        "educators, partners, and students to thrive.",
    ),
)


@frozen
class ScopeAndSequence:
    academy: Program
    admins: Program
    convening: Program
    communities: list[Session]


def build(net: Network, museum: Organization) -> ScopeAndSequence:
    """The core beliefs and the three programs of 2024/25, with their sessions."""
    net.update_profile(priorities=CORE_BELIEFS)
    hall = net.organizations.add(name="Lawrence Hall of Science", kind="museum", county="01")
    case = net.organizations.add(
        name="California Association of Science Educators (CASE)",
        kind="professional_association",
    )
    academy = _academy(net, museum)
    communities = [s for s in net.sessions.find(academy.id) if s.kind.value == "learning_community"]
    return ScopeAndSequence(
        academy=academy,
        admins=_admin_network(net, hall),
        convening=_convening(net, case),
        communities=communities,
    )


def _academy(net: Network, host: Organization) -> Program:
    academy = net.programs.create(
        title="Science Leadership Academy",
        program_year=2024,
        host_ids=[host.id],
        format="hybrid",
        audience="teacher leaders, TOSAs and other professional learning providers familiar "
        "with the NGSS",
        tags={"shifts"},
        policy=EnrollmentPolicy(
            mode="application",
            opens=pacific(2024, 8, 1),
            deadline=pacific(2024, 9, 15, 23, 59),
            capacity=ACADEMY_SEATS,
            offer_window=timedelta(days=5),
            eligibility=[EligibilityRule(kind="roles", allowed=ACADEMY_ROLES)],
        ),
        completion=CompletionRule(min_sessions=7, session_kinds={"learning_community"}),
    )
    net.sessions.schedule(
        academy.id,
        title="Virtual kickoff",
        kind="kickoff",
        start=pacific(2024, 10, 16, 9),
        end=pacific(2024, 10, 16, 12, 30),
        join_url="https://meet.example.org/academy-kickoff",
        counts_toward_completion=False,
    )
    net.sessions.schedule(
        academy.id,
        title="Two-day institute",
        kind="institute",
        modality="in_person",
        venue=host.name,
        start=pacific(2025, 1, 30, 8, 30),
        end=pacific(2025, 1, 31, 15, 30),
        counts_toward_completion=False,
    )
    net.sessions.schedule_series(
        academy.id,
        title="Learning community",
        rrule=f"FREQ=MONTHLY;BYDAY=3WE;COUNT={COMMUNITIES}",
        first_start=pacific(2024, 10, 16, 16),
        duration=timedelta(hours=1, minutes=30),
        join_url="https://meet.example.org/academy-lc",
    )
    net.resources.add(
        "Academy flyer", "flyer", "https://scope.example.org/academy-flyer.pdf",
        program_id=academy.id,
    )  # fmt: skip
    net.resources.add(
        "Alumni resources", "website", "https://museum.example.org/alumni",
        access="alumni", program_id=academy.id,
    )  # fmt: skip
    return academy


def _admin_network(net: Network, host: Organization) -> Program:
    network = net.programs.create(
        title="Administrators Science Support Network",
        program_year=2024,
        host_ids=[host.id],
        audience="site, district and county administrators",
        policy=EnrollmentPolicy(mode="interest"),
    )
    net.sessions.schedule(
        network.id,
        title="What is NGSS, and how can I support implementation, teaching, and learning "
        "in my system?",
        kind="meeting",
        start=pacific(2024, 9, 27, 10, 30),
        duration=timedelta(hours=1),
        join_url="https://meet.example.org/admin-network",
    )
    return network


def _convening(net: Network, case: Organization) -> Program:
    convening = net.programs.create(
        title="In-Person Science CoP & CASE Learning Track",
        program_year=2024,
        format="in_person",
        partner_ids=[case.id],
        audience="local implementation team representatives from the 58 county offices",
        tracks=[Module(key="conference", title="CASE conference track")],
        policy=EnrollmentPolicy(
            capacity=CONVENING_SEATS,
            eligibility=[
                EligibilityRule(
                    kind="organization_kinds",
                    allowed={"county_office"},
                    description="open to representatives of county offices of education",
                )
            ],
            quotas=[Quota(scope="organization", limit=PER_OFFICE)],
        ),
    )
    net.sessions.schedule(
        convening.id,
        title="Science CoP day: activating inclusive science learning",
        kind="convening",
        modality="in_person",
        venue="Sacramento",
        start=pacific(2024, 11, 7, 8, 30),
        end=pacific(2024, 11, 7, 16, 30),
    )
    net.sessions.schedule(
        convening.id,
        title="CAL-MSCS tracked sessions at the CASE conference",
        kind="workshop",
        modality="in_person",
        venue="Sacramento",
        track="conference",
        start=pacific(2024, 11, 8, 9),
        end=pacific(2024, 11, 9, 17),
        counts_toward_completion=False,
    )
    net.sessions.schedule(
        convening.id,
        title="Closing keynote: Dr. Christopher Emdin",
        kind="keynote",
        modality="in_person",
        venue="Sacramento",
        start=pacific(2024, 11, 10, 9),
        duration=timedelta(hours=1),
    )
    return convening
