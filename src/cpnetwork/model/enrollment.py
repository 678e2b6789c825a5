"""Enrollments, their transition history, and attendance."""

from __future__ import annotations

from datetime import datetime

from attrs import field, frozen

from cpnetwork.errors import IllegalTransitionError
from cpnetwork.model import _validators as v
from cpnetwork.model._base import new_id


class EnrollmentStatus(v.Choice):
    INTERESTED = "interested"
    APPLIED = "applied"
    UNDER_REVIEW = "under_review"
    ACCEPTED = "accepted"
    WAITLISTED = "waitlisted"
    OFFERED = "offered"
    ENROLLED = "enrolled"
    COMPLETED = "completed"
    INCOMPLETE = "incomplete"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"


#: Statuses that hold a seat against the program's capacity and quotas.
SEAT_STATUSES = frozenset(
    {
        EnrollmentStatus.OFFERED,
        EnrollmentStatus.ACCEPTED,
        EnrollmentStatus.ENROLLED,
        EnrollmentStatus.COMPLETED,
        EnrollmentStatus.INCOMPLETE,
    }
)

#: Statuses from which a member may withdraw or the network may cancel.
OPEN_STATUSES = frozenset(
    {
        EnrollmentStatus.INTERESTED,
        EnrollmentStatus.APPLIED,
        EnrollmentStatus.UNDER_REVIEW,
        EnrollmentStatus.ACCEPTED,
        EnrollmentStatus.WAITLISTED,
        EnrollmentStatus.OFFERED,
        EnrollmentStatus.ENROLLED,
    }
)


_S = EnrollmentStatus

#: The statuses each action may start from (None: the member has no enrollment yet).
ALLOWED_FROM: dict[str, frozenset[EnrollmentStatus | None]] = {
    "express interest": frozenset({None}),
    "invite": frozenset({None, _S.INTERESTED}),
    "apply": frozenset({None}),
    "register": frozenset({None}),
    "start review": frozenset({_S.APPLIED}),
    "accept": frozenset({_S.APPLIED, _S.UNDER_REVIEW, _S.WAITLISTED}),
    "waitlist": frozenset({_S.APPLIED, _S.UNDER_REVIEW}),
    "decline": frozenset({_S.APPLIED, _S.UNDER_REVIEW, _S.WAITLISTED}),
    "confirm": frozenset({_S.ACCEPTED}),
    "accept offer": frozenset({_S.OFFERED}),
    "decline offer": frozenset({_S.OFFERED}),
    "withdraw": OPEN_STATUSES,
    "cancel": OPEN_STATUSES,
    "complete": frozenset({_S.ENROLLED}),
}


@frozen(kw_only=True, field_transformer=v.checked_fields)
class Enrollment:
    """A member in a program.

    ``organization_id``, ``county``, ``region`` and ``role`` are what the member
    represented when they enrolled; quotas count these, not later changes.
    """

    id: str = field(factory=new_id)
    program_id: str = field(validator=v.non_empty)
    member_id: str = field(validator=v.non_empty)
    status: EnrollmentStatus = field(converter=EnrollmentStatus)
    created_at: datetime = field(validator=v.aware)
    updated_at: datetime = field(validator=v.aware)
    organization_id: str | None = None
    county: str | None = None
    region: str | None = None
    role: str | None = None
    track: str | None = None
    #: When the member joined the waitlist.
    waitlisted_at: datetime | None = field(default=None, validator=v.aware)
    #: Place in the program's waitlist line (1, 2, ...): first come, first offered,
    #: even when two members join in the same instant.
    queue_number: int | None = None
    #: Review rank (1 is best); ranked waitlists offer by rank before arrival.
    rank: int | None = None
    offer_expires_at: datetime | None = field(default=None, validator=v.aware)
    answers: dict[str, str] = field(factory=dict)
    #: How many steps its history holds, so the next is numbered without counting them
    #: (0 in records made before it was kept: the history is counted then).
    steps: int = field(default=0, validator=v.non_negative)

    @property
    def holds_seat(self) -> bool:
        return self.status in SEAT_STATUSES

    def check_step(self, action: str, why: str = "") -> None:
        """IllegalTransitionError unless ``action`` may start from this status."""
        if self.status not in ALLOWED_FROM[action]:
            raise IllegalTransitionError("Enrollment", self.id, self.status.value, action, why)


def _optional_status(value: EnrollmentStatus | str | None) -> EnrollmentStatus | None:
    return None if value is None else EnrollmentStatus(value)


@frozen(kw_only=True, field_transformer=v.checked_fields)
class Transition:
    """One step in an enrollment's history: who moved it, when and why."""

    id: str = field(factory=new_id)
    enrollment_id: str
    program_id: str
    member_id: str
    from_status: EnrollmentStatus | None = field(default=None, converter=_optional_status)
    to_status: EnrollmentStatus = field(converter=EnrollmentStatus)
    #: 1 for the enrollment's first step, then 2, 3...: orders steps taken in one instant.
    sequence: int = 1
    at: datetime = field(validator=v.aware)
    actor: str = ""
    reason: str = ""


class AttendanceStatus(v.Choice):
    PRESENT = "present"
    PARTIAL = "partial"
    ABSENT = "absent"
    EXCUSED = "excused"


class AttendanceSource(v.Choice):
    MANUAL = "manual"
    SIGN_IN_SHEET = "sign_in_sheet"
    VIDEO_REPORT = "video_report"
    IMPORT = "import"


@frozen(kw_only=True, field_transformer=v.checked_fields)
class Attendance:
    """A member at a session."""

    id: str = field(factory=new_id)
    session_id: str = field(validator=v.non_empty)
    member_id: str = field(validator=v.non_empty)
    program_id: str = field(validator=v.non_empty)
    status: AttendanceStatus = field(converter=AttendanceStatus)
    minutes: int | None = field(default=None, validator=v.non_negative)
    source: AttendanceSource = field(default=AttendanceSource.MANUAL, converter=AttendanceSource)
    recorded_at: datetime = field(validator=v.aware)
