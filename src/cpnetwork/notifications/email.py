"""The ``email`` channel: RFC 5322 mail through :mod:`smtplib`.

Each outbox message becomes one mail to one address.  Its shape is the one mail
clients expect of an invitation (Google Calendar sends the same)::

    multipart/mixed
        multipart/alternative
            text/plain                      the text body
            text/html                       the HTML alternative
            text/calendar; method=REQUEST   the invite, when the message carries one
        application/ics "invite.ics"        the same invite, as an attachment

Clients that understand iMIP (RFC 6047: Outlook, Gmail, Apple Mail, Thunderbird)
show the inline ``text/calendar`` alternative as an invitation with its buttons;
``multipart/alternative`` lets every other client pick the text or HTML and never
show iCalendar source, and the attachment lets a person add the event by hand
where nothing else works.

Headers are made from values that may come from the data (names in templates,
plugin recipients): line breaks and other control characters in a value fold into
single spaces, so no value can start a header of its own.  A recipient that is not
exactly one address, or a header name the channel owns, is refused for good.

The mail is written directly, with the standard library's encoders for each piece
(:class:`email.header.Header` for RFC 2047 encoded-words, quoted-printable and
base64 bodies), rather than built as an :class:`email.message.EmailMessage`: the
structure is fixed, and ``EmailMessage`` parses every header it is given, which
costs a few milliseconds a message, several times what sending it over a kept
connection costs.  The tests read every shape back with the standard parser.

The profile's :class:`~cpnetwork.model.EmailSettings` may be overridden from the
environment (``CPNETWORK_SMTP_HOST``, ``_PORT``, ``_SECURITY``, ``_USERNAME``) and
the password only comes from it (``CPNETWORK_SMTP_PASSWORD``).  Each thread keeps
its connection open between messages for a little while, so a dispatch round does
not pay a new connection, TLS handshake and login per message.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import re
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from email import quoprimime
from email.header import Header
from email.utils import format_datetime
from typing import Any, NoReturn

from attrs import evolve

from cpnetwork.errors import CpnetworkError, DeliveryError
from cpnetwork.model import EmailSettings, NotificationSettings, OutboxMessage
from cpnetwork.model.notifications import Security
from cpnetwork.notifications.channels import Channel

#: Environment variables that override the profile's settings (empty counts as unset).
ENV_HOST = "CPNETWORK_SMTP_HOST"
ENV_PORT = "CPNETWORK_SMTP_PORT"
ENV_SECURITY = "CPNETWORK_SMTP_SECURITY"
ENV_USERNAME = "CPNETWORK_SMTP_USERNAME"
#: The SMTP password: never stored in the profile or the database.
ENV_PASSWORD = "CPNETWORK_SMTP_PASSWORD"

#: A connection idle longer than this is closed rather than reused (servers must
#: wait at least five minutes for a command, RFC 5321 section 4.5.3.2).
IDLE_SECONDS = 30.0
#: Messages sent over one connection before it is replaced (providers cap this).
MESSAGES_PER_CONNECTION = 100
#: The invite's attachment name.
INVITE_FILENAME = "invite.ics"

#: Headers the channel writes itself; ``message.headers`` may not set them.
OWN_HEADERS = frozenset(
    {
        "auto-submitted",
        "bcc",
        "cc",
        "content-disposition",
        "content-transfer-encoding",
        "content-type",
        "date",
        "from",
        "message-id",
        "mime-version",
        "received",
        "resent-bcc",
        "resent-cc",
        "resent-from",
        "resent-to",
        "return-path",
        "sender",
        "subject",
        "to",
    }
)

#: A header field name: printable ASCII but the colon (RFC 5322 section 2.2).
_FIELD_NAME = re.compile(r"[!-9;-~]+")
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\u0080-\U0010ffff]+"
_LABEL = r"[A-Za-z0-9\-\u0080-\U0010ffff]+"
#: One address: dot-atom ``@`` domain (UTF-8 allowed, RFC 6531).
_ADDRESS = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@{_LABEL}(?:\.{_LABEL})+")
_METHOD = re.compile(r"^METHOD(?:;[^:\r\n]*)?:([A-Za-z-]+)\s*$", re.IGNORECASE | re.MULTILINE)
_FOLDED = re.compile(r"\r?\n[ \t]")
_PLAIN_ID = re.compile(r"[A-Za-z0-9]{1,64}")
#: Characters that make a display name a quoted string (RFC 5322 specials).
_SPECIALS = re.compile(r'[][\\()<>@,:;".]')


#: Line ends in mail.
CRLF = "\r\n"
#: Header lines are folded to this length where they have spaces (RFC 5322: SHOULD).
FOLD_AT = 78
#: No line of a mail may be longer (RFC 5322: MUST).
LINE_LIMIT = 998

#: A MIME part: its header lines and its encoded body (a multipart's holds its parts).
_Leaf = tuple[list[str], str]


# -- settings ----------------------------------------------------------------------
def effective_settings(
    email: EmailSettings, environ: Mapping[str, str] | None = None
) -> EmailSettings:
    """The profile's email settings with the environment's overrides applied.

    ``CPNETWORK_SMTP_HOST``, ``CPNETWORK_SMTP_PORT``, ``CPNETWORK_SMTP_SECURITY``
    (plain, starttls or ssl) and ``CPNETWORK_SMTP_USERNAME`` replace the profile's
    values when set and not empty.  A malformed value raises ValueError naming it.
    """
    env = os.environ if environ is None else environ
    changes: dict[str, Any] = {}
    if host := env.get(ENV_HOST, "").strip():
        changes["host"] = host
    if port := env.get(ENV_PORT, "").strip():
        if not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
            raise ValueError(f"{ENV_PORT}={port!r} is not a port number")
        changes["port"] = int(port)
    if security := env.get(ENV_SECURITY, "").strip():
        try:
            changes["security"] = Security(security)
        except CpnetworkError as exc:
            raise ValueError(f"{ENV_SECURITY}: {exc.reason}") from exc
    if username := env.get(ENV_USERNAME, "").strip():
        changes["username"] = username
    return evolve(email, **changes) if changes else email


# -- composing ---------------------------------------------------------------------
def header_value(value: str) -> str:
    """``value`` as one harmless header line: control characters and line breaks
    (``\\r``, ``\\n``, U+2028...) become single spaces, ends are trimmed."""
    spaced = "".join(" " if not char.isprintable() else char for char in value)
    return " ".join(spaced.split())


def single_address(value: str) -> str:
    """``value`` if it is exactly one plain address (``local@domain``), else ValueError.

    A dot-atom local part and a domain of two or more labels (RFC 5322 section
    3.4.1, with UTF-8 as RFC 6531 allows): no display name, no list, no quoting or
    comments, nothing that could end the address early in a header or a command.
    """
    if not value.isprintable() or not _ADDRESS.fullmatch(value):
        raise ValueError(f"{value!r} is not a single email address")
    return value


def message_id(message: OutboxMessage, sender: str) -> str:
    """``<{message.id}@{sender's domain}>``: the same on every attempt of one message."""
    domain = sender.rpartition("@")[2]
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        domain = "cpnetwork.invalid"
    return f"<{_token(message)}@{domain}>"


def _token(message: OutboxMessage) -> str:
    """The message's id where it is plain letters and digits, else a digest of it."""
    if _PLAIN_ID.fullmatch(message.id):
        return message.id
    return hashlib.sha256(message.id.encode()).hexdigest()[:32]


def calendar_method(calendar: str) -> str | None:
    """The iTIP METHOD of an iCalendar text (``REQUEST``, ``CANCEL``...), or None."""
    found = _METHOD.search(_FOLDED.sub("", calendar))
    return found.group(1).upper() if found else None


def check_settings(email: EmailSettings) -> None:
    """ValueError unless the sender and the reply-to address are each one address."""
    try:
        single_address(email.sender)
        if email.reply_to:
            single_address(email.reply_to)
    except ValueError as exc:
        raise ValueError(f"email settings: {exc}") from exc


def mail_bytes(message: OutboxMessage, email: EmailSettings) -> bytes:
    """The mail for ``message``, ready for SMTP DATA; ValueError if it cannot be sent.

    ``Date`` is when the message was queued, ``Message-ID`` is made from its id and
    the MIME boundaries too: a retry sends the very same bytes, and a receiver can
    recognise a repeat.  A calendar without a METHOD is no iTIP message: it goes as
    the attachment only.  Addresses that are not ASCII are written as UTF-8
    (RFC 6532), which the server must accept (SMTPUTF8).
    """
    check_settings(email)
    recipient = single_address(message.recipient)
    headers = [
        _header("From", _mailbox(header_value(email.sender_name), email.sender)),
        _header("To", recipient),
    ]
    extra = {name.lower(): value for name, value in message.headers.items()}
    reply_to = extra.get("reply-to") or email.reply_to
    if reply_to:
        headers.append(_header("Reply-To", single_address(header_value(reply_to))))
    headers += [
        _header("Subject", _text_value("Subject", header_value(message.subject))),
        _header("Date", format_datetime(message.created_at)),
        _header("Message-ID", message_id(message, email.sender)),
        # RFC 3834: automatic mail, so out-of-office replies do not answer it.
        _header("Auto-Submitted", "auto-generated"),
    ]
    for name, value in message.headers.items():
        if not _FIELD_NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a header name")
        if name.lower() in OWN_HEADERS:
            raise ValueError(f"header {name!r} is written by the email channel")
        if name.lower() != "reply-to":
            headers.append(_header(name, _text_value(name, header_value(value))))
    headers.append("MIME-Version: 1.0")
    body = _body(message, f"=_{_token(message)}")
    return CRLF.join([*headers, *body]).encode("utf-8")


def _body(message: OutboxMessage, boundary: str) -> list[str]:
    """The MIME headers and body lines of the message's content.

    The boundaries start with ``=_``, which quoted-printable and base64 never write,
    and 7bit content is used only when it does not hold them.
    """
    alternatives = [_text_part("plain", message.text)]
    if message.html:
        alternatives.append(_text_part("html", message.html))
    attachment: list[_Leaf] = []
    if message.calendar:
        calendar = message.calendar.replace("\r\n", "\n").replace("\r", "\n").replace("\n", CRLF)
        method = calendar_method(calendar)
        if method is not None:
            content_type = f'text/calendar; charset="utf-8"; method={method}'
            alternatives.append(_raw_part(content_type, calendar, boundary))
        attachment.append(
            (
                [
                    f'Content-Type: application/ics; name="{INVITE_FILENAME}"',
                    f'Content-Disposition: attachment; filename="{INVITE_FILENAME}"',
                    "Content-Transfer-Encoding: base64",
                ],
                _base64(calendar.encode("utf-8")),
            )
        )
    content = (
        alternatives[0]
        if len(alternatives) == 1
        else _multipart("alternative", alternatives, f"{boundary}_alt")
    )
    if attachment:
        content = _multipart("mixed", [content, *attachment], f"{boundary}_mix")
    part_headers, encoded = content
    return [*part_headers, "", encoded]


def _text_part(subtype: str, text: str) -> _Leaf:
    """A text part in quoted-printable: 7-bit clean, short lines, any text."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n")
    encoded = quoprimime.body_encode(lines.encode("utf-8").decode("latin-1"), eol=CRLF)
    return (
        [
            f'Content-Type: text/{subtype}; charset="utf-8"',
            "Content-Transfer-Encoding: quoted-printable",
        ],
        encoded,
    )


def _raw_part(content_type: str, text: str, boundary: str) -> _Leaf:
    """A part sent as it is (7bit) when it can be, as calendar clients are used to."""
    plain = (
        text.isascii()
        and "\x00" not in text
        and boundary not in text
        and all(len(line) <= LINE_LIMIT for line in text.split(CRLF))
    )
    if plain:
        return ([f"Content-Type: {content_type}", "Content-Transfer-Encoding: 7bit"], text)
    return (
        [f"Content-Type: {content_type}", "Content-Transfer-Encoding: base64"],
        _base64(text.encode("utf-8")),
    )


def _multipart(subtype: str, parts: list[_Leaf], boundary: str) -> _Leaf:
    lines: list[str] = []
    for part_headers, encoded in parts:
        lines += [f"--{boundary}", *part_headers, "", encoded]
    lines += [f"--{boundary}--", ""]
    return ([f'Content-Type: multipart/{subtype}; boundary="{boundary}"'], CRLF.join(lines))


def _base64(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii").replace("\n", CRLF)


def _mailbox(name: str, address: str) -> str:
    """``Name <address>``: the name quoted or encoded as RFC 5322 and 2047 want."""
    if not name:
        return address
    if name.isascii() and "=?" not in name:
        if _SPECIALS.search(name):
            name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{name} <{address}>"
    return f"{Header(name, 'utf-8', header_name='From').encode(linesep=CRLF)} <{address}>"


def _text_value(name: str, value: str) -> str:
    """An unstructured value: as it is when ASCII, else RFC 2047 encoded-words."""
    if value.isascii() and "=?" not in value:
        return value
    return Header(value, "utf-8", header_name=name).encode(linesep=CRLF, maxlinelen=FOLD_AT)


def _header(name: str, value: str) -> str:
    """``Name: value``, folded at spaces to short lines; ValueError past the limit."""
    if CRLF in value:  # already folded (encoded-words)
        return f"{name}: {value}"
    words = value.split(" ")
    lines = [f"{name}: {words[0]}"]
    for word in words[1:]:
        if len(lines[-1]) + 1 + len(word) <= FOLD_AT:
            lines[-1] += " " + word
        else:
            lines.append(" " + word)
    if any(len(line) > LINE_LIMIT for line in lines):
        raise ValueError(f"header {name!r} is longer than {LINE_LIMIT} characters")
    return CRLF.join(lines)


# -- sending -----------------------------------------------------------------------
@functools.cache
def _local_hostname() -> str:
    """The name said in EHLO: looked up once, as ``getfqdn`` may wait on DNS."""
    return socket.getfqdn()


class _Connection:
    """An open SMTP connection kept for the next message of the same thread."""

    def __init__(self, smtp: smtplib.SMTP, key: tuple[object, ...]) -> None:
        self.smtp = smtp
        self.key = key
        self.sent = 0
        self.used_at = time.monotonic()

    def reusable(self, key: tuple[object, ...]) -> bool:
        idle = time.monotonic() - self.used_at
        return self.key == key and self.sent < MESSAGES_PER_CONNECTION and idle < IDLE_SECONDS


class _Refused(Exception):
    """The server answered a step of the transaction with an error."""

    def __init__(self, step: str, code: int, reply: bytes | str) -> None:
        self.step = step
        self.code = code
        self.reply = _reply_text(reply)
        super().__init__(f"{step}: {code} {self.reply}")


class EmailChannel(Channel):
    """Sends people messages as mail through the network's SMTP server.

    ``tls_context`` makes the TLS context for STARTTLS and SSL connections (by
    default :func:`ssl.create_default_context`: certificates and host names are
    checked against the system's trusted authorities).
    """

    name = "email"

    def __init__(self, tls_context: Callable[[], ssl.SSLContext] | None = None) -> None:
        self._tls_context = tls_context or ssl.create_default_context
        self._local = threading.local()

    def enabled(self, settings: NotificationSettings) -> bool:
        return settings.email is not None

    def deliver(self, message: OutboxMessage, settings: NotificationSettings) -> None:
        if settings.email is None:
            raise DeliveryError(self.name, message.id, "email is not configured on the network")
        try:
            email = effective_settings(settings.email)
            check_settings(email)
        except ValueError as exc:  # the network's settings: once fixed, a retry goes
            raise DeliveryError(self.name, message.id, str(exc)) from exc
        try:
            payload = mail_bytes(message, email)
        except ValueError as exc:
            # Retrying sends the same message: a bad address or header stays bad.
            raise DeliveryError(self.name, message.id, str(exc), permanent=True) from exc
        utf8 = not payload.isascii()  # an address in UTF-8 (RFC 6532)
        self._send(message, email, payload, utf8=utf8)

    def close(self) -> None:
        """Close this thread's open connection, if any (QUIT, then the socket)."""
        connection: _Connection | None = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            try:
                connection.smtp.quit()
            except (smtplib.SMTPException, OSError):
                connection.smtp.close()

    # -- the SMTP conversation ---------------------------------------------------
    def _send(
        self, message: OutboxMessage, email: EmailSettings, payload: bytes, *, utf8: bool
    ) -> None:
        where = f"{email.host}:{email.effective_port}"
        for _ in range(2):
            connection, reused = self._connection(message, email)
            smtp = connection.smtp
            try:
                if utf8 and not smtp.has_extn("smtputf8"):
                    raise DeliveryError(
                        self.name,
                        message.id,
                        f"to {message.recipient}: {where} does not accept non-ASCII "
                        "addresses (no SMTPUTF8)",
                        permanent=True,
                    )
                options = ["SMTPUTF8", "BODY=8BITMIME"] if utf8 else []
                if smtp.has_extn("size"):
                    options.append(f"SIZE={len(payload)}")
                try:
                    code, reply = smtp.mail(email.sender, options)
                except smtplib.SMTPServerDisconnected:
                    if reused:  # the server dropped it while idle: nothing was sent
                        self._drop()
                        continue
                    raise
                if code == 421 and reused:
                    self._drop()
                    continue
                if code != 250:
                    raise _Refused("sender", code, reply)
                code, reply = smtp.rcpt(message.recipient)
                if code not in (250, 251):
                    raise _Refused("recipient", code, reply)
                code, reply = smtp.data(payload)
                if code != 250:
                    raise _Refused("message", code, reply)
            except DeliveryError:
                self._drop()
                raise
            except _Refused as exc:
                self._drop()
                # The recipient or this message refused for good: retrying cannot help.
                # The sender refused (our account) is retried, so fixing it sends the lot,
                # unless the refusal is about this message's size (552, RFC 1870).
                permanent = exc.code >= 500 and (
                    exc.step in ("recipient", "message") or exc.code == 552
                )
                self._fail(
                    message,
                    f"{where} refused the {exc.step}: {exc.code} {exc.reply}",
                    permanent=permanent,
                    cause=exc,
                )
            except smtplib.SMTPResponseException as exc:  # data() when DATA is refused
                self._drop()
                self._fail(
                    message,
                    f"{where} refused the message: {exc.smtp_code} {_reply_text(exc.smtp_error)}",
                    permanent=exc.smtp_code >= 500,
                    cause=exc,
                )
            except (smtplib.SMTPException, OSError) as exc:
                self._drop()
                self._fail(message, f"{where} failed: {_describe(exc)}", cause=exc)
            except BaseException:
                self._drop()  # never reuse a conversation left in the middle
                raise
            connection.sent += 1
            connection.used_at = time.monotonic()
            return
        self._fail(message, f"{where} closed the connection twice")

    def _connection(self, message: OutboxMessage, email: EmailSettings) -> tuple[_Connection, bool]:
        """This thread's open connection to the server, or a new one; and if it is reused."""
        password = os.environ.get(ENV_PASSWORD, "")
        # A changed password opens a new connection; the key keeps only its digest.
        secret = hashlib.sha256(password.encode()).hexdigest() if password else ""
        key = (email.host, email.effective_port, email.security, email.username, secret)
        current: _Connection | None = getattr(self._local, "connection", None)
        if current is not None:
            if current.reusable(key):
                return current, True
            self.close()
        if email.username and not password:
            self._fail(message, f"{ENV_PASSWORD} is not set, but username {email.username!r} is")
        where = f"{email.host}:{email.effective_port}"
        try:
            smtp = self._open(email, password)
        except smtplib.SMTPAuthenticationError as exc:
            reply = f"{exc.smtp_code} {_reply_text(exc.smtp_error)}"
            self._fail(message, f"{where} refused the login of {email.username!r}: {reply}")
        except smtplib.SMTPNotSupportedError as exc:  # no STARTTLS, no AUTH
            self._fail(message, f"{where}: {_describe(exc)}")
        except (smtplib.SMTPException, OSError) as exc:
            self._fail(message, f"could not connect to {where}: {_describe(exc)}", cause=exc)
        self._local.connection = connection = _Connection(smtp, key)
        return connection, False

    def _open(self, email: EmailSettings, password: str) -> smtplib.SMTP:
        host, port, timeout = email.host, email.effective_port, email.timeout_seconds
        smtp: smtplib.SMTP
        if email.security is Security.SSL:
            smtp = smtplib.SMTP_SSL(
                host,
                port,
                local_hostname=_local_hostname(),
                timeout=timeout,
                context=self._tls_context(),
            )
        else:
            smtp = smtplib.SMTP(host, port, local_hostname=_local_hostname(), timeout=timeout)
        try:
            smtp.ehlo()
            if email.security is Security.STARTTLS:
                smtp.starttls(context=self._tls_context())
                smtp.ehlo()
            if email.username:
                smtp.login(email.username, password)
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _drop(self) -> None:
        """Forget this thread's connection after an error: close it without a word."""
        connection: _Connection | None = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            connection.smtp.close()

    def _fail(
        self,
        message: OutboxMessage,
        reason: str,
        *,
        permanent: bool = False,
        cause: BaseException | None = None,
    ) -> NoReturn:
        raise DeliveryError(
            self.name, message.id, f"to {message.recipient}: {reason}", permanent=permanent
        ) from cause


def _reply_text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return header_value(text)


def _describe(exc: BaseException) -> str:
    """An exception for people: its text, or its kind when it has none."""
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    text = header_value(str(exc))
    return text or type(exc).__name__
