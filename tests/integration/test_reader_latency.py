"""Readers never queue behind a bulk import, on SQLite and on PostgreSQL.

A subprocess adds 50,000 members with ``members.add_many`` (one transaction; 250,000
in ``make soak``) while this process keeps reading (``members.find``, ``members.get``,
a count); every read must answer in under half a second, before, during and after the
import's commit.  Set ``CPNETWORK_LATENCY_MEMBERS`` to import another number of members.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from cpnetwork import Network
from cpnetwork.model import Member

MEMBERS = int(os.environ.get("CPNETWORK_LATENCY_MEMBERS", "50000"))
#: The worst a single read may take while the import runs.
WORST_READ_SECONDS = 0.5
#: Between rounds of reads, as between requests: two cores are shared with the writer.
PAUSE_SECONDS = 0.01

WRITER = """
import random, sys, time
from datetime import UTC, datetime

from cpnetwork import Network
from cpnetwork.testing import synthetic

url, count = sys.argv[1], int(sys.argv[2])
rng = random.Random(2024)
orgs = synthetic.organizations(rng, 40)
members = synthetic.members(rng, count, orgs, joined=datetime(2024, 8, 1, tzinfo=UTC))
with Network.open(url, load_entrypoints=False) as net:
    net.organizations.add_many(orgs)
    print("importing", flush=True)
    started = time.perf_counter()
    net.members.add_many(members)
    print(f"imported in {time.perf_counter() - started:.1f} s", flush=True)
"""


def _timed(read: Callable[[], object], latencies: list[float]) -> None:
    started = time.perf_counter()
    read()
    latencies.append(time.perf_counter() - started)


def test_reads_stay_fast_while_a_big_import_runs(
    sql_url: str, record_property: Callable[[str, object], None]
) -> None:
    with Network.open(sql_url, name="Latency", load_entrypoints=False) as net:
        ada = net.members.add(email="ada@example.org", family_name="Lovelace", county="Alameda")

    with Network.open(sql_url, load_entrypoints=False) as net:

        def count() -> int:
            with net.storage.transaction(read_only=True) as tx:
                return tx.count(Member)[()]

        reads: list[Callable[[], object]] = [
            lambda: net.members.find({"county": "Alameda"}, limit=20),
            lambda: net.members.get(ada.id),
            lambda: net.members.find_by_email("ada@example.org"),
            count,
        ]
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, sql_url, str(MEMBERS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).parent,
        )
        try:
            assert writer.stdout is not None
            assert writer.stdout.readline().strip() == "importing"
            during: list[float] = []
            while writer.poll() is None:
                for read in reads:
                    _timed(read, during)
                time.sleep(PAUSE_SECONDS)
            after: list[float] = []
            for _ in range(5):
                for read in reads:
                    _timed(read, after)
            output, errors = writer.communicate(timeout=60)
        finally:
            if writer.poll() is None:
                writer.kill()
                writer.wait()
        assert writer.returncode == 0, errors
        assert count() == MEMBERS + 1

    worst = max(during + after)
    record_property("worst_read_seconds", worst)
    print(
        f"\n{sql_url.partition(':')[0]}: {len(during)} reads during the import "
        f"({output.strip()}), worst {worst * 1000:.0f} ms"
    )
    assert len(during) >= 20, "the import ended before the readers got going"
    assert worst < WORST_READ_SECONDS
