"""Hypothesis strategies for valid cpnetwork records.

``records(cls)`` gives a strategy for any stored record kind (every class in
:data:`cpnetwork.model.RECORD_TYPES`) and for the value records nested in them;
the named strategies (``members()``, ``programs()``, ...) are the same strategies.
Every instance drawn passes the model's validators: datetimes are time-zone aware
(UTC, fixed offsets and a few IANA zones), ends come after starts, emails are
valid (though not always normalized: the record normalizes them), custom fields
hold JSON scalars and survey answers fit their items.

Only tests should import this module: it needs Hypothesis.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from cpnetwork.model import (
    AccessLevel,
    Affiliation,
    Answer,
    Attendance,
    AttendanceSource,
    AttendanceStatus,
    CompletionRule,
    County,
    CustomValue,
    EligibilityRule,
    Enrollment,
    EnrollmentMode,
    EnrollmentPolicy,
    EnrollmentStatus,
    EquityFocus,
    Format,
    GradeBand,
    ItemKind,
    Jurisdiction,
    Member,
    Milestone,
    Modality,
    Module,
    NetworkProfile,
    Organization,
    OrganizationKind,
    OrganizationStatus,
    Partnership,
    PartnershipScope,
    Priority,
    Program,
    Quota,
    QuotaScope,
    Reach,
    Recognition,
    Region,
    Resource,
    ResourceKind,
    Role,
    RuleKind,
    Session,
    SessionKind,
    SessionSeries,
    Survey,
    SurveyItem,
    SurveyResponse,
    Team,
    TeamKind,
    Transition,
)

T = TypeVar("T")

#: IANA zones the strategies use: DST and no DST, half-hour offsets, both hemispheres.
ZONE_NAMES: tuple[str, ...] = (
    "UTC",
    "America/Los_Angeles",
    "America/New_York",
    "America/Phoenix",
    "America/St_Johns",
    "Pacific/Honolulu",
    "Europe/London",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
)

_ZONES: tuple[tzinfo, ...] = (
    UTC,
    timezone(timedelta(hours=-7)),
    timezone(timedelta(hours=5, minutes=30)),
    *(ZoneInfo(name) for name in ZONE_NAMES),
)

_EARLIEST = datetime(2000, 1, 1)
_LATEST = datetime(2040, 12, 31)

# --------------------------------------------------------------------------- scalars


def ids() -> st.SearchStrategy[str]:
    """Record ids as :func:`cpnetwork.model.new_id` makes them."""
    return st.uuids().map(lambda u: u.hex)


#: Characters the model takes in any text field: no controls, format characters
#: (bidi overrides, zero-width), surrogates or line separators (see
#: :class:`cpnetwork.model._validators.TextKind`).
TEXT_CHARACTERS = st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs", "Zl", "Zp"))


def names() -> st.SearchStrategy[str]:
    """Text that is not blank (titles, names, keys)."""
    return st.text(TEXT_CHARACTERS, min_size=1, max_size=30).filter(lambda s: s.strip() != "")


def texts() -> st.SearchStrategy[str]:
    """Any short text, blank included (descriptions, optional labels)."""
    return st.text(TEXT_CHARACTERS, max_size=30)


def codes() -> st.SearchStrategy[str]:
    """County, region and jurisdiction codes such as ``"19"`` or ``"LA"``."""
    return st.text(alphabet=string.ascii_uppercase + string.digits, min_size=1, max_size=5)


def zone_names() -> st.SearchStrategy[str]:
    return st.sampled_from(ZONE_NAMES)


def years() -> st.SearchStrategy[int]:
    return st.integers(min_value=_EARLIEST.year, max_value=_LATEST.year)


def dates() -> st.SearchStrategy[date]:
    return st.dates(min_value=_EARLIEST.date(), max_value=_LATEST.date())


def is_ambiguous(moment: datetime) -> bool:
    """True for a wall-clock time a DST change repeats (fold) or skips (gap).

    Python's ``==`` never equals such a datetime to one in another time zone
    (PEP 495), so it does not survive a round trip through a UTC offset as an
    *equal* value, although the instant is kept.
    """
    return moment.replace(fold=0).utcoffset() != moment.replace(fold=1).utcoffset()


def aware_datetimes(*, allow_ambiguous: bool = False) -> st.SearchStrategy[datetime]:
    """Time-zone-aware datetimes in 2000-2040, in UTC, fixed offsets or IANA zones.

    Wall-clock times that are repeated or skipped by a DST change are left out
    unless ``allow_ambiguous`` (see :func:`is_ambiguous`).
    """
    moments = st.datetimes(
        min_value=_EARLIEST,
        max_value=_LATEST,
        timezones=st.sampled_from(_ZONES),
        allow_imaginary=allow_ambiguous,
    )
    return moments if allow_ambiguous else moments.filter(lambda m: not is_ambiguous(m))


def later(start: datetime, length: timedelta, zone: tzinfo) -> datetime:
    """The instant ``length`` after ``start`` (real elapsed time), on ``zone``'s clock.

    Falls back to UTC when that wall-clock time would be ambiguous in ``zone``.
    """
    end = (start.astimezone(UTC) + length).astimezone(zone)
    return end.astimezone(UTC) if is_ambiguous(end) else end


def durations(
    min_value: timedelta = timedelta(minutes=1), max_value: timedelta = timedelta(days=60)
) -> st.SearchStrategy[timedelta]:
    return st.timedeltas(min_value=min_value, max_value=max_value)


def emails() -> st.SearchStrategy[str]:
    """Valid emails, sometimes with capitals or surrounding blanks (records normalize)."""
    return st.builds(
        lambda address, shout, pad: f"{pad}{address.upper() if shout else address}{pad}",
        st.emails(),
        st.booleans(),
        st.sampled_from(["", " ", "\t"]),
    )


def json_scalars() -> st.SearchStrategy[CustomValue]:
    """Values a plugin-declared custom field may hold."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**53), max_value=2**53),
        st.floats(allow_nan=False, allow_infinity=False),
        texts(),
    )


