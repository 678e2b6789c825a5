"""Bulk work past the databases' parameter limits: 100,000 values, members and CSV rows.

PostgreSQL binds at most 65,535 parameters a statement and SQLite builds commonly
32,766; the ``sqlite_variables`` fixture sets that limit on every SQLite connection
opened during a test (a ``connect`` listener on the Engine class), so these tests
hold whatever limit the local SQLite was built with.
"""

from __future__ import annotations

import csv
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy import event

from cpnetwork import Network
from cpnetwork import model as m
from cpnetwork.cli import CliConfig, cli
from cpnetwork.errors import DuplicateError
from cpnetwork.storage.kinds import CORE_KINDS
from cpnetwork.storage.sql import SQLStorage

#: SQLite's SQLITE_MAX_VARIABLE_NUMBER default since 3.32.
SQLITE_VARIABLES = 32_766
#: More values than either database binds as separate parameters.
MANY = 100_000


def _limit_variables(limit: int) -> Any:
    def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, limit)

    return on_connect


@pytest.fixture(autouse=True)
def sqlite_variables() -> Iterator[int]:
    """Every SQLite connection opened in the test takes at most 32,766 parameters."""
    listener = _limit_variables(SQLITE_VARIABLES)
    event.listen(sa.Engine, "connect", listener)
    yield SQLITE_VARIABLES
    event.remove(sa.Engine, "connect", listener)


def _members(count: int, prefix: str = "leader") -> list[m.Member]:
    return [
        m.Member(id=f"m{n:06d}", email=f"{prefix}{n:06d}@example.org", county="Kern")
        for n in range(count)
    ]


def test_the_limit_applies_to_sqlite_connections(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'limit.db'}")
    markers = ", ".join(["?"] * (SQLITE_VARIABLES + 1))
    with engine.connect() as connection, pytest.raises(sa.exc.OperationalError, match="too many"):
        connection.exec_driver_sql(
            f"SELECT 1 WHERE 1 IN ({markers})", (1,) * (SQLITE_VARIABLES + 1)
        )
    engine.dispose()


def test_find_and_count_take_100_000_values(sql_url: str) -> None:
    members = _members(50)
    emails = [f"nobody{n}@example.org" for n in range(MANY)] + [members[7].email]
    with SQLStorage(sql_url) as store:
        store.register_kinds(CORE_KINDS)
        with store.transaction() as tx:
            tx.insert_many(members)
        with store.transaction() as tx:
            assert tx.find(m.Member, {"email": emails}) == [members[7]]
            assert tx.count(m.Member, {"email": emails}, group_by=["county"]) == {("Kern",): 1}
            assert tx.count(m.Member, {"email__ne": emails}) == {(): 49}
            ids = [f"m{n:06d}" for n in range(MANY)]
            assert tx.count(m.Member, {"id": ids}) == {(): 50}


def test_add_many_of_100_000_members(sql_url: str) -> None:
    members = _members(MANY)
    with Network.open(sql_url, load_entrypoints=False) as net:
        net.members.add_many(members)
        assert net.members.find({"email": [p.email for p in members[::2]]})[-1] == members[-2]
        with net.storage.transaction() as tx:
            assert tx.count(m.Member) == {(): MANY}


def test_a_refused_row_names_its_key_with_batches_under_a_small_limit(tmp_path: Path) -> None:
    """A refused chunk is written again in multi-row INSERTs sized to the limit (999)."""
    listener = _limit_variables(999)
    event.listen(sa.Engine, "connect", listener)
    try:
        with SQLStorage(f"sqlite:///{tmp_path / 'small.db'}") as store:
            store.register_kinds(CORE_KINDS)
            with store.transaction() as tx:
                tx.insert(m.Member(email="taken@example.org"))
            people = [*_members(5_000), m.Member(email="taken@example.org")]
            with store.transaction() as tx:
                with pytest.raises(DuplicateError, match=re.escape("email='taken@example.org'")):
                    tx.insert_many(people)
                # The whole call was undone, and the transaction goes on.
                assert tx.count(m.Member) == {(): 1}
                tx.insert_many(people[:-1])
            with store.transaction() as tx:
                assert tx.count(m.Member) == {(): 5_001}
    finally:
        event.remove(sa.Engine, "connect", listener)


@pytest.mark.parametrize("source", ["list", "generator"])
def test_a_refused_insert_many_is_undone_whole(sql_url: str, source: str) -> None:
    people = _members(25_000)
    with SQLStorage(sql_url) as store:
        store.register_kinds(CORE_KINDS)
        with store.transaction() as tx:
            tx.insert(m.Member(email="late@example.org"))
        batch = [*people, m.Member(email="late@example.org")]
        records: Any = batch if source == "list" else iter(batch)
        with store.transaction() as tx:
            with pytest.raises(DuplicateError, match=re.escape("email='late@example.org'")):
                tx.insert_many(records)
            assert tx.count(m.Member) == {(): 1}
        # A repeat across chunks of the call itself is named too.
        repeated = [*people, m.Member(email=people[3].email)]
        records = repeated if source == "list" else iter(repeated)
        with store.transaction() as tx:
            with pytest.raises(DuplicateError, match=re.escape(f"email='{people[3].email}'")):
                tx.insert_many(records)
            assert tx.count(m.Member) == {(): 1}


def test_a_members_csv_of_100_000_rows_imports(sql_url: str, tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["Email Address", "First Name", "Last Name", "County"])
        for n in range(MANY):
            writer.writerow([f"teacher{n:06d}@example.org", "Ada", f"Row{n}", "Kern"])
    config = CliConfig(load_entrypoints=False)
    result = CliRunner().invoke(cli, ["--db", sql_url, "import", "members", str(path)], obj=config)
    assert result.exit_code == 0, result.output
    assert f"created {MANY}, updated 0, unchanged 0" in result.output
    with Network.open(sql_url, load_entrypoints=False) as net, net.storage.transaction() as tx:
        assert tx.count(m.Member) == {(): MANY}
        assert tx.count(m.Member, {"family_name": "Row99999"}) == {(): 1}
