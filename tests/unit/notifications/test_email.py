"""The email channel, through a real SMTP server on loopback (aiosmtpd), read back as mail."""

from __future__ import annotations

import re
import shutil
import socket
import ssl
import subprocess
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from pathlib import Path
from typing import Any, cast

import icalendar
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from hypothesis import given
from hypothesis import strategies as st

from cpnetwork import Network
from cpnetwork.errors import DeliveryError
from cpnetwork.hookspecs import hookimpl
from cpnetwork.model import (
    Category,
    EmailSettings,
    EnrollmentPolicy,
    MessageStatus,
    NotificationSettings,
    OutboxMessage,
    Program,
)
from cpnetwork.notifications import Notice
from cpnetwork.notifications import email as email_channel
from cpnetwork.notifications.email import (
    ENV_HOST,
    ENV_PASSWORD,
    ENV_PORT,
    ENV_SECURITY,
    ENV_USERNAME,
    EmailChannel,
    calendar_method,
    effective_settings,
    header_value,
    mail_bytes,
)
from cpnetwork.testing.pytest_plugin import FrozenClock

SENDER = "network@cpn.example.org"
NOW = datetime(2024, 8, 1, 9, 0, tzinfo=UTC)


# -- the server ------------------------------------------------------------------------
class Inbox:
    """An aiosmtpd handler that keeps what it accepts and answers as told."""

    def __init__(self) -> None:
        self.received: list[Envelope] = []
        #: Every message the server was handed, accepted or not.
        self.attempts: list[bytes] = []
        #: Answers to DATA, used up in order before mail is accepted.
        self.data_replies: list[str] = []
        #: Answers to RCPT TO per address (every time).
        self.rcpt_replies: dict[str, str] = {}
        #: The client end of each connection that sent mail.
        self.peers: list[object] = []
        #: Refuse MAIL FROM before a login (aiosmtpd's own flag warns without TLS).
        self.login_required = False

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.login_required and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.rcpt_replies:
            return self.rcpt_replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.attempts.append(envelope.content)
        if session.peer not in self.peers:
            self.peers.append(session.peer)
        if self.data_replies:
            return self.data_replies.pop(0)
        self.received.append(envelope)
        return "250 Message accepted for delivery"

    def mails(self) -> list[EmailMessage]:
        return [_parse(envelope.content) for envelope in self.received]

    def one(self) -> tuple[Envelope, EmailMessage]:
        [envelope] = self.received
        return envelope, _parse(envelope.content)


def _parse(content: object) -> EmailMessage:
    assert isinstance(content, bytes)
    return cast(EmailMessage, BytesParser(policy=default).parsebytes(content))


class LoopbackController(Controller):
    """Listens on a free loopback port chosen by the system (``port=0``)."""

    def __init__(self, handler: Inbox, port: int = 0, **kwargs: Any) -> None:
        super().__init__(handler, hostname="127.0.0.1", port=port, **kwargs)

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def smtp(inbox: Inbox) -> Iterator[LoopbackController]:
    controller = LoopbackController(inbox)
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def channel() -> Iterator[EmailChannel]:
    sender = EmailChannel()
    yield sender
    sender.close()


@pytest.fixture(autouse=True)
def _no_smtp_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (ENV_HOST, ENV_PORT, ENV_SECURITY, ENV_USERNAME, ENV_PASSWORD):
        monkeypatch.delenv(name, raising=False)


def _email(port: int, **changes: Any) -> EmailSettings:
    fields: dict[str, Any] = {
        "sender": SENDER,
        "sender_name": "California Partnership",
        "host": "127.0.0.1",
        "port": port,
        "timeout_seconds": 5.0,
        **changes,
    }
    return EmailSettings(**fields)


def _message(**changes: Any) -> OutboxMessage:
    fields: dict[str, Any] = {
        "key": "enrollment.enrolled:e1:x:email:ada@example.org",
        "channel": "email",
        "recipient": "ada@example.org",
        "topic": "enrollment.enrolled",
        "category": Category.ENROLLMENT,
        "subject": "You are enrolled: Summer Academy",
        "text": "Hello Ada,\n\nYou are enrolled.\n",
        "html": "<p>Hello Ada,</p><p>You are enrolled.</p>",
        "created_at": NOW,
        "due_at": NOW,
        **changes,
    }
    return OutboxMessage(**fields)


# -- through the network -------------------------------------------------------------
@pytest.fixture
def net(clock: FrozenClock, smtp: LoopbackController) -> Iterator[Network]:
    with _open(clock, smtp) as network:
        yield network
        _close(network)