def custom_fields() -> st.SearchStrategy[dict[str, CustomValue]]:
    return st.dictionaries(names(), json_scalars(), max_size=4)


def _tuples(elements: st.SearchStrategy[T], max_size: int = 3) -> st.SearchStrategy[tuple[T, ...]]:
    return st.lists(elements, max_size=max_size).map(tuple)


def _optional(strategy: st.SearchStrategy[T]) -> st.SearchStrategy[T | None]:
    return st.none() | strategy


def _counts() -> st.SearchStrategy[int]:
    return st.integers(min_value=0, max_value=10_000)


def _values(enum: type[Any]) -> st.SearchStrategy[str]:
    """Plain string values of a Choice enum, as sets of strings store them."""
    return st.sampled_from([member.value for member in enum])


# ----------------------------------------------------------------------- geography


def regions() -> st.SearchStrategy[Region]:
    return st.builds(Region, code=codes(), name=texts())


def counties() -> st.SearchStrategy[County]:
    return st.builds(County, code=codes(), name=names(), region_code=_optional(codes()))


@st.composite
def jurisdictions(draw: st.DrawFn) -> Jurisdiction:
    """A jurisdiction whose counties belong to its own regions (or to none)."""
    own_regions = draw(st.lists(regions(), max_size=3, unique_by=lambda r: r.code))
    region_codes = _optional(st.sampled_from([r.code for r in own_regions]))
    own_counties = draw(
        st.lists(
            st.builds(
                County,
                code=codes(),
                name=names(),
                region_code=region_codes if own_regions else st.none(),
            ),
            max_size=4,
            unique_by=lambda c: c.code,
        )
    )
    return Jurisdiction(
        code=draw(codes()),
        name=draw(texts()),
        regions=tuple(own_regions),
        counties=tuple(own_counties),
    )


# -------------------------------------------------------------------------- network


def priorities() -> st.SearchStrategy[Priority]:
    return st.builds(Priority, key=names(), statement=texts())


