"""The waitlist line the store gives in order is the built-in ``order_waitlist`` order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpnetwork.builtins.waitlist import order_waitlist
from cpnetwork.model import Enrollment, Program
from cpnetwork.services.seats import DEFAULT_LINE
from cpnetwork.storage import CORE_KINDS, MemoryStorage, Storage
from cpnetwork.storage.sql import SQLStorage

T0 = datetime(2024, 9, 1, tzinfo=UTC)
PLACES = st.lists(
    st.tuples(st.none() | st.integers(1, 5), st.none() | st.integers(1, 6)), max_size=12
)


def _line(store: Storage, program: Program, places: list[tuple[int | None, int | None]]) -> None:
    waitlisted = [
        Enrollment(
            program_id=program.id,
            member_id=f"m{n}",
            status="waitlisted",
            created_at=T0,
            updated_at=T0,
            rank=rank,
            queue_number=queue,
        )
        for n, (rank, queue) in enumerate(places)
    ]
    store.register_kinds(CORE_KINDS)
    with store.transaction() as tx:
        tx.delete_where(Enrollment, {"program_id": program.id})
        tx.insert_many(waitlisted)
    with store.transaction() as tx:
        stored = tx.find(Enrollment, {"program_id": program.id})
        in_order = tx.find(Enrollment, {"program_id": program.id}, order_by=DEFAULT_LINE)
    assert in_order == order_waitlist(program, stored)


@settings(max_examples=40)
@given(places=PLACES)
def test_the_memory_store_orders_the_line_as_the_plugin_does(
    places: list[tuple[int | None, int | None]],
) -> None:
    _line(MemoryStorage(), Program(title="Academy", program_year=2024), places)


@settings(max_examples=40, deadline=None)
@given(places=PLACES)
def test_sqlite_orders_the_line_as_the_plugin_does(
    tmp_path_factory: pytest.TempPathFactory, places: list[tuple[int | None, int | None]]
) -> None:
    with SQLStorage(f"sqlite:///{tmp_path_factory.mktemp('line') / 'line.db'}") as store:
        _line(store, Program(title="Academy", program_year=2024), places)
