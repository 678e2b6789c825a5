"""The dispatcher: claims due messages, delivers them, and records what happened.

Each round claims a batch in one short write transaction (``Transaction.claim``:
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite), marking the
messages *sending* until a lease lapses, so other dispatchers pass them by.  Messages
are delivered outside any transaction, and each outcome is written as soon as it is
known: a crash between sending a message and marking it repeats that message once
its lease lapses, and nothing else.  A delivered message is never claimed again.

A failed delivery is retried after an exponential backoff with jitter (half the
delay fixed, half random, so many failed messages do not all come back at once);
after ``max_attempts`` it is marked *dead* with its last error.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from attrs import evolve, frozen

from cpnetwork.errors import CpnetworkError, DeliveryError
from cpnetwork.model import MessageStatus, NetworkProfile, NotificationSettings, OutboxMessage
from cpnetwork.notifications.channels import Channel
from cpnetwork.notifications.rendering import Renderer
from cpnetwork.storage import Storage

#: How long a claimed message stays with its dispatcher before others may take it.
LEASE = timedelta(minutes=5)
#: Messages claimed per round.
CLAIM_BATCH = 50
#: Characters of an error kept on a message.
ERROR_LIMIT = 2_000


@frozen
class DispatchReport:
    """What one dispatch did."""

    delivered: int = 0
    retried: int = 0
    dead: int = 0

    def __add__(self, other: DispatchReport) -> DispatchReport:
        return DispatchReport(
            self.delivered + other.delivered, self.retried + other.retried, self.dead + other.dead
        )


def retry_delay(message: OutboxMessage, settings: NotificationSettings) -> timedelta:
    """How long to wait after the ``message.attempts``-th failed attempt.

    ``retry_base * 2**(attempts - 1)`` capped at ``retry_cap``; the wait is drawn
    between half of that and all of it, seeded by the message and attempt so it is
    reproducible yet differs between messages.
    """
    exponent = max(0, message.attempts - 1)
    ceiling = min(settings.retry_cap, settings.retry_base * (2 ** min(exponent, 32)))
    draw = random.Random(f"{message.id}:{message.attempts}").random()
    half: timedelta = ceiling / 2
    return half + half * draw


class Dispatcher:
    """Delivers due outbox messages through their channels."""

    def __init__(
        self,
        storage: Storage,
        channels: Mapping[str, Channel],
        renderer: Renderer,
        settings: NotificationSettings,
        profile_reader: Callable[[], NetworkProfile],
        clock: Callable[[], datetime],
    ) -> None:
        self._storage = storage
        self._channels = channels
        self._renderer = renderer
        self._settings = settings
        self._profile = profile_reader
        self._clock = clock

    def run(self, limit: int | None = None) -> DispatchReport:
        """Deliver due messages until none is left (or ``limit`` were tried)."""
        report = DispatchReport()
        tried = 0
        while limit is None or tried < limit:
            batch = CLAIM_BATCH if limit is None else min(CLAIM_BATCH, limit - tried)
            claimed, refused = self._claim(batch)
            report += refused
            if not claimed and not refused.dead:
                break
            for message in claimed:
                report += self._deliver(message)
            tried += len(claimed) + refused.dead
        return report

    def _claim(self, batch: int) -> tuple[list[OutboxMessage], DispatchReport]:
        """Claim up to ``batch`` due messages, rendering those not rendered yet.

        A message that cannot be rendered (a broken template) or has no channel is
        marked dead here, in the claim, and counted in the report.
        """
        claimed: list[OutboxMessage] = []
        dead = 0
        with self._storage.transaction() as tx:
            now = self._clock()
            due = tx.claim(
                OutboxMessage,
                {
                    "status": [MessageStatus.PENDING, MessageStatus.SENDING],
                    "due_at__le": now,
                },
                order_by=["due_at"],
                limit=batch,
            )
            for message in due:
                taken = evolve(
                    message,
                    status=MessageStatus.SENDING,
                    attempts=message.attempts + 1,
                    due_at=now + LEASE,
                )
                try:
                    channel = self._channel(message)
                    if channel.audience == "people" and not message.text:
                        taken = self._renderer.render(taken, tx, self._profile())
                except DeliveryError as exc:
                    tx.update(_dead(taken, str(exc)))
                    dead += 1
                    continue
                tx.update(taken)
                claimed.append(taken)
        return claimed, DispatchReport(dead=dead)

    def _channel(self, message: OutboxMessage) -> Channel:
        channel = self._channels.get(message.channel)
        if channel is None:
            raise DeliveryError(
                message.channel, message.id, "no channel of this name is installed", permanent=True
            )
        return channel

    def _deliver(self, message: OutboxMessage) -> DispatchReport:
        error: str | None = None
        permanent = False
        try:
            self._channel(message).deliver(message, self._settings)
        except DeliveryError as exc:
            error, permanent = str(exc), exc.permanent
        except CpnetworkError as exc:
            error = str(exc)
        except Exception as exc:  # a channel's own failure: retried like any other
            error = f"{message.channel} channel raised {exc!r}"
        with self._storage.transaction() as tx:
            now = self._clock()
            if error is None:
                tx.update(evolve(message, status=MessageStatus.DELIVERED, delivered_at=now))
                return DispatchReport(delivered=1)
            if permanent or message.attempts >= self._settings.max_attempts:
                tx.update(_dead(message, error))
                return DispatchReport(dead=1)
            tx.update(
                evolve(
                    message,
                    status=MessageStatus.PENDING,
                    due_at=now + retry_delay(message, self._settings),
                    last_error=error[:ERROR_LIMIT],
                )
            )
            return DispatchReport(retried=1)


def _dead(message: OutboxMessage, error: str) -> OutboxMessage:
    return evolve(message, status=MessageStatus.DEAD, last_error=error[:ERROR_LIMIT])
