"""The year 2024/25, July to June, on the demo's clock.

The four seed networks are set up in July (the alliance's and the community of
practice's past years loaded as history), notifications are turned on, and then the
year runs: applications and reviews, a waitlist promotion and an offer that expires,
interest forms and invitations, registrations against a per-office quota, attendance
(the first learning community from a Zoom participants report), surveys, completion,
and the scheduled ``tick`` delivering messages at each step.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from pathlib import Path

from attrs import define, field

from cpnetwork.demo import alliance, community, leader_network, scope_sequence
from cpnetwork.demo.clock import DemoClock, pacific
from cpnetwork.demo.counties import add_county_offices, california
from cpnetwork.demo.people import People
from cpnetwork.demo.zoom_report import write_participants
from cpnetwork.errors import CpnetworkError, QuotaReachedError
from cpnetwork.importers import ImportReport
from cpnetwork.model import ItemKind, Member, Program, Session, SurveyItem
from cpnetwork.network import Network

#: Counties whose leaders apply to the academy and register for the convening.
STORY_COUNTIES = ("01", "10", "15", "19", "30", "33", "34", "36", "37", "43", "54", "56")
#: How many leaders apply to the academy.
APPLICANTS = 96
#: Delivered and dead messages are kept this long, so the year's outbox stays whole.
OUTBOX_KEPT = timedelta(days=400)


@define
class Story:
    """What happened: the numbers the summary prints and the tests check."""

    leaders: int = 0
    academy_applications: int = 0
    academy_refused: Counter[str] = field(factory=Counter)
    offers_expired: int = 0
    quota_refusals: int = 0
    admins_invited: int = 0
    principals_registered: int = 0
    principals_refused: int = 0
    zoom_file: Path | None = None
    zoom_import: ImportReport | None = None
    completed: dict[str, int] = field(factory=dict)
    messages_delivered: int = 0
    ticks: int = 0
    responses: int = 0
    #: The 4 pm learning communities of the academy.
    communities: list[Session] = field(factory=list)
    #: The program whose participants' reach is the alliance's impact.
    impact_program: Program | None = None


def play(net: Network, clock: DemoClock, seed: int, workdir: Path | None) -> Story:
    """Set up the four networks and run the year; ``workdir`` gets the Zoom report."""
    story = Story()
    rng = random.Random(seed)
    people = People(rng)
    state = california(net)
    offices = add_county_offices(net, state)
    leaders = leader_network.build(net, people, state, offices)
    story.leaders = len(leaders.leaders)
    year = scope_sequence.build(net, leaders.museum)
    cop = community.build(net, people, state, leaders.leaders, leaders.museum)
    story.impact_program = alliance.build(net, people, cop.host).early_implementation
    story.communities = year.communities

    # From here on changes tell people: the log channel is the demo's mail sink.
    net.notifications.configure(log=True, retention=OUTBOX_KEPT)

    def tick() -> None:
        report = net.notifications.tick()
        story.offers_expired += report.expired
        story.messages_delivered += report.dispatched.delivered
        story.ticks += 1

    # August: applications to the academy, interest forms, principals' registrations.
    clock.now = pacific(2024, 8, 20, 10)
    storytellers = leader_network.leaders_in(leaders.leaders, STORY_COUNTIES)
    applicants = rng.sample(storytellers, APPLICANTS)
    applications = []
    for member in applicants:
        try:
            applications.append(net.enrollment.apply(year.academy.id, member.id))
        except CpnetworkError as error:
            story.academy_refused[type(error).__name__] += 1
    story.academy_applications = len(applications)
    administrators = [m for m in leaders.leaders if _holds(m, "administrator")]
    for member in administrators[:30]:
        net.enrollment.express_interest(year.admins.id, member.id)
    for member in administrators[:40]:
        try:
            net.enrollment.register(cop.principals.id, member.id)
            story.principals_registered += 1
        except CpnetworkError:
            story.principals_refused += 1
    tick()

    # September 16: the review committee ranks, accepts and waitlists.
    clock.now = pacific(2024, 9, 16, 9)
    ranked = sorted(applications, key=lambda _: rng.random())
    seats = scope_sequence.ACADEMY_SEATS
    for rank, application in enumerate(ranked, start=1):
        net.enrollment.start_review(application.id, actor="review-committee")
        if rank <= seats:
            net.enrollment.accept(application.id, actor="review-committee", rank=rank)
        else:
            net.enrollment.waitlist(application.id, actor="review-committee", rank=rank - seats)
    accepted = ranked[:seats]
    for application in accepted[3:]:
        net.enrollment.confirm(application.id)
    for application in accepted[:3]:  # three seats free: the waitlist moves up
        net.enrollment.withdraw(application.id, reason="cannot attend the institute")
    offered = net.enrollment.find(year.academy.id, status="offered")
    for offer in offered[1:]:
        net.enrollment.accept_offer(offer.id)
        net.enrollment.confirm(offer.id)
    tick()

    # Six days on, the first offer was never answered: tick expires it and it passes on.
    clock.now += timedelta(days=6)
    tick()
    for offer in net.enrollment.find(year.academy.id, status="offered"):
        net.enrollment.accept_offer(offer.id)
        net.enrollment.confirm(offer.id)

    # September 26: invitations to the administrators' network; convening registrations.
    clock.now = pacific(2024, 9, 26, 9)
    for interested in net.enrollment.find(year.admins.id, status="interested")[:12]:
        net.enrollment.invite(year.admins.id, interested.member_id)
        story.admins_invited += 1
    representatives = [m for m in storytellers if m.affiliations][:48]
    for member in representatives:
        try:
            net.enrollment.register(year.convening.id, member.id, track="conference")
        except QuotaReachedError:
            story.quota_refusals += 1
    tick()

    # October 16: the kickoff, then the first learning community, from Zoom's report.
    clock.now = pacific(2024, 10, 16, 18)
    enrolled = net.enrollment.find(year.academy.id, status="enrolled")
    by_id = {m.id: m for m in leaders.leaders}
    kickoff = next(s for s in net.sessions.find(year.academy.id) if s.kind.value == "kickoff")
    net.attendance.record_many((kickoff.id, e.member_id, "present", 210) for e in enrolled)
    if workdir is not None:
        first = year.communities[0]
        attendees = [by_id[e.member_id] for e in enrolled if rng.random() < 0.9]
        story.zoom_file = write_participants(
            workdir / "zoom-participants-learning-community-2024-10-16.csv",
            first,
            attendees,
            host=leaders.leaders[0],
            rng=rng,
        )
        story.zoom_import = net.import_file("zoom-attendance", story.zoom_file, session=first.id)
    tick()

    # November: the convening in Sacramento.
    clock.now = pacific(2024, 11, 10, 12)
    for session in net.sessions.find(year.convening.id):
        attending = net.enrollment.find(year.convening.id, status="enrolled")
        net.attendance.record_many((session.id, e.member_id, "present", 0) for e in attending)
    tick()

    # The rest of the year: learning communities, the institute, the principals' modules.
    clock.now = pacific(2025, 6, 20, 17)
    later = year.communities[1:] if workdir is not None else year.communities
    net.attendance.record_many(
        (session.id, e.member_id, "present" if rng.random() < 0.85 else "absent", 90)
        for session in later
        for e in enrolled
    )
    institute = next(s for s in net.sessions.find(year.academy.id) if s.kind.value == "institute")
    net.attendance.record_many((institute.id, e.member_id, "present", 840) for e in enrolled)
    principals = net.enrollment.find(cop.principals.id, status="enrolled")
    net.attendance.record_many(
        (session.id, e.member_id, "present" if rng.random() < 0.8 else "absent", 90)
        for session in net.sessions.find(cop.principals.id)
        for e in principals
    )
    for program in (year.academy, cop.principals):
        finished = net.enrollment.evaluate_completion(program.id)
        story.completed[program.title] = sum(1 for e in finished if e.status.value == "completed")

    # June: the surveys.
    for answers in leader_network.evaluation_answers(rng):
        net.surveys.respond(leaders.survey.id, answers)
        story.responses += 1
    academy_survey = net.surveys.create(
        "Science Leadership Academy end-of-year survey",
        [
            SurveyItem(key="practice", prompt="The academy improved my leadership practice",
                       kind=ItemKind.LIKERT),
            SurveyItem(key="network", prompt="I am connected to a statewide network",
                       kind=ItemKind.LIKERT),
            SurveyItem(key="recommend", prompt="I would recommend the academy",
                       kind=ItemKind.YES_NO),
        ],
        program_id=year.academy.id,
        anonymous=True,
    )  # fmt: skip
    for _ in range(story.completed[year.academy.title]):
        net.surveys.respond(
            academy_survey.id,
            {
                "practice": rng.choice([3, 4, 5, 5]),
                "network": rng.choice([4, 4, 5, 2]),
                "recommend": rng.random() < 0.93,
            },
        )
        story.responses += 1
    tick()
    return story


def _holds(member: Member, word: str) -> bool:
    return any(word in role.value for role in member.roles)
