"""An example network, run end to end: ``make demo`` or ``python -m cpnetwork.demo``.

It plays out a year of a statewide scope & sequence like the one in the seeds: a
Science Leadership Academy by application (deadline September 15, limited capacity,
a virtual kickoff, a two-day in-person institute and monthly learning communities),
an administrators' network by interest form, and a convening by registration limited
to county-office staff with a per-office quota.  Members, reviews, offers, attendance,
completion and an end-of-year survey are generated from a fixed seed, so every run
tells the same story.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from cpnetwork.errors import CpnetworkError, QuotaReachedError, ValidationError
from cpnetwork.files import remove_database
from cpnetwork.model import (
    CompletionRule,
    EligibilityRule,
    Enrollment,
    EnrollmentPolicy,
    ItemKind,
    Member,
    Module,
    Organization,
    Program,
    Quota,
    Session,
    SurveyItem,
)
from cpnetwork.network import Network
from cpnetwork.storage.sql_url import is_sql_url, masked

PACIFIC = ZoneInfo("America/Los_Angeles")
#: The name of the demo's network: ``--rebuild`` replaces only a network of this name.
DEMO_NAME = "California Science Leaders (demo)"
DEMO_COUNTIES = ("01", "10", "15", "19", "30", "33", "34", "36", "37", "43", "54", "56")
LEADER_ROLES = ("teacher_leader", "tosa", "instructional_coach", "pl_provider", "science_lead")


def pacific(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PACIFIC)


class DemoClock:
    """The demo's calendar: it jumps to each moment of the story."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _organizations(net: Network) -> tuple[Organization, Organization, list[Organization]]:
    exploratorium = net.organizations.add(name="Exploratorium", kind="museum", county="38")
    lawrence = net.organizations.add(name="Lawrence Hall of Science", kind="museum", county="01")
    offices = net.organizations.add_many(
        [
            Organization(
                name=f"County Office of Education {code}", kind="county_office", county=code
            )
            for code in DEMO_COUNTIES
        ]
    )
    return exploratorium, lawrence, offices


def _members(net: Network, rng: random.Random, offices: Sequence[Organization]) -> list[Member]:
    people = []
    for n in range(96):
        office = offices[n % len(offices)]
        role = "county_administrator" if n % 8 == 0 else rng.choice((*LEADER_ROLES, "teacher"))
        people.append(
            Member(
                email=f"leader{n:02d}@coe{office.county}.example.org",
                given_name=f"Leader{n:02d}",
                family_name=f"County{office.county}",
                roles=[role],
                grade_bands=[rng.choice(["k_2", "3_5", "6_8", "9_12"])],
                county=office.county,
                reach={"teachers_supported": rng.randint(5, 250)},
                equity_focus="yes" if rng.random() < 0.8 else "no",
            )
        )
    added = net.members.add_many(people)
    for n, member in enumerate(added[:48]):
        net.members.affiliate(member.id, offices[n % len(offices)].id, title="Science lead")
    return added


