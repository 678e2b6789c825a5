"""Channels: the ways a message leaves the outbox.

A channel is registered through the ``register_channels`` hook (the built-in
``email``, ``webhook`` and ``log`` ones too).  People channels deliver rendered
messages to addresses; event channels get every domain event as a JSON document.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar, Literal

from cpnetwork.events import Event
from cpnetwork.model import NotificationSettings, OutboxMessage

#: Who a channel's messages are for.
Audience = Literal["people", "events"]


class Channel(ABC):
    """A way to deliver outbox messages; subclass it and register an instance.

    ``deliver`` raises :class:`~cpnetwork.errors.DeliveryError` when the message did
    not go out (``permanent=True`` when retrying cannot help); any other exception
    counts as a failure to retry.  It must be safe to call again with a message it
    may already have delivered (a crash before the dispatcher marked it): pass
    ``message.key`` on as the idempotency key where the receiver understands one.
    """

    #: Unique among the registered channels; stored on each message.
    name: ClassVar[str]
    audience: ClassVar[Audience] = "people"

    def enabled(self, settings: NotificationSettings) -> bool:
        """Whether the network's settings turn this channel on."""
        return False

    def targets(self, settings: NotificationSettings, event: Event) -> Sequence[str]:
        """Event channels: where ``event`` goes (one message each).  People channels: ()."""
        return ()

    @abstractmethod
    def deliver(self, message: OutboxMessage, settings: NotificationSettings) -> None:
        """Send ``message``; raise DeliveryError if it did not go out."""


#: The logger the ``log`` channel writes to.
LOGGER = logging.getLogger("cpnetwork.notifications")


class LogChannel(Channel):
    """Writes each message to the ``cpnetwork.notifications`` logger: for trials and demos."""

    name = "log"

    def enabled(self, settings: NotificationSettings) -> bool:
        return settings.log

    def deliver(self, message: OutboxMessage, settings: NotificationSettings) -> None:
        LOGGER.info(
            "to %s: %s\n%s",
            message.recipient,
            message.subject,
            message.text,
            extra={"cpnetwork_message": message},
        )
