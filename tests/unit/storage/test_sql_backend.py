"""What the SQL store does beyond the shared contract: URLs, storage format, errors."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cpnetwork import Network
from cpnetwork import model as m
from cpnetwork.errors import StorageError, ValidationError
from cpnetwork.plugins import get_plugin_manager
from cpnetwork.storage import MemoryStorage
from cpnetwork.storage.sql import SQLStorage
from cpnetwork.storage.sql_engine import display_url, engine_url
from cpnetwork.storage.sql_url import is_sql_url


def test_importing_cpnetwork_does_not_import_sqlalchemy() -> None:
    code = (
        "import sys, cpnetwork\n"
        "from cpnetwork.plugins import get_plugin_manager\n"
        "get_plugin_manager(load_entrypoints=False)\n"
        "cpnetwork.Network.open('memory://', name='n', load_entrypoints=False).close()\n"
        "assert 'sqlalchemy' not in sys.modules and 'alembic' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///network.db", SQLStorage),
        ("memory://", MemoryStorage),
        ("ftp://example.org/x", type(None)),
    ],
)
def test_the_hook_opens_sql_urls_only(
    url: str, expected: type, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    answer = get_plugin_manager(load_entrypoints=False).call_first(
        "open_storage", url=url, read_only=False
    )
    store = None if answer is None else answer[1]
    assert type(store) is expected
    if store is not None:
        store.close()


def test_urls_are_recognized_and_postgres_runs_on_psycopg() -> None:
    assert is_sql_url("sqlite:///x.db") and is_sql_url("postgresql://h/db")
    assert not is_sql_url("memory://") and not is_sql_url("mysql://h/db")
    for url in ("postgresql://u@h/db", "postgres://u@h/db", "postgresql+psycopg://u@h/db"):
        assert engine_url(url).drivername == "postgresql+psycopg"
    with pytest.raises(ValidationError):
        engine_url("mysql://u@h/db")


def test_the_url_shown_hides_the_password() -> None:
    assert display_url("postgresql://ada:s3cret@db.example/net") == (
        "postgresql://ada:***@db.example/net"
    )


def test_a_network_on_sqlite_keeps_its_data(db: Path) -> None:
    url = f"sqlite:///{db}"
    with Network.open(url, name="Science Leaders", load_entrypoints=False) as net:
        net.members.add(email="Ada@Example.org", county="Alameda")
    with Network.open(url, load_entrypoints=False) as net:
        assert net.profile.name == "Science Leaders"
        assert [p.email for p in net.members.find({"county": "Alameda"})] == ["ada@example.org"]


def test_datetimes_are_stored_as_fixed_width_utc_text(store: SQLStorage, db: Path) -> None:
    start = datetime(2024, 9, 18, 16, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    session = m.Session(program_id="p", title="LC", start=start, end=start + timedelta(hours=1))
    with store.transaction() as tx:
        tx.insert(session)
        read = tx.get(m.Session, session.id)
    with sqlite3.connect(db) as connection:
        raw = connection.execute('SELECT start, "end" FROM sessions').fetchone()
    assert raw == ("2024-09-18T23:00:00.000000+00:00", "2024-09-19T00:00:00.000000+00:00")
    # The instant is stored in UTC; the zone it was given in comes back with it.
    assert read is not None and read.start == start and read.start.tzinfo is start.tzinfo


def test_a_naive_datetime_in_a_filter_is_refused(store: SQLStorage) -> None:
    with store.transaction() as tx, pytest.raises(ValidationError, match="no time zone"):
        tx.find(m.Session, {"start__lt": datetime(2024, 1, 1)})


@pytest.mark.parametrize(
    "query",
    [
        lambda tx: tx.find(m.Program, {"tags": ["ngss"]}),
        lambda tx: tx.find(m.Program, order_by=("policy",)),
        lambda tx: tx.count(m.Program, group_by=("modules",)),
        lambda tx: tx.total(m.Program, "title"),
        lambda tx: tx.find(m.Program, {"program_year__lt": None}),
        lambda tx: tx.find(m.Program, {"title.x": "y"}),
    ],
    ids=["json-filter", "json-order", "json-group", "text-total", "lt-none", "dotted-scalar"],
)
def test_queries_on_non_scalar_fields_are_refused(store: SQLStorage, query: object) -> None:
    with store.transaction() as tx, pytest.raises(ValidationError):
        query(tx)  # type: ignore[operator]


def test_driver_errors_become_storage_errors(store: SQLStorage, db: Path) -> None:
    with sqlite3.connect(db) as connection:
        connection.execute("DROP TABLE milestones")
    with store.transaction() as tx, pytest.raises(StorageError, match="no such table") as raised:
        tx.find(m.Milestone)
    assert not isinstance(raised.value, sqlite3.Error)


def test_an_unreachable_database_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        SQLStorage(f"sqlite:///{tmp_path / 'missing' / 'network.db'}")
    with pytest.raises(StorageError):
        SQLStorage("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
