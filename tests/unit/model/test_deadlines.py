"""Deadlines hold to the end of the minute they name; a date means the end of that day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cpnetwork import EnrollmentClosedError, Network
from cpnetwork.model import EnrollmentPolicy, EnrollmentStatus
from cpnetwork.model.programs import deadline_at, end_of_day, opening_at
from cpnetwork.testing.pytest_plugin import FrozenClock

LA = ZoneInfo("America/Los_Angeles")
DEADLINE = datetime(2024, 9, 15, 23, 59, tzinfo=LA)


@pytest.mark.parametrize(
    ("moment", "accepted"),
    [
        (DEADLINE - timedelta(hours=1), True),
        (DEADLINE, True),
        (DEADLINE + timedelta(seconds=30), True),
        (DEADLINE + timedelta(seconds=59, microseconds=999_999), True),
        (DEADLINE + timedelta(minutes=1), False),
        (DEADLINE + timedelta(days=1), False),
    ],
)
def test_a_deadline_takes_entries_to_the_end_of_its_minute(
    moment: datetime, accepted: bool
) -> None:
    policy = EnrollmentPolicy(deadline=DEADLINE)
    problem = policy.window_problem(moment)
    assert (problem is None) is accepted
    if not accepted:
        assert problem == "deadline 2024-09-15T23:59:00-07:00 has passed"


def test_closes_is_the_next_minute_in_the_deadlines_zone() -> None:
    assert EnrollmentPolicy(deadline=DEADLINE).closes == datetime(2024, 9, 16, 0, 0, tzinfo=LA)
    assert EnrollmentPolicy().closes is None


def test_seconds_in_a_deadline_still_name_its_minute() -> None:
    policy = EnrollmentPolicy(deadline=DEADLINE.replace(second=20))
    assert policy.window_problem(DEADLINE + timedelta(seconds=50)) is None
    assert policy.window_problem(DEADLINE + timedelta(minutes=1)) is not None


def test_a_deadline_in_the_repeated_hour_closes_a_minute_later_not_an_hour() -> None:
    # 01:59 PDT on the night clocks fall back: the next wall-clock minute, 02:00, is PST.
    deadline = datetime(2024, 11, 3, 1, 59, tzinfo=LA)
    policy = EnrollmentPolicy(deadline=deadline)
    closes = policy.closes
    assert closes is not None
    assert closes.astimezone(UTC) - deadline.astimezone(UTC) == timedelta(minutes=1)
    assert policy.window_problem(deadline.astimezone(UTC) + timedelta(minutes=1)) is not None


@given(
    deadline=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    after=st.timedeltas(min_value=timedelta(0), max_value=timedelta(minutes=3)),
)
def test_accepted_exactly_while_in_or_before_the_deadlines_minute(
    deadline: datetime, after: timedelta
) -> None:
    moment = deadline + after
    minute = deadline.replace(second=0, microsecond=0)
    accepted = moment < minute + timedelta(minutes=1)
    assert (EnrollmentPolicy(deadline=deadline).window_problem(moment) is None) is accepted


def test_the_opening_is_inclusive() -> None:
    opens = datetime(2024, 8, 1, 9, 0, tzinfo=LA)
    policy = EnrollmentPolicy(opens=opens, deadline=DEADLINE)
    assert policy.window_problem(opens) is None
    assert policy.window_problem(opens - timedelta(microseconds=1)) == (
        "opens 2024-08-01T09:00:00-07:00"
    )


def test_a_date_is_the_end_of_that_day_in_the_zone() -> None:
    day = date(2024, 9, 15)
    assert deadline_at(day, LA) == end_of_day(day, LA) == DEADLINE
    policy = EnrollmentPolicy(deadline=deadline_at(day, LA))
    # 23:59:59 in Los Angeles is 06:59:59 UTC the next day: still in time.
    assert policy.window_problem(datetime(2024, 9, 16, 6, 59, 59, tzinfo=UTC)) is None
    assert policy.window_problem(datetime(2024, 9, 16, 7, 0, tzinfo=UTC)) is not None


def test_an_opening_date_is_the_start_of_that_day_and_naive_times_are_local() -> None:
    assert opening_at(date(2024, 8, 1), LA) == datetime(2024, 8, 1, tzinfo=LA)
    assert deadline_at(datetime(2024, 9, 15, 17, 0), LA) == datetime(2024, 9, 15, 17, tzinfo=LA)
    aware = datetime(2024, 9, 15, 17, 0, tzinfo=UTC)
    assert deadline_at(aware, LA) is aware and opening_at(aware, LA) is aware


def test_an_application_at_half_past_the_deadline_minute_is_taken(
    network: Network, clock: FrozenClock
) -> None:
    program = network.programs.create(
        title="Academy",
        program_year=2024,
        policy=EnrollmentPolicy(mode="application", deadline=DEADLINE),
    )
    ada = network.members.add(email="ada@example.org")
    bo = network.members.add(email="bo@example.org")
    clock.now = DEADLINE + timedelta(seconds=30)
    assert network.enrollment.apply(program.id, ada.id).status is EnrollmentStatus.APPLIED
    clock.now = DEADLINE + timedelta(minutes=1)
    with pytest.raises(EnrollmentClosedError, match=r"deadline .* has passed"):
        network.enrollment.apply(program.id, bo.id)