@st.composite
def network_profiles(draw: st.DrawFn) -> NetworkProfile:
    # Any day of a non-leap year may start the program year (not February 29).
    year_start = draw(st.dates(min_value=date(2001, 1, 1), max_value=date(2001, 12, 31)))
    return NetworkProfile(
        id=draw(st.just("network") | ids()),
        name=draw(names()),
        timezone=draw(zone_names()),
        year_start_month=year_start.month,
        year_start_day=year_start.day,
        priorities=draw(_tuples(priorities())),
    )


# -------------------------------------------------------------------- organizations


@st.composite
def organizations(draw: st.DrawFn) -> Organization:
    own_id = draw(ids())
    parent_id = draw(_optional(ids().filter(lambda i: i != own_id)))
    return Organization(
        id=own_id,
        name=draw(names()),
        kind=draw(st.sampled_from(OrganizationKind)),
        parent_id=parent_id,
        county=draw(_optional(codes())),
        identifiers=draw(
            st.dictionaries(
                st.sampled_from(["cds", "nces", "ein"]),
                st.text(alphabet=string.digits, min_size=1, max_size=14),
            )
        ),
        status=draw(st.sampled_from(OrganizationStatus)),
        website=draw(_optional(st.just("https://example.org/") | texts())),
    )


@st.composite
def _date_spans(draw: st.DrawFn) -> tuple[date | None, date | None]:
    """Optional start and end dates, the end not before the start."""
    start = draw(_optional(dates()))
    if start is None:
        return None, draw(_optional(dates()))
    days = draw(_optional(st.integers(min_value=0, max_value=3650)))
    return start, None if days is None else start + timedelta(days=days)


@st.composite
def partnerships(draw: st.DrawFn) -> Partnership:
    start, end = draw(_date_spans())
    return Partnership(
        id=draw(ids()),
        organization_id=draw(ids()),
        role=draw(texts()),
        scope=draw(st.sampled_from(PartnershipScope)),
        start=start,
        end=end,
        description=draw(texts()),
    )


# --------------------------------------------------------------------------- people


@st.composite
def affiliations(draw: st.DrawFn) -> Affiliation:
    start, end = draw(_date_spans())
    return Affiliation(
        organization_id=draw(ids()),
        title=draw(texts()),
        start=start,
        end=end,
        primary=draw(st.booleans()),
    )


def reaches() -> st.SearchStrategy[Reach]:
    return st.builds(
        Reach,
        teachers_supported=_optional(_counts()),
        students_reached=_optional(_counts()),
    )


def members() -> st.SearchStrategy[Member]:
    return st.builds(
        Member,
        id=ids(),
        email=emails(),
        given_name=texts(),
        family_name=texts(),
        roles=st.frozensets(st.sampled_from(Role)),
        grade_bands=st.frozensets(st.sampled_from(GradeBand)),
        affiliations=_tuples(affiliations()),
        county=_optional(codes()),
        joined=_optional(dates()),
        reach=reaches(),
        equity_focus=st.sampled_from(EquityFocus),
        consents_to_updates=st.booleans(),
        custom=custom_fields(),
    )


# ------------------------------------------------------------------------- programs

#: What an eligibility rule of each kind may allow.
_RULE_VALUES: dict[RuleKind, st.SearchStrategy[str]] = {
    RuleKind.ROLES: _values(Role),
    RuleKind.GRADE_BANDS: _values(GradeBand),
    RuleKind.ORGANIZATION_KINDS: _values(OrganizationKind),
    RuleKind.COUNTIES: codes(),
    RuleKind.REGIONS: codes(),
}


def eligibility_rules() -> st.SearchStrategy[EligibilityRule]:
    return st.sampled_from(RuleKind).flatmap(
        lambda kind: st.builds(
            EligibilityRule,
            kind=st.just(kind),
            allowed=st.frozensets(_RULE_VALUES[kind], min_size=1, max_size=4),
            description=texts(),
        )
    )


def quotas() -> st.SearchStrategy[Quota]:
    return st.builds(
        Quota,
        scope=st.sampled_from(QuotaScope),
        limit=st.integers(min_value=0, max_value=500),
        value=_optional(codes()),
    )


