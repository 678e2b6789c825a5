"""cpnetwork.plans: a program year in one TOML file, on the memory store."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cpnetwork import Network, ValidationError
from cpnetwork.plans import parse_duration, read_plan
from cpnetwork.testing import snapshot

LA = ZoneInfo("America/Los_Angeles")
PLAN = """
year = 2024
[[programs]]
title = "Academy"
[programs.policy]
mode = "application"
opens = 2024-08-01T08:00:00
deadline = 2024-09-15
offer_window = "none"
[[programs.policy.eligibility]]
kind = "roles"
allowed = ["tosa"]
[[programs.series]]
title = "Community"
rrule = "FREQ=WEEKLY;COUNT=3"
first_start = 2024-10-02T16:00:00
duration = 60
exdates = [2024-10-09T16:00:00]
"""


def test_a_plan_reads_times_on_the_plans_wall_clock() -> None:
    plan = read_plan(PLAN, timezone="America/Los_Angeles", year=2023)
    (program,) = plan.programs
    assert program.year == 2024
    policy = program.fields["policy"]
    assert policy.opens == datetime(2024, 8, 1, 8, tzinfo=LA)
    assert policy.deadline == datetime(2024, 9, 15, 23, 59, tzinfo=LA)
    assert policy.offer_window is None
    (series,) = program.series
    assert series["duration"] == timedelta(hours=1)
    assert series["exdates"] == frozenset({datetime(2024, 10, 9, 16, tzinfo=LA)})


def test_applying_a_plan_again_changes_nothing(network: Network) -> None:
    plan = read_plan(PLAN, timezone="America/Los_Angeles", year=2024)
    first = network.apply_plan(plan)
    assert [str(c) for c in first.changed] == [
        "create program 'Academy' (2024)",
        "create series 'Community' of 'Academy' (2024): 2 sessions",
    ]
    before = snapshot(network)
    again = network.apply_plan(plan)
    assert again.changed == [] and len(again.changes) == 2
    assert snapshot(network) == before


def test_a_dry_run_writes_nothing_and_refuses_to_join_another_change(network: Network) -> None:
    plan = read_plan(PLAN, timezone="America/Los_Angeles", year=2024)
    before = snapshot(network)
    dry = network.apply_plan(plan, dry_run=True)
    assert dry.dry_run and len(dry.changed) == 2
    assert dry.lines()[-1] == "2 change(s) (dry run: nothing written), 0 unchanged"
    assert snapshot(network) == before
    # A scoped network runs each call inside a change: rolling back would not be a dry run.
    with pytest.raises(ValidationError, match="a dry run cannot join a change in progress"):
        network.acting_as("admin").apply_plan(plan, dry_run=True)
    assert snapshot(network) == before


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (90, timedelta(minutes=90)),
        ("90m", timedelta(minutes=90)),
        ("1h30m", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        (" 1h 30min", timedelta(minutes=90)),
    ],
)
def test_durations(value: object, expected: timedelta) -> None:
    assert parse_duration(value) == expected


@pytest.mark.parametrize("value", ["", "soon", "0m", 0, -5, "1x"])
def test_bad_durations(value: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(value)
