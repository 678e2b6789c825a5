"""The notifications facade: settings, the outbox, the dispatcher, reminders and ``tick``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from attrs import evolve, frozen

from cpnetwork.errors import PluginError
from cpnetwork.model import MessageStatus, NotificationSettings, OutboxMessage
from cpnetwork.notifications.channels import Channel
from cpnetwork.notifications.dispatch import Dispatcher, DispatchReport
from cpnetwork.notifications.reminders import queue_reminders
from cpnetwork.notifications.rendering import Renderer
from cpnetwork.services.context import Context

if TYPE_CHECKING:
    from cpnetwork.network import Network


@frozen
class TickReport:
    """What one ``tick`` did: offers expired, reminders queued, messages dispatched, purged,
    and records whose details the retention settings no longer keep."""

    expired: int
    queued: int
    dispatched: DispatchReport
    purged: int
    cleared: int = 0

    def lines(self) -> list[str]:
        sent = self.dispatched
        return [
            f"offers expired: {self.expired}",
            f"reminders queued: {self.queued}",
            f"messages delivered: {sent.delivered}, to retry: {sent.retried}, dead: {sent.dead}",
            f"old messages purged: {self.purged}",
            f"records cleared by retention: {self.cleared}",
        ]


class NotificationService:
    """Tells people what changed: ``net.notifications``.

    Changes queue their messages in the outbox as they commit (when a channel is set
    up); :meth:`dispatch` delivers them, :meth:`queue_reminders` adds the reminders
    due, and :meth:`tick` does everything a scheduled job should, in order.
    """

    def __init__(self, context: Context) -> None:
        self._context = context
        self._channels: dict[str, Channel] | None = None
        self._enabled: tuple[NotificationSettings, list[Channel]] | None = None
        self._renderer: Renderer | None = None

    @property
    def _network(self) -> Network:
        network = self._context.network
        assert network is not None, "the service is used before its network is open"
        return network

    # -- settings ---------------------------------------------------------------
    @property
    def settings(self) -> NotificationSettings:
        return self._context.profile.notifications

    def configure(self, **changes: Any) -> NotificationSettings:
        """Change the network's notification settings (channels, reminders, retries)."""
        settings = evolve(self.settings, **changes)
        self._network.update_profile(notifications=settings)
        return settings

    @property
    def channels(self) -> dict[str, Channel]:
        """Every registered channel by name (``register_channels``)."""
        if self._channels is None:
            found: dict[str, Channel] = {}
            for plugin, channels in self._context.plugins.call_all("register_channels"):
                for channel in channels:
                    if not isinstance(channel, Channel):
                        raise PluginError(
                            plugin, "register_channels", f"{channel!r} is not a Channel"
                        )
                    if channel.name in found:
                        raise PluginError(
                            plugin, "register_channels", f"channel {channel.name!r} is taken"
                        )
                    found[channel.name] = channel
            self._channels = found
        return self._channels

    def enabled_channels(self) -> list[Channel]:
        """The channels the network's settings turn on."""
        settings = self.settings
        # Asked on every change: answer from the last reading while the settings stand.
        if self._enabled is None or self._enabled[0] is not settings:
            enabled = [channel for channel in self.channels.values() if channel.enabled(settings)]
            self._enabled = (settings, enabled)
        return self._enabled[1]

    # -- the outbox ---------------------------------------------------------------
    def dispatch(self, limit: int | None = None) -> DispatchReport:
        """Deliver the messages that are due; retry or bury the ones that fail."""
        context = self._context
        if self._renderer is None:  # Jinja2 loads when messages are first dispatched
            self._renderer = Renderer(context.plugins)
        dispatcher = Dispatcher(
            context.storage,
            self.channels,
            self._renderer,
            self.settings,
            lambda: context.profile,
            context.now,
        )
        return dispatcher.run(limit)

    def queue_reminders(self) -> int:
        """Queue the session, deadline and offer reminders due now; how many messages."""
        with self._context.unit_of_work() as uow:
            return queue_reminders(self._network, uow.tx, uow.now)

    def purge(self) -> int:
        """Remove delivered and dead messages older than the retention setting; how many."""
        with self._context.unit_of_work() as uow:
            before = uow.now - self.settings.retention
            return uow.tx.delete_where(
                OutboxMessage,
                {
                    "status": [MessageStatus.DELIVERED, MessageStatus.DEAD],
                    "created_at__lt": before,
                },
            )

    def erase_member(self, member_id: str) -> int:
        """Remove every message to or about a member, whatever its state; how many."""
        with self._context.unit_of_work() as uow:
            return uow.tx.delete_where(OutboxMessage, {"member_id": member_id})

    def messages(
        self,
        *,
        status: MessageStatus | str | Sequence[MessageStatus | str] | None = None,
        member_id: str | None = None,
        limit: int | None = None,
    ) -> list[OutboxMessage]:
        """Messages in the outbox, oldest first."""
        where: dict[str, Any] = {}
        if status is not None:
            where["status"] = (
                MessageStatus(status)
                if isinstance(status, str)
                else [MessageStatus(s) for s in status]
            )
        if member_id is not None:
            where["member_id"] = member_id
        with self._context.reading() as tx:
            return tx.find(OutboxMessage, where, order_by=["created_at"], limit=limit)

    def tick(self, *, dispatch_limit: int | None = None) -> TickReport:
        """Everything a scheduled job does: expire offers, queue reminders, dispatch, purge
        old messages, and clear what the retention settings no longer keep."""
        expired = len(self._network.enrollment.expire_offers())
        queued = self.queue_reminders()
        dispatched = self.dispatch(dispatch_limit)
        purged = self.purge()
        cleared = self._network.apply_retention()
        return TickReport(
            expired=expired, queued=queued, dispatched=dispatched, purged=purged, cleared=cleared
        )
