"""The keyword arguments of the services' add and update calls, typed from the records.

``network.members.add(email=..., roles=["tosa"])`` takes the fields of a
:class:`~cpnetwork.model.Member` as keywords; these TypedDicts give those keywords
their types (PEP 692), so a type checker and an editor know them.  Values are what
the records' converters accept: a role by value or name, a list where a tuple is kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any, Required, TypedDict

from cpnetwork.model.notifications import Category, ReminderSettings
from cpnetwork.model.organizations import OrganizationKind, OrganizationStatus
from cpnetwork.model.people import (
    Affiliation,
    CustomValue,
    EquityFocus,
    GradeBand,
    Reach,
    Role,
)
from cpnetwork.model.programs import (
    CompletionRule,
    EnrollmentPolicy,
    Format,
    Module,
)
from cpnetwork.model.sessions import Modality, SessionKind


class _MemberDetails(TypedDict, total=False):
    given_name: str
    family_name: str
    roles: Iterable[Role | str]
    grade_bands: Iterable[GradeBand | str]
    affiliations: Iterable[Affiliation | Mapping[str, Any]]
    county: str | None
    joined: date | None
    reach: Reach | Mapping[str, int | None]
    equity_focus: EquityFocus | str
    consents_to_updates: bool
    opted_out: Iterable[Category | str]
    custom: dict[str, CustomValue]


class MemberChanges(_MemberDetails, total=False):
    """Fields of a member that ``members.update`` may change."""

    email: str


class MemberFields(_MemberDetails, total=False):
    """The keywords of ``members.add``: ``email`` is required."""

    id: str
    email: Required[str]


class _OrganizationDetails(TypedDict, total=False):
    parent_id: str | None
    county: str | None
    identifiers: dict[str, str]
    status: OrganizationStatus | str
    website: str | None


class OrganizationChanges(_OrganizationDetails, total=False):
    """Fields of an organization that ``organizations.update`` may change."""

    name: str
    kind: OrganizationKind | str


class OrganizationFields(_OrganizationDetails, total=False):
    """The keywords of ``organizations.add``: ``name`` and ``kind`` are required."""

    id: str
    name: Required[str]
    kind: Required[OrganizationKind | str]


class _ProgramDetails(TypedDict, total=False):
    program_year: int
    description: str
    host_ids: Iterable[str]
    partner_ids: Iterable[str]
    audience: str
    format: Format | str
    fee_cents: int
    tags: Iterable[str]
    policy: EnrollmentPolicy
    completion: CompletionRule | None
    reminders: ReminderSettings | None
    modules: Iterable[Module]
    tracks: Iterable[Module]


class ProgramChanges(_ProgramDetails, total=False):
    """Fields of a program that ``programs.update`` may change."""

    title: str


class ProgramFields(_ProgramDetails, total=False):
    """The keywords of ``programs.create``: ``title`` is required; the year defaults."""

    id: str
    title: Required[str]


class _SessionDetails(TypedDict, total=False):
    kind: SessionKind | str
    modality: Modality | str
    venue: str | None
    join_url: str | None
    capacity: int | None
    counts_toward_completion: bool


class SeriesOptions(_SessionDetails, total=False):
    """The keywords of ``sessions.schedule_series`` besides its rule and first start."""

    id: str
    timezone: str
    exdates: Iterable[datetime]


class SessionChanges(_SessionDetails, total=False):
    """What ``sessions.edit`` may change: give ``end`` or ``duration``, not both.

    ``timezone`` applies to a one-off session, ``rrule`` to a series scope.
    """

    title: str
    start: datetime
    end: datetime
    duration: timedelta
    timezone: str
    rrule: str
    facilitator_ids: Iterable[str]
    module: str | None
    track: str | None


class SessionFields(_SessionDetails, total=False):
    """The keywords of ``sessions.schedule``: a title, a start, and an end or a duration."""

    id: str
    title: Required[str]
    start: Required[datetime]
    end: datetime
    duration: timedelta
    timezone: str
    facilitator_ids: Iterable[str]
    module: str | None
    track: str | None
