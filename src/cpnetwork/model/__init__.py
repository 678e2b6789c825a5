"""The domain model: attrs records that know nothing of storage or plugins."""

from cpnetwork.model._base import new_id
from cpnetwork.model.community import AccessLevel, Resource, ResourceKind, Team, TeamKind
from cpnetwork.model.enrollment import (
    OPEN_STATUSES,
    SEAT_STATUSES,
    Attendance,
    AttendanceSource,
    AttendanceStatus,
    Enrollment,
    EnrollmentStatus,
    Transition,
)
from cpnetwork.model.geography import County, Jurisdiction, Region
from cpnetwork.model.history import Milestone, Recognition
from cpnetwork.model.network import NetworkProfile, Priority
from cpnetwork.model.organizations import (
    Organization,
    OrganizationKind,
    OrganizationStatus,
    Partnership,
    PartnershipScope,
)
from cpnetwork.model.people import (
    Affiliation,
    CustomValue,
    EquityFocus,
    GradeBand,
    Member,
    Reach,
    Role,
)
from cpnetwork.model.programs import (
    CompletionRule,
    EligibilityRule,
    EnrollmentMode,
    EnrollmentPolicy,
    Format,
    Module,
    Program,
    Quota,
    QuotaScope,
    RuleKind,
)
from cpnetwork.model.sessions import Modality, Session, SessionKind, SessionSeries
from cpnetwork.model.surveys import Answer, ItemKind, Survey, SurveyItem, SurveyResponse

#: Every kind of stored record, in an order where references point backwards.
RECORD_TYPES: tuple[type, ...] = (
    NetworkProfile,
    Organization,
    Member,
    Program,
    SessionSeries,
    Session,
    Enrollment,
    Transition,
    Attendance,
    Team,
    Resource,
    Survey,
    SurveyResponse,
    Milestone,
    Partnership,
    Recognition,
)

__all__ = [
    "OPEN_STATUSES",
    "RECORD_TYPES",
    "SEAT_STATUSES",
    "AccessLevel",
    "Affiliation",
    "Answer",
    "Attendance",
    "AttendanceSource",
    "AttendanceStatus",
    "CompletionRule",
    "County",
    "CustomValue",
    "EligibilityRule",
    "Enrollment",
    "EnrollmentMode",
    "EnrollmentPolicy",
    "EnrollmentStatus",
    "EquityFocus",
    "Format",
    "GradeBand",
    "ItemKind",
    "Jurisdiction",
    "Member",
    "Milestone",
    "Modality",
    "Module",
    "NetworkProfile",
    "Organization",
    "OrganizationKind",
    "OrganizationStatus",
    "Partnership",
    "PartnershipScope",
    "Priority",
    "Program",
    "Quota",
    "QuotaScope",
    "Reach",
    "Recognition",
    "Region",
    "Resource",
    "ResourceKind",
    "Role",
    "RuleKind",
    "Session",
    "SessionKind",
    "SessionSeries",
    "Survey",
    "SurveyItem",
    "SurveyResponse",
    "Team",
    "TeamKind",
    "Transition",
    "new_id",
]
