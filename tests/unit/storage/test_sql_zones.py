"""The zones of datetimes in SQL stores: companion columns, old rows, old plugin tables."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import attrs
import pytest

from cpnetwork import model as m
from cpnetwork.storage import CORE_KINDS
from cpnetwork.storage.sql import SQLStorage
from cpnetwork.storage.sql_types import in_zone, zone_text
from cpnetwork.testing.storage import REVIEW_SCORES, ReviewScore

LA = ZoneInfo("America/Los_Angeles")


def _session(start: datetime) -> m.Session:
    return m.Session(program_id="p", title="LC", start=start, end=start + timedelta(hours=1))


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2024, 10, 16, 16, tzinfo=LA), "America/Los_Angeles"),
        (datetime(2024, 10, 16, 16, tzinfo=UTC), "+00:00"),
        (datetime(2024, 10, 16, 16, tzinfo=timezone(timedelta(hours=5, minutes=30))), "+05:30"),
        (datetime(2024, 10, 16, 16, tzinfo=timezone(-timedelta(hours=3, seconds=5))), "-03:00:05"),
    ],
)
def test_zone_text_round_trips_through_in_zone(moment: datetime, text: str) -> None:
    assert zone_text(moment) == text
    back = in_zone(moment.astimezone(UTC), text)
    assert (back, back.hour, back.utcoffset()) == (moment, moment.hour, moment.utcoffset())


def test_no_zone_or_an_unknown_zone_reads_back_in_utc() -> None:
    instant = datetime(2024, 10, 16, 23, tzinfo=UTC)
    assert in_zone(instant, None).tzinfo is UTC
    assert in_zone(instant, "Mars/Olympus_Mons") == instant


def test_the_zone_is_stored_beside_the_utc_instant(db: Path) -> None:
    start = datetime(2024, 9, 18, 16, 0, tzinfo=LA)
    with SQLStorage(f"sqlite:///{db}") as store:
        store.register_kinds(CORE_KINDS)
        with store.transaction() as tx:
            tx.insert(_session(start))
    with sqlite3.connect(db) as connection:
        row = connection.execute("SELECT start, start_tz, end_tz, recurrence_id_tz FROM sessions")
        assert row.fetchone() == ("2024-09-18T23:00:00.000000+00:00", LA.key, LA.key, None)


def test_rows_without_a_zone_read_back_in_utc(db: Path) -> None:
    start = datetime(2024, 9, 18, 16, 0, tzinfo=LA)
    session = _session(start)
    url = f"sqlite:///{db}"
    with SQLStorage(url) as store:
        store.register_kinds(CORE_KINDS)
        with store.transaction() as tx:
            tx.insert(session)
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE sessions SET start_tz = NULL")
    with SQLStorage(url) as store:
        store.register_kinds(CORE_KINDS)
        with store.transaction() as tx:
            read = tx.get(m.Session, session.id)
    assert read is not None and read.start == start and read.start.tzinfo is UTC
    assert read.end.tzinfo is LA


def test_a_plugin_table_made_before_zones_reads_back_in_utc(db: Path) -> None:
    url = f"sqlite:///{db}"
    SQLStorage(url).close()
    with sqlite3.connect(db) as connection:
        connection.execute(
            f"CREATE TABLE {REVIEW_SCORES.name} (id TEXT PRIMARY KEY, enrollment_id TEXT, "
            "reviewer_id TEXT, score INTEGER, scored_at VARCHAR(32), weight FLOAT, comments JSON)"
        )
    score = ReviewScore(
        enrollment_id="e1", reviewer_id="r1", score=4, scored_at=datetime(2024, 9, 1, 9, tzinfo=LA)
    )
    with SQLStorage(url) as store:
        store.register_kinds([REVIEW_SCORES])
        with store.transaction() as tx:
            tx.insert(score)
            tx.insert_many([attrs.evolve(score, id="bulk", reviewer_id="r2")])
        with store.transaction(read_only=True) as tx:
            read = tx.get(ReviewScore, score.id)
            bulk = tx.get(ReviewScore, "bulk")
    assert read is not None and read == score and read.scored_at.tzinfo is UTC
    assert bulk is not None and bulk.scored_at == score.scored_at
