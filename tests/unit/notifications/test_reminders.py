"""Reminders: due at the right time, to the right people, queued once however often run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from cpnetwork import Network
from cpnetwork.model import (
    Category,
    EnrollmentPolicy,
    MessageStatus,
    ReminderSettings,
)
from cpnetwork.notifications.reminders import due_days
from cpnetwork.testing.pytest_plugin import FrozenClock

START = datetime(2024, 10, 8, 23, 0, tzinfo=UTC)  # 4 pm in Los Angeles


@pytest.fixture
def net(clock: FrozenClock) -> Iterator[Network]:
    with Network.open("memory://", name="Test", clock=clock, load_entrypoints=False) as network:
        network.notifications.configure(log=True)
        yield network


def _topics(net: Network) -> list[tuple[str, str]]:
    return sorted((m.topic, m.recipient) for m in net.notifications.messages())


def test_due_days_picks_the_nearest_reminder_whose_time_has_come() -> None:
    days = (7, 1)
    assert due_days(days, START, START - timedelta(days=8)) is None
    assert due_days(days, START, START - timedelta(days=7)) == 7
    assert due_days(days, START, START - timedelta(days=3)) == 7
    assert due_days(days, START, START - timedelta(hours=23)) == 1
    assert due_days(days, START, START) is None  # it has begun
    assert due_days((), START, START - timedelta(hours=1)) is None


def test_session_reminders_go_to_participants_seven_days_and_one_day_before(
    net: Network, clock: FrozenClock
) -> None:
    program = net.programs.create(title="Academy", program_year=2024)
    ada = net.members.add(email="ada@example.org")
    bob = net.members.add(email="bob@example.org")
    cy = net.members.add(email="cy@example.org")
    net.enrollment.register(program.id, ada.id)
    net.enrollment.register(program.id, bob.id)
    net.enrollment.withdraw(net.enrollment.register(program.id, cy.id).id)
    net.sessions.schedule(program.id, title="Kickoff", start=START, duration=timedelta(hours=2))
    net.notifications.dispatch()
    net.notifications.purge()
    clock.now = START - timedelta(days=8)
    assert net.notifications.queue_reminders() == 0
    clock.now = START - timedelta(days=6, hours=23)
    assert net.notifications.queue_reminders() == 2
    assert net.notifications.queue_reminders() == 0  # run again: nothing twice
    clock.now = START - timedelta(hours=20)
    assert net.notifications.queue_reminders() == 2
    reminders = [m for m in net.notifications.messages() if m.topic == "reminder.session"]
    assert (
        sorted(m.recipient for m in reminders) == ["ada@example.org"] * 2 + ["bob@example.org"] * 2
    )
    assert {m.category for m in reminders} == {Category.REMINDERS}
    net.notifications.dispatch()
    subjects = {m.subject for m in net.notifications.messages(status="delivered")}
    assert {"In 7 days: Kickoff", "Tomorrow: Kickoff"} <= subjects


def test_a_program_sets_its_own_schedule_and_cancelled_sessions_are_not_reminded(
    net: Network, clock: FrozenClock
) -> None:
    program = net.programs.create(
        title="Academy", program_year=2024, reminders=ReminderSettings(session_days=(2,))
    )
    net.enrollment.register(program.id, net.members.add(email="ada@example.org").id)
    kept = net.sessions.schedule(program.id, title="Kept", start=START, duration=timedelta(hours=1))
    dropped = net.sessions.schedule(
        program.id, title="Dropped", start=START, duration=timedelta(hours=1)
    )
    net.sessions.cancel(dropped.id)
    clock.now = START - timedelta(days=6)  # the network's 7-day reminder does not apply
    assert net.notifications.queue_reminders() == 0
    clock.now = START - timedelta(days=2)
    assert net.notifications.queue_reminders() == 1
    [reminder] = [m for m in net.notifications.messages() if m.topic == "reminder.session"]
    assert reminder.session_id == kept.id


def test_opted_out_members_get_no_reminders_but_do_get_their_acceptance(
    net: Network, clock: FrozenClock
) -> None:
    program = net.programs.create(
        title="Academy", program_year=2024, policy=EnrollmentPolicy(mode="application")
    )
    quiet = net.members.add(email="quiet@example.org", opted_out={"reminders"})
    keen = net.members.add(email="keen@example.org")
    for member in (quiet, keen):
        net.enrollment.accept(net.enrollment.apply(program.id, member.id).id)
        net.enrollment.confirm(net.enrollment.of(program.id, member.id).id)  # type: ignore[union-attr]
    net.sessions.schedule(program.id, title="Kickoff", start=START, duration=timedelta(hours=1))
    clock.now = START - timedelta(hours=12)
    net.notifications.queue_reminders()
    topics = _topics(net)
    assert ("enrollment.accepted", "quiet@example.org") in topics
    assert ("reminder.session", "keen@example.org") in topics
    assert ("reminder.session", "quiet@example.org") not in topics


def test_a_member_cannot_opt_out_of_messages_about_their_own_enrollment(net: Network) -> None:
    from cpnetwork.errors import ValidationError

    with pytest.raises(ValidationError, match="cannot opt out of enrollment"):
        net.members.add(email="a@example.org", opted_out={"enrollment"})


def test_deadline_reminders_go_to_members_who_showed_interest(
    net: Network, clock: FrozenClock
) -> None:
    deadline = datetime(2024, 9, 1, 6, 59, tzinfo=UTC)
    program = net.programs.create(
        title="Academy",
        program_year=2024,
        policy=EnrollmentPolicy(mode="interest", deadline=deadline),
    )
    ada = net.members.add(email="ada@example.org")
    net.enrollment.express_interest(program.id, ada.id)
    clock.now = deadline - timedelta(days=4)
    assert net.notifications.queue_reminders() == 0
    clock.now = deadline - timedelta(days=2)
    assert net.notifications.queue_reminders() == 1
    assert net.notifications.queue_reminders() == 0
    net.notifications.dispatch()
    [reminder] = [m for m in net.notifications.messages() if m.topic == "reminder.deadline"]
    assert reminder.subject == "Apply by Saturday, August 31, 2024 at 11:59 PM PDT: Academy"


def test_an_offer_is_reminded_of_a_day_before_it_expires(net: Network, clock: FrozenClock) -> None:
    program = net.programs.create(
        title="Academy",
        program_year=2024,
        policy=EnrollmentPolicy(capacity=1, offer_window=timedelta(days=3)),
    )
    ada = net.members.add(email="ada@example.org")
    bob = net.members.add(email="bob@example.org")
    seated = net.enrollment.register(program.id, ada.id)
    net.enrollment.register(program.id, bob.id)  # waitlisted
    net.enrollment.withdraw(seated.id)  # bob is offered the seat for 3 days
    offer = net.enrollment.of(program.id, bob.id)
    assert offer is not None and offer.offer_expires_at is not None
    assert net.notifications.queue_reminders() == 0
    clock.now = offer.offer_expires_at - timedelta(hours=20)
    assert net.notifications.queue_reminders() == 1
    [reminder] = net.notifications.messages(status="pending", member_id=bob.id)[-1:]
    assert reminder.topic == "reminder.offer" and reminder.category is Category.ENROLLMENT


def test_tick_expires_offers_queues_reminders_dispatches_and_twice_queues_nothing_twice(
    net: Network, clock: FrozenClock
) -> None:
    program = net.programs.create(
        title="Academy",
        program_year=2024,
        policy=EnrollmentPolicy(capacity=1, offer_window=timedelta(days=1)),
    )
    ada = net.members.add(email="ada@example.org")
    bob = net.members.add(email="bob@example.org")
    seated = net.enrollment.register(program.id, ada.id)
    net.enrollment.register(program.id, bob.id)
    net.enrollment.withdraw(seated.id)
    net.sessions.schedule(
        program.id,
        title="Kickoff",
        start=clock.now + timedelta(days=5),
        duration=timedelta(hours=1),
    )
    first = net.notifications.tick()
    assert first.expired == 0 and first.queued == 1  # the offer's reminder
    assert first.dispatched.delivered == len(net.notifications.messages())
    clock.advance(timedelta(days=2))
    second = net.notifications.tick()
    assert second.expired == 1
    assert second.queued == 0  # nobody holds a seat any more; bob's offer has expired
    again = net.notifications.tick()
    assert (again.expired, again.queued, again.dispatched.delivered) == (0, 0, 0)
    statuses = {m.status for m in net.notifications.messages()}
    assert statuses == {MessageStatus.DELIVERED}
    assert "offers expired: 1" in second.lines()[0]
