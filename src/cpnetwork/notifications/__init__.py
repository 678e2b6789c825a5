"""Notifications: a transactional outbox, channels, rendering, reminders and dispatch.

A change writes the messages it means into the outbox in its own transaction, so a
change that rolls back tells no one.  The dispatcher delivers them later through
channels registered by plugins (the built-in ``email``, ``webhook`` and ``log`` too),
retrying failures with backoff.  ``net.notifications`` is the facade.
"""

from cpnetwork.notifications.channels import Audience, Channel, LogChannel
from cpnetwork.notifications.dispatch import DispatchReport
from cpnetwork.notifications.notices import Notice

__all__ = ["Audience", "Channel", "DispatchReport", "LogChannel", "Notice"]
