"""What a network tells people, and how: message categories, channel settings, the outbox.

Settings live on the network profile (:class:`NotificationSettings`), with a program's
own reminder schedule on the program.  Secrets that must not sit in the database (the
SMTP password) come from the environment instead; see :mod:`cpnetwork.notifications`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from attrs import field, frozen

from cpnetwork.errors import ValidationError
from cpnetwork.model import _validators as v
from cpnetwork.model._base import new_id


class Category(v.Choice):
    """Why a message is sent; members may opt out of the optional ones."""

    #: About the member's own application or enrollment: always sent.
    ENROLLMENT = "enrollment"
    #: A session of a program they take part in moved or was cancelled: always sent.
    SESSIONS = "sessions"
    #: Reminders of sessions and deadlines: optional.
    REMINDERS = "reminders"
    #: News and announcements: optional, and only to members who agreed to updates.
    NEWS = "news"
    #: Domain events for other systems (webhooks), not for people.
    EVENTS = "events"


#: Categories a member may opt out of; the others are about their own participation.
OPTIONAL_CATEGORIES = frozenset({Category.REMINDERS, Category.NEWS})


def optional_categories(values: Iterable[str]) -> frozenset[Category]:
    """Member opt-outs: only optional categories may be refused."""
    categories = frozenset(Category(value) for value in values)
    required = sorted(c.value for c in categories - OPTIONAL_CATEGORIES)
    if required:
        raise ValidationError(
            "Member",
            None,
            f"cannot opt out of {', '.join(required)}: messages about a member's own "
            "participation are always sent",
            field="opted_out",
        )
    return categories


def _days(values: Iterable[int]) -> tuple[int, ...]:
    days = tuple(sorted({int(value) for value in values}, reverse=True))
    if any(day <= 0 for day in days):
        raise ValidationError("ReminderSettings", None, "days before must be positive")
    return days


@frozen(kw_only=True, field_transformer=v.checked_fields)
class ReminderSettings:
    """When reminders go out, in whole days before the moment they remind of.

    Defaults: 7 days and 1 day before a session, 3 days before an application
    deadline, 1 day before a waitlist offer expires.  An empty tuple sends none.
    """

    session_days: tuple[int, ...] = field(default=(7, 1), converter=_days)
    deadline_days: tuple[int, ...] = field(default=(3,), converter=_days)
    offer_days: tuple[int, ...] = field(default=(1,), converter=_days)


class Security(v.Choice):
    """How the SMTP connection is protected."""

    PLAIN = "plain"
    STARTTLS = "starttls"
    SSL = "ssl"


@frozen(kw_only=True, field_transformer=v.checked_fields)
class EmailSettings:
    """The SMTP server and the sender of the network's mail.

    The password is never stored: it comes from ``CPNETWORK_SMTP_PASSWORD``.
    ``port`` None means the usual port for ``security`` (25, 587 or 465).
    """

    sender: str = field(converter=v.normalize_email, validator=v.email)
    sender_name: str = ""
    host: str = "localhost"
    port: int | None = None
    security: Security = field(default=Security.PLAIN, converter=Security)
    username: str | None = None
    reply_to: str | None = None
    timeout_seconds: float = 30.0
    #: Where members can unsubscribe from optional mail: ``{member_id}`` and
    #: ``{category}`` are filled in.  Without it, a ``mailto:`` to the sender is used.
    unsubscribe_url: str | None = None

    @property
    def effective_port(self) -> int:
        if self.port is not None:
            return self.port
        return {Security.PLAIN: 25, Security.STARTTLS: 587, Security.SSL: 465}[self.security]


@frozen(kw_only=True, field_transformer=v.checked_fields)
class WebhookEndpoint:
    """A URL that receives every domain event (or only ``events``) as signed JSON."""

    url: str = field(validator=v.non_empty)
    #: The shared secret the HMAC-SHA256 signature is made with.
    secret: str = field(validator=v.non_empty, repr=False)
    #: Event type names (``EnrollmentChanged``...) to send; empty sends every event.
    events: frozenset[str] = field(factory=frozenset, converter=v.str_set)
    timeout_seconds: float = 10.0


@frozen(kw_only=True, field_transformer=v.checked_fields)
class NotificationSettings:
    """Which channels a network uses and how hard the dispatcher tries.

    With no channel turned on (the default), changes queue nothing.
    """

    email: EmailSettings | None = None
    webhooks: tuple[WebhookEndpoint, ...] = ()
    #: Write each message to the ``cpnetwork.notifications`` logger instead of sending it.
    log: bool = False
    reminders: ReminderSettings = field(factory=ReminderSettings)
    #: Deliveries tried before a message is marked dead.
    max_attempts: int = 8
    #: The first retry waits about this long; each later one twice as long, up to the cap.
    retry_base: timedelta = timedelta(minutes=1)
    retry_cap: timedelta = timedelta(hours=6)
    #: Delivered and dead messages are purged this long after they were created.
    retention: timedelta = timedelta(days=90)


class MessageStatus(v.Choice):
    PENDING = "pending"
    #: Claimed by a dispatcher until ``due_at``; afterwards claimable again.
    SENDING = "sending"
    DELIVERED = "delivered"
    DEAD = "dead"


@frozen(kw_only=True, field_transformer=v.checked_fields)
class OutboxMessage:
    """One message to deliver on one channel to one recipient, written with its cause.

    ``key`` is unique: queuing the same message twice (a reminder run twice) is
    refused, and the dispatcher gives it to the channel as the idempotency key
    (Message-ID, webhook delivery id), so a receiver can drop a repeat.
    """

    id: str = field(factory=new_id)
    key: str = field(validator=v.non_empty, metadata={"text": v.TextKind.NAME})
    channel: str = field(validator=v.non_empty)
    #: An email address, a webhook URL, a log name: what the channel delivers to.
    recipient: str = field(validator=v.non_empty, metadata={"text": v.TextKind.URL})
    topic: str = field(validator=v.non_empty)
    category: Category = field(converter=Category)
    member_id: str | None = None
    program_id: str | None = None
    session_id: str | None = None
    #: Made by the library from templates: the channel flattens what must be one line.
    subject: str = field(default="", metadata={"text": v.TextKind.TEXT})
    text: str = ""
    html: str = ""
    #: An iCalendar invite (METHOD:REQUEST or CANCEL) to attach, or "".
    calendar: str = ""
    #: A JSON document (a webhook's body), or "".
    data: str = ""
    headers: dict[str, str] = field(factory=dict, metadata={"text": v.TextKind.TEXT})
    status: MessageStatus = field(default=MessageStatus.PENDING, converter=MessageStatus)
    attempts: int = 0
    created_at: datetime = field(validator=v.aware)
    #: Pending: when the next attempt may run.  Sending: when the claim lapses.
    due_at: datetime = field(validator=v.aware)
    delivered_at: datetime | None = field(default=None, validator=v.aware)
    last_error: str = ""

    def describe(self) -> str:
        return f"{self.topic} to {self.recipient} by {self.channel}"
