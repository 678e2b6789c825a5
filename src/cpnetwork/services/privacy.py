"""Privacy: what is held about a member, erasing it, and keeping details only so long.

California residents may ask what a network holds about them and ask it to delete
it.  Erasure removes what identifies the member, everywhere it is kept, and leaves
the anonymous facts that counts and percentages are made of:

- the member keeps their id, county, roles, grade bands, equity focus, reach and join
  date, so reach and equity figures stay right; their email becomes a placeholder at
  ``erased.example.org`` (a domain reserved never to deliver), their names, affiliations,
  custom fields and consent are cleared, and ``erased_at`` is set;
- their enrollments keep status and place but lose their form answers; their
  enrollment history keeps its steps and loses the reasons written on them;
- their attendance stays (counts); their survey responses are detached from them and
  lose free-text answers, keeping scale and yes/no answers (percentages);
- recognitions given to them alone are removed;
- plugins remove what they keep through the ``erase_member`` hook; the built-in
  outbox removes every message to or about them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from attrs import evolve

from cpnetwork.events import MemberErased
from cpnetwork.model import (
    Attendance,
    Enrollment,
    Member,
    Program,
    Recognition,
    Session,
    Survey,
    SurveyResponse,
    Team,
    Transition,
)
from cpnetwork.serialization import unstructure
from cpnetwork.services.context import Context
from cpnetwork.services.unit_of_work import UnitOfWork
from cpnetwork.storage import Transaction

#: The domain of erased members' placeholder addresses (RFC 2606: never delivered).
ERASED_DOMAIN = "erased.example.org"


def erased_email(member_id: str) -> str:
    return f"erased-{member_id.lower()}@{ERASED_DOMAIN}"


def _comments_removed(answers: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in answers.items() if not isinstance(value, str)}


def erase_member(uow: UnitOfWork, member_id: str) -> Member:
    """Erase one member's personal data everywhere (see the module's docstring)."""
    member = uow.require(Member, member_id)
    if member.erased_at is not None:
        return member
    tx = uow.tx
    network = uow.context.network
    # Plugins first, while the member's email and names are still there to find by.
    uow.context.plugins.call_all("erase_member", member=member, transaction=tx, network=network)
    for enrollment in tx.find(Enrollment, {"member_id": member_id}):
        if enrollment.answers:
            tx.update(evolve(enrollment, answers={}))
    for step in tx.find(Transition, {"member_id": member_id}):
        if step.reason:
            tx.update(evolve(step, reason=""))
    for response in tx.find(SurveyResponse, {"member_id": member_id}):
        tx.update(evolve(response, member_id=None, answers=_comments_removed(response.answers)))
    for recognition in tx.find(Recognition, {"member_id": member_id}):
        if recognition.organization_id is None:
            tx.delete(Recognition, recognition.id)
        else:
            tx.update(evolve(recognition, member_id=None))
    erased = evolve(
        member,
        email=erased_email(member.id),
        given_name="",
        family_name="",
        affiliations=(),
        custom={},
        consents_to_updates=False,
        erased_at=uow.now,
    )
    tx.update(erased)
    uow.emit(MemberErased(at=uow.now, member_id=member_id))
    return erased


def member_data(tx: Transaction, member: Member, context: Context) -> dict[str, Any]:
    """Everything held about ``member``, as JSON-ready data, plugins' records included."""
    member_id = member.id
    enrollments = tx.find(Enrollment, {"member_id": member_id}, order_by=["created_at"])
    programs = {e.program_id for e in enrollments}
    data: dict[str, Any] = {
        "member": unstructure(member),
        "enrollments": [unstructure(e) for e in enrollments],
        "programs": [
            {"id": p.id, "title": p.title, "program_year": p.program_year}
            for p in tx.find(Program, {"id": sorted(programs)})
        ]
        if programs
        else [],
        "enrollment_history": [
            unstructure(t)
            for t in tx.find(Transition, {"member_id": member_id}, order_by=["at", "sequence"])
        ],
        "attendance": [
            unstructure(a) for a in tx.find(Attendance, {"member_id": member_id}, order_by=["id"])
        ],
        "survey_responses": [
            {**unstructure(r), "survey": _survey_title(tx, r.survey_id)}
            for r in tx.find(SurveyResponse, {"member_id": member_id}, order_by=["submitted_at"])
        ],
        "recognitions": [unstructure(r) for r in tx.find(Recognition, {"member_id": member_id})],
        "teams": [
            {"id": t.id, "name": t.name, "lead": member_id in t.lead_ids}
            for t in tx.scan(Team)
            if member_id in t.member_ids
        ],
        "facilitated_sessions": [
            {"id": s.id, "title": s.title, "start": s.start.isoformat()}
            for s in _facilitated(tx, member_id)
        ],
    }
    for plugin, held in context.plugins.call_all(
        "export_member", member=member, transaction=tx, network=context.network
    ):
        data.setdefault("plugins", {})[plugin] = held
    return data


def _survey_title(tx: Transaction, survey_id: str) -> str | None:
    survey = tx.get(Survey, survey_id)
    return None if survey is None else survey.title


def _facilitated(tx: Transaction, member_id: str) -> Iterator[Session]:
    return (s for s in tx.scan(Session, order_by=["start"]) if member_id in s.facilitator_ids)


def retention_cutoff(context: Context, years: int | None, today: date) -> int | None:
    """The newest program year whose details ``years`` of retention no longer keep.

    A program year is kept ``years`` whole years after it ends; None keeps every year.
    """
    if years is None:
        return None
    profile = context.profile
    newest: int | None = None
    year = profile.program_year(today)
    while year > 1900:
        _, ends = profile.program_year_bounds(year)
        if date(ends.year + years, ends.month, ends.day) <= today:
            newest = year
            break
        year -= 1
    return newest


def apply_retention(uow: UnitOfWork) -> int:
    """Clear details of past program years that the retention settings no longer keep.

    Returns how many records were changed.  Counts and statuses are never touched.
    """
    context = uow.context
    settings = context.profile.retention
    today = uow.now.astimezone(ZoneInfo(context.profile.timezone)).date()
    tx = uow.tx
    changed = 0
    answers_year = retention_cutoff(context, settings.application_answers, today)
    reasons_year = retention_cutoff(context, settings.step_reasons, today)
    if answers_year is not None or reasons_year is not None:
        for program in tx.scan(Program):
            if answers_year is not None and program.program_year <= answers_year:
                for enrollment in tx.find(Enrollment, {"program_id": program.id}):
                    if enrollment.answers:
                        tx.update(evolve(enrollment, answers={}))
                        changed += 1
            if reasons_year is not None and program.program_year <= reasons_year:
                for step in tx.find(Transition, {"program_id": program.id, "reason__ne": ""}):
                    tx.update(evolve(step, reason=""))
                    changed += 1
    comments_year = retention_cutoff(context, settings.survey_comments, today)
    if comments_year is not None:
        _, before = context.profile.program_year_bounds(comments_year)
        limit = datetime.combine(before, time(), ZoneInfo(context.profile.timezone))
        for response in tx.find(SurveyResponse, {"submitted_at__lt": limit}):
            kept = _comments_removed(response.answers)
            if kept != response.answers:
                tx.update(evolve(response, answers=kept))
                changed += 1
    return changed


def refuse_erased(member: Member) -> list[str]:
    """Why an erased member cannot enter a program (empty for others)."""
    return ["the member's data was erased"] if member.erased_at is not None else []
