"""Notices: what a change means to say to whom, turned into outbox messages.

A notice is one thing to tell one member (or, through the ``notification_recipients``
hook, others about them).  Each notice becomes one outbox message per people channel
and recipient; event channels get every event as a JSON document instead.  Nothing is
rendered here: rendering happens when the message is dispatched, so a template error
never undoes the change that raised the notice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from cpnetwork.events import EnrollmentChanged, Event, SessionCancelled, SessionChanged
from cpnetwork.model import (
    Category,
    Enrollment,
    EnrollmentStatus,
    Member,
    OutboxMessage,
)
from cpnetwork.model import new_id as _new_id
from cpnetwork.serialization import unstructure
from cpnetwork.storage import Transaction

if TYPE_CHECKING:
    from cpnetwork.network import Network
    from cpnetwork.notifications.channels import Channel

S = EnrollmentStatus

#: What a member is told when their enrollment reaches a status (others: nothing).
ENROLLMENT_TOPICS: dict[EnrollmentStatus, str] = {
    S.INTERESTED: "enrollment.interested",
    S.APPLIED: "enrollment.applied",
    S.ACCEPTED: "enrollment.accepted",
    S.WAITLISTED: "enrollment.waitlisted",
    S.OFFERED: "enrollment.offered",
    S.ENROLLED: "enrollment.enrolled",
    S.DECLINED: "enrollment.declined",
    S.EXPIRED: "enrollment.expired",
    S.WITHDRAWN: "enrollment.withdrawn",
    S.CANCELLED: "enrollment.cancelled",
    S.COMPLETED: "enrollment.completed",
}

#: Session fields whose change participants are told about (with a new invite).
ANNOUNCED_FIELDS = frozenset({"title", "start", "end", "timezone", "venue", "join_url", "modality"})

#: Statuses of the members a session change or reminder goes to.
PARTICIPATING = (S.ACCEPTED, S.ENROLLED)

#: Members read per query when a session's participants are addressed.
MEMBER_CHUNK = 1_000


@frozen(kw_only=True)
class Notice:
    """One thing to tell one member: the topic names its template."""

    topic: str
    category: Category
    #: Unique per notice; message keys are made from it, so queuing it twice is refused.
    key: str
    member: Member | None = None
    program_id: str | None = None
    session_id: str | None = None
    enrollment_id: str | None = None
    #: Extra values for the templates (a reminder's days before, a change's reason).
    data: Mapping[str, Any] = field(factory=dict)


def wants(member: Member, category: Category) -> bool:
    """Whether ``member`` receives messages of ``category`` (news needs their consent)."""
    if category in member.opted_out:
        return False
    return category is not Category.NEWS or member.consents_to_updates


def notices_for(event: Event, tx: Transaction) -> Iterator[Notice]:
    """The notices a domain event means."""
    if isinstance(event, EnrollmentChanged):
        topic = ENROLLMENT_TOPICS.get(event.to_status)
        if topic is None or event.from_status == event.to_status:
            return
        yield Notice(
            topic=topic,
            category=Category.ENROLLMENT,
            key=f"{topic}:{event.enrollment_id}:{_new_id()}",
            member=tx.get(Member, event.member_id),
            program_id=event.program_id,
            enrollment_id=event.enrollment_id,
            data={"from_status": event.from_status, "reason": event.reason},
        )
    elif isinstance(event, SessionCancelled) or (
        isinstance(event, SessionChanged) and ANNOUNCED_FIELDS.intersection(event.changed)
    ):
        cancelled = isinstance(event, SessionCancelled)
        if not cancelled and event.session is not None and event.session.cancelled:
            return
        topic = "session.cancelled" if cancelled else "session.changed"
        key = f"{topic}:{event.session_id}:{_new_id()}"
        # The session as this change left it: a later change must not rewrite this message.
        snapshot = {"session": unstructure(event.session)} if event.session is not None else {}
        for member in participants(tx, event.program_id):
            yield Notice(
                topic=topic,
                category=Category.SESSIONS,
                key=f"{key}:{member.id}",
                member=member,
                program_id=event.program_id,
                session_id=event.session_id,
                data=snapshot,
            )


def participants(tx: Transaction, program_id: str) -> Iterator[Member]:
    """Members holding an accepted or enrolled place in the program, a chunk at a time."""
    ids = [
        enrollment.member_id
        for enrollment in tx.scan(
            Enrollment, {"program_id": program_id, "status": list(PARTICIPATING)}
        )
    ]
    for start in range(0, len(ids), MEMBER_CHUNK):
        yield from tx.find(Member, {"id": ids[start : start + MEMBER_CHUNK]})


def recipients(notice: Notice, network: Network) -> list[str]:
    """The member (if they take this category), then the hook's extra addresses, once each."""
    found: list[str] = []
    if notice.member is not None and wants(notice.member, notice.category):
        found.append(notice.member.email)
    for address in network.plugins.collect(
        "notification_recipients", str, notice=notice, network=network
    ):
        if address not in found:
            found.append(address)
    return found


def messages_for(
    notice: Notice, channels: Sequence[Channel], network: Network, now: datetime
) -> list[OutboxMessage]:
    """One pending message per people channel and recipient of ``notice``."""
    data = json.dumps(_plain(notice.data), sort_keys=True) if notice.data else ""
    return [
        OutboxMessage(
            key=f"{notice.key}:{channel.name}:{address}",
            channel=channel.name,
            recipient=address,
            topic=notice.topic,
            category=notice.category,
            member_id=None if notice.member is None else notice.member.id,
            program_id=notice.program_id,
            session_id=notice.session_id,
            data=data,
            created_at=now,
            due_at=now,
        )
        for address in recipients(notice, network)
        for channel in channels
    ]


def event_messages(
    event: Event, channels: Iterable[Channel], network: Network
) -> list[OutboxMessage]:
    """One message per event channel target: the event as a JSON document."""
    settings = network.profile.notifications
    messages: list[OutboxMessage] = []
    for channel in channels:
        for target in channel.targets(settings, event):
            message_id = _new_id()
            document = {
                "id": message_id,
                "type": type(event).__name__,
                "at": event.at.isoformat(),
                "data": _plain(unstructure(event)),
            }
            messages.append(
                OutboxMessage(
                    id=message_id,
                    key=f"event:{message_id}",
                    channel=channel.name,
                    recipient=target,
                    topic=type(event).__name__,
                    category=Category.EVENTS,
                    member_id=getattr(event, "member_id", None),
                    program_id=getattr(event, "program_id", None),
                    session_id=getattr(event, "session_id", None),
                    data=json.dumps(document, sort_keys=True),
                    created_at=event.at,
                    due_at=event.at,
                )
            )
    return messages


def _plain(value: Any) -> Any:
    """JSON-ready: datetimes as ISO 8601 text, enums as their values, sets sorted."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(value.value, str | int):
        return value.value
    return value
