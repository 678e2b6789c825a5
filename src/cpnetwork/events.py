"""Domain events: what happened, handed to observers after the change commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs
from attrs import frozen

from cpnetwork.model import AttendanceStatus, EnrollmentStatus, Session


def changed_fields(before: Any, after: Any) -> tuple[str, ...]:
    """The names of the fields two versions of one record differ in, in field order."""
    return tuple(
        field.name
        for field in attrs.fields(type(after))
        if getattr(before, field.name) != getattr(after, field.name)
    )


@frozen(kw_only=True)
class Event:
    """Base of every domain event; ``at`` is when the change happened."""

    at: datetime


@frozen(kw_only=True)
class MemberAdded(Event):
    member_id: str


@frozen(kw_only=True)
class MemberUpdated(Event):
    member_id: str
    #: The fields that changed.
    changed: tuple[str, ...] = ()


@frozen(kw_only=True)
class MemberErased(Event):
    """A member's personal data was erased; their anonymous counts stay."""

    member_id: str


@frozen(kw_only=True)
class OrganizationAdded(Event):
    organization_id: str


@frozen(kw_only=True)
class OrganizationUpdated(Event):
    organization_id: str
    changed: tuple[str, ...] = ()


@frozen(kw_only=True)
class NetworkProfileUpdated(Event):
    """The network's name, time zone, program-year start or priorities changed."""

    changed: tuple[str, ...] = ()


@frozen(kw_only=True)
class ProgramCreated(Event):
    program_id: str


@frozen(kw_only=True)
class ProgramUpdated(Event):
    program_id: str
    changed: tuple[str, ...] = ()


@frozen(kw_only=True)
class SessionScheduled(Event):
    session_id: str
    program_id: str
    #: The session as scheduled.
    session: Session | None = None


@frozen(kw_only=True)
class SessionChanged(Event):
    """A session moved or changed: ``previous`` and ``session`` are it before and after."""

    session_id: str
    program_id: str
    session: Session | None = None
    previous: Session | None = None
    changed: tuple[str, ...] = ()


@frozen(kw_only=True)
class SessionCancelled(Event):
    session_id: str
    program_id: str
    session: Session | None = None


@frozen(kw_only=True)
class EnrollmentChanged(Event):
    """An enrollment moved from one status to another (``from_status`` None: created)."""

    enrollment_id: str
    program_id: str
    member_id: str
    from_status: EnrollmentStatus | None
    to_status: EnrollmentStatus
    actor: str
    reason: str


@frozen(kw_only=True)
class AttendanceRecorded(Event):
    session_id: str
    member_id: str
    status: AttendanceStatus


@frozen(kw_only=True)
class SurveyAnswered(Event):
    survey_id: str
    response_id: str


@frozen(kw_only=True)
class RecordChanged(Event):
    """A team, resource, survey, milestone, partnership or recognition was created or changed.

    Records with their own events (members, programs, sessions, enrollments,
    attendance) raise those instead.
    """

    kind: str
    record_id: str
    created: bool
