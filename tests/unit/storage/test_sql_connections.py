"""A SQLite store's thread keeps its connection; its transactions run on the driver."""

from __future__ import annotations

import pytest

from cpnetwork import model as m
from cpnetwork.errors import NotFoundError, StorageError
from cpnetwork.storage.sql import SQLStorage
from cpnetwork.storage.sql_prepared import run_on_driver


def kept(store: SQLStorage) -> object:
    return store._connections.kept()


def test_transactions_on_a_thread_share_one_connection(store: SQLStorage) -> None:
    with store.transaction(read_only=True) as tx:
        tx.find(m.Member)
    first = kept(store)
    with store.transaction() as tx:
        tx.insert(m.Member(email="ada@example.org"))
    assert kept(store) is first


def test_the_librarys_own_error_keeps_the_connection_and_rolls_back(store: SQLStorage) -> None:
    before = kept(store)
    with pytest.raises(NotFoundError), store.transaction() as tx:
        tx.insert(m.Member(email="ada@example.org"))
        raise NotFoundError("Member", "missing")
    assert kept(store) is before
    with store.transaction(read_only=True) as tx:
        assert tx.find(m.Member) == []


def test_a_driver_error_drops_the_connection(store: SQLStorage) -> None:
    before = kept(store)
    with pytest.raises(StorageError, match="no such table"), store.transaction() as tx:
        run_on_driver(tx._connection, "SELECT * FROM no_such_table")  # type: ignore[attr-defined]
    assert kept(store) is not before
    with store.transaction() as tx:  # a fresh connection serves the next one
        tx.insert(m.Member(email="ada@example.org"))
    with store.transaction(read_only=True) as tx:
        assert len(tx.find(m.Member)) == 1


def test_core_statements_inside_end_with_the_transaction(store: SQLStorage) -> None:
    # insert_many goes through SQLAlchemy Core, which begins its transaction over the
    # driver's: it must commit and roll back with it, not on its own.
    people = [m.Member(email=f"p{n}@example.org") for n in range(50)]
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.insert_many(people)
        raise RuntimeError("the block fails after a bulk write")
    with store.transaction(read_only=True) as tx:
        assert tx.find(m.Member) == []
    with store.transaction() as tx:
        tx.insert_many(people)
    with store.transaction(read_only=True) as tx:
        assert len(tx.find(m.Member)) == 50
    driver = store._connections.kept().connection.dbapi_connection
    assert driver is not None and not driver.in_transaction  # type: ignore[attr-defined]
