"""Surveys: items, responses and the "% agree (n)" results networks report.

A survey is attached to a program, a session, or (with neither) to the network as a
whole, like the seed network's evaluation of its own impact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from attrs import frozen

from cpnetwork.errors import DuplicateError, ValidationError
from cpnetwork.events import SurveyAnswered
from cpnetwork.model import (
    Answer,
    ItemKind,
    Member,
    Survey,
    SurveyItem,
    SurveyResponse,
)
from cpnetwork.services.context import Context
from cpnetwork.services.unit_of_work import require
from cpnetwork.storage import GroupBy, Transaction, Where

#: Item keys are plain identifiers: stores look answers up as ``answers.<key>``, and a
#: key holding ``__`` (the SPI's operator marker), dots or quotes would break that.
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*$")

#: For each reported kind: the answers that count as agreeing, and all valid answers.
_AGREEING: dict[ItemKind, tuple[list[Answer], list[Answer]]] = {
    # 4 agree, 5 strongly agree.
    ItemKind.LIKERT: ([4, 5], [1, 2, 3, 4, 5]),
    # 4 good, 5 excellent: "rated the institutes as high in quality".
    ItemKind.RATING: ([4, 5], [1, 2, 3, 4, 5]),
    ItemKind.YES_NO: ([True], [True, False]),
}


@frozen(kw_only=True)
class ItemAgreement:
    """One item's result: of ``n`` who answered it, ``agreeing`` agreed.

    Agreeing means 4 or 5 on a Likert item, 4 or 5 ("high") on a rating item and
    yes on a yes/no item.
    """

    key: str
    prompt: str
    kind: ItemKind
    n: int
    agreeing: int

    @property
    def percent(self) -> float | None:
        """Share agreeing, 0 to 100; None when nobody answered (no result, not 0%)."""
        return 100 * self.agreeing / self.n if self.n else None

    def __str__(self) -> str:
        shown = "-" if self.percent is None else f"{self.percent:.0f}%"
        return f"{shown} (n={self.n}) {self.prompt}"


def tally_agreement(tx: Transaction, survey: Survey) -> list[ItemAgreement]:
    """Agreement per Likert, rating and yes/no item of ``survey``, in item order.

    Answers live in a dict field, which the storage SPI can filter on by key
    (``answers.<key>``) but not group by.  So each item takes two counts in the
    store, answered and agreeing, and no response is ever loaded: the work stays
    where the data is, however many responses there are.  A store that can group
    by a key of a JSON column answers this in one query; this function is the one
    place to swap for that.
    """
    results = []
    for item in survey.items:
        if item.kind not in _AGREEING:
            continue
        answered, agreeing = agreement_counts(tx, item, {"survey_id": survey.id})
        results.append(
            ItemAgreement(
                key=item.key,
                prompt=item.prompt,
                kind=item.kind,
                n=answered.get((), 0),
                agreeing=agreeing.get((), 0),
            )
        )
    return results


def reported(item: SurveyItem) -> bool:
    """Whether an item has an agreement to report (Likert, rating and yes/no items)."""
    return item.kind in _AGREEING


def agreement_counts(
    tx: Transaction, item: SurveyItem, where: Where, group_by: Sequence[GroupBy] = ()
) -> tuple[dict[tuple[Any, ...], int], dict[tuple[Any, ...], int]]:
    """Responses matching ``where`` that answered ``item``, and that agreed, grouped.

    Two grouped counts in the store (see :func:`tally_agreement`); ``where`` names the
    survey and any other conditions (dates, respondents).
    """
    agreeing_values, valid_values = _AGREEING[item.kind]
    name = f"answers.{item.key}"
    answered = tx.count(SurveyResponse, {**where, name: valid_values}, group_by=group_by)
    agreeing = tx.count(SurveyResponse, {**where, name: agreeing_values}, group_by=group_by)
    return answered, agreeing


class SurveyService:
    def __init__(self, context: Context) -> None:
        self._context = context

    def create(
        self,
        title: str,
        items: Iterable[SurveyItem],
        *,
        program_id: str | None = None,
        session_id: str | None = None,
        anonymous: bool = False,
    ) -> Survey:
        """Create a survey of at least one item; a session's survey is also its program's."""
        items = tuple(items)
        if not items:
            raise ValidationError("Survey", None, "has no items", field="items")
        for item in items:
            if not _KEY.match(item.key):
                raise ValidationError(
                    "Survey",
                    None,
                    f"item key {item.key!r} is not letters and digits joined by single '_'",
                    field="items",
                )
        with self._context.unit_of_work() as uow:
            program = uow.program_for("Survey", program_id, session_id)
            program_id = program.id if program else None
            survey = Survey(
                title=title,
                items=items,
                program_id=program_id,
                session_id=session_id,
                anonymous=anonymous,
            )
            uow.tx.insert(survey)
            uow.record_changed(survey, created=True)
        return survey

    def get(self, survey_id: str) -> Survey:
        with self._context.reading() as tx:
            return require(tx, Survey, survey_id)

    def find(self, *, program_id: str | None = None, session_id: str | None = None) -> list[Survey]:
        where: dict[str, Any] = {}
        if program_id is not None:
            where["program_id"] = program_id
        if session_id is not None:
            where["session_id"] = session_id
        with self._context.reading() as tx:
            return tx.find(Survey, where, order_by=("title",))

    @staticmethod
    def _checked(survey: Survey, answers: Mapping[str, Answer | None]) -> dict[str, Answer]:
        """The answers kept (blanks dropped), or ValidationError listing every problem."""
        kept = {key: answer for key, answer in answers.items() if answer is not None}
        problems = [f"no item {key!r}" for key in kept if survey.item(key) is None]
        for key, answer in kept.items():
            item = survey.item(key)
            problem = item.check(answer) if item is not None else None
            if problem is not None:
                problems.append(problem)
        for item in survey.items:
            given = kept.get(item.key)
            blank = given is None or (isinstance(given, str) and not given.strip())
            if item.required and blank:
                problems.append(f"{item.key}: required")
        if problems:
            raise ValidationError("Survey", survey.id, "; ".join(problems), field="answers")
        return kept

    def respond(
        self,
        survey_id: str,
        answers: Mapping[str, Answer | None],
        member_id: str | None = None,
    ) -> SurveyResponse:
        """Submit one response; every answer is checked against its item.

        ``None`` answers count as skipped (form exports leave blanks).  An anonymous
        survey never stores who answered, even when ``member_id`` is given; a named
        one takes one response per member (DuplicateError for a second).
        """
        with self._context.unit_of_work() as uow:
            survey = uow.require(Survey, survey_id)
            kept = self._checked(survey, answers)
            if member_id is not None:
                uow.require(Member, member_id)
            respondent = None if survey.anonymous else member_id
            if respondent is not None:
                # Serialize this survey's respondents so two submissions at once
                # cannot both pass the one-response check.
                uow.tx.lock(Survey, survey.id)
                earlier = uow.tx.count(
                    SurveyResponse, {"survey_id": survey.id, "member_id": respondent}
                )
                if earlier.get((), 0):
                    raise DuplicateError(
                        "Survey", survey.id, f"member {respondent!r} has already responded"
                    )
            response = SurveyResponse(
                survey_id=survey.id,
                member_id=respondent,
                submitted_at=uow.now,
                answers=kept,
            )
            uow.tx.insert(response)
            uow.emit(
                SurveyAnswered(
                    at=response.submitted_at, survey_id=survey.id, response_id=response.id
                )
            )
        return response

    def responses(self, survey_id: str) -> list[SurveyResponse]:
        """Every response to a survey, oldest first."""
        with self._context.reading_work() as uow:
            uow.require(Survey, survey_id)
            return uow.tx.find(SurveyResponse, {"survey_id": survey_id}, order_by=("submitted_at",))

    def agreement(self, survey_id: str) -> list[ItemAgreement]:
        """The "% agree (n)" of each Likert, rating and yes/no item, in item order."""
        with self._context.unit_of_work() as uow:
            return tally_agreement(uow.tx, uow.require(Survey, survey_id))