def _open(clock: FrozenClock, smtp: LoopbackController, *plugins: object) -> Network:
    network = Network.open(
        "memory://", name="Test", clock=clock, plugins=plugins, load_entrypoints=False
    )
    network.notifications.configure(email=_email(smtp.port))
    return network


def _close(network: Network) -> None:
    """Close the connection the network's email channel keeps open."""
    channel = network.notifications.channels["email"]
    assert isinstance(channel, EmailChannel)
    channel.close()


def _academy(net: Network, **policy: object) -> Program:
    return net.programs.create(
        title="Summer Academy", program_year=2024, policy=EnrollmentPolicy(**policy)
    )


def _text(mail: EmailMessage, subtype: str) -> str:
    part = mail.get_body(preferencelist=(subtype,))
    assert part is not None, f"no text/{subtype} part"
    assert isinstance(part, EmailMessage)
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


def test_the_email_channel_is_built_in_and_on_when_email_is_set(network: Network) -> None:
    assert isinstance(network.notifications.channels["email"], EmailChannel)
    assert network.notifications.enabled_channels() == []
    network.notifications.configure(email=_email(25))
    assert [c.name for c in network.notifications.enabled_channels()] == ["email"]


def test_a_change_is_mailed_with_a_text_body_and_an_html_alternative(
    net: Network, inbox: Inbox
) -> None:
    program = _academy(net)
    ada = net.members.add(email="ada@example.org", given_name="Ada")
    net.enrollment.register(program.id, ada.id)
    assert net.notifications.dispatch().delivered == 1
    envelope, mail = inbox.one()
    [message] = net.notifications.messages()
    assert (envelope.mail_from, envelope.rcpt_tos) == (SENDER, ["ada@example.org"])
    assert mail["From"] == f"California Partnership <{SENDER}>"
    assert mail["To"] == "ada@example.org"
    assert mail["Subject"] == "You are enrolled: Summer Academy"
    assert mail["Date"] == "Thu, 01 Aug 2024 09:00:00 +0000"  # when it was queued
    assert mail["Message-ID"] == f"<{message.id}@cpn.example.org>"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert "Reply-To" not in mail
    assert "List-Unsubscribe" not in mail  # about their own enrollment: not optional
    assert mail.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]
    assert _text(mail, "plain").startswith("Hello Ada,\n\nYou are enrolled in Summer Academy.")
    assert "<p>Hello Ada,</p>" in _text(mail, "html")


def test_reply_to_and_non_ascii_names_are_encoded(
    smtp: LoopbackController, inbox: Inbox, channel: EmailChannel
) -> None:
    settings = NotificationSettings(
        email=_email(smtp.port, sender_name='Réseau "Ciencia", Fresno', reply_to="help@example.org")
    )
    channel.deliver(_message(subject="¡Bienvenida, Zoë!"), settings)
    envelope, mail = inbox.one()
    raw = envelope.original_content
    assert isinstance(raw, bytes) and raw.isascii()  # encoded words, no 8-bit headers
    assert mail["From"].addresses[0].display_name == 'Réseau "Ciencia", Fresno'
    assert mail["From"].addresses[0].addr_spec == SENDER
    assert mail["Reply-To"] == "help@example.org"
    assert mail["Subject"] == "¡Bienvenida, Zoë!"


def test_a_non_ascii_address_goes_with_smtputf8(
    smtp: LoopbackController, inbox: Inbox, channel: EmailChannel
) -> None:
    settings = NotificationSettings(email=_email(smtp.port))
    channel.deliver(_message(recipient="zoë@example.org"), settings)
    envelope, mail = inbox.one()
    assert envelope.rcpt_tos == ["zoë@example.org"]
    assert "SMTPUTF8" in envelope.mail_options
    assert mail["To"] == "zoë@example.org"


def test_optional_mail_carries_list_unsubscribe_and_opted_out_members_get_none(
    net: Network, inbox: Inbox, clock: FrozenClock, smtp: LoopbackController
) -> None:
    net.notifications.configure(
        email=_email(
            smtp.port,
            unsubscribe_url="https://cpn.example.org/unsubscribe/{member_id}/{category}",
        )
    )
    program = _academy(net, mode="application")
    ada = net.members.add(email="ada@example.org", given_name="Ada", opted_out={"reminders"})
    bob = net.members.add(email="bob@example.org", given_name="Bob")
    for member in (ada, bob):
        net.enrollment.accept(net.enrollment.apply(program.id, member.id).id)
    net.sessions.schedule(
        program.id,
        title="Kickoff",
        start=clock.now + timedelta(hours=23),
        duration=timedelta(hours=2),
    )
    assert net.notifications.queue_reminders() == 1  # bob's only
    assert net.notifications.dispatch().dead == 0
    sent = [(m["To"], m["Subject"]) for m in inbox.mails()]
    assert ("ada@example.org", "Accepted: Summer Academy") in sent
    assert ("bob@example.org", "Accepted: Summer Academy") in sent
    assert ("bob@example.org", "Tomorrow: Kickoff") in sent
    assert not any(to == "ada@example.org" and "Kickoff" in subject for to, subject in sent)
    for mail in inbox.mails():
        if mail["Subject"] == "Tomorrow: Kickoff":
            link = f"https://cpn.example.org/unsubscribe/{bob.id}/reminders"
            assert mail["List-Unsubscribe"] == f"<{link}>"
            assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            assert f'href="{link}"' in _text(mail, "html")
        else:
            assert "List-Unsubscribe" not in mail
            assert "List-Unsubscribe-Post" not in mail


