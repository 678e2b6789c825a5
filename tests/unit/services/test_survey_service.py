"""SurveyService: items, checked responses, anonymity, and "% agree (n)" results."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cpnetwork import DuplicateError, Network, NotFoundError, ValidationError
from cpnetwork.events import Event, SurveyAnswered
from cpnetwork.model import ItemKind, Member, Program, Session, SurveyItem, SurveyResponse
from cpnetwork.services.surveys import ItemAgreement
from cpnetwork.storage.memory import MemoryTransaction
from cpnetwork.testing import snapshot
from cpnetwork.testing.pytest_plugin import FrozenClock

START = datetime(2024, 10, 16, 16, 0, tzinfo=ZoneInfo("America/Los_Angeles"))

#: The seed network's evaluation: impact statements, a quality rating, a yes/no, a comment.
ITEMS = (
    SurveyItem(
        key="ngss",
        prompt="increased my ability to implement NGSS in my local context",
        kind="likert",
        required=True,
    ),
    SurveyItem(
        key="pd_provider",
        prompt="made me a better provider of quality professional development in science",
        kind="likert",
    ),
    SurveyItem(
        key="community",
        prompt="provides a professional community that is important to me",
        kind="likert",
        required=True,
    ),
    SurveyItem(key="quality", prompt="quality of the leadership institute", kind="rating"),
    SurveyItem(
        key="equity",
        prompt="increased my access to ideas and resources for addressing equity",
        kind="yes_no",
    ),
    SurveyItem(key="comments", prompt="anything else?", kind="text"),
)


def add_session(network: Network, program_id: str) -> Session:
    """Insert a session directly: these tests do not depend on the session service."""
    session = Session(
        program_id=program_id, title="Institute day 1", start=START, end=START + timedelta(hours=6)
    )
    with network._context.unit_of_work() as uow:
        uow.tx.insert(session)
    return session


@pytest.fixture
def program(network: Network) -> Program:
    return network.programs.create(title="K-12 Science Leader Network", program_year=2024)


@pytest.fixture
def member(network: Network) -> Member:
    return network.members.add(email="leader@example.org")


@pytest.fixture
def events(network: Network) -> Iterator[list[Event]]:
    """Survey answers observed (creating the survey raises a RecordChanged, not counted)."""
    seen: list[Event] = []

    def observe(event: Event) -> None:
        if isinstance(event, SurveyAnswered):
            seen.append(event)

    network.subscribe(observe)
    yield seen
    network.unsubscribe(observe)


# -- create --------------------------------------------------------------------------------


def test_create_a_program_survey(network: Network, program: Program) -> None:
    survey = network.surveys.create("Evaluation 2024", ITEMS, program_id=program.id)
    assert survey.items == ITEMS
    assert (survey.program_id, survey.session_id, survey.anonymous) == (program.id, None, False)
    assert network.surveys.get(survey.id) == survey


def test_a_session_survey_belongs_to_its_program(network: Network, program: Program) -> None:
    session = add_session(network, program.id)
    survey = network.surveys.create("Day 1 exit ticket", ITEMS[:1], session_id=session.id)
    assert (survey.program_id, survey.session_id) == (program.id, session.id)
    again = network.surveys.create(
        "Day 1 check-in", ITEMS[:1], session_id=session.id, program_id=program.id
    )
    assert again.program_id == program.id


def test_a_network_wide_survey_needs_no_program(network: Network) -> None:
    survey = network.surveys.create("Network evaluation", ITEMS, anonymous=True)
    assert (survey.program_id, survey.session_id, survey.anonymous) == (None, None, True)


def _item(key: str) -> SurveyItem:
    return SurveyItem(key=key, prompt="p", kind="likert")


@pytest.mark.parametrize(
    ("change", "error", "words"),
    [
        ({"title": ""}, ValidationError, "title"),
        ({"items": []}, ValidationError, "has no items"),
        ({"items": [_item("a"), _item("a")]}, ValidationError, "item keys repeat"),
        ({"items": [_item("a.b")]}, ValidationError, "item key 'a.b'"),
        ({"items": [_item("start__lt")]}, ValidationError, "item key 'start__lt'"),
        ({"items": [_item("1st")]}, ValidationError, "item key '1st'"),
        ({"program_id": "nope"}, NotFoundError, "Program 'nope'"),
        ({"session_id": "nope"}, NotFoundError, "Session 'nope'"),
        ({"session_id": "OTHER"}, ValidationError, "belongs to program"),
    ],
)
def test_create_refuses_bad_surveys_and_changes_nothing(
    network: Network, program: Program, change: dict[str, Any], error: type[Exception], words: str
) -> None:
    other = network.programs.create(title="Other", program_year=2024)
    args: dict[str, Any] = {"title": "Exit ticket", "items": ITEMS, "program_id": program.id}
    args.update(change)
    if args.get("session_id") == "OTHER":
        args["session_id"] = add_session(network, other.id).id
    before = snapshot(network)
    with pytest.raises(error, match=words):
        network.surveys.create(args.pop("title"), args.pop("items"), **args)
    assert snapshot(network) == before


def test_item_keys_may_hold_single_underscores_and_digits(network: Network) -> None:
    survey = network.surveys.create("Keys", [_item("q1_pd_2"), _item("Q2")])
    assert [i.key for i in survey.items] == ["q1_pd_2", "Q2"]


def test_get_an_unknown_survey_is_not_found(network: Network) -> None:
    with pytest.raises(NotFoundError, match="Survey 'nope'"):
        network.surveys.get("nope")


def test_find_surveys_by_program_and_session(network: Network, program: Program) -> None:
    session = add_session(network, program.id)
    b = network.surveys.create("B program survey", ITEMS, program_id=program.id)
    a = network.surveys.create("A session survey", ITEMS, session_id=session.id)
    c = network.surveys.create("C network survey", ITEMS)
    assert network.surveys.find() == [a, b, c]
    assert network.surveys.find(program_id=program.id) == [a, b]
    assert network.surveys.find(session_id=session.id) == [a]


# -- respond -------------------------------------------------------------------------------


def test_respond_stores_checked_answers_and_emits(
    network: Network, program: Program, member: Member, events: list[Event], clock: FrozenClock
) -> None:
    survey = network.surveys.create("Evaluation", ITEMS, program_id=program.id)
    response = network.surveys.respond(
        survey.id,
        {"ngss": 5, "community": 4, "equity": True, "comments": "Thank you", "quality": None},
        member_id=member.id,
    )
    assert response.member_id == member.id
    assert response.answers == {"ngss": 5, "community": 4, "equity": True, "comments": "Thank you"}
    assert response.submitted_at == clock.now
    assert network.surveys.responses(survey.id) == [response]
    assert events == [SurveyAnswered(at=clock.now, survey_id=survey.id, response_id=response.id)]


def test_an_unnamed_response_to_a_named_survey_is_kept(network: Network) -> None:
    survey = network.surveys.create("Convening feedback", ITEMS)
    response = network.surveys.respond(survey.id, {"ngss": 3, "community": 3})
    assert response.member_id is None


def test_anonymous_surveys_never_store_who_answered(network: Network, member: Member) -> None:
    survey = network.surveys.create("Evaluation", ITEMS, anonymous=True)
    first = network.surveys.respond(survey.id, {"ngss": 4, "community": 5}, member_id=member.id)
    second = network.surveys.respond(survey.id, {"ngss": 2, "community": 5}, member_id=member.id)
    assert first.member_id is None and second.member_id is None
    assert len(network.surveys.responses(survey.id)) == 2


def test_a_member_responds_once_to_a_named_survey(
    network: Network, member: Member, events: list[Event]
) -> None:
    survey = network.surveys.create("Evaluation", ITEMS)
    network.surveys.respond(survey.id, {"ngss": 4, "community": 5}, member_id=member.id)
    events.clear()
    before = snapshot(network)
    with pytest.raises(
        DuplicateError, match=rf"Survey '{survey.id}': member '{member.id}' has already responded"
    ):
        network.surveys.respond(survey.id, {"ngss": 1, "community": 1}, member_id=member.id)
    assert snapshot(network) == before
    assert events == []


@pytest.mark.parametrize(
    ("answers", "words"),
    [
        ({"ngss": 4, "community": 4, "mood": 5}, "no item 'mood'"),
        ({"ngss": 6, "community": 4}, "ngss: 6 is not a score from 1 to 5"),
        ({"ngss": True, "community": 4}, "ngss: True is not a score"),
        ({"ngss": "5", "community": 4}, "ngss: '5' is not a score"),
        ({"ngss": 4, "community": 4, "equity": "yes"}, "equity: 'yes' is not yes/no"),
        ({"ngss": 4, "community": 4, "comments": 3}, "comments: 3 is not text"),
        ({"community": 4}, "ngss: required"),
        ({"ngss": None, "community": 4}, "ngss: required"),
        ({"ngss": 0, "mood": 1}, "no item 'mood'; ngss: 0 is not a score.*community: required"),
    ],
)
def test_respond_refuses_bad_answers_and_changes_nothing(
    network: Network,
    member: Member,
    events: list[Event],
    answers: dict[str, Any],
    words: str,
) -> None:
    survey = network.surveys.create("Evaluation", ITEMS)
    before = snapshot(network)
    with pytest.raises(ValidationError, match=rf"Survey '{survey.id}': .*{words}"):
        network.surveys.respond(survey.id, answers, member_id=member.id)
    assert snapshot(network) == before
    assert events == []


def test_a_required_text_item_needs_more_than_blanks(network: Network) -> None:
    survey = network.surveys.create(
        "Reflection", [SurveyItem(key="why", prompt="Why?", kind="text", required=True)]
    )
    with pytest.raises(ValidationError, match="why: required"):
        network.surveys.respond(survey.id, {"why": "   "})
    assert network.surveys.respond(survey.id, {"why": "To learn"}).answers == {"why": "To learn"}


@pytest.mark.parametrize(
    ("survey", "member", "words"),
    [("nope", None, "Survey 'nope'"), (None, "nobody", "Member 'nobody'")],
)
def test_respond_with_unknown_ids_is_not_found(
    network: Network, survey: str | None, member: str | None, words: str
) -> None:
    real = network.surveys.create("Evaluation", ITEMS, anonymous=True)
    before = snapshot(network)
    with pytest.raises(NotFoundError, match=words):
        network.surveys.respond(survey or real.id, {"ngss": 4, "community": 4}, member_id=member)
    assert snapshot(network) == before


def test_responses_of_an_unknown_survey_is_not_found(network: Network) -> None:
    with pytest.raises(NotFoundError, match="Survey 'nope'"):
        network.surveys.responses("nope")


# -- agreement -----------------------------------------------------------------------------

#: 25 respondents; None is a skipped optional item.
ANSWERS: dict[str, list[Any]] = {
    "ngss": [5] * 14 + [4] * 10 + [3],  # 24 of 25 agree: 96%
    "pd_provider": [5] * 10 + [4] * 9 + [2] + [None] * 5,  # 19 of 20: 95%
    "community": [5] * 12 + [4] * 10 + [3, 3, 1],  # 22 of 25: 88%
    "quality": [5] * 20 + [4] * 5,  # 25 of 25 rate it high: 100%
    "equity": [True] * 18 + [False] * 2 + [None] * 5,  # 18 of 20 say yes: 90%
    "comments": ["Transformative"] * 3 + [None] * 22,
}


def test_agreement_reports_percent_agreeing_with_n(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    survey = network.surveys.create("Evaluation 2024", ITEMS, anonymous=True)
    other = network.surveys.create("Other survey", ITEMS)
    network.surveys.respond(other.id, {"ngss": 1, "community": 1, "equity": False})
    people = [network.members.add(email=f"r{i}@example.org") for i in range(25)]
    for i, person in enumerate(people):
        answers = {key: values[i] for key, values in ANSWERS.items()}
        network.surveys.respond(survey.id, answers, member_id=person.id)

    def no_loading(self: Any, cls: type, *args: Any, **kw: Any) -> Any:
        assert cls is not SurveyResponse, "agreement loaded the responses"
        return original(self, cls, *args, **kw)

    original = MemoryTransaction.find
    monkeypatch.setattr(MemoryTransaction, "find", no_loading)
    results = network.surveys.agreement(survey.id)

    assert [(r.key, r.kind, r.n, r.agreeing) for r in results] == [
        ("ngss", ItemKind.LIKERT, 25, 24),
        ("pd_provider", ItemKind.LIKERT, 20, 19),
        ("community", ItemKind.LIKERT, 25, 22),
        ("quality", ItemKind.RATING, 25, 25),
        ("equity", ItemKind.YES_NO, 20, 18),
    ]
    assert [round(r.percent or 0) for r in results] == [96, 95, 88, 100, 90]
    assert str(results[0]) == (
        "96% (n=25) increased my ability to implement NGSS in my local context"
    )


def test_agreement_without_responses_has_no_percent(network: Network) -> None:
    survey = network.surveys.create("Evaluation", ITEMS)
    results = network.surveys.agreement(survey.id)
    assert [r.n for r in results] == [0, 0, 0, 0, 0]
    assert all(r.percent is None for r in results)
    assert str(results[0]).startswith("- (n=0) ")


def test_agreement_of_an_unknown_survey_is_not_found(network: Network) -> None:
    with pytest.raises(NotFoundError, match="Survey 'nope'"):
        network.surveys.agreement("nope")


def test_item_agreement_percent() -> None:
    result = ItemAgreement(key="k", prompt="p", kind=ItemKind.LIKERT, n=3, agreeing=2)
    assert result.percent == pytest.approx(66.666, abs=0.001)
    assert str(result) == "67% (n=3) p"
