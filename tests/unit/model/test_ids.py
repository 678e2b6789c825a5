"""Record ids: unique UUID version 7 values that sort by creation time."""

from __future__ import annotations

import time
import uuid

from cpnetwork.model import Member, new_id


def test_ids_are_unique_version_7_hex() -> None:
    ids = [new_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    for value in ids[:100]:
        parsed = uuid.UUID(hex=value)
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122
        assert value == parsed.hex


def test_ids_sort_by_creation_time() -> None:
    ids = [new_id() for _ in range(5_000)]
    assert sorted(ids) == ids
    first = new_id()
    time.sleep(0.002)
    assert first < new_id()


def test_the_timestamp_is_the_creation_time_in_milliseconds() -> None:
    before = time.time_ns() // 1_000_000
    stamp = uuid.UUID(hex=new_id()).int >> 80
    assert stamp >= before


def test_records_get_version_7_ids() -> None:
    assert uuid.UUID(hex=Member(email="ada@example.org").id).version == 7