def _academy(net: Network, host: Organization) -> Program:
    academy = net.programs.create(
        title="Science Leadership Academy",
        program_year=2024,
        host_ids=[host.id],
        format="hybrid",
        policy=EnrollmentPolicy(
            mode="application",
            opens=pacific(2024, 8, 1),
            deadline=pacific(2024, 9, 15, 23, 59),
            capacity=24,
            offer_window=timedelta(days=5),
            eligibility=[EligibilityRule(kind="roles", allowed=LEADER_ROLES)],
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
        rrule="FREQ=MONTHLY;BYDAY=3WE;COUNT=9",
        first_start=pacific(2024, 10, 16, 16),
        duration=timedelta(hours=1, minutes=30),
        join_url="https://meet.example.org/academy-lc",
    )
    return academy


def _admin_network(net: Network, host: Organization) -> Program:
    network = net.programs.create(
        title="Administrators Science Support Network",
        program_year=2024,
        host_ids=[host.id],
        policy=EnrollmentPolicy(mode="interest"),
    )
    net.sessions.schedule(
        network.id,
        title="Sustaining high-quality science",
        kind="meeting",
        start=pacific(2024, 9, 27, 10, 30),
        duration=timedelta(hours=1),
    )
    return network


def _convening(net: Network) -> Program:
    convening = net.programs.create(
        title="California Science Convening",
        program_year=2024,
        format="in_person",
        tracks=[Module(key="conference", title="Conference track")],
        policy=EnrollmentPolicy(
            capacity=20,
            eligibility=[
                EligibilityRule(
                    kind="organization_kinds",
                    allowed={"county_office"},
                    description="open to representatives of county offices of education",
                )
            ],
            quotas=[Quota(scope="organization", limit=2)],
        ),
    )
    net.sessions.schedule(
        convening.id,
        title="Keynote",
        kind="keynote",
        modality="in_person",
        start=pacific(2025, 3, 6, 9),
        duration=timedelta(hours=1),
        venue="Sacramento",
    )
    return convening


class NotEmptyError(ValidationError):
    """The demo was pointed at a database that already holds a network."""


def held_network(url: str) -> tuple[str, int] | None:
    """The name and record count of the network at ``url``; None when there is none.

    Reads without writing anything: a SQLite file that does not exist, or a database
    without cpnetwork's schema, or with a profile and nothing else, holds no network.
    """
    if is_sql_url(url):
        from cpnetwork.storage.sql import schema_status

        if schema_status(url).current is None:
            return None
    elif url.startswith("memory:"):
        return None
    with Network.open(url, read_only=True) as net:
        held = net.count_records()
        return (net.profile.name, held) if held else None


def refuse_a_network(url: str) -> None:
    """NotEmptyError when the database at ``url`` holds a network: the demo never adds to one."""
    held = held_network(url)
    if held is not None:
        name, count = held
        raise NotEmptyError(
            "storage",
            masked(url),
            f"already holds the network {name!r} ({count} records); the demo writes "
            "only into a new file or an empty database",
        )


def run(url: str, *, console: Console | None = None, seed: int = 2024) -> Network:
    """Play the demo year into a new network at ``url``; returns the open network.

    ``url`` must name a new SQLite file or an empty database: one that holds a
    network is refused with :class:`NotEmptyError` before anything is written.
    """
    refuse_a_network(url)
    clock = DemoClock(pacific(2024, 7, 15, 9))
    net = Network.open(url, name=DEMO_NAME, clock=clock)
    try:
        _play(net, clock, console or Console(), seed)
    except BaseException:
        net.close()
        raise
    return net


def _play(net: Network, clock: DemoClock, console: Console, seed: int) -> None:
    rng = random.Random(seed)
    exploratorium, lawrence, offices = _organizations(net)
    people = _members(net, rng, offices)
    academy, admins, convening = (
        _academy(net, exploratorium),
        _admin_network(net, lawrence),
        _convening(net),
    )
    console.print(f"[bold]{net.profile.name}[/bold] at {net.storage.url}")
    console.print(f"{len(people)} members in {len(DEMO_COUNTIES)} counties, 3 programs")

    # Applications in August, review after the September 15 deadline.
    clock.now = pacific(2024, 8, 20, 10)
    refused = Counter[str]()
    applications = []
    for member in people:
        try:
            applications.append(net.enrollment.apply(academy.id, member.id))
        except CpnetworkError as error:
            refused[type(error).__name__] += 1
    clock.now = pacific(2024, 9, 16, 9)
    ranked = sorted(applications, key=lambda _: rng.random())
    for rank, application in enumerate(ranked, start=1):
        net.enrollment.start_review(application.id, actor="review-committee")
        if rank <= 24:
            net.enrollment.accept(application.id, actor="review-committee", rank=rank)
        else:
            net.enrollment.waitlist(application.id, actor="review-committee", rank=rank - 24)
    accepted = ranked[:24]
    for application in accepted[3:]:
        net.enrollment.confirm(application.id)
    for application in accepted[:3]:
        net.enrollment.withdraw(application.id, reason="cannot attend the institute")
    offered = net.enrollment.find(academy.id, status="offered")
    for offer in offered[1:]:
        net.enrollment.accept_offer(offer.id)
        net.enrollment.confirm(offer.id)
    clock.now += timedelta(days=6)  # the first offer was never answered: it passes on
    expired = net.enrollment.expire_offers()
    for offer in net.enrollment.find(academy.id, status="offered"):
        net.enrollment.accept_offer(offer.id)
        net.enrollment.confirm(offer.id)

    # Interest forms and invitations; convening registrations with a quota per office.
    for member in people[:30]:
        if "administrator" in next(iter(member.roles)).value or member.email < "leader10":
            net.enrollment.express_interest(admins.id, member.id)
    for interested in net.enrollment.find(admins.id, status="interested")[:12]:
        net.enrollment.invite(admins.id, interested.member_id)
    quota_refusals = 0
    for member in people[:48]:
        try:
            net.enrollment.register(convening.id, member.id, track="conference")
        except QuotaReachedError:
            quota_refusals += 1

    # The year's learning communities: attendance, then completion in June.
    sessions = [s for s in net.sessions.find(academy.id) if s.kind.value == "learning_community"]
    enrolled = net.enrollment.find(academy.id, status="enrolled")
    rows = [
        (session.id, e.member_id, "present" if rng.random() < 0.85 else "absent", 90)
        for session in sessions
        for e in enrolled
    ]
    net.attendance.record_many(rows)
    clock.now = pacific(2025, 6, 20, 17)
    evaluated = net.enrollment.evaluate_completion(academy.id)
    survey = net.surveys.create(
        "Academy end-of-year survey",
        [
            SurveyItem(
                key="practice",
                prompt="The academy improved my leadership practice",
                kind=ItemKind.LIKERT,
            ),
            SurveyItem(
                key="network", prompt="I am connected to a statewide network", kind=ItemKind.LIKERT
            ),
            SurveyItem(
                key="recommend", prompt="I would recommend the academy", kind=ItemKind.YES_NO
            ),
        ],
        program_id=academy.id,
        anonymous=True,
    )
    for _ in evaluated:
        net.surveys.respond(
            survey.id,
            {
                "practice": rng.choice([3, 4, 5, 5]),
                "network": rng.choice([4, 4, 5, 2]),
                "recommend": rng.random() < 0.93,
            },
        )

    _report(console, net, [academy, admins, convening], sessions)
    console.print(
        f"Academy: {len(applications)} applications ({sum(refused.values())} refused as "
        f"ineligible), {len(expired)} offer expired and passed on; convening refused "
        f"{quota_refusals} registrations over an office's quota of 2."
    )
    for result in net.surveys.agreement(survey.id):
        console.print(f"  survey: {result}")


def _report(
    console: Console, net: Network, programs: Sequence[Program], sessions: Sequence[Session]
) -> None:
    table = Table(title="Enrollment by program and status")
    table.add_column("program")
    table.add_column("statuses")
    for program in programs:
        with net.storage.transaction() as tx:
            counts = tx.count(Enrollment, {"program_id": program.id}, group_by=["status"])
        shown = ", ".join(f"{status} {n}" for (status,), n in sorted(counts.items()))
        table.add_row(program.title, shown)
    console.print(table)
    times = Table(title="Learning communities stay at 4 pm Pacific across daylight saving")
    times.add_column("date")
    times.add_column("local time")
    times.add_column("UTC offset")
    for session in sessions:
        local = session.start.astimezone(PACIFIC)
        times.add_row(local.date().isoformat(), local.strftime("%H:%M"), local.strftime("%z"))
    console.print(times)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m cpnetwork.demo [--rebuild] [DB_FILE]``: the demo network in an SQLite file.

    DB_FILE (default ``demo-network.db``) must be new or an empty database; a file
    holding a network is refused.  ``--rebuild`` (what ``make demo`` runs) replaces a
    file holding an earlier demo network, and still refuses any other network.
    """
    parser = argparse.ArgumentParser(
        prog="python -m cpnetwork.demo",
        description=main.__doc__.splitlines()[0] if main.__doc__ else None,
    )
    parser.add_argument("db_file", nargs="?", default="demo-network.db", metavar="DB_FILE")
    parser.add_argument(
        "--rebuild", action="store_true", help="replace an earlier demo network in DB_FILE"
    )
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    path = Path(args.db_file).resolve()
    url = f"sqlite:///{path}"
    created = not path.exists()
    try:
        held = held_network(url)
        if args.rebuild and held is not None and held[0] == DEMO_NAME:
            remove_database(path)
            created = True
        with run(url):
            pass
    except CpnetworkError as error:
        if created:
            remove_database(path)  # a failed first run leaves no half-built demo
        print(f"Error: {error}", file=sys.stderr)
        return 1
    print(f"The demo network is in {path}; explore it with `cpnetwork --db {path} members list`.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