def test_a_network_in_sqlite_sends_what_it_stored(
    clock: FrozenClock, smtp: LoopbackController, inbox: Inbox, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'network.db'}"
    with Network.open(url, name="Test", clock=clock, load_entrypoints=False) as net:
        net.notifications.configure(email=_email(smtp.port))
        program = _academy(net)
        net.enrollment.register(program.id, net.members.add(email="bob@example.org").id)
        net.sessions.schedule(
            program.id,
            title="Kickoff",
            start=clock.now + timedelta(hours=2),
            duration=timedelta(hours=1),
        )
        assert net.notifications.queue_reminders() == 1
        assert net.notifications.dispatch().delivered == 2
        _close(net)
        stored = {m.topic: m for m in net.notifications.messages()}
    reminder = next(m for m in inbox.mails() if m["Subject"] == "Tomorrow: Kickoff")
    assert reminder["List-Unsubscribe"] == stored["reminder.session"].headers["List-Unsubscribe"]
    assert reminder["Message-ID"] == f"<{stored['reminder.session'].id}@cpn.example.org>"


def test_without_an_unsubscribe_url_reminders_offer_a_mailto(
    net: Network, inbox: Inbox, clock: FrozenClock
) -> None:
    program = _academy(net)
    net.enrollment.register(program.id, net.members.add(email="bob@example.org").id)
    net.sessions.schedule(
        program.id,
        title="Kickoff",
        start=clock.now + timedelta(days=6),
        duration=timedelta(hours=1),
    )
    net.notifications.queue_reminders()
    net.notifications.dispatch()
    [reminder] = [m for m in inbox.mails() if m["Subject"] == "In 7 days: Kickoff"]
    assert reminder["List-Unsubscribe"] == (f"<mailto:{SENDER}?subject=unsubscribe%20reminders>")
    assert "List-Unsubscribe-Post" not in reminder  # one-click needs an https URL


def test_the_html_alternative_escapes_what_members_typed(net: Network, inbox: Inbox) -> None:
    program = _academy(net)
    evil = net.members.add(email="evil@example.org", given_name="<script>alert(1)</script>")
    net.enrollment.register(program.id, evil.id)
    net.notifications.dispatch()
    _, mail = inbox.one()
    html = _text(mail, "html")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert _text(mail, "plain").startswith("Hello <script>alert(1)</script>,")


# -- header injection -----------------------------------------------------------------
class InjectingWording:
    """Templates that put member and program fields in the subject."""

    @hookimpl
    def message_template(self, topic: str, part: str, program: Program | None) -> str | None:
        if part == "subject":
            return "Welcome {{ member.given_name }} to {{ program.title }}"
        return None


def test_line_breaks_in_names_cannot_add_headers_or_recipients(
    clock: FrozenClock, smtp: LoopbackController, inbox: Inbox
) -> None:
    evil = "Ada\r\nBcc: evil@example.org\r\nX-Injected: yes"
    with _open(clock, smtp, InjectingWording()) as net:
        net.notifications.configure(
            email=_email(smtp.port, sender_name="Network\nBcc: evil@example.org")
        )
        program = net.programs.create(title="Academy\nCc: evil@example.org", program_year=2024)
        ada = net.members.add(email="ada@example.org", given_name=evil)
        net.enrollment.register(program.id, ada.id)
        assert net.notifications.dispatch().delivered == 1
        envelope, mail = inbox.one()
        _close(net)
    assert envelope.rcpt_tos == ["ada@example.org"]
    assert envelope.mail_from == SENDER
    for header in ("Bcc", "Cc", "X-Injected"):
        assert header not in mail
    assert mail["Subject"] == (
        "Welcome Ada Bcc: evil@example.org X-Injected: yes to Academy Cc: evil@example.org"
    )
    assert mail["From"].addresses[0].display_name == "Network Bcc: evil@example.org"
    assert mail["From"].addresses[0].addr_spec == SENDER
    assert len(mail.get_all("To", [])) == 1


