"""Reminders: what is due now, queued once however often or from however many places.

Each reminder's key names what it reminds of and how many days before (a session and
its 7-day reminder, an offer and its expiry), so queuing it again finds it there.
Runs are serialized on the network's row, so two processes queuing at once cannot
both miss the other's reminders.  When several reminders of one moment are due at
once (the job did not run for a week), only the nearest is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from cpnetwork.model import (
    Category,
    Enrollment,
    EnrollmentStatus,
    Member,
    NetworkProfile,
    OutboxMessage,
    Program,
    ReminderSettings,
    Session,
)
from cpnetwork.notifications.notices import Notice, messages_for, participants
from cpnetwork.storage import Transaction

if TYPE_CHECKING:
    from cpnetwork.network import Network

#: Keys looked up per query when checking what is already queued.
KEY_CHUNK = 1_000


def due_days(days: Sequence[int], moment: datetime, now: datetime) -> int | None:
    """The nearest reminder of ``moment`` whose time has come, or None.

    None once ``moment`` has passed, or while no reminder of it is due yet.
    """
    if moment <= now:
        return None
    due = [day for day in days if moment - timedelta(days=day) <= now]
    return min(due) if due else None


def queue_reminders(network: Network, tx: Transaction, now: datetime) -> int:
    """Queue the reminders due at ``now`` that are not queued yet; how many messages."""
    channels = [c for c in network.notifications.enabled_channels() if c.audience == "people"]
    if not channels:
        return 0
    tx.lock(NetworkProfile, "network")
    default = network.profile.notifications.reminders
    programs = {program.id: program for program in tx.scan(Program)}

    def schedule(program_id: str) -> ReminderSettings:
        program = programs.get(program_id)
        return program.reminders if program and program.reminders else default

    schedules = [default, *(p.reminders for p in programs.values() if p.reminders)]
    notices = [
        *_session_notices(tx, now, _horizon(schedules, "session_days"), schedule),
        *_deadline_notices(tx, now, programs.values(), schedule),
        *_offer_notices(tx, now, _horizon(schedules, "offer_days"), schedule),
    ]
    messages = [m for notice in notices for m in messages_for(notice, channels, network, now)]
    fresh = _not_queued(tx, messages)
    if fresh:
        tx.insert_many(fresh)
    return len(fresh)


def _horizon(days: Iterable[ReminderSettings], pick: str) -> timedelta:
    longest = max((max(getattr(s, pick), default=0) for s in days), default=0)
    return timedelta(days=longest)


def _session_notices(
    tx: Transaction,
    now: datetime,
    horizon: timedelta,
    schedule: Callable[[str], ReminderSettings],
) -> Iterator[Notice]:
    if not horizon:
        return
    people: dict[str, list[Member]] = {}
    upcoming = tx.scan(Session, {"start__gt": now, "start__le": now + horizon, "cancelled": False})
    for session in upcoming:
        days = due_days(schedule(session.program_id).session_days, session.start, now)
        if days is None:
            continue
        if session.program_id not in people:
            people[session.program_id] = list(participants(tx, session.program_id))
        for member in people[session.program_id]:
            yield Notice(
                topic="reminder.session",
                category=Category.REMINDERS,
                key=f"reminder.session:{session.id}:{session.start.isoformat()}:{days}:{member.id}",
                member=member,
                program_id=session.program_id,
                session_id=session.id,
                data={"days": days},
            )


def _deadline_notices(
    tx: Transaction,
    now: datetime,
    programs: Iterable[Program],
    schedule: Callable[[str], ReminderSettings],
) -> Iterator[Notice]:
    for program in programs:
        deadline = program.policy.deadline
        if deadline is None:
            continue
        days = due_days(schedule(program.id).deadline_days, deadline, now)
        if days is None:
            continue
        interested = tx.find(
            Enrollment, {"program_id": program.id, "status": EnrollmentStatus.INTERESTED}
        )
        for enrollment in interested:
            yield Notice(
                topic="reminder.deadline",
                category=Category.REMINDERS,
                key=f"reminder.deadline:{enrollment.id}:{deadline.isoformat()}:{days}",
                member=tx.get(Member, enrollment.member_id),
                program_id=program.id,
                enrollment_id=enrollment.id,
                data={"days": days},
            )


def _offer_notices(
    tx: Transaction,
    now: datetime,
    horizon: timedelta,
    schedule: Callable[[str], ReminderSettings],
) -> Iterator[Notice]:
    if not horizon:
        return
    offers = tx.scan(
        Enrollment,
        {
            "status": EnrollmentStatus.OFFERED,
            "offer_expires_at__gt": now,
            "offer_expires_at__le": now + horizon,
        },
    )
    for enrollment in offers:
        expires = enrollment.offer_expires_at
        if expires is None:
            continue
        days = due_days(schedule(enrollment.program_id).offer_days, expires, now)
        if days is None:
            continue
        yield Notice(
            topic="reminder.offer",
            category=Category.ENROLLMENT,
            key=f"reminder.offer:{enrollment.id}:{expires.isoformat()}:{days}",
            member=tx.get(Member, enrollment.member_id),
            program_id=enrollment.program_id,
            enrollment_id=enrollment.id,
            data={"days": days},
        )


def _not_queued(tx: Transaction, messages: list[OutboxMessage]) -> list[OutboxMessage]:
    """The messages whose key is not in the outbox yet (nor twice in ``messages``)."""
    fresh: dict[str, OutboxMessage] = {}
    for start in range(0, len(messages), KEY_CHUNK):
        chunk = messages[start : start + KEY_CHUNK]
        taken = {m.key for m in tx.find(OutboxMessage, {"key": [m.key for m in chunk]})}
        for message in chunk:
            if message.key not in taken:
                fresh.setdefault(message.key, message)
    return list(fresh.values())
