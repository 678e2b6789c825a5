"""Built-in notifications: the log, email and webhook channels, and queuing on every change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cpnetwork.events import Event
from cpnetwork.hookspecs import hookimpl
from cpnetwork.model import Member, OutboxMessage
from cpnetwork.notifications.channels import Channel, LogChannel
from cpnetwork.notifications.email import EmailChannel
from cpnetwork.notifications.queue import queue_event
from cpnetwork.notifications.webhooks import WebhookChannel
from cpnetwork.storage import Transaction

if TYPE_CHECKING:
    from cpnetwork.network import Network


@hookimpl
def register_channels() -> Sequence[Channel]:
    return [LogChannel(), EmailChannel(), WebhookChannel()]


@hookimpl
def erase_member(member: Member, transaction: Transaction) -> None:
    transaction.delete_where(OutboxMessage, {"member_id": member.id})


@hookimpl
def export_member(member: Member, transaction: Transaction) -> dict[str, Any]:
    messages = transaction.find(OutboxMessage, {"member_id": member.id}, order_by=["created_at"])
    return {
        "messages": [
            {
                "created_at": m.created_at.isoformat(),
                "topic": m.topic,
                "to": m.recipient,
                "channel": m.channel,
                "status": m.status.value,
                "subject": m.subject,
            }
            for m in messages
        ]
    }


@hookimpl
def record_event(event: Event, transaction: Transaction, network: Network) -> None:
    queue_event(event, transaction, network)