def completion_rules() -> st.SearchStrategy[CompletionRule]:
    return st.builds(
        CompletionRule,
        min_sessions=_optional(st.integers(min_value=0, max_value=40)),
        min_fraction=_optional(st.floats(min_value=0, max_value=1)),
        session_kinds=st.frozensets(_values(SessionKind), max_size=3),
        count_partial=st.booleans(),
    )


@st.composite
def enrollment_policies(draw: st.DrawFn) -> EnrollmentPolicy:
    opens = draw(_optional(aware_datetimes()))
    if opens is None:
        deadline = draw(_optional(aware_datetimes()))
    else:
        length = draw(_optional(durations(max_value=timedelta(days=365))))
        zone = draw(st.sampled_from(_ZONES))
        deadline = None if length is None else later(opens, length, zone)
    return EnrollmentPolicy(
        mode=draw(st.sampled_from(EnrollmentMode)),
        opens=opens,
        deadline=deadline,
        capacity=draw(_optional(st.integers(min_value=0, max_value=500))),
        waitlist=draw(st.booleans()),
        offer_window=draw(_optional(durations(min_value=timedelta(seconds=1)))),
        eligibility=draw(_tuples(eligibility_rules())),
        quotas=draw(_tuples(quotas())),
    )


def modules() -> st.SearchStrategy[Module]:
    return st.builds(Module, key=names(), title=texts())


def programs() -> st.SearchStrategy[Program]:
    return st.builds(
        Program,
        id=ids(),
        title=names(),
        program_year=years(),
        description=texts(),
        host_ids=_tuples(ids()),
        partner_ids=_tuples(ids()),
        audience=texts(),
        format=st.sampled_from(Format),
        fee_cents=st.integers(min_value=0, max_value=100_000),
        tags=st.frozensets(names(), max_size=3),
        policy=enrollment_policies(),
        completion=_optional(completion_rules()),
        modules=_tuples(modules()),
        tracks=_tuples(modules()),
    )


# ------------------------------------------------------------------------- sessions

_RRULES = (
    "FREQ=WEEKLY;COUNT=6",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;COUNT=10",
    "FREQ=MONTHLY;BYDAY=2WE;UNTIL=20250601T000000Z",
    "FREQ=DAILY;COUNT=3",
)


@st.composite
def sessions(draw: st.DrawFn) -> Session:
    start = draw(aware_datetimes())
    end = later(start, draw(durations(max_value=timedelta(days=5))), draw(st.sampled_from(_ZONES)))
    return Session(
        id=draw(ids()),
        program_id=draw(ids()),
        title=draw(names()),
        kind=draw(st.sampled_from(SessionKind)),
        start=start,
        end=end,
        timezone=draw(zone_names()),
        modality=draw(st.sampled_from(Modality)),
        venue=draw(_optional(texts())),
        join_url=draw(_optional(st.just("https://example.org/join") | texts())),
        capacity=draw(_optional(st.integers(min_value=0, max_value=500))),
        counts_toward_completion=draw(st.booleans()),
        facilitator_ids=draw(_tuples(ids())),
        module=draw(_optional(names())),
        track=draw(_optional(names())),
        series_id=draw(_optional(ids())),
        recurrence_id=draw(_optional(aware_datetimes())),
        detached=draw(st.booleans()),
        cancelled=draw(st.booleans()),
    )


def session_series() -> st.SearchStrategy[SessionSeries]:
    return st.builds(
        SessionSeries,
        id=ids(),
        program_id=ids(),
        title=names(),
        kind=st.sampled_from(SessionKind),
        rrule=st.sampled_from(_RRULES),
        first_start=aware_datetimes(),
        duration=durations(max_value=timedelta(days=2)),
        timezone=zone_names(),
        exdates=st.frozensets(aware_datetimes(), max_size=3),
        modality=st.sampled_from(Modality),
        venue=_optional(texts()),
        join_url=_optional(texts()),
        capacity=_optional(st.integers(min_value=0, max_value=500)),
        counts_toward_completion=st.booleans(),
    )


# ----------------------------------------------------------------------- enrollment


