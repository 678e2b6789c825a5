"""A scan on PostgreSQL reads through a server-side cursor, which lives in its transaction.

A scan's generator may outlive its transaction (left unfinished, collected later): its
cursor is closed as the transaction ends, so nothing is closed later on a connection
that by then serves another transaction.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from cpnetwork import model as m
from cpnetwork.storage import CORE_KINDS
from cpnetwork.storage.sql import SQLStorage
from cpnetwork.testing.postgres import require_postgres

require_postgres()

pytestmark = pytest.mark.postgres


@pytest.fixture
def store(pg_url: str) -> Iterator[SQLStorage]:
    store = SQLStorage(pg_url)
    store.register_kinds(CORE_KINDS)
    with store.transaction() as tx:
        tx.insert_many(m.Member(email=f"m{n}@example.org", county="19") for n in range(30))
    yield store
    store.close()


@pytest.mark.parametrize("read_only", [True, False], ids=["read-only", "writing"])
def test_a_scan_reads_in_chunks_what_find_gives(store: SQLStorage, read_only: bool) -> None:
    with store.transaction(read_only=read_only) as tx:
        scanned = list(tx.scan(m.Member, order_by=["email"], chunk_size=7))
        assert scanned == tx.find(m.Member, order_by=["email"])


@pytest.mark.parametrize("read_only", [True, False], ids=["read-only", "writing"])
def test_a_scan_left_unfinished_never_ends_a_later_transaction(
    store: SQLStorage, read_only: bool
) -> None:
    with store.transaction(read_only=read_only) as tx:
        scanned = tx.scan(m.Member, chunk_size=5)
        next(scanned)
    with store.transaction() as tx:
        tx.insert(m.Member(email="later@example.org"))
        del scanned
        gc.collect()  # the scan's generator ends here, its connection back in the pool
    with store.transaction(read_only=True) as tx:
        assert tx.find_one(m.Member, {"email": "later@example.org"}) is not None
