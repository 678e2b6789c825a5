"""Read-only transactions reach the database as such, on both SQL backends."""

from __future__ import annotations

import pytest

from cpnetwork.storage import CORE_KINDS
from cpnetwork.storage.sql import SQLStorage, SQLTransaction


def _setting(tx: object, statement: str) -> object:
    assert isinstance(tx, SQLTransaction)
    return tx._connection.exec_driver_sql(statement).scalar()


def test_postgresql_runs_read_only_transactions_read_only(pg_url: str) -> None:
    with SQLStorage(pg_url) as store:
        store.register_kinds(CORE_KINDS)
        with store.transaction(read_only=True) as tx:
            assert _setting(tx, "SHOW transaction_read_only") == "on"
        with store.transaction() as tx:
            assert _setting(tx, "SHOW transaction_read_only") == "off"


@pytest.mark.parametrize("read_only", [True, False])
def test_a_read_only_store_makes_every_postgresql_transaction_read_only(
    pg_url: str, read_only: bool
) -> None:
    SQLStorage(pg_url).close()  # builds the schema
    with SQLStorage(pg_url, read_only=True) as store:
        store.register_kinds(CORE_KINDS)
        with store.transaction(read_only=read_only) as tx:
            assert _setting(tx, "SHOW transaction_read_only") == "on"