@st.composite
def enrollments(draw: st.DrawFn) -> Enrollment:
    created_at = draw(aware_datetimes())
    zone = draw(st.sampled_from(_ZONES))
    updated_at = later(created_at, draw(durations(min_value=timedelta(0))), zone)
    return Enrollment(
        id=draw(ids()),
        program_id=draw(ids()),
        member_id=draw(ids()),
        status=draw(st.sampled_from(EnrollmentStatus)),
        created_at=created_at,
        updated_at=updated_at,
        organization_id=draw(_optional(ids())),
        county=draw(_optional(codes())),
        region=draw(_optional(codes())),
        role=draw(_optional(_values(Role))),
        track=draw(_optional(names())),
        waitlisted_at=draw(_optional(aware_datetimes())),
        queue_number=draw(_optional(st.integers(min_value=1, max_value=1000))),
        rank=draw(_optional(st.integers(min_value=1, max_value=1000))),
        offer_expires_at=draw(_optional(aware_datetimes())),
        answers=draw(st.dictionaries(names(), texts(), max_size=3)),
    )


def transitions() -> st.SearchStrategy[Transition]:
    return st.builds(
        Transition,
        id=ids(),
        enrollment_id=ids(),
        program_id=ids(),
        member_id=ids(),
        from_status=_optional(st.sampled_from(EnrollmentStatus)),
        to_status=st.sampled_from(EnrollmentStatus),
        sequence=st.integers(min_value=1, max_value=50),
        at=aware_datetimes(),
        actor=texts(),
        reason=texts(),
    )


def attendances() -> st.SearchStrategy[Attendance]:
    return st.builds(
        Attendance,
        id=ids(),
        session_id=ids(),
        member_id=ids(),
        program_id=ids(),
        status=st.sampled_from(AttendanceStatus),
        minutes=_optional(st.integers(min_value=0, max_value=600)),
        source=st.sampled_from(AttendanceSource),
        recorded_at=aware_datetimes(),
    )


# ------------------------------------------------------------------------ community


@st.composite
def teams(draw: st.DrawFn) -> Team:
    member_ids = draw(st.frozensets(ids(), max_size=5))
    # Leads are some of the members.
    leads = (
        st.frozensets(st.sampled_from(sorted(member_ids))) if member_ids else st.just(frozenset())
    )
    return Team(
        id=draw(ids()),
        name=draw(names()),
        kind=draw(st.sampled_from(TeamKind)),
        program_id=draw(_optional(ids())),
        county=draw(_optional(codes())),
        region=draw(_optional(codes())),
        member_ids=member_ids,
        lead_ids=draw(leads),
    )


@st.composite
def resources(draw: st.DrawFn) -> Resource:
    program_id = draw(_optional(ids()))
    # Alumni access needs a program whose alumni are meant.
    levels = [a for a in AccessLevel if program_id or a is not AccessLevel.ALUMNI]
    return Resource(
        id=draw(ids()),
        title=draw(names()),
        kind=draw(st.sampled_from(ResourceKind)),
        url=draw(st.just("https://example.org/slides.pdf") | names()),
        access=draw(st.sampled_from(levels)),
        program_id=program_id,
        session_id=draw(_optional(ids())),
        program_year=draw(_optional(years())),
    )


# -------------------------------------------------------------------------- surveys


def survey_items() -> st.SearchStrategy[SurveyItem]:
    return st.builds(
        SurveyItem,
        key=names(),
        prompt=names(),
        kind=st.sampled_from(ItemKind),
        required=st.booleans(),
    )


def answers_for(item: SurveyItem) -> st.SearchStrategy[Answer]:
    """Answers that ``item.check`` accepts."""
    if item.kind in (ItemKind.LIKERT, ItemKind.RATING):
        return st.integers(min_value=1, max_value=5)
    if item.kind is ItemKind.YES_NO:
        return st.booleans()
    return texts()


def surveys() -> st.SearchStrategy[Survey]:
    return st.builds(
        Survey,
        id=ids(),
        title=names(),
        items=st.lists(survey_items(), max_size=5, unique_by=lambda i: i.key).map(tuple),
        program_id=_optional(ids()),
        session_id=_optional(ids()),
        anonymous=st.booleans(),
    )


@st.composite
def _answers(draw: st.DrawFn, survey: Survey) -> dict[str, Answer]:
    """Answers to every required item and some of the others."""
    return {
        item.key: draw(answers_for(item))
        for item in survey.items
        if item.required or draw(st.booleans())
    }


