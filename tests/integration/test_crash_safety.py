"""A process killed in the middle of a bulk import leaves the database as it was.

A child process opens the network with a plugin whose ``record_event`` runs inside
the import's transaction: by the time it is called, ``members.add_many`` has written
every row, none committed.  Half-way through the events it tells the parent and
waits; the parent kills it with SIGKILL (no clean-up, no rollback from the client).
The database must then hold exactly what it held before, and open and take writes.
On SQLite the parent first checks that the uncommitted rows really reached the disk
(the write-ahead log grew), so recovery had something to discard.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
from multiprocessing.connection import Connection
from pathlib import Path

from cpnetwork.events import Event
from cpnetwork.hookspecs import hookimpl
from cpnetwork.model import EnrollmentPolicy, Member
from cpnetwork.network import Network
from cpnetwork.testing import snapshot

# The child forks from a clean server process (as in test_concurrency), not from pytest.
CONTEXT = multiprocessing.get_context("forkserver")
CONTEXT.set_forkserver_preload(["cpnetwork.network", "cpnetwork.storage.sql", "psycopg"])
#: Members in the import: enough rows (several MB) to spill out of SQLite's page cache.
IMPORTED = 20_000
#: Seconds to wait for the child to reach the middle of its import.
TIMEOUT = 120


class StopHalfWay:
    """On the n-th domain event, inside the transaction: tell the parent, then wait."""

    def __init__(self, at: int, signal_to: Connection) -> None:
        self.at = at
        self.signal_to = signal_to
        self.seen = 0

    @hookimpl
    def record_event(self, event: Event) -> None:
        self.seen += 1
        if self.seen == self.at:
            self.signal_to.send(self.seen)
            # Block until killed; the parent never answers.
            self.signal_to.recv()


def import_members(url: str, signal_to: Connection) -> None:
    """The child: a bulk import that a plugin stops half-way, inside its transaction."""
    stop = StopHalfWay(IMPORTED // 2, signal_to)
    with Network.open(url, load_entrypoints=False, plugins=[stop]) as net:
        net.members.add_many(
            Member(email=f"imported{n:05d}@example.org", county="19") for n in range(IMPORTED)
        )
    # Only reached when the import emitted too few events for the plugin to stop it.
    signal_to.send(f"committed after {stop.seen} events")


def _existing_network(url: str) -> None:
    with Network.open(url, name="Before the crash", load_entrypoints=False) as net:
        net.members.add_many(Member(email=f"kept{n}@example.org", county="01") for n in range(25))
        program = net.programs.create(
            title="Academy", program_year=2024, policy=EnrollmentPolicy(capacity=10)
        )
        for member in net.members.find(limit=5):
            net.enrollment.register(program.id, member.id)


def _wal_size(url: str) -> int:
    wal = Path(f"{url.removeprefix('sqlite:///')}-wal")
    return wal.stat().st_size if wal.exists() else 0


def test_a_bulk_import_killed_half_way_changes_nothing(sql_url: str) -> None:
    _existing_network(sql_url)
    with Network.open(sql_url, load_entrypoints=False) as net:
        before = snapshot(net)
    wal_before = _wal_size(sql_url)

    parent_end, child_end = CONTEXT.Pipe()
    child = CONTEXT.Process(target=import_members, args=(sql_url, child_end), name="importer")
    child.start()
    try:
        assert parent_end.poll(TIMEOUT), "the import never reached its middle"
        assert parent_end.recv() == IMPORTED // 2, "the import was not stopped half-way"
        if sql_url.startswith("sqlite"):
            assert _wal_size(sql_url) > wal_before + 1_000_000, "nothing reached the disk"
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.join(TIMEOUT)
        if child.is_alive():
            child.kill()
    assert child.exitcode == -signal.SIGKILL

    with Network.open(sql_url, load_entrypoints=False) as net:
        assert snapshot(net) == before
        assert net.profile.name == "Before the crash"
        added = net.members.add(email="after@example.org")
        assert net.members.get(added.id) == added
        assert len(net.members.find()) == 26
    if sql_url.startswith("sqlite"):
        with sqlite3.connect(sql_url.removeprefix("sqlite:///")) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
