"""Built-in notifications: the log, email and webhook channels, and queuing on every change."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cpnetwork.events import Event
from cpnetwork.hookspecs import hookimpl
from cpnetwork.notifications.channels import Channel, LogChannel
from cpnetwork.notifications.email import EmailChannel
from cpnetwork.notifications.queue import queue_event
from cpnetwork.storage import Transaction

if TYPE_CHECKING:
    from cpnetwork.network import Network


@hookimpl
def register_channels() -> Sequence[Channel]:
    return [LogChannel(), EmailChannel()]


@hookimpl
def record_event(event: Event, transaction: Transaction, network: Network) -> None:
    queue_event(event, transaction, network)