def test_a_message_id_is_made_safe_for_the_header() -> None:
    raw = mail_bytes(_message(id='odd "id"\r\nBcc: x@example.org'), _email(25))
    mail = _parse(raw)
    assert "Bcc" not in mail
    assert re.fullmatch(r"<[0-9a-f]{32}@cpn\.example\.org>", mail["Message-ID"])
    assert mail_bytes(_message(id='odd "id"\r\nBcc: x@example.org'), _email(25)) == raw


def test_header_values_lose_line_breaks_and_control_characters() -> None:
    assert header_value("a\r\nb\n\tc\u2028d\x00e  ") == "a b c d e"


def test_extra_headers_are_flattened_and_the_channels_own_are_refused(
    smtp: LoopbackController, inbox: Inbox, channel: EmailChannel
) -> None:
    settings = NotificationSettings(email=_email(smtp.port))
    injected = "\r\nBcc: evil@example.org"
    headers = {
        "X-Campaign": f"fall{injected}",
        "List-Unsubscribe": f"<https://u.example>{injected}",
    }
    channel.deliver(_message(subject=f"Hi{injected}", headers=headers), settings)
    envelope, mail = inbox.one()
    assert envelope.rcpt_tos == ["ada@example.org"] and "Bcc" not in mail
    assert mail["Subject"] == "Hi Bcc: evil@example.org"
    assert mail["X-Campaign"] == "fall Bcc: evil@example.org"
    assert mail["List-Unsubscribe"] == "<https://u.example> Bcc: evil@example.org"
    for headers in ({"Bcc": "evil@example.org"}, {"To": "evil@example.org"}, {"X Bad": "1"}):
        with pytest.raises(DeliveryError) as refused:
            channel.deliver(_message(headers=headers), settings)
        assert refused.value.permanent
    assert len(inbox.received) == 1


@pytest.mark.parametrize(
    "recipient",
    [
        "ada@example.org, evil@example.org",
        "ada@example.org\r\nBcc: evil@example.org",
        "Ada <ada@example.org>",
        "ada@example.org>\r\nRCPT TO:<evil@example.org",
        "ada example@example.org",
        "ada@localhost",
        "@example.org",
    ],
)
def test_a_recipient_that_is_not_one_address_is_refused_for_good(
    smtp: LoopbackController, inbox: Inbox, channel: EmailChannel, recipient: str
) -> None:
    settings = NotificationSettings(email=_email(smtp.port))
    with pytest.raises(DeliveryError, match="is not a single email address") as refused:
        channel.deliver(_message(recipient=recipient), settings)
    assert refused.value.permanent
    assert inbox.attempts == []


class ExtraRecipient:
    @hookimpl
    def notification_recipients(self, notice: Notice) -> Sequence[str]:
        return ["coordinator@example.org, evil@example.org"]


def test_a_plugin_recipient_list_is_dead_and_the_member_still_gets_theirs(
    clock: FrozenClock, smtp: LoopbackController, inbox: Inbox
) -> None:
    with _open(clock, smtp, ExtraRecipient()) as net:
        program = _academy(net)
        net.enrollment.register(program.id, net.members.add(email="ada@example.org").id)
        report = net.notifications.dispatch()
        _close(net)
        [dead] = net.notifications.messages(status="dead")
    assert (report.delivered, report.dead) == (1, 1)
    assert "is not a single email address" in dead.last_error
    assert [e.rcpt_tos for e in inbox.received] == [["ada@example.org"]]


# -- failures -------------------------------------------------------------------------
def test_a_busy_server_is_retried_with_the_same_message_id_then_delivered(
    net: Network, inbox: Inbox, clock: FrozenClock
) -> None:
    inbox.data_replies = ["421 4.3.2 Service not available, try again later"]
    program = _academy(net)
    net.enrollment.register(program.id, net.members.add(email="ada@example.org").id)
    assert net.notifications.dispatch().retried == 1
    [waiting] = net.notifications.messages()
    assert waiting.status is MessageStatus.PENDING
    assert "to ada@example.org" in waiting.last_error
    assert "421 4.3.2 Service not available" in waiting.last_error
    clock.advance(waiting.due_at - clock.now)
    assert net.notifications.dispatch().delivered == 1
    first, second = (_parse(content) for content in inbox.attempts)
    assert first["Message-ID"] == second["Message-ID"] == f"<{waiting.id}@cpn.example.org>"
    assert inbox.attempts[0] == inbox.attempts[1]  # a retry sends the very same bytes
    assert len(inbox.received) == 1


