"""Faults below the library end in a clear error with nothing lost.

A SQLite writer kept waiting past its timeout, a PostgreSQL connection killed between
calls or inside a change, and a disk that fills up in the middle of a bulk import.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from cpnetwork import Network, hookimpl
from cpnetwork.errors import StorageError, ValidationError
from cpnetwork.events import Event
from cpnetwork.model import Member
from cpnetwork.storage import Transaction, sql_engine
from cpnetwork.storage.sql import SQLStorage
from cpnetwork.storage.sql_engine import BUSY
from cpnetwork.testing.statements import sent_statements


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "network.db"


def test_a_writer_kept_waiting_past_its_timeout_gets_a_clear_error_and_writes_nothing(
    sqlite_path: Path,
) -> None:
    with Network.open(
        f"sqlite:///{sqlite_path}?timeout=0.2", name="T", load_entrypoints=False
    ) as net:
        net.members.add(email="first@example.org")
        other = sqlite3.connect(sqlite_path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StorageError) as refused:
                net.members.add(email="second@example.org")
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert BUSY in str(refused.value)
        assert net.members.find_by_email("second@example.org") is None
        net.members.add(email="second@example.org")  # the lock gone, it works
        assert len(net.members.find()) == 2


@pytest.mark.parametrize("timeout", ["soon", "-1", "1e9"])
def test_a_bad_timeout_in_the_url_is_refused(sqlite_path: Path, timeout: str) -> None:
    with pytest.raises(ValidationError, match="not a number of seconds"):
        Network.open(f"sqlite:///{sqlite_path}?timeout={timeout}", load_entrypoints=False)


def _named(url: str) -> tuple[str, str]:
    """The URL with an application name of its own, so only its connections are killed."""
    name = f"cpnetwork-fault-{uuid.uuid4().hex[:8]}"
    return f"{url}&application_name={name}", name


def _kill_backends(url: str, name: str, *, wait: bool = False) -> int:
    """Terminate the connections named ``name``, as a server restart would.

    With ``wait``, return once they are gone (a restart is over before clients are
    back); otherwise at once, while they may still be exiting.
    """
    plain = url.replace("postgresql+psycopg://", "postgresql://").split("?")[0]
    with psycopg.connect(plain, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (name,),
        ).fetchall()
        deadline = time.monotonic() + 10
        while wait and time.monotonic() < deadline:
            left = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (name,)
            ).fetchone()
            if left is not None and left[0] == 0:
                time.sleep(0.05)  # the exited backend's socket closing on our side
                break
            time.sleep(0.01)
    return len(rows)


@pytest.fixture
def named_pg_url(pg_url: str) -> tuple[str, str]:
    return _named(pg_url)


@pytest.mark.postgres
def test_a_connection_killed_between_calls_is_replaced(named_pg_url: tuple[str, str]) -> None:
    url, name = named_pg_url
    with Network.open(url, name="T", load_entrypoints=False) as net:
        net.members.add(email="before@example.org")
        assert _kill_backends(url, name, wait=True) >= 1
        net.members.add(email="after@example.org")  # a fresh connection, no error
        assert {m.email for m in net.members.find()} == {
            "before@example.org",
            "after@example.org",
        }


@pytest.mark.postgres
def test_a_connection_idle_past_the_ping_interval_is_pinged_and_replaced(
    named_pg_url: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, name = named_pg_url
    with Network.open(url, name="T", load_entrypoints=False) as net:
        net.members.add(email="before@example.org")
        # Every pooled connection counts as idle, so none is trusted without a ping,
        # even before the killed backend's socket has closed.
        monkeypatch.setattr(sql_engine, "PING_AFTER_IDLE_SECONDS", 0.0)
        assert _kill_backends(url, name) >= 1
        net.members.add(email="after@example.org")
        assert len(net.members.find()) == 2


@pytest.mark.postgres
def test_a_connection_in_use_a_moment_ago_is_not_pinged(pg_url: str) -> None:
    with Network.open(pg_url, name="T", load_entrypoints=False) as net:
        net.members.add(email="ada@example.org")
        with sent_statements(net) as sent, ping_count(net) as pings:
            net.members.find_by_email("ada@example.org")
        assert pings == [] and len(sent) == 1


@contextmanager
def ping_count(net: Network) -> Iterator[list[Any]]:
    """The pings the network's engine sends inside the block."""
    storage = net.storage
    assert isinstance(storage, SQLStorage)
    dialect = storage.engine.dialect
    pings: list[Any] = []
    original = dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings.append(dbapi_connection)
        return original(dbapi_connection)

    dialect.do_ping = counted  # type: ignore[method-assign]
    try:
        yield pings
    finally:
        dialect.do_ping = original  # type: ignore[method-assign]


class KillInside:
    """Kills the change's own connection from outside, in the middle of the change."""

    def __init__(self, url: str, name: str) -> None:
        self.url, self.name = url, name

    @hookimpl
    def record_event(self, event: Event, transaction: Transaction) -> None:
        _kill_backends(self.url, self.name)


@pytest.mark.postgres
def test_a_connection_killed_inside_a_change_is_a_clear_error_and_writes_nothing(
    named_pg_url: tuple[str, str],
) -> None:
    url, name = named_pg_url
    killer = KillInside(url, name)
    with Network.open(url, name="T", plugins=[killer], load_entrypoints=False) as net:
        with pytest.raises(StorageError) as refused:
            net.members.add(email="lost@example.org")
        assert "storage" in str(refused.value)
        net.plugins.manager.unregister(killer)
        assert net.members.find_by_email("lost@example.org") is None
        net.members.add(email="kept@example.org")
        assert [m.email for m in net.members.find()] == ["kept@example.org"]


FULL_DISK = textwrap.dedent(
    """
    import resource, signal, sys
    from cpnetwork import Network
    from cpnetwork.model import Member
    from cpnetwork.errors import CpnetworkError

    path, limit = sys.argv[1], int(sys.argv[2])
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a full disk: writes fail, no signal
    net = Network.open(f"sqlite:///{path}", load_entrypoints=False)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    members = (Member(email=f"m{n}@example.org", given_name="x" * 200) for n in range(50_000))
    try:
        net.members.add_many(members)
    except CpnetworkError as exc:
        print(type(exc).__name__, exc)
        sys.exit(3)
    """
)


def test_a_disk_filling_up_mid_import_is_a_clear_error_and_loses_nothing(
    sqlite_path: Path,
) -> None:
    with Network.open(f"sqlite:///{sqlite_path}", name="T", load_entrypoints=False) as net:
        net.members.add_many(Member(email=f"kept{n}@example.org") for n in range(100))
    size = sum(p.stat().st_size for p in sqlite_path.parent.glob("network.db*"))
    run = subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(sqlite_path), str(size + 300_000)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 3, run.stdout + run.stderr
    assert run.stdout.startswith("StorageError"), run.stdout
    assert "full" in run.stdout or "disk" in run.stdout, run.stdout
    assert "savepoint" not in run.stdout
    with Network.open(f"sqlite:///{sqlite_path}", load_entrypoints=False) as net:
        assert len(net.members.find()) == 100
