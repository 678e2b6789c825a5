"""Serialization: every record survives JSON unchanged, and malformed input is refused."""

from __future__ import annotations

import json
import re
import types
import typing
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpnetwork.errors import ValidationError
from cpnetwork.model import (
    RECORD_TYPES,
    Affiliation,
    CustomValue,
    EnrollmentPolicy,
    EquityFocus,
    Member,
    Program,
    Role,
    Session,
    SessionSeries,
    Survey,
    SurveyResponse,
    Transition,
)
from cpnetwork.model._validators import Choice
from cpnetwork.serialization import structure, unstructure
from cpnetwork.testing.strategies import VALUE_TYPES, records

LA = ZoneInfo("America/Los_Angeles")
OFFSET = re.compile(r"[+-]\d\d:\d\d(:\d\d(\.\d+)?)?$")
PLAIN = (dict, list, str, int, float, bool, type(None))


def _name(cls: type) -> str:
    return cls.__name__


def _through_json(record: Any) -> Any:
    return json.loads(json.dumps(unstructure(record), allow_nan=False))


def _assert_plain(value: Any, path: str = "$") -> None:
    """Only JSON's own types: no enums, no str or int subclasses, no sets or tuples."""
    assert type(value) in PLAIN, f"{path} is a {type(value).__name__}: {value!r}"
    if isinstance(value, dict):
        for key, item in value.items():
            assert type(key) is str, f"{path} has key {key!r}"
            _assert_plain(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _assert_plain(item, f"{path}[{index}]")


def _session(**changes: Any) -> Session:
    values: dict[str, Any] = {
        "id": "s1",
        "program_id": "p1",
        "title": "Kickoff",
        "start": datetime(2024, 9, 10, 16, 0, tzinfo=LA),
        "end": datetime(2024, 9, 10, 17, 30, tzinfo=LA),
    }
    return Session(**(values | changes))


def _member(**changes: Any) -> Member:
    return Member(**({"id": "m1", "email": "ada@example.org"} | changes))


# ----------------------------------------------------------------------- round trips


@pytest.mark.parametrize("cls", RECORD_TYPES, ids=_name)
def test_every_record_kind_has_a_strategy(cls: type) -> None:
    records(cls)  # a new kind without a strategy raises LookupError here


@pytest.mark.parametrize("cls", RECORD_TYPES, ids=_name)
@given(data=st.data())
def test_every_record_kind_round_trips_through_plain_json(cls: type, data: st.DataObject) -> None:
    record = data.draw(records(cls), label=cls.__name__)
    document = unstructure(record)

    back: object = structure(json.loads(json.dumps(document, allow_nan=False)), cls)

    _assert_plain(document)
    assert back == record
    # The stored form is stable: writing what was read gives the same document.
    assert unstructure(back) == document


@pytest.mark.parametrize("cls", VALUE_TYPES, ids=_name)
@given(data=st.data())
def test_value_records_round_trip_through_plain_json(cls: type, data: st.DataObject) -> None:
    record = data.draw(records(cls), label=cls.__name__)
    document = unstructure(record)

    _assert_plain(document)
    assert structure(json.loads(json.dumps(document)), cls) == record


def test_records_refuses_a_class_it_does_not_know() -> None:
    with pytest.raises(LookupError, match="no strategy for Choice"):
        records(Choice)


# -------------------------------------------------------------------- wire format


def test_enums_serialize_as_their_plain_values() -> None:
    member = _member(roles=["tosa", "teacher"], equity_focus=EquityFocus.YES)

    data = unstructure(member)

    assert data["equity_focus"] == "yes"
    assert type(data["equity_focus"]) is str
    assert data["roles"] == ["teacher", "tosa"]
    assert all(type(role) is str for role in data["roles"])


def test_enums_structure_from_value_or_name_in_any_case() -> None:
    data = unstructure(_member())
    data["roles"] = ["TEACHER_LEADER", "Tosa"]
    data["equity_focus"] = "No"

    member = structure(data, Member)

    assert member.roles == {Role.TEACHER_LEADER, Role.TOSA}
    assert member.equity_focus is EquityFocus.NO


def test_datetimes_serialize_as_iso_8601_with_their_offset() -> None:
    summer = _session()
    winter = _session(
        start=datetime(2024, 12, 10, 16, 0, tzinfo=LA),
        end=datetime(2024, 12, 11, 1, 0, tzinfo=UTC),
    )

    assert unstructure(summer)["start"] == "2024-09-10T16:00:00-07:00"
    assert unstructure(winter)["start"] == "2024-12-10T16:00:00-08:00"
    assert unstructure(winter)["end"] == "2024-12-11T01:00:00+00:00"


@given(records(Session))
def test_every_session_datetime_carries_an_offset(session: Session) -> None:
    data = unstructure(session)

    for name in ("start", "end", "recurrence_id"):
        if data[name] is not None:
            assert OFFSET.search(data[name]), data[name]
            assert datetime.fromisoformat(data[name]) == getattr(session, name)


def test_dates_durations_and_sets_serialize_plainly() -> None:
    member = _member(joined=date(2024, 7, 1))
    program = Program(
        title="Institute",
        program_year=2024,
        tags=["ngss", "equity", "climate"],
        policy=EnrollmentPolicy(offer_window=timedelta(days=7, seconds=1, microseconds=500_000)),
    )

    assert unstructure(member)["joined"] == "2024-07-01"
    assert unstructure(program)["policy"]["offer_window"] == 604801.5
    assert unstructure(program)["tags"] == ["climate", "equity", "ngss"]


def test_session_series_exdates_are_sorted_offset_strings() -> None:
    series = SessionSeries(
        program_id="p1",
        title="PLC",
        rrule="FREQ=WEEKLY;COUNT=6",
        first_start=datetime(2024, 9, 3, 16, tzinfo=LA),
        duration=timedelta(hours=1),
        exdates=[datetime(2024, 9, 17, 16, tzinfo=LA), datetime(2024, 9, 10, 16, tzinfo=LA)],
    )

    assert unstructure(series)["exdates"] == [
        "2024-09-10T16:00:00-07:00",
        "2024-09-17T16:00:00-07:00",
    ]
    assert unstructure(series)["duration"] == 3600


# --------------------------------------------------------------- what structure refuses


def _refused(data: Any, cls: type) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        structure(data, cls)
    return caught.value


def test_extra_keys_are_refused_naming_the_record() -> None:
    data = unstructure(_member()) | {"nickname": "Ada"}

    error = _refused(data, Member)

    assert error.kind == "Member"
    assert error.record_id == "m1"
    assert "nickname" in str(error)


def test_extra_keys_in_a_nested_record_are_refused_naming_the_outer_record() -> None:
    data = unstructure(Program(id="p1", title="Institute", program_year=2024))
    data["policy"]["seats"] = 30

    error = _refused(data, Program)

    assert (error.kind, error.record_id, error.field) == ("Program", "p1", "policy")
    assert "seats" in str(error)


@pytest.mark.parametrize("moment", ["2024-09-10T16:00:00", "2024-09-10"])
def test_naive_datetimes_are_refused(moment: str) -> None:
    data = unstructure(_session()) | {"start": moment}

    error = _refused(data, Session)

    assert (error.kind, error.record_id, error.field) == ("Session", "s1", "start")


def test_naive_datetimes_deep_inside_are_refused() -> None:
    data = unstructure(Program(id="p1", title="Institute", program_year=2024))
    data["policy"]["opens"] = "2024-05-01T09:00:00"
    series = SessionSeries(
        id="ss1",
        program_id="p1",
        title="PLC",
        rrule="FREQ=WEEKLY;COUNT=6",
        first_start=datetime(2024, 9, 3, 16, tzinfo=LA),
        duration=timedelta(hours=1),
    )
    series_data = unstructure(series) | {"exdates": ["2024-09-10T16:00:00"]}

    assert _refused(data, Program).kind == "Program"
    assert "no time zone" in str(_refused(data, Program))
    assert (_refused(series_data, SessionSeries).field) == "exdates"
    assert _refused(series_data, SessionSeries).kind == "SessionSeries"


def _choice_fields() -> list[tuple[type, str]]:
    """Every field of a stored record typed with a Choice enum (or an optional one)."""
    found = []
    for cls in RECORD_TYPES:
        hints = typing.get_type_hints(cls)
        for field in attrs.fields(cls):
            hint = hints[field.name]
            kinds = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
            if any(isinstance(k, type) and issubclass(k, Choice) for k in kinds):
                found.append((cls, field.name))
    return found


@pytest.mark.parametrize(
    ("cls", "field"), _choice_fields(), ids=lambda x: x if isinstance(x, str) else x.__name__
)
@settings(max_examples=5)
@given(data=st.data())
def test_bad_enum_values_are_refused_naming_the_record(
    cls: type, field: str, data: st.DataObject
) -> None:
    record: Any = data.draw(records(cls))
    document = unstructure(record) | {field: "no-such-value"}

    error = _refused(document, cls)

    assert (error.kind, error.record_id, error.field) == (cls.__name__, record.id, field)
    assert "'no-such-value' is not one of" in str(error)


def test_enum_fields_are_found() -> None:
    assert (Member, "equity_focus") in _choice_fields()
    assert (Transition, "from_status") in _choice_fields()


@pytest.mark.parametrize(
    ("cls", "document", "field"),
    [
        pytest.param(
            Member,
            unstructure(_member()) | {"roles": ["teacher", "wizard"]},
            "roles",
            id="member-role",
        ),
        pytest.param(
            Program,
            unstructure(Program(id="p1", title="T", program_year=2024, policy=EnrollmentPolicy()))
            | {"policy": unstructure(EnrollmentPolicy()) | {"mode": "lottery"}},
            "policy",
            id="program-policy-mode",
        ),
        pytest.param(
            Survey,
            {
                "id": "sv1",
                "title": "Exit ticket",
                "items": [{"key": "q1", "prompt": "How?", "kind": "essay", "required": False}],
                "program_id": None,
                "session_id": None,
                "anonymous": False,
            },
            "items",
            id="survey-item-kind",
        ),
    ],
)
def test_bad_enum_values_deep_inside_are_refused_naming_the_outer_record(
    cls: type, document: dict[str, Any], field: str
) -> None:
    error = _refused(document, cls)

    assert (error.kind, error.field) == (cls.__name__, field)
    assert "is not one of" in str(error)


@pytest.mark.parametrize(
    "email", ["", "   ", "ada", "ada@example", "ada@@example.org", "ada lovelace@example.org"]
)
def test_bad_emails_are_refused_naming_the_record(email: str) -> None:
    data = unstructure(_member()) | {"email": email}

    error = _refused(data, Member)

    assert (error.kind, error.record_id, error.field) == ("Member", "m1", "email")


def test_emails_are_normalized_when_structured() -> None:
    data = unstructure(_member()) | {"email": "  Ada@Example.ORG "}

    assert structure(data, Member).email == "ada@example.org"


def test_a_nested_records_own_validator_is_reported_under_the_outer_record() -> None:
    bad = {"organization_id": "o1", "title": "", "start": "2024-07-01", "end": "2024-06-30"}
    data = unstructure(_member()) | {"affiliations": [bad]}

    error = _refused(data, Member)

    assert (error.kind, error.record_id, error.field) == ("Member", "m1", "affiliations")
    assert "ends before it starts" in str(error)


def test_a_records_own_validator_keeps_its_field() -> None:
    data = unstructure(_session()) | {"end": "2024-09-10T15:00:00-07:00"}

    error = _refused(data, Session)

    assert (error.kind, error.record_id, error.field) == ("Session", "s1", "end")


@pytest.mark.parametrize(
    ("cls", "document"),
    [
        pytest.param(Member, [], id="not-a-mapping"),
        pytest.param(Member, {"id": "m1"}, id="missing-email"),
        pytest.param(Member, unstructure(_member()) | {"custom": {"x": [1]}}, id="custom-list"),
        pytest.param(Member, unstructure(_member()) | {"joined": "July 1"}, id="bad-date"),
        pytest.param(Session, unstructure(_session()) | {"start": 1725998400}, id="epoch-time"),
        pytest.param(
            Program,
            unstructure(Program(title="T", program_year=2024))
            | {"policy": unstructure(EnrollmentPolicy()) | {"offer_window": "a week"}},
            id="bad-duration",
        ),
    ],
)
def test_other_malformed_input_is_a_validation_error_naming_the_record(
    cls: type, document: Any
) -> None:
    assert _refused(document, cls).kind == cls.__name__


@pytest.mark.parametrize("answer", [1.5, None, [1], {"a": 1}])
def test_survey_answers_must_be_scores_text_or_yes_no(answer: Any) -> None:
    data = {
        "id": "r1",
        "survey_id": "sv1",
        "member_id": None,
        "submitted_at": "2024-09-10T12:00:00-07:00",
        "answers": {"q1": answer},
    }

    error = _refused(data, SurveyResponse)

    assert (error.kind, error.record_id, error.field) == ("SurveyResponse", "r1", "answers")


@pytest.mark.parametrize("value", [1.5, None, True, -3, "text"])
def test_custom_fields_take_any_json_scalar(value: CustomValue) -> None:
    data = unstructure(_member()) | {"custom": {"district_code": value}}

    assert structure(data, Member).custom == {"district_code": value}


# ------------------------------------------------------- known limit: DST wall times

AMBIGUOUS = [
    # 1:30 am on the night clocks fall back happens twice; fold=1 is the second (PST).
    pytest.param(datetime(2024, 11, 3, 1, 30, fold=1, tzinfo=LA), id="repeated-fold-1"),
    pytest.param(datetime(2024, 11, 3, 1, 30, fold=0, tzinfo=LA), id="repeated-fold-0"),
    # 2:30 am on the night clocks spring forward never happens.
    pytest.param(datetime(2024, 3, 10, 2, 30, tzinfo=LA), id="skipped"),
]


@pytest.mark.parametrize("start", AMBIGUOUS)
def test_ambiguous_wall_times_keep_their_instant(start: datetime) -> None:
    record = Transition(
        enrollment_id="e1", program_id="p1", member_id="m1", to_status="enrolled", at=start
    )

    back = structure(_through_json(record), Transition)

    assert back.at.timestamp() == start.timestamp()
    assert back.at.utcoffset() == start.utcoffset()


@pytest.mark.parametrize("start", AMBIGUOUS)
def test_ambiguous_wall_times_round_trip_equal(start: datetime) -> None:
    record = Transition(
        enrollment_id="e1", program_id="p1", member_id="m1", to_status="enrolled", at=start
    )

    assert structure(_through_json(record), Transition) == record


def test_enum_members_are_str_subclasses_so_the_plain_check_matters() -> None:
    # Guards _assert_plain itself: a StrEnum member would pass isinstance(x, str).
    assert isinstance(Role.TEACHER, str)
    assert isinstance(Role.TEACHER, Enum)
    with pytest.raises(AssertionError):
        _assert_plain({"role": Role.TEACHER})
    with pytest.raises(AssertionError):
        _assert_plain({"ids": ("a",)})


def test_affiliation_dates_round_trip() -> None:
    member = _member(
        affiliations=[Affiliation(organization_id="o1", start=date(2020, 8, 1), end=None)]
    )

    assert structure(_through_json(member), Member) == member


def test_only_repeated_or_skipped_wall_times_carry_their_zone() -> None:
    plain = datetime(2024, 11, 3, 3, 30, tzinfo=LA)
    repeated = datetime(2024, 11, 3, 1, 30, fold=1, tzinfo=LA)
    record = Transition(
        enrollment_id="e1", program_id="p1", member_id="m1", to_status="enrolled", at=repeated
    )

    assert unstructure(attrs.evolve(record, at=plain))["at"] == "2024-11-03T03:30:00-08:00"
    assert unstructure(record)["at"] == "2024-11-03T01:30:00-08:00[America/Los_Angeles]"
    back = structure(_through_json(record), Transition).at
    assert (back.tzinfo, back.fold, back.utcoffset()) == (LA, 1, timedelta(hours=-8))


def test_an_unknown_zone_in_brackets_is_a_validation_error() -> None:
    data = unstructure(
        Transition(
            enrollment_id="e1",
            program_id="p1",
            member_id="m1",
            to_status="enrolled",
            at=datetime(2024, 11, 3, 1, 30, tzinfo=LA),
        )
    ) | {"at": "2024-11-03T01:30:00-07:00[Mars/Olympus_Mons]"}

    with pytest.raises(ValidationError, match="at"):
        structure(data, Transition)
