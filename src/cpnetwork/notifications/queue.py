"""Queuing: the outbox messages a domain event means, written in the change's transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cpnetwork.events import Event
from cpnetwork.notifications.notices import event_messages, messages_for, notices_for
from cpnetwork.storage import Transaction

if TYPE_CHECKING:
    from cpnetwork.network import Network


def queue_event(event: Event, tx: Transaction, network: Network) -> int:
    """Write the messages ``event`` means into the outbox; how many.

    Runs inside the change (``record_event``), so a change that rolls back leaves no
    message behind.  With no channel turned on it reads nothing and writes nothing.
    """
    channels = network.notifications.enabled_channels()
    if not channels:
        return 0
    people = [channel for channel in channels if channel.audience == "people"]
    messages = event_messages(
        event, [channel for channel in channels if channel.audience == "events"], network
    )
    if people:
        for notice in notices_for(event, tx):
            messages += messages_for(notice, people, network, event.at)
    if messages:
        tx.insert_many(messages)
    return len(messages)
