"""The outbox: queued with the change, delivered once, retried with backoff, buried after N."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from attrs import evolve

from cpnetwork import Network
from cpnetwork.errors import BatchError, DeliveryError, PluginError
from cpnetwork.hookspecs import hookimpl
from cpnetwork.model import (
    Category,
    EnrollmentPolicy,
    MessageStatus,
    NotificationSettings,
    OutboxMessage,
    Program,
)
from cpnetwork.notifications import Channel, Notice
from cpnetwork.notifications.dispatch import LEASE, retry_delay
from cpnetwork.services.enrollment import ApplicationRow
from cpnetwork.testing.pytest_plugin import FrozenClock


class Recorder(Channel):
    """A people channel that keeps what it delivered and fails as told."""

    name = "recorder"

    def __init__(self, failures: int = 0, *, permanent: bool = False) -> None:
        self.delivered: list[OutboxMessage] = []
        self.failures = failures
        self.permanent = permanent

    def enabled(self, settings: NotificationSettings) -> bool:
        return True

    def deliver(self, message: OutboxMessage, settings: NotificationSettings) -> None:
        if self.failures:
            self.failures -= 1
            raise DeliveryError(self.name, message.id, "421 busy", permanent=self.permanent)
        self.delivered.append(message)


class RecorderPlugin:
    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    @hookimpl
    def register_channels(self) -> Sequence[Channel]:
        return [self.channel]


def _open(clock: FrozenClock, *plugins: object, url: str = "memory://") -> Network:
    return Network.open(url, name="Test", clock=clock, plugins=plugins, load_entrypoints=False)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def net(clock: FrozenClock, recorder: Recorder) -> Iterator[Network]:
    with _open(clock, RecorderPlugin(recorder)) as network:
        yield network


def _academy(net: Network, **policy: object) -> Program:
    return net.programs.create(
        title="Summer Academy", program_year=2024, policy=EnrollmentPolicy(**policy)
    )


def test_a_network_without_channels_queues_nothing(network: Network) -> None:
    program = _academy(network)
    ada = network.members.add(email="ada@example.org")
    network.enrollment.register(program.id, ada.id)
    assert network.notifications.messages() == []
    assert network.notifications.dispatch().delivered == 0


def test_a_change_queues_its_message_and_dispatch_delivers_it(
    net: Network, recorder: Recorder, clock: FrozenClock
) -> None:
    program = _academy(net)
    ada = net.members.add(email="ada@example.org", given_name="Ada")
    net.enrollment.register(program.id, ada.id)
    [queued] = net.notifications.messages()
    assert (queued.topic, queued.recipient, queued.status) == (
        "enrollment.enrolled",
        "ada@example.org",
        MessageStatus.PENDING,
    )
    report = net.notifications.dispatch()
    assert (report.delivered, report.retried, report.dead) == (1, 0, 0)
    [sent] = recorder.delivered
    assert sent.subject == "You are enrolled: Summer Academy"
    assert sent.text.startswith("Hello Ada,\n\nYou are enrolled in Summer Academy.")
    assert "<p>Hello Ada,</p>" in sent.html
    [stored] = net.notifications.messages()
    assert stored.status is MessageStatus.DELIVERED and stored.delivered_at == clock.now


def test_a_rolled_back_change_sends_nothing(net: Network) -> None:
    program = _academy(net, mode="application")
    ada = net.members.add(email="ada@example.org")
    with pytest.raises(BatchError):
        net.enrollment.apply_many(
            program.id, [ApplicationRow(member_id=ada.id), ApplicationRow(member_id="nobody")]
        )
    assert net.enrollment.of(program.id, ada.id) is None
    assert net.notifications.messages() == []


def test_a_failed_delivery_is_retried_after_a_backoff_then_delivered(
    net: Network, clock: FrozenClock
) -> None:
    flaky = Recorder(failures=2)
    with _open(clock, RecorderPlugin(flaky)) as network:
        program = _academy(network)
        ada = network.members.add(email="ada@example.org")
        network.enrollment.register(program.id, ada.id)
        assert network.notifications.dispatch().retried == 1
        [waiting] = network.notifications.messages()
        assert waiting.status is MessageStatus.PENDING and waiting.attempts == 1
        assert waiting.last_error == "recorder message " + repr(waiting.id) + ": 421 busy"
        assert waiting.due_at > clock.now
        assert network.notifications.dispatch().retried == 0  # not due yet
        clock.advance(waiting.due_at - clock.now)
        assert network.notifications.dispatch().retried == 1
        clock.advance(timedelta(hours=1))
        assert network.notifications.dispatch().delivered == 1
        [done] = network.notifications.messages()
        assert (done.status, done.attempts) == (MessageStatus.DELIVERED, 3)
        assert len(flaky.delivered) == 1


def test_a_message_is_dead_after_max_attempts_keeping_the_last_error(
    clock: FrozenClock,
) -> None:
    broken = Recorder(failures=10**6)
    with _open(clock, RecorderPlugin(broken)) as network:
        network.notifications.configure(max_attempts=3)
        program = _academy(network)
        network.enrollment.register(program.id, network.members.add(email="a@example.org").id)
        reports = []
        for _ in range(5):
            reports.append(network.notifications.dispatch())
            clock.advance(timedelta(days=1))
        assert [(r.retried, r.dead) for r in reports] == [(1, 0), (1, 0), (0, 1), (0, 0), (0, 0)]
        [dead] = network.notifications.messages()
        assert dead.status is MessageStatus.DEAD and dead.attempts == 3
        assert "421 busy" in dead.last_error


def test_a_permanent_failure_is_dead_at_once(clock: FrozenClock) -> None:
    refused = Recorder(failures=1, permanent=True)
    with _open(clock, RecorderPlugin(refused)) as network:
        program = _academy(network)
        network.enrollment.register(program.id, network.members.add(email="a@example.org").id)
        assert network.notifications.dispatch().dead == 1
        [dead] = network.notifications.messages(status="dead")
        assert dead.attempts == 1


def test_a_delivered_message_is_never_sent_again(
    net: Network, recorder: Recorder, clock: FrozenClock
) -> None:
    program = _academy(net)
    net.enrollment.register(program.id, net.members.add(email="a@example.org").id)
    net.notifications.dispatch()
    clock.advance(LEASE * 10)
    assert net.notifications.dispatch().delivered == 0
    assert len(recorder.delivered) == 1


class Crash(BaseException):
    """Stands for the process dying mid-delivery."""


def test_a_crash_mid_delivery_repeats_that_message_only_once_its_lease_lapses(
    clock: FrozenClock,
) -> None:
    class CrashOnce(Recorder):
        crashed = False

        def deliver(self, message: OutboxMessage, settings: NotificationSettings) -> None:
            super().deliver(message, settings)
            if not self.crashed and len(self.delivered) == 2:
                self.crashed = True
                raise Crash  # sent, but the process dies before marking it

    channel = CrashOnce()
    with _open(clock, RecorderPlugin(channel)) as network:
        program = _academy(network)
        for n in range(4):
            network.enrollment.register(
                program.id, network.members.add(email=f"m{n}@example.org").id
            )
        with pytest.raises(Crash):
            network.notifications.dispatch()
        # the unsent ones are still claimed: another dispatcher waits for the lease
        assert network.notifications.dispatch().delivered == 0
        clock.advance(LEASE)
        assert network.notifications.dispatch().delivered == 3
        sent = [m.recipient for m in channel.delivered]
        assert len(sent) == 5 and len(set(sent)) == 4
        assert sent.count(sent[1]) == 2  # the one repeat: the message sent as it crashed


def test_retry_delays_grow_with_jitter_up_to_the_cap() -> None:
    settings = NotificationSettings(retry_base=timedelta(minutes=1), retry_cap=timedelta(hours=1))
    base = OutboxMessage(
        key="k",
        channel="log",
        recipient="a@example.org",
        topic="t",
        category=Category.ENROLLMENT,
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
        due_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    for attempts in range(1, 12):
        ceiling = min(timedelta(hours=1), timedelta(minutes=1) * 2 ** (attempts - 1))
        delay = retry_delay(evolve(base, attempts=attempts), settings)
        assert ceiling / 2 <= delay <= ceiling
    assert retry_delay(evolve(base, attempts=3), settings) == retry_delay(
        evolve(base, attempts=3), settings
    )
    others = {retry_delay(evolve(base, id=f"m{n}", attempts=5), settings) for n in range(20)}
    assert len(others) > 10  # jitter spreads messages that failed together


def test_the_log_channel_writes_to_the_notifications_logger(
    clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    with _open(clock) as network:
        network.notifications.configure(log=True)
        program = _academy(network)
        network.enrollment.register(program.id, network.members.add(email="a@example.org").id)
        with caplog.at_level(logging.INFO, logger="cpnetwork.notifications"):
            assert network.notifications.dispatch().delivered == 1
        assert "to a@example.org: You are enrolled: Summer Academy" in caplog.text


def test_purge_removes_old_delivered_and_dead_messages_only(
    net: Network, clock: FrozenClock
) -> None:
    program = _academy(net)
    net.enrollment.register(program.id, net.members.add(email="a@example.org").id)
    net.notifications.dispatch()
    net.enrollment.register(program.id, net.members.add(email="b@example.org").id)
    assert net.notifications.purge() == 0
    clock.advance(timedelta(days=91))
    assert net.notifications.purge() == 1
    [left] = net.notifications.messages()
    assert left.recipient == "b@example.org" and left.status is MessageStatus.PENDING


def test_erasing_a_member_removes_their_messages(net: Network) -> None:
    program = _academy(net)
    ada = net.members.add(email="ada@example.org")
    bob = net.members.add(email="bob@example.org")
    net.enrollment.register(program.id, ada.id)
    net.enrollment.register(program.id, bob.id)
    assert net.notifications.erase_member(ada.id) == 1
    assert [m.member_id for m in net.notifications.messages()] == [bob.id]


# -- hooks ----------------------------------------------------------------------------
class Coordinator:
    """Copies a coordinator on acceptances (the Fresno plugin does this for real)."""

    @hookimpl
    def notification_recipients(self, notice: Notice) -> Sequence[str]:
        if notice.topic == "enrollment.accepted":
            return ["coordinator@example.org"]
        return []


class Wording:
    def __init__(self, program_id: str) -> None:
        self.program_id = program_id

    @hookimpl
    def message_template(self, topic: str, part: str, program: Program | None) -> str | None:
        if program is not None and program.id == self.program_id and part == "subject":
            return "Welcome to {{ program.title | upper }}, {{ member.given_name }}"
        return None


def test_plugins_add_recipients_and_override_wording_per_program(clock: FrozenClock) -> None:
    channel = Recorder()
    coordinator = Coordinator()
    with _open(clock, RecorderPlugin(channel), coordinator) as network:
        special = network.programs.create(
            title="Special", program_year=2024, policy=EnrollmentPolicy(mode="application")
        )
        plain = network.programs.create(
            title="Plain", program_year=2024, policy=EnrollmentPolicy(mode="application")
        )
        network.plugins.manager.register(Wording(special.id))
        ada = network.members.add(email="ada@example.org", given_name="Ada")
        for program in (special, plain):
            enrollment = network.enrollment.apply(program.id, ada.id)
            network.enrollment.accept(enrollment.id)
        network.notifications.dispatch()
        accepted = {
            (m.recipient, m.subject) for m in channel.delivered if m.topic == "enrollment.accepted"
        }
        assert accepted == {
            ("ada@example.org", "Welcome to SPECIAL, Ada"),
            ("coordinator@example.org", "Welcome to SPECIAL, Ada"),
            ("ada@example.org", "Accepted: Plain"),
            ("coordinator@example.org", "Accepted: Plain"),
        }
        copies = [m for m in channel.delivered if m.recipient == "coordinator@example.org"]
        assert {m.member_id for m in copies} == {ada.id}  # erased with the member


def test_a_broken_template_buries_its_message_not_the_change(clock: FrozenClock) -> None:
    class Broken:
        @hookimpl
        def message_template(self, topic: str, part: str) -> str | None:
            return "{{ member.no_such_field }}" if part == "subject" else None

    channel = Recorder()
    with _open(clock, RecorderPlugin(channel), Broken()) as network:
        program = _academy(network)
        ada = network.members.add(email="ada@example.org")
        network.enrollment.register(program.id, ada.id)
        assert network.enrollment.of(program.id, ada.id) is not None
        assert network.notifications.dispatch().dead == 1
        [dead] = network.notifications.messages(status="dead")
        assert "rendering failed" in dead.last_error and "no_such_field" in dead.last_error
        assert channel.delivered == []


def test_two_channels_of_one_name_are_refused_naming_the_plugin(clock: FrozenClock) -> None:
    with (
        _open(clock, RecorderPlugin(Recorder()), RecorderPlugin(Recorder())) as network,
        pytest.raises(PluginError, match="channel 'recorder' is taken"),
    ):
        network.notifications.channels  # noqa: B018 - the property collects them


def test_a_message_on_a_channel_no_longer_installed_is_dead(clock: FrozenClock) -> None:
    url = "memory://"
    with _open(clock, RecorderPlugin(Recorder()), url=url) as network:
        program = _academy(network)
        network.enrollment.register(program.id, network.members.add(email="a@example.org").id)
        network.notifications._channels = {}  # the plugin was uninstalled
        assert network.notifications.dispatch().dead == 1
        [dead] = network.notifications.messages()
        assert "no channel of this name is installed" in dead.last_error


# -- sessions --------------------------------------------------------------------------
def test_participants_hear_of_a_moved_or_cancelled_session(
    net: Network, recorder: Recorder
) -> None:
    program = _academy(net)
    ada = net.members.add(email="ada@example.org")
    bob = net.members.add(email="bob@example.org")
    net.enrollment.register(program.id, ada.id)
    net.enrollment.register(program.id, bob.id)
    net.enrollment.withdraw(net.enrollment.of(program.id, bob.id).id)  # type: ignore[union-attr]
    start = datetime(2024, 10, 8, 23, 0, tzinfo=UTC)
    session = net.sessions.schedule(
        program.id, title="Kickoff", start=start, duration=timedelta(hours=1)
    )
    net.notifications.dispatch()
    recorder.delivered.clear()
    net.sessions.edit(session.id, venue="Room 2")
    net.sessions.edit(session.id, capacity=40)  # not news to participants
    net.sessions.cancel(session.id)
    net.notifications.dispatch()
    assert [(m.topic, m.recipient, m.category) for m in recorder.delivered] == [
        ("session.changed", "ada@example.org", Category.SESSIONS),
        ("session.cancelled", "ada@example.org", Category.SESSIONS),
    ]
    changed = recorder.delivered[0]
    assert "Where: Room 2" in changed.text
    assert "Tuesday, October 8, 2024 at 4:00 PM PDT" in changed.text
