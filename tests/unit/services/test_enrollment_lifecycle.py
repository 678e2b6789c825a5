"""Every path of the enrollment lifecycle, on the memory store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cpnetwork import (
    CapacityFullError,
    EnrollmentClosedError,
    IllegalTransitionError,
    Network,
    NotEligibleError,
    NotFoundError,
    PluginError,
    QuotaReachedError,
    ValidationError,
    hookimpl,
)
from cpnetwork.events import EnrollmentChanged, Event
from cpnetwork.model import (
    ALLOWED_FROM,
    SEAT_STATUSES,
    Attendance,
    AttendanceStatus,
    CompletionRule,
    EligibilityRule,
    Enrollment,
    EnrollmentMode,
    EnrollmentPolicy,
    EnrollmentStatus,
    Member,
    Program,
    Quota,
    Session,
    SessionKind,
)
from cpnetwork.testing import snapshot
from cpnetwork.testing.pytest_plugin import FrozenClock

S = EnrollmentStatus


def program(network: Network, mode: str = "registration", **policy: Any) -> Program:
    return network.programs.create(
        title=f"{mode} program",
        program_year=2024,
        policy=EnrollmentPolicy(mode=EnrollmentMode(mode), **policy),
    )


def members(network: Network, n: int, **fields: Any) -> list[Member]:
    start = len(network.members.find())
    return [network.members.add(email=f"m{start + i}@example.org", **fields) for i in range(n)]


def statuses(network: Network, program_id: str) -> list[str]:
    """Statuses in the order the members were added (their emails sort that way)."""
    email = {m.id: m.email for m in network.members.find()}
    ordered = sorted(network.enrollment.find(program_id), key=lambda e: email[e.member_id])
    return [e.status.value for e in ordered]


def seats_held(network: Network, program_id: str) -> int:
    return sum(1 for e in network.enrollment.find(program_id) if e.status in SEAT_STATUSES)


# -- registration -----------------------------------------------------------------
def test_registration_enrolls_while_seats_remain_then_waitlists(network: Network) -> None:
    p = program(network, capacity=2)
    people = members(network, 4)
    result = [network.enrollment.register(p.id, m.id).status for m in people]
    assert result == [S.ENROLLED, S.ENROLLED, S.WAITLISTED, S.WAITLISTED]
    assert network.enrollment.seats_left(p.id) == 0


def test_registration_without_waitlist_refuses_when_full_and_changes_nothing(
    network: Network,
) -> None:
    p = program(network, capacity=1, waitlist=False)
    first, second = members(network, 2)
    network.enrollment.register(p.id, first.id)
    before = snapshot(network)
    with pytest.raises(CapacityFullError, match="all 1 seats are taken") as caught:
        network.enrollment.register(p.id, second.id)
    assert caught.value.record_id == p.id
    assert snapshot(network) == before


def test_unlimited_program_never_waitlists(network: Network) -> None:
    p = program(network)
    assert {network.enrollment.register(p.id, m.id).status for m in members(network, 5)} == {
        S.ENROLLED
    }
    assert network.enrollment.seats_left(p.id) is None


# -- waitlist and offers ----------------------------------------------------------
def test_freed_seat_is_offered_to_first_come_and_taken_up(
    network: Network, clock: FrozenClock
) -> None:
    p = program(network, capacity=1)
    a, b, c = members(network, 3)
    ea = network.enrollment.register(p.id, a.id)
    clock.advance(timedelta(minutes=1))
    eb = network.enrollment.register(p.id, b.id)
    clock.advance(timedelta(minutes=1))
    network.enrollment.register(p.id, c.id)
    network.enrollment.withdraw(ea.id)
    offered = network.enrollment.get(eb.id)
    assert offered.status is S.OFFERED
    assert offered.offer_expires_at == clock.now + timedelta(days=7)
    assert seats_held(network, p.id) == 1
    taken = network.enrollment.accept_offer(eb.id)
    assert taken.status is S.ENROLLED and taken.offer_expires_at is None
    assert statuses(network, p.id) == ["withdrawn", "enrolled", "waitlisted"]


def test_offer_not_taken_up_expires_and_passes_on(network: Network, clock: FrozenClock) -> None:
    p = program(network, capacity=1, offer_window=timedelta(days=2))
    a, b, c = members(network, 3)
    ea = network.enrollment.register(p.id, a.id)
    eb = network.enrollment.register(p.id, b.id)
    clock.advance(timedelta(seconds=1))
    ec = network.enrollment.register(p.id, c.id)
    network.enrollment.cancel(ea.id, reason="duplicate registration")
    clock.advance(timedelta(days=2, seconds=1))
    expired = network.enrollment.expire_offers()
    assert [e.id for e in expired] == [eb.id]
    assert network.enrollment.get(eb.id).status is S.EXPIRED
    assert network.enrollment.get(ec.id).status is S.OFFERED
    assert network.enrollment.history(eb.id)[-1].reason == "offer not taken up in time"


def test_taking_up_an_expired_offer_is_refused_and_changes_nothing(
    network: Network, clock: FrozenClock
) -> None:
    p = program(network, capacity=1, offer_window=timedelta(hours=1))
    a, b, c = members(network, 3)
    ea = network.enrollment.register(p.id, a.id)
    eb = network.enrollment.register(p.id, b.id)
    network.enrollment.register(p.id, c.id)
    network.enrollment.withdraw(ea.id)
    clock.advance(timedelta(hours=2))
    before = snapshot(network)
    with pytest.raises(IllegalTransitionError, match="from status 'expired'"):
        network.enrollment.accept_offer(eb.id)
    assert snapshot(network) == before


def test_declined_offer_passes_to_the_next(network: Network) -> None:
    p = program(network, capacity=1)
    a, b, c = members(network, 3)
    ea = network.enrollment.register(p.id, a.id)
    eb = network.enrollment.register(p.id, b.id)
    ec = network.enrollment.register(p.id, c.id)
    network.enrollment.withdraw(ea.id)
    network.enrollment.decline_offer(eb.id)
    assert network.enrollment.get(ec.id).status is S.OFFERED
    assert seats_held(network, p.id) == 1


def test_no_offer_window_promotes_at_once(network: Network) -> None:
    p = program(network, capacity=1, offer_window=None)
    a, b = members(network, 2)
    ea = network.enrollment.register(p.id, a.id)
    eb = network.enrollment.register(p.id, b.id)
    network.enrollment.withdraw(ea.id)
    assert network.enrollment.get(eb.id).status is S.ENROLLED


def test_one_freed_seat_makes_exactly_one_offer(network: Network) -> None:
    p = program(network, capacity=2)
    people = members(network, 6)
    enrolled = [network.enrollment.register(p.id, m.id) for m in people]
    network.enrollment.withdraw(enrolled[0].id)
    assert statuses(network, p.id).count("offered") == 1
    assert seats_held(network, p.id) == 2


def test_more_capacity_offers_the_new_seats(network: Network) -> None:
    p = program(network, capacity=1)
    for m in members(network, 4):
        network.enrollment.register(p.id, m.id)
    network.programs.update(p.id, policy=EnrollmentPolicy(capacity=3))
    assert statuses(network, p.id) == ["enrolled", "offered", "offered", "waitlisted"]


# -- applications ---------------------------------------------------------------------
def test_application_path_from_apply_to_enrolled(network: Network) -> None:
    p = program(network, "application", capacity=1)
    (m,) = members(network, 1)
    e = network.enrollment.apply(p.id, m.id, answers={"why": "to lead"})
    assert e.status is S.APPLIED and e.answers == {"why": "to lead"}
    assert network.enrollment.start_review(e.id).status is S.UNDER_REVIEW
    assert network.enrollment.accept(e.id, actor="reviewer@network.org").status is S.ACCEPTED
    assert network.enrollment.confirm(e.id).status is S.ENROLLED
    steps = network.enrollment.history(e.id)
    assert [(t.from_status, t.to_status) for t in steps] == [
        (None, S.APPLIED),
        (S.APPLIED, S.UNDER_REVIEW),
        (S.UNDER_REVIEW, S.ACCEPTED),
        (S.ACCEPTED, S.ENROLLED),
    ]
    assert [t.actor for t in steps] == [m.id, "network", "reviewer@network.org", m.id]
    assert [t.sequence for t in steps] == [1, 2, 3, 4]


def test_accepting_beyond_capacity_is_refused(network: Network) -> None:
    p = program(network, "application", capacity=1)
    a, b = members(network, 2)
    ea = network.enrollment.apply(p.id, a.id)
    eb = network.enrollment.apply(p.id, b.id)
    network.enrollment.accept(ea.id)
    before = snapshot(network)
    with pytest.raises(CapacityFullError):
        network.enrollment.accept(eb.id)
    assert snapshot(network) == before


def test_ranked_alternates_are_offered_by_rank_before_arrival(network: Network) -> None:
    p = program(network, "application", capacity=1)
    people = members(network, 4)
    apps = [network.enrollment.apply(p.id, m.id) for m in people]
    network.enrollment.accept(apps[0].id)
    network.enrollment.waitlist(apps[1].id)  # unranked, first to arrive
    network.enrollment.waitlist(apps[2].id, rank=2)
    network.enrollment.waitlist(apps[3].id, rank=1)
    order = [e.id for e in network.enrollment.waitlist_of(p.id)]
    assert order == [apps[3].id, apps[2].id, apps[1].id]
    network.enrollment.withdraw(apps[0].id)
    assert network.enrollment.get(apps[3].id).status is S.OFFERED
    assert network.enrollment.accept_offer(apps[3].id).status is S.ACCEPTED


def test_reviewer_declines_an_application(network: Network) -> None:
    p = program(network, "application")
    (m,) = members(network, 1)
    e = network.enrollment.apply(p.id, m.id)
    declined = network.enrollment.decline(e.id, reason="not a science educator")
    assert declined.status is S.DECLINED
    assert network.enrollment.history(e.id)[-1].reason == "not a science educator"


def test_applying_twice_is_an_illegal_transition(network: Network) -> None:
    p = program(network, "application")
    (m,) = members(network, 1)
    network.enrollment.apply(p.id, m.id)
    with pytest.raises(
        IllegalTransitionError, match=r"m0@example.org is already in .application program. \(2024\)"
    ):
        network.enrollment.apply(p.id, m.id)


def test_waitlisting_needs_a_program_with_a_waitlist(network: Network) -> None:
    p = program(network, "application", waitlist=False)
    (m,) = members(network, 1)
    e = network.enrollment.apply(p.id, m.id)
    with pytest.raises(IllegalTransitionError, match="keeps no waitlist"):
        network.enrollment.waitlist(e.id)


# -- interest forms --------------------------------------------------------------------
def test_interest_form_then_invitation(network: Network) -> None:
    p = program(network, "interest")
    (m,) = members(network, 1)
    e = network.enrollment.express_interest(p.id, m.id)
    assert e.status is S.INTERESTED
    invited = network.enrollment.invite(p.id, m.id)
    assert invited.id == e.id and invited.status is S.ENROLLED


def test_invitation_program_enrolls_directly(network: Network) -> None:
    p = program(network, "invitation", capacity=1)
    a, b = members(network, 2)
    assert network.enrollment.invite(p.id, a.id).status is S.ENROLLED
    with pytest.raises(CapacityFullError):
        network.enrollment.invite(p.id, b.id)


# -- modes and windows -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("mode", "action"),
    [
        ("application", "register"),
        ("registration", "apply"),
        ("interest", "apply"),
        ("application", "express_interest"),
        ("registration", "invite"),
    ],
)
def test_a_way_in_the_program_does_not_offer_is_refused(
    network: Network, mode: str, action: str
) -> None:
    p = program(network, mode)
    (m,) = members(network, 1)
    before = snapshot(network)
    with pytest.raises(EnrollmentClosedError, match=f"enrolls by {mode}"):
        getattr(network.enrollment, action)(p.id, m.id)
    assert snapshot(network) == before


def test_applications_before_opening_and_after_deadline_are_refused(
    network: Network, clock: FrozenClock
) -> None:
    opens = clock.now + timedelta(days=1)
    deadline = datetime(2024, 9, 15, 23, 59, tzinfo=UTC)
    p = program(network, "application", opens=opens, deadline=deadline)
    a, b, c = members(network, 3)
    with pytest.raises(EnrollmentClosedError, match="opens"):
        network.enrollment.apply(p.id, a.id)
    clock.advance(timedelta(days=2))
    assert network.enrollment.apply(p.id, b.id).status is S.APPLIED
    clock.now = deadline + timedelta(minutes=1)
    with pytest.raises(EnrollmentClosedError, match="deadline"):
        network.enrollment.apply(p.id, c.id)


def test_unknown_program_or_member_is_not_found(network: Network) -> None:
    p = program(network)
    (m,) = members(network, 1)
    with pytest.raises(NotFoundError, match="Program 'nope'"):
        network.enrollment.register("nope", m.id)
    with pytest.raises(NotFoundError, match="Member 'nobody'"):
        network.enrollment.register(p.id, "nobody")
    with pytest.raises(NotFoundError):
        network.enrollment.withdraw("missing")


def test_unknown_track_is_refused(network: Network) -> None:
    p = program(network)
    (m,) = members(network, 1)
    with pytest.raises(ValidationError, match="no track 'keynote'"):
        network.enrollment.register(p.id, m.id, track="keynote")


# -- every illegal transition --------------------------------------------------------------
def _bring_to(network: Network, clock: FrozenClock, status: EnrollmentStatus) -> Enrollment:
    """An enrollment in ``status``, with others around it where the path needs them."""
    mode = {
        S.INTERESTED: "interest",
        S.ENROLLED: "registration",
        S.COMPLETED: "registration",
        S.INCOMPLETE: "registration",
    }.get(status, "application")
    rule = CompletionRule(min_sessions=0) if status is S.COMPLETED else None
    rule = CompletionRule(min_sessions=1) if status is S.INCOMPLETE else rule
    p = network.programs.create(
        title="p",
        program_year=2024,
        completion=rule,
        policy=EnrollmentPolicy(
            mode=EnrollmentMode(mode), capacity=1, offer_window=timedelta(hours=1)
        ),
    )
    m, other = members(network, 2)
    en = network.enrollment
    if status is S.INTERESTED:
        return en.express_interest(p.id, m.id)
    if status in (S.ENROLLED, S.COMPLETED, S.INCOMPLETE):
        e = en.register(p.id, m.id)
        if status is not S.ENROLLED:
            en.evaluate_completion(p.id)
        return en.get(e.id)
    if status in (S.OFFERED, S.EXPIRED):
        holder = en.apply(p.id, other.id)
        en.accept(holder.id)
        e = en.waitlist(en.apply(p.id, m.id).id)
        en.withdraw(holder.id)
        if status is S.EXPIRED:
            clock.advance(timedelta(hours=2))
            en.expire_offers()
        return en.get(e.id)
    e = en.apply(p.id, m.id)
    steps: dict[EnrollmentStatus, list[Callable[[str], Enrollment]]] = {
        S.APPLIED: [],
        S.UNDER_REVIEW: [en.start_review],
        S.ACCEPTED: [en.accept],
        S.WAITLISTED: [en.waitlist],
        S.DECLINED: [en.decline],
        S.WITHDRAWN: [en.withdraw],
        S.CANCELLED: [en.cancel],
    }
    for step in steps[status]:
        e = step(e.id)
    assert e.status is status
    return e


MOVES = {
    "start review": "start_review",
    "accept": "accept",
    "waitlist": "waitlist",
    "decline": "decline",
    "confirm": "confirm",
    "accept offer": "accept_offer",
    "decline offer": "decline_offer",
    "withdraw": "withdraw",
    "cancel": "cancel",
}

ILLEGAL = [
    (action, status)
    for action in MOVES
    for status in EnrollmentStatus
    if status not in ALLOWED_FROM[action]
]


@pytest.mark.parametrize(("action", "status"), ILLEGAL, ids=[f"{a}-{s}" for a, s in ILLEGAL])
def test_illegal_transition_is_a_typed_error_and_changes_nothing(
    network: Network, clock: FrozenClock, action: str, status: EnrollmentStatus
) -> None:
    e = _bring_to(network, clock, status)
    before = snapshot(network)
    with pytest.raises(IllegalTransitionError) as caught:
        getattr(network.enrollment, MOVES[action])(e.id)
    assert caught.value.current == status.value
    assert caught.value.record_id == e.id
    assert f"cannot {action} from status {status.value!r}" in str(caught.value)
    assert snapshot(network) == before


def test_every_status_is_reachable_for_the_illegal_transition_table(
    network: Network, clock: FrozenClock
) -> None:
    for status in EnrollmentStatus:
        assert _bring_to(network, clock, status).status is status


# -- eligibility ------------------------------------------------------------------------------
def test_eligibility_rules_refuse_with_every_reason(network: Network) -> None:
    p = program(
        network,
        eligibility=[
            EligibilityRule(kind="roles", allowed={"tosa", "teacher_leader"}),
            EligibilityRule(
                kind="organization_kinds",
                allowed={"county_office"},
                description="only county-office staff",
            ),
        ],
    )
    (m,) = members(network, 1, roles=["teacher"])
    before = snapshot(network)
    with pytest.raises(NotEligibleError) as caught:
        network.enrollment.register(p.id, m.id)
    assert caught.value.reasons == (
        "roles must include one of: teacher_leader, tosa",
        "only county-office staff",
    )
    assert snapshot(network) == before
    coe = network.organizations.add(name="Fresno COE", kind="county_office", county="10")
    ok = network.members.add(email="lead@fcoe.org", roles=["tosa"])
    network.members.affiliate(ok.id, coe.id)
    assert network.enrollment.register(p.id, ok.id).status is S.ENROLLED


class Regions:
    """A jurisdiction plugin, registered by hand, for region rules and quotas."""

    @hookimpl
    def register_jurisdictions(self) -> list[Any]:
        from cpnetwork.model import County, Jurisdiction, Region

        return [
            Jurisdiction(
                code="CA",
                regions=(Region(code="7", name="Central Valley"), Region(code="9")),
                counties=(
                    County(code="10", name="Fresno", region_code="7"),
                    County(code="37", name="San Diego", region_code="9"),
                ),
            )
        ]


def test_region_rule_uses_jurisdiction_data(clock: FrozenClock) -> None:
    with Network.open("memory://", plugins=[Regions()], load_entrypoints=False, clock=clock) as net:
        p = program(net, eligibility=[EligibilityRule(kind="regions", allowed={"7"})])
        fresno = net.members.add(email="a@fresno.org", county="10")
        san_diego = net.members.add(email="b@sd.org", county="37")
        assert net.enrollment.register(p.id, fresno.id).region == "7"
        with pytest.raises(NotEligibleError, match="regions must include one of: 7"):
            net.enrollment.register(p.id, san_diego.id)


# -- quotas -------------------------------------------------------------------------------------
def test_organization_quota_is_never_exceeded(network: Network) -> None:
    p = program(network, capacity=10, quotas=[Quota(scope="organization", limit=2)])
    coe = network.organizations.add(name="Kern COE", kind="county_office", county="15")
    staff = members(network, 3)
    for m in staff:
        network.members.affiliate(m.id, coe.id)
    network.enrollment.register(p.id, staff[0].id)
    network.enrollment.register(p.id, staff[1].id)
    before = snapshot(network)
    with pytest.raises(QuotaReachedError, match="organization quota of 2"):
        network.enrollment.register(p.id, staff[2].id)
    assert snapshot(network) == before


def test_quota_for_one_county_leaves_others_free(network: Network) -> None:
    p = program(network, quotas=[Quota(scope="county", limit=1, value="19")])
    la = members(network, 2, county="19")
    fresno = members(network, 2, county="10")
    network.enrollment.register(p.id, la[0].id)
    with pytest.raises(QuotaReachedError):
        network.enrollment.register(p.id, la[1].id)
    for m in fresno:
        assert network.enrollment.register(p.id, m.id).status is S.ENROLLED


def test_waitlist_offers_skip_candidates_whose_quota_is_full(network: Network) -> None:
    p = program(network, capacity=2, quotas=[Quota(scope="county", limit=1)])
    a = network.members.add(email="a@x.org", county="01")
    b = network.members.add(email="b@x.org", county="02")
    c = network.members.add(email="c@x.org", county="03")
    d = network.members.add(email="d@x.org", county="03")
    e = network.members.add(email="e@x.org", county="04")
    ea, eb, ec, ed, ee = (network.enrollment.register(p.id, m.id) for m in (a, b, c, d, e))
    assert [x.status for x in (ec, ed, ee)] == [S.WAITLISTED] * 3
    network.enrollment.withdraw(eb.id)
    assert network.enrollment.get(ec.id).status is S.OFFERED
    network.enrollment.withdraw(ea.id)
    # d is next in line, but county 03's one seat is already offered to c.
    assert network.enrollment.get(ed.id).status is S.WAITLISTED
    assert network.enrollment.get(ee.id).status is S.OFFERED


# -- completion -------------------------------------------------------------------------------
def _sessions(network: Network, program_id: str, n: int, kind: str) -> list[Session]:
    start = datetime(2024, 10, 16, 23, 0, tzinfo=UTC)
    made = [
        Session(
            program_id=program_id,
            title=f"{kind} {i + 1}",
            kind=SessionKind(kind),
            start=start + timedelta(days=30 * i),
            end=start + timedelta(days=30 * i, hours=1),
        )
        for i in range(n)
    ]
    with network._context.unit_of_work() as uow:
        uow.tx.insert_many(made)
    return made


def _attend(network: Network, session: Session, member: Member, status: str) -> None:
    with network._context.unit_of_work() as uow:
        uow.tx.insert(
            Attendance(
                session_id=session.id,
                member_id=member.id,
                program_id=session.program_id,
                status=AttendanceStatus(status),
                recorded_at=network._context.now(),
            )
        )


def test_completion_at_least_seven_of_nine_learning_communities(network: Network) -> None:
    p = network.programs.create(
        title="Science Leadership Academy",
        program_year=2024,
        completion=CompletionRule(min_sessions=7, session_kinds={"learning_community"}),
    )
    communities = _sessions(network, p.id, 9, "learning_community")
    (kickoff,) = _sessions(network, p.id, 1, "kickoff")
    keen, busy = members(network, 2)
    ek = network.enrollment.register(p.id, keen.id)
    eb = network.enrollment.register(p.id, busy.id)
    for s in communities[:7]:
        _attend(network, s, keen, "present" if s is not communities[0] else "partial")
    for s in communities[:6]:
        _attend(network, s, busy, "present")
    _attend(network, kickoff, busy, "present")
    network.enrollment.evaluate_completion(p.id)
    assert network.enrollment.get(ek.id).status is S.COMPLETED
    assert network.enrollment.get(eb.id).status is S.INCOMPLETE
    assert network.enrollment.history(eb.id)[-1].reason == "attended 6 of 9 counted sessions"


def test_completion_by_fraction_not_counting_partial(network: Network) -> None:
    p = network.programs.create(
        title="Principals series",
        program_year=2024,
        completion=CompletionRule(min_fraction=0.8, count_partial=False),
    )
    modules = _sessions(network, p.id, 5, "module")
    a, b = members(network, 2)
    ea = network.enrollment.register(p.id, a.id)
    eb = network.enrollment.register(p.id, b.id)
    for s in modules[:4]:
        _attend(network, s, a, "present")
        _attend(network, s, b, "partial")
    network.enrollment.evaluate_completion(p.id)
    assert network.enrollment.get(ea.id).status is S.COMPLETED
    assert network.enrollment.get(eb.id).status is S.INCOMPLETE


def test_completion_needs_a_rule(network: Network) -> None:
    p = program(network)
    with pytest.raises(ValidationError, match="has no completion rule"):
        network.enrollment.evaluate_completion(p.id)


# -- events and plugins -------------------------------------------------------------------------
def test_observers_see_each_change_after_commit_and_nothing_on_failure(network: Network) -> None:
    seen: list[Event] = []
    network.subscribe(seen.append)
    p = program(network, capacity=1, waitlist=False)
    a, b = members(network, 2)
    seen.clear()
    e = network.enrollment.register(p.id, a.id)
    assert seen == [
        EnrollmentChanged(
            at=seen[0].at,
            enrollment_id=e.id,
            program_id=p.id,
            member_id=a.id,
            from_status=None,
            to_status=S.ENROLLED,
            actor=a.id,
            reason="registered",
        )
    ]
    with pytest.raises(CapacityFullError):
        network.enrollment.register(p.id, b.id)
    assert len(seen) == 1
    network.unsubscribe(seen.append)


class FailingOutbox:
    @hookimpl
    def record_event(self, event: Event) -> None:
        if isinstance(event, EnrollmentChanged):
            raise RuntimeError("outbox table is gone")


def test_a_failing_in_transaction_hook_rolls_the_change_back(clock: FrozenClock) -> None:
    with Network.open(
        "memory://", plugins=[FailingOutbox()], load_entrypoints=False, clock=clock
    ) as net:
        p = program(net)
        (m,) = members(net, 1)
        before = snapshot(net)
        with pytest.raises(PluginError, match="outbox table is gone") as caught:
            net.enrollment.register(p.id, m.id)
        assert caught.value.plugin == "FailingOutbox"
        assert snapshot(net) == before


class BrokenRules:
    @hookimpl
    def check_eligibility(self) -> Any:
        return "not a list"


def test_an_eligibility_plugin_answering_the_wrong_type_is_named(clock: FrozenClock) -> None:
    with Network.open(
        "memory://", plugins=[BrokenRules()], load_entrypoints=False, clock=clock
    ) as net:
        p = program(net)
        (m,) = members(net, 1)
        with pytest.raises(PluginError, match="check_eligibility"):
            net.enrollment.register(p.id, m.id)


class ShuffledWaitlist:
    @hookimpl(tryfirst=True)
    def order_waitlist(self, waitlisted: list[Enrollment]) -> list[Enrollment]:
        return waitlisted[:1]


def test_a_waitlist_plugin_dropping_people_is_refused(clock: FrozenClock) -> None:
    with Network.open(
        "memory://", plugins=[ShuffledWaitlist()], load_entrypoints=False, clock=clock
    ) as net:
        p = program(net, capacity=1)
        people = members(net, 3)
        first = net.enrollment.register(p.id, people[0].id)
        for m in people[1:]:
            net.enrollment.register(p.id, m.id)
        with pytest.raises(PluginError, match="same waitlisted enrollments"):
            net.enrollment.withdraw(first.id)
        assert net.enrollment.get(first.id).status is S.ENROLLED


class LastComeFirst:
    @hookimpl(tryfirst=True)
    def order_waitlist(self, waitlisted: list[Enrollment]) -> list[Enrollment]:
        return sorted(waitlisted, key=lambda e: e.created_at, reverse=True)


def test_a_plugin_decides_the_waitlist_order(clock: FrozenClock) -> None:
    with Network.open(
        "memory://", plugins=[LastComeFirst()], load_entrypoints=False, clock=clock
    ) as net:
        p = program(net, capacity=1)
        people = members(net, 3)
        made = []
        for m in people:
            made.append(net.enrollment.register(p.id, m.id))
            clock.advance(timedelta(minutes=1))
        net.enrollment.withdraw(made[0].id)
        assert net.enrollment.get(made[2].id).status is S.OFFERED


def test_find_takes_one_status_as_a_plain_string_or_several(network: Network) -> None:
    p = program(network, capacity=1)
    a, b = members(network, 2)
    network.enrollment.register(p.id, a.id)
    network.enrollment.register(p.id, b.id)
    assert [e.member_id for e in network.enrollment.find(p.id, status="waitlisted")] == [b.id]
    assert len(network.enrollment.find(p.id, status=[S.ENROLLED, S.WAITLISTED])) == 2
