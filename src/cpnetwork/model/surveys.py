"""Surveys, their items and responses."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from attrs import field, frozen

from cpnetwork.errors import ValidationError
from cpnetwork.model import _validators as v
from cpnetwork.model._base import new_id

Answer = int | str | bool


class ItemKind(v.Choice):
    #: 1 strongly disagree .. 5 strongly agree; 4 and 5 count as agreement.
    LIKERT = "likert"
    #: 1 poor .. 5 excellent.
    RATING = "rating"
    YES_NO = "yes_no"
    TEXT = "text"


@frozen(kw_only=True, field_transformer=v.checked_fields)
class SurveyItem:
    key: str = field(validator=v.non_empty)
    prompt: str = field(validator=v.non_empty)
    kind: ItemKind = field(converter=ItemKind)
    required: bool = False

    def check(self, answer: Answer) -> str | None:
        """Why ``answer`` does not fit this item, or None when it does."""
        if self.kind in (ItemKind.LIKERT, ItemKind.RATING):
            ok = isinstance(answer, int) and not isinstance(answer, bool) and 1 <= answer <= 5
            return None if ok else f"{self.key}: {answer!r} is not a score from 1 to 5"
        if self.kind is ItemKind.YES_NO:
            return None if isinstance(answer, bool) else f"{self.key}: {answer!r} is not yes/no"
        return None if isinstance(answer, str) else f"{self.key}: {answer!r} is not text"


def _items(values: Iterable[SurveyItem]) -> tuple[SurveyItem, ...]:
    return tuple(values)


@frozen(kw_only=True, field_transformer=v.checked_fields)
class Survey:
    id: str = field(factory=new_id)
    title: str = field(validator=v.non_empty)
    items: tuple[SurveyItem, ...] = field(converter=_items)
    program_id: str | None = None
    session_id: str | None = None
    anonymous: bool = False

    @items.validator
    def _unique_keys(self, attribute: object, value: tuple[SurveyItem, ...]) -> None:
        keys = [item.key for item in value]
        if len(set(keys)) != len(keys):
            raise ValidationError("Survey", self.id, "item keys repeat", field="items")

    def item(self, key: str) -> SurveyItem | None:
        return next((i for i in self.items if i.key == key), None)


@frozen(kw_only=True, field_transformer=v.checked_fields)
class SurveyResponse:
    """One respondent's answers; ``member_id`` is None for anonymous surveys."""

    id: str = field(factory=new_id)
    survey_id: str = field(validator=v.non_empty)
    member_id: str | None = None
    submitted_at: datetime = field(validator=v.aware)
    answers: dict[str, Answer] = field(factory=dict)
