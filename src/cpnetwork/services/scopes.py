"""Scopes: which records an actor may see, and which changes they may make.

The rules, in one place:

- an admin sees and changes everything;
- a county coordinator sees and changes the members of their county and what hangs
  off a member (enrollments and their history, attendance, survey responses,
  messages, recognitions); a region lead the same for every county of their region;
  both run programs, sessions, surveys and the rest of the network's shared records;
- a facilitator sees the programs whose sessions they facilitate, with those
  programs' members and what hangs off them, records attendance at their sessions and
  edits their sessions; they change nothing else;
- a member sees and changes their own record and enrollments, and answers surveys.

Programs, sessions, organizations, teams, surveys and the network's history are
shared: every actor sees them.  Changes are judged by the domain events they raise,
so no service can change a record without being judged.  Plugins refine any decision
through the ``check_access`` hook.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from cpnetwork.errors import AccessDeniedError
from cpnetwork.events import (
    AttendanceRecorded,
    EnrollmentChanged,
    Event,
    MemberAdded,
    MemberErased,
    MemberUpdated,
    NetworkProfileUpdated,
    SessionCancelled,
    SessionChanged,
    SessionScheduled,
    SurveyAnswered,
)
from cpnetwork.model import (
    Actor,
    ActorRole,
    Attendance,
    Enrollment,
    Member,
    OutboxMessage,
    Recognition,
    Session,
    SurveyResponse,
    Transition,
)
from cpnetwork.storage import Transaction

if TYPE_CHECKING:
    from cpnetwork.network import Network
    from cpnetwork.services.context import Context

R = ActorRole

#: Roles that run programs and the network's shared records.
MANAGERS = frozenset({R.ADMIN, R.REGION_LEAD, R.COUNTY_COORDINATOR})

#: Records that belong to one member, by the field naming them.
MEMBER_LINKED: dict[type, str] = {
    Enrollment: "member_id",
    Transition: "member_id",
    Attendance: "member_id",
    SurveyResponse: "member_id",
    OutboxMessage: "member_id",
    Recognition: "member_id",
}

#: Facilitators see a member-linked record through its program.
PROGRAM_LINKED = (Enrollment, Transition, Attendance)


class Scope:
    """One actor's reach, worked out against one transaction.

    Member lookups are remembered for the life of the scope (one call), so a list of
    a thousand enrollments of one county asks for each member once.
    """

    def __init__(self, actor: Actor, context: Context, tx: Transaction) -> None:
        self.actor = actor
        self._context = context
        self._tx = tx
        self._members: dict[str, Member | None] = {}
        self.counties = _counties(actor, context)
        self._programs: frozenset[str] | None = None

    # -- what the actor is -----------------------------------------------------------
    @property
    def programs(self) -> frozenset[str]:
        """A facilitator's programs: those with a session they facilitate."""
        if self._programs is None:
            member_id = self.actor.member_id
            self._programs = frozenset(
                session.program_id
                for session in self._tx.scan(Session)
                if member_id in session.facilitator_ids
            )
        return self._programs

    def _member(self, member_id: str | None) -> Member | None:
        if member_id is None:
            return None
        if member_id not in self._members:
            self._members[member_id] = self._tx.get(Member, member_id)
        return self._members[member_id]

    def _enrolled_in_programs(self, member_id: str) -> bool:
        programs = self.programs
        if not programs:
            return False
        return bool(
            self._tx.count(Enrollment, {"member_id": member_id, "program_id": sorted(programs)})[()]
        )

    # -- seeing ----------------------------------------------------------------------
    def sees_member(self, member: Member) -> bool:
        role = self.actor.role
        if role is R.ADMIN:
            return True
        if role is R.MEMBER:
            return member.id == self.actor.member_id
        if role is R.FACILITATOR:
            return member.id == self.actor.member_id or self._enrolled_in_programs(member.id)
        return member.county in self.counties if self.counties is not None else True

    def sees(self, record: Any) -> bool:
        """Whether the actor may see ``record`` (shared records: always)."""
        if self.actor.role is R.ADMIN:
            return True
        if isinstance(record, Member):
            return self.sees_member(record)
        field = MEMBER_LINKED.get(type(record))
        if field is None:
            return True
        member_id = getattr(record, field)
        if member_id is None:
            return self.actor.role is not R.MEMBER or not isinstance(record, SurveyResponse)
        if self.actor.role is R.FACILITATOR and isinstance(record, PROGRAM_LINKED):
            return record.program_id in self.programs
        member = self._member(member_id)
        return member is not None and self.sees_member(member)

    def visible(self, result: Any) -> Any:
        """``result`` with what the actor may not see left out (or refused, if one record)."""
        if isinstance(result, list):
            return [item for item in result if not _is_record(item) or self.sees(item)]
        if isinstance(result, tuple) and not hasattr(result, "__attrs_attrs__"):
            return tuple(item for item in result if not _is_record(item) or self.sees(item))
        if _is_record(result) and not self.sees(result):
            raise self.denied(type(result).__name__, getattr(result, "id", None), "not in scope")
        return result

    # -- changing ---------------------------------------------------------------------
    def may(self, event: Event) -> str | None:
        """Why the actor may not make the change ``event`` records, or None."""
        role = self.actor.role
        if role is R.ADMIN:
            return None
        if isinstance(event, NetworkProfileUpdated):
            return "only an admin changes the network's settings"
        if isinstance(event, MemberAdded | MemberUpdated | MemberErased):
            if role is R.FACILITATOR:
                return "a facilitator does not change members"
            if role is R.MEMBER and isinstance(event, MemberAdded):
                return "a member does not add members"
            return self._reaches(event.member_id)
        if isinstance(event, EnrollmentChanged):
            if role is R.FACILITATOR:
                return "a facilitator does not change enrollments"
            member = self._member(event.member_id)
            return (
                None
                if member is not None and self.sees_member(member)
                else ("the member is not in scope")
            )
        if isinstance(event, AttendanceRecorded):
            if role is R.MEMBER:
                return "a member does not record attendance"
            if role is R.FACILITATOR:
                session = self._tx.get(Session, event.session_id)
                if session is None or session.program_id not in self.programs:
                    return "the session is not one the facilitator runs"
                return None
            member = self._member(event.member_id)
            return (
                None
                if member is not None and self.sees_member(member)
                else ("the member is not in scope")
            )
        if isinstance(event, SurveyAnswered):
            response = self._tx.get(SurveyResponse, event.response_id)
            if response is None or response.member_id is None:
                return None
            member = self._member(response.member_id)
            return (
                None
                if member is not None and self.sees_member(member)
                else ("the member is not in scope")
            )
        if isinstance(event, SessionScheduled | SessionChanged | SessionCancelled):
            if role is R.FACILITATOR:
                return (
                    None if event.program_id in self.programs else "not the facilitator's program"
                )
            return None if role in MANAGERS else "only program staff change sessions"
        return None if role in MANAGERS else f"a {role.value} does not make this change"

    def _reaches(self, member_id: str) -> str | None:
        member = self._member(member_id)
        if member is None or not self.sees_member(member):
            return "the member is not in scope"
        return None

    def check(self, events: Iterable[Event]) -> None:
        """AccessDeniedError for the first change the actor may not make (plugins too)."""
        for event in events:
            reason = self.may(event)
            if reason is None:
                refusals = self._context.plugins.collect(
                    "check_access",
                    str,
                    actor=self.actor,
                    action=type(event).__name__,
                    record=event,
                    network=self._context.network,
                )
                reason = refusals[0] if refusals else None
            if reason is not None:
                raise self.denied(type(event).__name__, _subject(event), reason)

    def report_filters(self, filters: dict[str, Any], network: Network) -> dict[str, Any]:
        """A report's filters narrowed to the actor's reach; AccessDeniedError beyond it."""
        role = self.actor.role
        if role is R.ADMIN:
            return filters
        if role is R.MEMBER:
            raise self.denied("Report", None, "reports are for the network's staff")
        narrowed = dict(filters)
        if role is R.FACILITATOR:
            asked = _listed(filters.get("program"))
            if not self.programs or (asked and not set(asked) <= self.programs):
                raise self.denied("Report", None, "only the facilitator's programs")
            narrowed["program"] = asked or sorted(self.programs)
            return narrowed
        counties = self.counties or frozenset()
        regions = _listed(filters.get("region"))
        if regions and (role is not R.REGION_LEAD or set(regions) != {self.actor.region}):
            raise self.denied("Report", None, "only the actor's own counties")
        asked = [_county_code(network, c) for c in _listed(filters.get("county"))]
        if asked and not set(asked) <= counties:
            raise self.denied("Report", None, "only the actor's own counties")
        narrowed["county"] = asked or sorted(counties)
        return narrowed

    def denied(self, kind: str, record_id: str | None, reason: str) -> AccessDeniedError:
        return AccessDeniedError(self.actor.label, kind, record_id, reason)


def _is_record(value: Any) -> bool:
    return hasattr(type(value), "__attrs_attrs__") and hasattr(value, "id")


def _subject(event: Event) -> str | None:
    for name in ("member_id", "session_id", "program_id", "record_id", "enrollment_id"):
        value = getattr(event, name, None)
        if isinstance(value, str):
            return value
    return None


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _county_code(network: Network, county: str) -> str:
    for jurisdiction in network.jurisdictions:
        found = jurisdiction.county(county)
        if found is not None:
            return found.code
    return county


def _counties(actor: Actor, context: Context) -> frozenset[str] | None:
    """The counties a coordinator or region lead reaches (None: every county)."""
    if actor.role is R.COUNTY_COORDINATOR:
        return frozenset({actor.county or ""})
    if actor.role is R.REGION_LEAD:
        return frozenset(
            county.code
            for jurisdiction in context.jurisdictions
            for county in jurisdiction.counties
            if county.region_code == actor.region
        )
    return None
