"""The core kinds of record and their unique keys."""

from __future__ import annotations

from cpnetwork import model as m
from cpnetwork.storage.base import RecordKind

CORE_KINDS: tuple[RecordKind, ...] = (
    RecordKind(name="network", cls=m.NetworkProfile),
    RecordKind(name="organizations", cls=m.Organization, indexed=("parent_id", "county", "kind")),
    RecordKind(name="members", cls=m.Member, unique=(("email",),), indexed=("county",)),
    RecordKind(name="programs", cls=m.Program, indexed=("program_year",)),
    RecordKind(name="session_series", cls=m.SessionSeries, indexed=("program_id",)),
    RecordKind(
        name="sessions",
        cls=m.Session,
        unique=(("series_id", "recurrence_id"),),
        indexed=("program_id", "start"),
    ),
    RecordKind(
        name="enrollments",
        cls=m.Enrollment,
        unique=(("program_id", "member_id"),),
        indexed=("program_id", "member_id", "status"),
    ),
    RecordKind(
        name="transitions",
        cls=m.Transition,
        unique=(("enrollment_id", "sequence"),),
        indexed=("program_id", "at"),
    ),
    RecordKind(
        name="attendance",
        cls=m.Attendance,
        unique=(("session_id", "member_id"),),
        indexed=("program_id", "member_id"),
    ),
    RecordKind(name="teams", cls=m.Team),
    RecordKind(name="resources", cls=m.Resource, indexed=("program_id",)),
    RecordKind(name="surveys", cls=m.Survey),
    RecordKind(name="survey_responses", cls=m.SurveyResponse, indexed=("survey_id",)),
    RecordKind(name="milestones", cls=m.Milestone),
    RecordKind(name="partnerships", cls=m.Partnership),
    RecordKind(name="recognitions", cls=m.Recognition),
    RecordKind(
        name="outbox",
        cls=m.OutboxMessage,
        unique=(("key",),),
        indexed=("status", "due_at", "member_id"),
    ),
)