def test_a_refused_recipient_is_dead_at_once_naming_it_and_the_reply(
    net: Network, inbox: Inbox
) -> None:
    inbox.rcpt_replies["gone@example.org"] = "550 5.1.1 No such user here"
    program = _academy(net)
    net.enrollment.register(program.id, net.members.add(email="gone@example.org").id)
    net.enrollment.register(program.id, net.members.add(email="ada@example.org").id)
    report = net.notifications.dispatch()
    assert (report.delivered, report.retried, report.dead) == (1, 0, 1)
    [dead] = net.notifications.messages(status="dead")
    assert dead.attempts == 1
    assert dead.last_error.endswith(
        "to gone@example.org: 127.0.0.1:"
        f"{net.notifications.settings.email.port}"  # type: ignore[union-attr]
        " refused the recipient: 550 5.1.1 No such user here"
    )


def test_a_greylisted_recipient_is_retried(net: Network, inbox: Inbox) -> None:
    inbox.rcpt_replies["ada@example.org"] = "450 4.2.0 Greylisted, come back later"
    program = _academy(net)
    net.enrollment.register(program.id, net.members.add(email="ada@example.org").id)
    assert net.notifications.dispatch().retried == 1
    [waiting] = net.notifications.messages()
    assert "450 4.2.0 Greylisted" in waiting.last_error


def test_a_rejected_message_is_dead_at_once(net: Network, inbox: Inbox) -> None:
    inbox.data_replies = ["554 5.7.1 Message rejected as spam"]
    program = _academy(net)
    net.enrollment.register(program.id, net.members.add(email="ada@example.org").id)
    assert net.notifications.dispatch().dead == 1
    [dead] = net.notifications.messages()
    assert "refused the message: 554 5.7.1 Message rejected as spam" in dead.last_error


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_an_unreachable_server_is_retried_keeping_the_error(
    network: Network, clock: FrozenClock
) -> None:
    port = _closed_port()
    network.notifications.configure(email=_email(port))
    program = _academy(network)
    network.enrollment.register(program.id, network.members.add(email="ada@example.org").id)
    for attempt in (1, 2):
        assert network.notifications.dispatch().retried == 1
        [waiting] = network.notifications.messages()
        assert waiting.attempts == attempt and waiting.status is MessageStatus.PENDING
        assert f"to ada@example.org: could not connect to 127.0.0.1:{port}" in waiting.last_error
        assert "refused" in waiting.last_error.lower()
        clock.advance(waiting.due_at - clock.now)


def test_a_server_that_never_answers_times_out_and_is_retried(channel: EmailChannel) -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never greets
        port = silent.getsockname()[1]
        settings = NotificationSettings(email=_email(port, timeout_seconds=0.2))
        with pytest.raises(DeliveryError) as failed:
            channel.deliver(_message(), settings)
    assert not failed.value.permanent
    assert failed.value.reason.startswith(
        f"to ada@example.org: could not connect to 127.0.0.1:{port}: "
    )
    assert failed.value.reason.endswith("timed out")


def test_starttls_on_a_server_without_it_is_retried_not_sent_in_clear(
    smtp: LoopbackController, inbox: Inbox, channel: EmailChannel
) -> None:
    settings = NotificationSettings(email=_email(smtp.port, security="starttls"))
    with pytest.raises(DeliveryError, match="STARTTLS extension not supported") as failed:
        channel.deliver(_message(), settings)
    assert not failed.value.permanent
    assert inbox.attempts == []


def test_without_email_settings_delivery_waits_for_them(channel: EmailChannel) -> None:
    with pytest.raises(DeliveryError, match="email is not configured") as failed:
        channel.deliver(_message(), NotificationSettings())
    assert not failed.value.permanent


# -- login and the environment ---------------------------------------------------------
class Accounts:
    """An aiosmtpd authenticator with one account."""

    def __init__(self, username: str, password: str) -> None:
        self.account = (username.encode(), password.encode())
        self.logins: list[tuple[str, bytes, bytes]] = []

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((mechanism, data.login, data.password))
        return AuthResult(success=(data.login, data.password) == self.account, handled=False)


@pytest.fixture
def accounts() -> Accounts:
    return Accounts("mailer", "s3cret pass")


@pytest.fixture
def smtp_auth(inbox: Inbox, accounts: Accounts) -> Iterator[LoopbackController]:
    inbox.login_required = True
    controller = LoopbackController(inbox, authenticator=accounts, auth_require_tls=False)
    controller.start()
    yield controller
    controller.stop()


def test_login_uses_the_password_from_the_environment(
    smtp_auth: LoopbackController,
    inbox: Inbox,
    accounts: Accounts,
    channel: EmailChannel,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV_PASSWORD, "s3cret pass")
    settings = NotificationSettings(email=_email(smtp_auth.port, username="mailer"))
    channel.deliver(_message(), settings)
    assert [(login, password) for _, login, password in accounts.logins] == [
        (b"mailer", b"s3cret pass")
    ]
    assert inbox.one()[0].rcpt_tos == ["ada@example.org"]


