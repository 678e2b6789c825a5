"""A small network for the report tests, built by hand; every store gets the same one.

Every number the report tests expect is worked out from what is written here; the
same expectations on every store show the stores agree.

=====  ==========================  =============  ===================  ======  ==========
who    name                        county         roles                equity  reach
=====  ==========================  =============  ===================  ======  ==========
m1     Ada                         10 (Fresno)    tosa                 yes     30 t, 600 s
m2     Ben                         Fresno (name)  teacher              no      -
m3     Cy                          19             science_lead,        yes     100 t
                                                  county_administrator
m4     Di                          19             (none)               unknown -
m5     Ed                          (none)         teacher_leader       yes     50 s
m6     <script>alert(1)</script>   01             teacher              unknown -
m7     =HYPERLINK("http://x")      01             pl_provider          no      10 t
=====  ==========================  =============  ===================  ======  ==========

Academy (application, capacity 2): m1 and m3 accepted and enrolled, m2 declined, m6
waitlisted, m7 withdrew; three sessions (Oct, Jan, Feb); m1 attends two and completes,
m3 one and is incomplete.  Admin network (interest): m4 invited, m5 interested.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import cpnetwork_california
from attrs import frozen

from cpnetwork import Network, hookimpl
from cpnetwork.model import CompletionRule, EnrollmentPolicy, Member, SurveyItem
from cpnetwork.reports import Filters, ReportDefinition, Scope, Section, column
from cpnetwork.testing.pytest_plugin import FrozenClock

LA = ZoneInfo("America/Los_Angeles")
SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x")'


def open_network(url: str, clock: FrozenClock, plugins: tuple[Any, ...] = ()) -> Network:
    return Network.open(
        url,
        name="Test Leaders",
        clock=clock,
        load_entrypoints=False,
        plugins=(cpnetwork_california, *plugins),
    )


def build_small_network(net: Network, clock: FrozenClock) -> dict[str, Any]:
    """Writes the network of the module docstring; returns its records by name."""
    members = net.members
    m1 = members.add(
        email="m1@x.org",
        given_name="Ada",
        county="10",
        roles=["tosa"],
        equity_focus="yes",
        reach={"teachers_supported": 30, "students_reached": 600},
        joined=date(2024, 8, 1),
    )
    m2 = members.add(
        email="m2@x.org",
        given_name="Ben",
        county="Fresno",
        roles=["teacher"],
        equity_focus="no",
        joined=date(2023, 5, 1),
    )
    m3 = members.add(
        email="m3@x.org",
        given_name="Cy",
        county="19",
        roles=["science_lead", "county_administrator"],
        equity_focus="yes",
        reach={"teachers_supported": 100},
    )
    m4 = members.add(email="m4@x.org", given_name="Di", county="19")
    m5 = members.add(
        email="m5@x.org",
        given_name="Ed",
        roles=["teacher_leader"],
        equity_focus="yes",
        reach={"students_reached": 50},
    )
    m6 = members.add(email="m6@x.org", given_name=SCRIPT, county="01", roles=["teacher"])
    m7 = members.add(email="m7@x.org", given_name=FORMULA, county="01", roles=["pl_provider"],
                     equity_focus="no", reach={"teachers_supported": 10})  # fmt: skip
    museum = net.organizations.add(name="Exploratorium", kind="museum", county="38")
    hall = net.organizations.add(name="Lawrence Hall of Science", kind="museum", county="01")
    academy = net.programs.create(
        title="Science Leadership Academy",
        program_year=2024,
        host_ids=[museum.id],
        audience="teacher leaders, TOSAs and PL providers",
        format="hybrid",
        policy=EnrollmentPolicy(
            mode="application", capacity=2, deadline=datetime(2024, 9, 15, 23, 59, tzinfo=LA)
        ),
        completion=CompletionRule(min_sessions=2),
    )
    admins = net.programs.create(
        title="Administrators Science Support Network",
        program_year=2024,
        host_ids=[hall.id],
        audience="site, district and county administrators",
        policy=EnrollmentPolicy(mode="interest"),
    )
    enrollment = net.enrollment
    e1 = enrollment.apply(academy.id, m1.id)
    e2 = enrollment.apply(academy.id, m2.id)
    e3 = enrollment.apply(academy.id, m3.id)
    e6 = enrollment.apply(academy.id, m6.id)
    e7 = enrollment.apply(academy.id, m7.id)
    clock.advance(timedelta(days=10))
    for accepted in (e1, e3):
        enrollment.accept(accepted.id)
        enrollment.confirm(accepted.id)
    enrollment.decline(e2.id)
    enrollment.waitlist(e6.id)
    enrollment.withdraw(e7.id)
    enrollment.express_interest(admins.id, m4.id)
    enrollment.invite(admins.id, m4.id)
    enrollment.express_interest(admins.id, m5.id)
    sessions = net.sessions
    kickoff = sessions.schedule(
        academy.id,
        title="Virtual kickoff",
        kind="kickoff",
        start=datetime(2024, 10, 16, 16, 0, tzinfo=LA),
        duration=timedelta(hours=3),
    )
    institute = sessions.schedule(
        academy.id,
        title="Institute at the Exploratorium",
        kind="institute",
        modality="in_person",
        venue="Pier 15",
        start=datetime(2025, 1, 30, 9, 0, tzinfo=LA),
        end=datetime(2025, 1, 31, 16, 0, tzinfo=LA),
    )
    community = sessions.schedule(academy.id, title="Learning community", kind="learning_community",
                                  start=datetime(2025, 2, 19, 16, 0, tzinfo=LA),
                                  duration=timedelta(hours=1))  # fmt: skip
    net.attendance.record_many(
        [
            (kickoff.id, m1.id, "present"),
            (kickoff.id, m3.id, "present"),
            (institute.id, m1.id, "present"),
            (institute.id, m3.id, "absent"),
            (community.id, m1.id, "absent"),
            (community.id, m3.id, "excused"),
        ]
    )
    enrollment.evaluate_completion(academy.id)
    survey = net.surveys.create(
        "Network impact",
        [
            SurveyItem(key="ngss", prompt="increased my ability to implement NGSS", kind="likert"),
            SurveyItem(key="community", prompt="gave me a professional community", kind="likert"),
            SurveyItem(key="comments", prompt="anything else?", kind="text"),
        ],
    )
    clock.now = datetime(2024, 5, 1, 17, 0, tzinfo=UTC)  # program year 2023
    net.surveys.respond(survey.id, {"ngss": 5}, member_id=m2.id)
    clock.now = datetime(2025, 5, 1, 17, 0, tzinfo=UTC)  # program year 2024
    net.surveys.respond(survey.id, {"ngss": 5, "community": 4}, member_id=m1.id)
    net.surveys.respond(survey.id, {"ngss": 4, "community": 2}, member_id=m3.id)
    net.surveys.respond(survey.id, {"ngss": 2, "comments": SCRIPT}, member_id=m6.id)
    clock.now = datetime(2024, 8, 1, 9, 0, tzinfo=UTC)  # today: program year 2024
    net.history.add_milestone(2016, "Network launched", description="from every county")
    net.history.add_milestone(2024, SCRIPT, description=FORMULA)
    net.history.add_partnership(museum.id, role="institutes", scope="state", start=date(2016, 1, 1))
    net.history.add_partnership(hall.id, role="admin network", scope="state",
                                start=date(2024, 7, 1))  # fmt: skip
    net.resources.add(
        "Kickoff slides", "slides", "https://example.org/kickoff", program_id=academy.id
    )
    net.resources.add("Sessions and materials 2016-2020", "document",
                      "https://example.org/archive", program_year=2016)  # fmt: skip
    return {
        "members": [m1, m2, m3, m4, m5, m6, m7],
        "academy": academy,
        "admins": admins,
        "survey": survey,
    }


@frozen(kw_only=True)
class NameRow:
    """A member by name (what a plugin's section might list)."""

    name: str = column("Name", "the member's name")
    county: str | None = column("County", "as stored")


def members_by_name(network: Network, scope: Scope) -> list[Section]:
    with network.reports.reading() as tx:
        found = tx.find(Member, scope.members(), order_by=["given_name"])
    return [
        Section(
            key="names",
            title="Members",
            row_type=NameRow,
            rows=[NameRow(name=m.name, county=m.county) for m in found],
        )
    ]


class RosterPlugin:
    """A third-party report, and a section it adds to the built-in reach report."""

    @hookimpl
    def register_reports(self) -> list[ReportDefinition]:
        return [
            ReportDefinition(
                name="roster", title="Roster", description="Members by name.", build=members_by_name
            )
        ]

    @hookimpl
    def report_sections(
        self, report_name: str, filters: Filters, network: Network
    ) -> list[Section]:
        if report_name != "reach":
            return []
        with network.reports.reading() as tx:
            n = tx.count(Member, filters.resolve(network).members()).get((), 0)
        return [Section(key="roster_size", title="Roster size", row_type=RosterSize,
                        rows=[RosterSize(members=n)])]  # fmt: skip


@frozen(kw_only=True)
class RosterSize:
    members: int = column("Members", "members on the roster")
