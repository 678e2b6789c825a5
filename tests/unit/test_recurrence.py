"""Expanding RRULEs in a series' own time zone (cpnetwork.recurrence)."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cpnetwork import ValidationError
from cpnetwork.model import SessionSeries
from cpnetwork.recurrence import (
    continue_from,
    end_before,
    exists,
    index_of,
    localize,
    move_days,
    normalize_rule,
    occurrences,
    remove_exdates,
    rule_starts,
    shift_until,
)

LA_NAME = "America/Los_Angeles"
LA = ZoneInfo(LA_NAME)
PDT = timedelta(hours=-7)
PST = timedelta(hours=-8)
YEAR_END = datetime(2025, 6, 30, 23, 59, 59, tzinfo=LA)


def series(rrule: str, first_start: datetime, **fields: object) -> SessionSeries:
    return SessionSeries(
        program_id="p",
        title="Learning community",
        rrule=rrule,
        first_start=first_start,
        duration=timedelta(hours=1),
        timezone=LA_NAME,
        **fields,  # type: ignore[arg-type]
    )


def local_times(starts: list[datetime], zone: ZoneInfo = LA) -> set[time]:
    return {start.astimezone(zone).time() for start in starts}


# -- daylight-saving time -------------------------------------------------------------
def test_monthly_4pm_session_stays_at_4pm_across_both_dst_changes() -> None:
    starts = rule_starts(
        "FREQ=MONTHLY;BYDAY=3WE", datetime(2024, 9, 18, 16, tzinfo=LA), LA_NAME, until=YEAR_END
    )

    assert [s.date() for s in starts] == [
        date(2024, 9, 18),
        date(2024, 10, 16),
        date(2024, 11, 20),
        date(2024, 12, 18),
        date(2025, 1, 15),
        date(2025, 2, 19),
        date(2025, 3, 19),
        date(2025, 4, 16),
        date(2025, 5, 21),
        date(2025, 6, 18),
    ]
    assert local_times(starts) == {time(16)}
    offsets = [s.utcoffset() for s in starts]
    assert offsets == [PDT, PDT, PST, PST, PST, PST, PDT, PDT, PDT, PDT]
    # The instant moves with the offset: 23:00 UTC in summer, midnight UTC in winter.
    assert {s.astimezone(UTC).time() for s in starts} == {time(23), time(0)}


def test_weekly_series_keeps_local_time_across_the_november_change() -> None:
    starts = rule_starts("FREQ=WEEKLY;COUNT=4", datetime(2024, 10, 23, 16, tzinfo=LA), LA_NAME)

    assert [s.date() for s in starts] == [
        date(2024, 10, 23),
        date(2024, 10, 30),
        date(2024, 11, 6),
        date(2024, 11, 13),
    ]
    assert local_times(starts) == {time(16)}
    assert [s.utcoffset() for s in starts] == [PDT, PDT, PST, PST]
    assert starts[2] - starts[1] == timedelta(days=7)  # same zone: wall-clock difference
    assert starts[2].astimezone(UTC) - starts[1].astimezone(UTC) == timedelta(days=7, hours=1)


def test_a_first_start_given_in_utc_is_expanded_in_the_series_zone() -> None:
    first = datetime(2024, 10, 23, 23, tzinfo=UTC)  # 4 pm in Los Angeles

    starts = rule_starts("FREQ=WEEKLY;COUNT=3", first, LA_NAME)

    assert local_times(starts) == {time(16)}
    assert all(s.tzinfo == LA for s in starts)


def test_a_time_skipped_by_spring_forward_uses_the_offset_before_the_gap() -> None:
    starts = rule_starts("FREQ=DAILY;COUNT=3", datetime(2025, 3, 8, 2, 30, tzinfo=LA), LA_NAME)

    assert [s.isoformat() for s in starts] == [
        "2025-03-08T02:30:00-08:00",
        "2025-03-09T03:30:00-07:00",  # 2:30 does not exist that day: RFC 5545 §3.3.5
        "2025-03-10T02:30:00-07:00",
    ]
    assert not exists(datetime(2025, 3, 9, 2, 30), LA)


def test_a_repeated_time_means_the_first_one_unless_the_series_began_on_the_second() -> None:
    first = rule_starts("FREQ=DAILY;COUNT=3", datetime(2024, 11, 2, 1, 30, tzinfo=LA), LA_NAME)
    assert [s.utcoffset() for s in first] == [PDT, PDT, PST]

    second_first = datetime(2024, 11, 3, 1, 30, tzinfo=LA, fold=1)
    later = rule_starts("FREQ=YEARLY;COUNT=2", second_first, LA_NAME)
    assert later[0].utcoffset() == PST
    assert later[0].astimezone(UTC) == second_first.astimezone(UTC)


def test_localize_normalizes_a_nonexistent_time_and_keeps_a_real_one() -> None:
    assert localize(datetime(2025, 3, 9, 2, 30), LA).isoformat() == "2025-03-09T03:30:00-07:00"
    assert localize(datetime(2025, 3, 9, 4, 0), LA).isoformat() == "2025-03-09T04:00:00-07:00"
    assert localize(datetime(2024, 11, 3, 1, 30), LA, fold=1).utcoffset() == PST


def test_microseconds_of_the_first_start_are_kept() -> None:
    starts = rule_starts(
        "FREQ=DAILY;COUNT=2", datetime(2024, 9, 1, 9, 0, 0, 250, tzinfo=LA), LA_NAME
    )
    assert [s.microsecond for s in starts] == [250, 250]


# -- ends, exceptions and bounds -----------------------------------------------------------
def test_exdates_are_removed_comparing_instants() -> None:
    first = datetime(2024, 9, 4, 16, tzinfo=LA)
    # The second occurrence, written in UTC.
    skipped = datetime(2024, 9, 11, 23, tzinfo=UTC)

    starts = occurrences(series("FREQ=WEEKLY;COUNT=4", first, exdates={skipped}))

    assert [s.day for s in starts] == [4, 18, 25]
    assert remove_exdates(starts, [starts[0].astimezone(ZoneInfo("Asia/Tokyo"))]) == starts[1:]


def test_count_ends_the_rule_and_the_bound_is_ignored() -> None:
    starts = rule_starts(
        "FREQ=MONTHLY;COUNT=12",
        datetime(2024, 9, 18, 16, tzinfo=LA),
        LA_NAME,
        until=datetime(2024, 12, 31, tzinfo=LA),
    )
    assert len(starts) == 12
    assert starts[-1].date() == date(2025, 8, 18)


@pytest.mark.parametrize(
    ("until", "last"),
    [
        ("20241016T230000Z", date(2024, 10, 16)),  # an instant: 4 pm PDT, inclusive
        ("20241016T225959Z", date(2024, 10, 9)),
        ("20241016T160000", date(2024, 10, 16)),  # floating: local time of the series
        ("20241016", date(2024, 10, 16)),  # a date: the whole local day
    ],
)
def test_until_forms(until: str, last: date) -> None:
    starts = rule_starts(
        f"FREQ=WEEKLY;UNTIL={until}",
        datetime(2024, 9, 4, 16, tzinfo=LA),
        LA_NAME,
        until=YEAR_END,
    )
    assert starts[-1].date() == last
    assert starts[0].date() == date(2024, 9, 4)


def test_a_rule_without_count_or_until_ends_at_the_bound() -> None:
    starts = rule_starts(
        "FREQ=WEEKLY;BYDAY=TU,TH", datetime(2025, 6, 3, 9, tzinfo=LA), LA_NAME, until=YEAR_END
    )
    assert [s.day for s in starts] == [3, 5, 10, 12, 17, 19, 24, 26]
    assert starts[-1] <= YEAR_END


def test_the_bound_is_an_instant_and_inclusive() -> None:
    first = datetime(2024, 9, 4, 16, tzinfo=LA)
    at_third = datetime(2024, 9, 18, 23, tzinfo=UTC)
    assert len(rule_starts("FREQ=WEEKLY", first, LA_NAME, until=at_third)) == 3
    just_before = at_third - timedelta(seconds=1)
    assert len(rule_starts("FREQ=WEEKLY", first, LA_NAME, until=just_before)) == 2


def test_a_rule_that_never_ends_needs_a_bound() -> None:
    with pytest.raises(ValidationError, match="never ends"):
        rule_starts("FREQ=WEEKLY", datetime(2024, 9, 4, 16, tzinfo=LA), LA_NAME)


def test_more_occurrences_than_the_cap_is_refused() -> None:
    first = datetime(2024, 9, 4, 16, tzinfo=LA)
    with pytest.raises(ValidationError, match="more than 1000 occurrences"):
        rule_starts("FREQ=DAILY;COUNT=1001", first, LA_NAME)
    with pytest.raises(ValidationError, match="more than 5 occurrences"):
        rule_starts("FREQ=DAILY;COUNT=6", first, LA_NAME, limit=5)
    assert len(rule_starts("FREQ=DAILY;COUNT=1000", first, LA_NAME)) == 1000


def test_first_start_must_be_an_occurrence_of_the_rule() -> None:
    tuesday = datetime(2024, 9, 17, 16, tzinfo=LA)
    with pytest.raises(ValidationError, match="not an occurrence") as raised:
        rule_starts("FREQ=WEEKLY;BYDAY=WE;COUNT=3", tuesday, LA_NAME)
    assert raised.value.field == "first_start"
    loose = rule_starts("FREQ=WEEKLY;BYDAY=WE;COUNT=3", tuesday, LA_NAME, anchored=False)
    assert loose[0] == datetime(2024, 9, 18, 16, tzinfo=LA)


def test_first_start_must_be_aware() -> None:
    with pytest.raises(ValidationError, match="time zone"):
        rule_starts("FREQ=DAILY;COUNT=2", datetime(2024, 9, 4, 16), LA_NAME)


def test_a_rule_with_no_occurrence_before_the_bound_is_refused() -> None:
    with pytest.raises(ValidationError, match="no occurrence"):
        rule_starts("FREQ=WEEKLY", datetime(2025, 9, 3, 16, tzinfo=LA), LA_NAME, until=YEAR_END)


def test_week_start_defaults_to_monday_whatever_the_calendar_module_says() -> None:
    first = datetime(2024, 9, 2, 9, tzinfo=LA)  # a Monday
    rule = "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,SU;COUNT=4"
    expected = rule_starts(rule, first, LA_NAME)
    previous = calendar.firstweekday()
    calendar.setfirstweekday(calendar.SUNDAY)
    try:
        assert rule_starts(rule, first, LA_NAME) == expected
    finally:
        calendar.setfirstweekday(previous)
    assert [s.day for s in expected] == [2, 8, 16, 22]


# -- malformed rules --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("DTSTART:20240918T160000\nRRULE:FREQ=MONTHLY", "contains DTSTART"),
        ("DTSTART=20240918T160000;FREQ=MONTHLY", "contains DTSTART"),
        ("RRULE:FREQ=DAILY\nEXDATE:20240919T160000", "more than one line"),
        ("EXDATE:20240919T160000", "EXDATE lines are not supported"),
        ("FREQ=DAILY; COUNT=2", "contains blanks"),
        ("INTERVAL=2", "has no FREQ"),
        ("FREQ=FORTNIGHTLY", "not one of"),
        ("FREQ=HOURLY;COUNT=3", "at most daily"),
        ("FREQ=DAILY;BYHOUR=9,13", "local time of its first start"),
        ("FREQ=DAILY;COLOR=BLUE", "not an RFC 5545 rule part"),
        ("FREQ=DAILY;COUNT", "not NAME=VALUE"),
        ("FREQ=DAILY;;COUNT=2", "not NAME=VALUE"),
        ("FREQ=DAILY;FREQ=WEEKLY", "given twice"),
        ("FREQ=DAILY;COUNT=0", "not a positive whole number"),
        ("FREQ=DAILY;COUNT=-1", "not a positive whole number"),
        ("FREQ=DAILY;INTERVAL=x", "not a positive whole number"),
        ("FREQ=DAILY;COUNT=3;UNTIL=20250101T000000Z", "both COUNT and UNTIL"),
        ("FREQ=DAILY;UNTIL=2025-01-01", "UNTIL=2025-01-01 is not a date"),
        ("FREQ=WEEKLY;BYDAY=XX", "not a valid RRULE"),
        ("FREQ=WEEKLY;WKST=XX", "not a valid RRULE"),
        ("FREQ=WEEKLY;BYDAY=2MO", "need FREQ=MONTHLY or YEARLY"),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "not within"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "not within"),
        ("FREQ=YEARLY;BYMONTH=13", "not within"),
        ("FREQ=YEARLY;BYMONTH=-1", "months are 1..12"),
        ("FREQ=MONTHLY;BYWEEKNO=3", "only allowed with FREQ=YEARLY"),
        ("FREQ=MONTHLY;BYYEARDAY=3", "only allowed with FREQ=YEARLY"),
        ("FREQ=WEEKLY;BYMONTHDAY=3", "not allowed with FREQ=WEEKLY"),
        ("FREQ=WEEKLY;BYSETPOS=1;BYDAY=MO", "BYSETPOS is not supported"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never occurs"),
        (None, "must not be empty"),
    ],
)
def test_malformed_rules_are_refused_with_a_reason(rule: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason) as raised:
        normalize_rule(rule)
    assert raised.value.field == "rrule"
    with pytest.raises(ValidationError):
        rule_starts(rule, datetime(2024, 9, 4, 16, tzinfo=LA), LA_NAME, until=YEAR_END)


def test_normalize_rule_is_canonical() -> None:
    assert normalize_rule("rrule:byday=3we;freq=monthly") == "FREQ=MONTHLY;BYDAY=3WE"
    assert normalize_rule(" FREQ=WEEKLY;COUNT=3 ") == "FREQ=WEEKLY;COUNT=3"


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match="IANA"):
        rule_starts("FREQ=DAILY;COUNT=2", datetime(2024, 9, 4, tzinfo=UTC), "Mars/Olympus")


# -- rewriting rules for splits and moves ----------------------------------------------------------
def test_end_before_with_count_keeps_count_else_sets_until_in_utc() -> None:
    first = datetime(2024, 9, 18, 16, tzinfo=LA)
    counted = rule_starts("FREQ=MONTHLY;BYDAY=3WE;COUNT=6", first, LA_NAME)
    assert end_before("FREQ=MONTHLY;BYDAY=3WE;COUNT=6", counted, 2) == (
        "FREQ=MONTHLY;BYDAY=3WE;COUNT=2"
    )
    open_ended = rule_starts("FREQ=MONTHLY;BYDAY=3WE", first, LA_NAME, until=YEAR_END)
    head = end_before("FREQ=MONTHLY;BYDAY=3WE", open_ended, 3)
    assert head == "FREQ=MONTHLY;BYDAY=3WE;UNTIL=20241121T000000Z"  # Nov 20, 4 pm PST
    assert rule_starts(head, first, LA_NAME, until=YEAR_END) == open_ended[:3]
    with pytest.raises(ValueError):
        end_before("FREQ=MONTHLY", open_ended, 0)


def test_continue_from_adjusts_count() -> None:
    assert continue_from("FREQ=WEEKLY;COUNT=10", 4) == "FREQ=WEEKLY;COUNT=6"
    assert continue_from("FREQ=WEEKLY;UNTIL=20250101", 4) == "FREQ=WEEKLY;UNTIL=20250101"
    with pytest.raises(ValueError):
        continue_from("FREQ=WEEKLY;COUNT=3", 3)


@pytest.mark.parametrize(
    ("rule", "old", "new", "moved"),
    [
        ("FREQ=WEEKLY", date(2024, 9, 18), date(2024, 9, 19), "FREQ=WEEKLY"),
        (
            "FREQ=WEEKLY;BYDAY=MO,WE",
            date(2024, 9, 18),
            date(2024, 9, 19),
            "FREQ=WEEKLY;BYDAY=TU,TH",
        ),
        ("FREQ=WEEKLY;BYDAY=SU", date(2024, 9, 15), date(2024, 9, 16), "FREQ=WEEKLY;BYDAY=MO"),
        (
            "FREQ=MONTHLY;BYDAY=3WE",
            date(2024, 10, 16),
            date(2024, 10, 17),
            "FREQ=MONTHLY;BYDAY=3TH",
        ),
        (
            "FREQ=MONTHLY;BYDAY=3WE",
            date(2024, 10, 16),
            date(2024, 10, 22),
            "FREQ=MONTHLY;BYDAY=4TU",
        ),
        (
            "FREQ=MONTHLY;BYDAY=-1FR",
            date(2024, 10, 25),
            date(2024, 10, 31),
            "FREQ=MONTHLY;BYDAY=-1TH",
        ),
        # Oct 31 is a Thursday too, so Oct 24 is the second-to-last one.
        (
            "FREQ=MONTHLY;BYDAY=-1FR",
            date(2024, 10, 25),
            date(2024, 10, 24),
            "FREQ=MONTHLY;BYDAY=-2TH",
        ),
        (
            "FREQ=MONTHLY;BYMONTHDAY=15",
            date(2024, 10, 15),
            date(2024, 10, 16),
            "FREQ=MONTHLY;BYMONTHDAY=16",
        ),
        (
            "FREQ=MONTHLY;BYMONTHDAY=-1",
            date(2024, 10, 31),
            date(2024, 10, 30),
            "FREQ=MONTHLY;BYMONTHDAY=-2",
        ),
        (
            "FREQ=MONTHLY;BYDAY=3WE",
            date(2024, 10, 16),
            date(2024, 10, 16),
            "FREQ=MONTHLY;BYDAY=3WE",
        ),
    ],
)
def test_move_days_re_anchors_the_rule(rule: str, old: date, new: date, moved: str) -> None:
    assert move_days(rule, old, new) == moved


def test_move_days_refuses_rules_it_cannot_re_anchor() -> None:
    with pytest.raises(ValidationError, match="give the new rule"):
        move_days("FREQ=MONTHLY;BYDAY=WE;BYSETPOS=3", date(2024, 10, 16), date(2024, 10, 17))
    with pytest.raises(ValidationError, match="give the new rule"):
        move_days("FREQ=MONTHLY;BYMONTHDAY=1,15", date(2024, 10, 15), date(2024, 10, 16))


def test_shift_until_moves_until_on_the_wall_clock() -> None:
    # Nov 20, 4 pm PST moved three days and two hours later: Nov 23, 6 pm PST.
    rule = "FREQ=MONTHLY;UNTIL=20241121T000000Z"
    assert shift_until(rule, timedelta(days=3, hours=2), LA_NAME) == (
        "FREQ=MONTHLY;UNTIL=20241124T020000Z"
    )
    # Across the fall-back night the instant moves an hour more than the wall clock.
    assert shift_until("FREQ=DAILY;UNTIL=20241101T230000Z", timedelta(days=7), LA_NAME) == (
        "FREQ=DAILY;UNTIL=20241109T000000Z"
    )
    assert shift_until("FREQ=DAILY;COUNT=3", timedelta(days=1), LA_NAME) == "FREQ=DAILY;COUNT=3"
    assert shift_until("FREQ=DAILY;UNTIL=20241101", timedelta(0), LA_NAME) == (
        "FREQ=DAILY;UNTIL=20241101"
    )


def test_index_of_compares_instants() -> None:
    starts = rule_starts("FREQ=DAILY;COUNT=3", datetime(2024, 9, 4, 16, tzinfo=LA), LA_NAME)
    assert index_of(starts, datetime(2024, 9, 5, 23, tzinfo=UTC)) == 1
    assert index_of(starts, datetime(2024, 9, 5, 16, tzinfo=UTC)) is None
    assert index_of(starts, None) is None


# -- properties ---------------------------------------------------------------------------------
ZONES = [
    "America/Los_Angeles",
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Asia/Kolkata",
    "UTC",
]

# Random local times, plus a few days before a DST gap or fold in one of the ZONES so
# daily and weekly rules walk into them often.
local_starts = st.one_of(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)).map(
        lambda moment: moment.replace(second=0, microsecond=0)
    ),
    st.sampled_from(
        [
            datetime(2025, 3, 7, 2, 30),  # Los Angeles and New York skip 2-3 am on Mar 9
            datetime(2024, 10, 31, 1, 30),  # ... and repeat 1-2 am on Nov 3
            datetime(2025, 3, 28, 1, 15),  # London skips 1-2 am on Mar 30
            datetime(2024, 10, 4, 2, 45),  # Sydney skips 2-3 am on Oct 6
            datetime(2025, 4, 5, 2, 30),  # ... and repeats 2-3 am on Apr 6
        ]
    ),
)


@st.composite
def simple_rules(draw: st.DrawFn) -> tuple[str, int]:
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY"]))
    interval = draw(st.integers(1, 3))
    count = draw(st.integers(1, 40))
    parts = [f"FREQ={freq}", f"INTERVAL={interval}", f"COUNT={count}"]
    if freq == "WEEKLY" and draw(st.booleans()):
        days = draw(
            st.sets(st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]), min_size=1)
        )
        parts.append("BYDAY=" + ",".join(sorted(days)))
    return ";".join(parts), count


@given(
    rule=simple_rules(),
    zone_name=st.sampled_from(ZONES),
    naive_start=local_starts,
    data=st.data(),
)
def test_occurrences_keep_the_first_local_time_increase_and_skip_exdates(
    rule: tuple[str, int], zone_name: str, naive_start: datetime, data: st.DataObject
) -> None:
    text, count = rule
    zone = ZoneInfo(zone_name)
    # Let the rule say which days it meets on, then start on its first one.
    first = rule_starts(text, localize(naive_start, zone), zone_name, anchored=False)[0]
    starts = rule_starts(text, first, zone_name)
    assert len(starts) == count
    exdates = data.draw(st.sets(st.sampled_from(starts)), label="exdates")
    kept = occurrences(
        SessionSeries(
            program_id="p",
            title="t",
            rrule=text,
            first_start=first,
            duration=timedelta(hours=1),
            timezone=zone_name,
            exdates={e.astimezone(UTC) for e in exdates},
        )
    )

    wall = first.astimezone(zone).replace(tzinfo=None)
    for start in starts:
        local = start.astimezone(zone)
        assert local.tzinfo == zone
        on_day = datetime.combine(local.date(), wall.time())
        if exists(on_day, zone):
            assert local.time() == wall.time()
        else:
            # Skipped by a DST gap: read with the offset before it (RFC 5545 §3.3.5).
            assert local == localize(on_day, zone)
    instants = [s.astimezone(UTC) for s in starts]
    assert instants == sorted(set(instants))
    assert len(kept) == count - len(exdates)
    assert not {k.astimezone(UTC) for k in kept} & {e.astimezone(UTC) for e in exdates}


@given(
    rule=simple_rules(),
    zone_name=st.sampled_from(ZONES),
    naive_start=local_starts,
    data=st.data(),
)
def test_splitting_a_rule_reproduces_its_occurrences(
    rule: tuple[str, int], zone_name: str, naive_start: datetime, data: st.DataObject
) -> None:
    text, count = rule
    zone = ZoneInfo(zone_name)
    first = rule_starts(text, localize(naive_start, zone), zone_name, anchored=False)[0]
    starts = rule_starts(text, first, zone_name)
    wall = first.astimezone(zone).time()
    # A series cannot begin at a time its first day skips (see the module's docs).
    splittable = [i for i in range(1, count) if starts[i].astimezone(zone).time() == wall]
    assume(splittable)
    index = data.draw(st.sampled_from(splittable), label="index")

    head = rule_starts(end_before(text, starts, index), first, zone_name)
    tail = rule_starts(continue_from(text, index), starts[index], zone_name)

    assert head + tail == starts


@given(
    freq=st.sampled_from(["DAILY", "WEEKLY", "MONTHLY"]),
    zone_name=st.sampled_from(ZONES),
    naive_start=local_starts,
    days=st.integers(1, 400),
)
def test_a_bound_is_never_passed(
    freq: str, zone_name: str, naive_start: datetime, days: int
) -> None:
    first = localize(naive_start, ZoneInfo(zone_name))
    bound = first + timedelta(days=days)
    starts = rule_starts(f"FREQ={freq}", first, zone_name, until=bound)
    assert starts[0] == first
    assert all(s.astimezone(UTC) <= bound.astimezone(UTC) for s in starts)