def test_a_refused_login_is_retried_and_never_shows_the_password(
    smtp_auth: LoopbackController,
    inbox: Inbox,
    channel: EmailChannel,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = NotificationSettings(email=_email(smtp_auth.port, username="mailer"))
    with pytest.raises(DeliveryError, match=f"{ENV_PASSWORD} is not set") as missing:
        channel.deliver(_message(), settings)
    assert not missing.value.permanent
    monkeypatch.setenv(ENV_PASSWORD, "wrong horse battery")
    with pytest.raises(DeliveryError, match="refused the login of 'mailer': 535") as refused:
        channel.deliver(_message(), settings)
    assert not refused.value.permanent  # a setting to fix, not a message to bury
    assert "wrong horse" not in str(refused.value)
    assert inbox.attempts == []


def test_a_server_that_wants_a_login_refuses_mail_without_one(
    smtp_auth: LoopbackController, inbox: Inbox, channel: EmailChannel
) -> None:
    settings = NotificationSettings(email=_email(smtp_auth.port))
    with pytest.raises(DeliveryError, match="refused the sender: 530") as refused:
        channel.deliver(_message(), settings)
    assert not refused.value.permanent


def test_the_environment_overrides_the_profiles_server(
    smtp_auth: LoopbackController,
    inbox: Inbox,
    accounts: Accounts,
    channel: EmailChannel,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV_HOST, "127.0.0.1")
    monkeypatch.setenv(ENV_PORT, str(smtp_auth.port))
    monkeypatch.setenv(ENV_SECURITY, "plain")
    monkeypatch.setenv(ENV_USERNAME, "mailer")
    monkeypatch.setenv(ENV_PASSWORD, "s3cret pass")
    profile = EmailSettings(
        sender=SENDER, host="smtp.invalid", port=1, security="ssl", username="someone-else"
    )
    channel.deliver(_message(), NotificationSettings(email=profile))
    assert accounts.logins[0][1] == b"mailer"
    assert len(inbox.received) == 1


def test_effective_settings_read_the_environment() -> None:
    profile = EmailSettings(sender=SENDER, host="smtp.example.org")
    assert effective_settings(profile, {}) is profile
    assert effective_settings(profile, {ENV_HOST: " ", ENV_USERNAME: ""}) is profile
    changed = effective_settings(
        profile, {ENV_HOST: "relay", ENV_PORT: "2525", ENV_SECURITY: "STARTTLS"}
    )
    assert (changed.host, changed.effective_port, changed.security.value) == (
        "relay",
        2525,
        "starttls",
    )
    assert effective_settings(profile, {ENV_SECURITY: "ssl"}).effective_port == 465
    with pytest.raises(ValueError, match="CPNETWORK_SMTP_PORT='smtp' is not a port number"):
        effective_settings(profile, {ENV_PORT: "smtp"})
    with pytest.raises(ValueError, match="CPNETWORK_SMTP_SECURITY"):
        effective_settings(profile, {ENV_SECURITY: "tls1.3"})


def test_a_bad_environment_value_is_retried_not_buried(
    channel: EmailChannel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_PORT, "99999")
    with pytest.raises(DeliveryError, match="is not a port number") as failed:
        channel.deliver(_message(), NotificationSettings(email=_email(25)))
    assert not failed.value.permanent


# -- connections ----------------------------------------------------------------------
def test_one_connection_carries_many_messages(
    smtp: LoopbackController, inbox: Inbox, channel: EmailChannel
) -> None:
    settings = NotificationSettings(email=_email(smtp.port))
    for n in range(3):
        channel.deliver(_message(id=f"m{n}", recipient=f"m{n}@example.org"), settings)
    assert len(inbox.received) == 3 and len(inbox.peers) == 1
    channel.close()
    channel.deliver(_message(id="m3"), settings)
    assert len(inbox.peers) == 2


def test_a_connection_is_replaced_after_its_share_of_messages_or_when_idle(
    smtp: LoopbackController,
    inbox: Inbox,
    channel: EmailChannel,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = NotificationSettings(email=_email(smtp.port))
    monkeypatch.setattr(email_channel, "MESSAGES_PER_CONNECTION", 2)
    for n in range(5):
        channel.deliver(_message(id=f"m{n}"), settings)
    assert len(inbox.peers) == 3
    monkeypatch.setattr(email_channel, "IDLE_SECONDS", 0.0)
    for n in range(5, 7):
        channel.deliver(_message(id=f"m{n}"), settings)
    assert len(inbox.peers) == 5


def test_a_changed_password_opens_a_new_connection(
    smtp_auth: LoopbackController,
    inbox: Inbox,
    accounts: Accounts,
    channel: EmailChannel,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = NotificationSettings(email=_email(smtp_auth.port, username="mailer"))
    monkeypatch.setenv(ENV_PASSWORD, "s3cret pass")
    channel.deliver(_message(id="m1"), settings)
    channel.deliver(_message(id="m2"), settings)
    monkeypatch.setenv(ENV_PASSWORD, "rotated")
    accounts.account = (b"mailer", b"rotated")
    channel.deliver(_message(id="m3"), settings)
    assert [password for _, _, password in accounts.logins] == [b"s3cret pass", b"rotated"]
    assert len(inbox.received) == 3


def test_a_connection_the_server_dropped_is_replaced_without_losing_the_message(
    inbox: Inbox, channel: EmailChannel
) -> None:
    first = LoopbackController(inbox)
    first.start()
    settings = NotificationSettings(email=_email(first.port))
    channel.deliver(_message(id="m1"), settings)
    first.stop()  # closes the connection the channel keeps
    second = LoopbackController(inbox, port=first.port)
    second.start()
    try:
        channel.deliver(_message(id="m2"), settings)
    finally:
        channel.close()
        second.stop()
    assert [_parse(e.content)["Message-ID"] for e in inbox.received] == [
        "<m1@cpn.example.org>",
        "<m2@cpn.example.org>",
    ]


# -- invites --------------------------------------------------------------------------
def _calendar(method: str) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//cpnetwork//test//EN",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        "UID:session-s1@cpn.example.org",
        "SEQUENCE:2",
        "DTSTAMP:20240801T090000Z",
        "DTSTART:20241008T230000Z",
        "DTEND:20241009T010000Z",
        "SUMMARY:Kickoff \N{EN DASH} Zoë's room",
        f"ORGANIZER;CN=California Partnership:mailto:{SENDER}",
        "ATTENDEE;RSVP=TRUE:mailto:ada@example.org",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_an_invite_is_an_inline_alternative_and_an_attachment(
    smtp: LoopbackController, inbox: Inbox, channel: EmailChannel, method: str
) -> None:
    calendar = _calendar(method)
    message = _message(topic="session.changed", category=Category.SESSIONS, calendar=calendar)
    channel.deliver(message, NotificationSettings(email=_email(smtp.port)))
    envelope, mail = inbox.one()
    # as Exchange and Google write it: the method a bare token
    content_type = f'Content-Type: text/calendar; charset="utf-8"; method={method}\r\n'
    assert content_type.encode() in envelope.original_content
    assert mail.get_content_type() == "multipart/mixed"
    alternative, attachment = mail.iter_parts()
    assert isinstance(alternative, EmailMessage) and isinstance(attachment, EmailMessage)
    assert [p.get_content_type() for p in alternative.iter_parts()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    *_, invite = alternative.iter_parts()
    assert isinstance(invite, EmailMessage)
    assert invite.get_param("method") == method
    assert invite.get_content().replace("\r\n", "\n") == calendar.replace("\r\n", "\n")
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content() == calendar.encode()
    # clients show the text or the HTML, never the calendar source
    assert _text(mail, "plain").startswith("Hello Ada")


def test_a_calendar_without_a_method_is_only_attached(
    smtp: LoopbackController, inbox: Inbox, channel: EmailChannel
) -> None:
    calendar = _calendar("REQUEST").replace("METHOD:REQUEST\r\n", "")
    channel.deliver(_message(calendar=calendar), NotificationSettings(email=_email(smtp.port)))
    _, mail = inbox.one()
    alternative, attachment = mail.iter_parts()
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
    assert attachment.get_filename() == "invite.ics"


def test_calendar_method_reads_folded_and_parameterized_lines() -> None:
    assert calendar_method("BEGIN:VCALENDAR\r\nMETHOD:request\r\nEND:VCALENDAR\r\n") == "REQUEST"
    assert calendar_method("BEGIN:VCALENDAR\r\nMETH\r\n OD:CANCEL\r\n") == "CANCEL"
    assert calendar_method("METHOD;X-A=1:PUBLISH\n") == "PUBLISH"
    assert calendar_method("BEGIN:VEVENT\r\nSUMMARY:METHOD:REQUEST\r\n") is None
    assert calendar_method("") is None


# -- TLS ------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made with the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _trusting(cert: Path) -> Callable[[], ssl.SSLContext]:
    return lambda: ssl.create_default_context(cafile=str(cert))


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_connections_check_the_certificate(
    inbox: Inbox,
    accounts: Accounts,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    security: str,
) -> None:
    cert, key = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    options: dict[str, Any] = (
        {"tls_context": server_tls, "require_starttls": True}
        if security == "starttls"
        else {"ssl_context": server_tls, "auth_require_tls": False}  # TLS from the start
    )
    controller = LoopbackController(inbox, authenticator=accounts, **options)
    controller.start()
    monkeypatch.setenv(ENV_PASSWORD, "s3cret pass")
    settings = NotificationSettings(
        email=_email(controller.port, security=security, username="mailer")
    )
    trusting, default_trust = EmailChannel(_trusting(cert)), EmailChannel()
    try:
        trusting.deliver(_message(), settings)
        with pytest.raises(DeliveryError, match="CERTIFICATE_VERIFY_FAILED") as untrusted:
            default_trust.deliver(_message(id="m2"), settings)
    finally:
        trusting.close()
        default_trust.close()
        controller.stop()
    assert not untrusted.value.permanent
    assert len(inbox.received) == 1 and accounts.logins[0][1] == b"mailer"


# -- the mail's bytes, for any text ---------------------------------------------------
def _display_name(raw: bytes) -> str:
    """The From name as RFC 2047 reads it.

    The stdlib's address parser keeps the space between two encoded-words in a name,
    which RFC 2047 (section 6.2) and mail clients drop; ``decode_header`` drops it.
    """
    field = message_from_bytes(raw)["From"]
    display = field.rpartition(" <")[0].replace("\r\n", "")
    if not display.startswith("=?"):
        return (
            _parse(f"From: {display} <x@example.org>\r\n\r\n".encode())["From"]
            .addresses[0]
            .display_name
        )
    return str(make_header(decode_header(display)))


@given(
    name=st.text(max_size=120),
    subject=st.text(max_size=300),
    text=st.text(max_size=2_000),
    html=st.text(min_size=1, max_size=500),
    note=st.text(max_size=200),
)
def test_any_text_reads_back_the_same_and_never_adds_a_header(
    name: str, subject: str, text: str, html: str, note: str
) -> None:
    message = _message(subject=subject, text=text, html=html, headers={"X-Note": note})
    raw = mail_bytes(message, _email(25, sender_name=name))
    assert raw.isascii()
    lines = raw.split(b"\r\n")
    assert all(b"\r" not in line and b"\n" not in line for line in lines)  # CRLF only
    assert max(len(line) for line in lines) <= 998
    mail = _parse(raw)
    assert [field.lower() for field in mail] == [
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "auto-submitted",
        "x-note",
        "mime-version",
        "content-type",
    ]
    assert mail["From"].addresses[0].addr_spec == SENDER
    assert _display_name(raw) == header_value(name)
    assert mail["Subject"] == header_value(subject)
    assert mail["X-Note"] == header_value(note)
    newlines = {"\r\n": "\n", "\r": "\n"}
    for subtype, body in (("plain", text), ("html", html)):
        for old, new in newlines.items():
            body = body.replace(old, new)
        assert _text(mail, subtype) == body


def _invite_of(mail: EmailMessage) -> icalendar.Calendar:
    for part in mail.walk():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return icalendar.Calendar.from_ical(payload)
    raise AssertionError("no text/calendar part")


def test_session_mail_carries_an_invite_that_updates_then_cancels_the_event(
    net: Network, inbox: Inbox
) -> None:
    program = _academy(net)
    ada = net.members.add(email="ada@example.org", given_name="Ada")
    net.enrollment.register(program.id, ada.id)
    start = datetime(2024, 10, 8, 23, 0, tzinfo=UTC)
    session = net.sessions.schedule(
        program.id, title="Kickoff", start=start, duration=timedelta(hours=2)
    )
    net.sessions.edit(session.id, start=start + timedelta(days=1))
    net.sessions.cancel(session.id)
    net.notifications.dispatch()
    by_topic = {mail["Subject"]: mail for mail in inbox.mails()}
    moved = _invite_of(by_topic["Changed: Kickoff"])
    cancelled = _invite_of(by_topic["Cancelled: Kickoff"])
    assert moved["METHOD"] == "REQUEST" and cancelled["METHOD"] == "CANCEL"
    [first] = moved.walk("VEVENT")
    [last] = cancelled.walk("VEVENT")
    assert first["UID"] == last["UID"] == f"session-{session.id}@cpnetwork.invalid"
    assert int(last["SEQUENCE"]) > int(first["SEQUENCE"]) >= 1
    assert first.decoded("DTSTART") == start + timedelta(days=1)
    assert str(last["STATUS"]) == "CANCELLED"
    assert str(first["ATTENDEE"]) == "mailto:ada@example.org"
    assert moved.walk("VTIMEZONE")  # the zone travels with the invite