def survey_responses(survey: Survey | None = None) -> st.SearchStrategy[SurveyResponse]:
    """Responses to ``survey`` (to a drawn survey when None), answers fitting its items."""
    if survey is None:
        return surveys().flatmap(survey_responses)
    return st.builds(
        SurveyResponse,
        id=ids(),
        survey_id=st.just(survey.id),
        member_id=st.none() if survey.anonymous else _optional(ids()),
        submitted_at=aware_datetimes(),
        answers=_answers(survey),
    )


# -------------------------------------------------------------------------- history


def milestones() -> st.SearchStrategy[Milestone]:
    return st.builds(
        Milestone,
        id=ids(),
        year=years(),
        title=names(),
        on=_optional(dates()),
        description=texts(),
    )


@st.composite
def recognitions(draw: st.DrawFn) -> Recognition:
    # A member, an organization, or both: never neither.
    member_id, organization_id = draw(
        st.one_of(
            st.tuples(ids(), st.none()),
            st.tuples(st.none(), ids()),
            st.tuples(ids(), ids()),
        )
    )
    return Recognition(
        id=draw(ids()),
        title=draw(names()),
        year=draw(years()),
        member_id=member_id,
        organization_id=organization_id,
        awarded_by=draw(texts()),
        description=draw(texts()),
    )


# --------------------------------------------------------------------------- lookup

_STRATEGIES: dict[type, Callable[[], st.SearchStrategy[Any]]] = {
    # Stored records, in RECORD_TYPES order.
    NetworkProfile: network_profiles,
    Organization: organizations,
    Member: members,
    Program: programs,
    SessionSeries: session_series,
    Session: sessions,
    Enrollment: enrollments,
    Transition: transitions,
    Attendance: attendances,
    Team: teams,
    Resource: resources,
    Survey: surveys,
    SurveyResponse: survey_responses,
    Milestone: milestones,
    Partnership: partnerships,
    Recognition: recognitions,
    # Value records nested in them, and jurisdiction reference data.
    Affiliation: affiliations,
    Reach: reaches,
    EnrollmentPolicy: enrollment_policies,
    EligibilityRule: eligibility_rules,
    Quota: quotas,
    CompletionRule: completion_rules,
    Module: modules,
    Priority: priorities,
    SurveyItem: survey_items,
    Jurisdiction: jurisdictions,
    Region: regions,
    County: counties,
}

#: The value records (not stored on their own) that :func:`records` also knows.
VALUE_TYPES: tuple[type, ...] = (
    Affiliation,
    Reach,
    EnrollmentPolicy,
    EligibilityRule,
    Quota,
    CompletionRule,
    Module,
    Priority,
    SurveyItem,
    Jurisdiction,
    Region,
    County,
)


def records(cls: type[T]) -> st.SearchStrategy[T]:
    """A strategy for valid instances of the record class ``cls``."""
    try:
        factory = _STRATEGIES[cls]
    except KeyError:
        raise LookupError(
            f"no strategy for {cls.__name__}: add one to cpnetwork.testing.strategies"
        ) from None
    return cast("st.SearchStrategy[T]", factory())


__all__ = [
    "VALUE_TYPES",
    "ZONE_NAMES",
    "affiliations",
    "answers_for",
    "attendances",
    "aware_datetimes",
    "codes",
    "completion_rules",
    "counties",
    "custom_fields",
    "dates",
    "durations",
    "eligibility_rules",
    "emails",
    "enrollment_policies",
    "enrollments",
    "ids",
    "is_ambiguous",
    "json_scalars",
    "jurisdictions",
    "later",
    "members",
    "milestones",
    "modules",
    "names",
    "network_profiles",
    "organizations",
    "partnerships",
    "priorities",
    "programs",
    "quotas",
    "reaches",
    "recognitions",
    "records",
    "regions",
    "resources",
    "session_series",
    "sessions",
    "survey_items",
    "survey_responses",
    "surveys",
    "teams",
    "texts",
    "transitions",
    "years",
    "zone_names",
]
