"""Bulk import through the public API against plain driver code, on SQLite and PostgreSQL.

What runs (full scale: 100,000 members and 1,000,000 attendance rows; ``--scale``
shrinks both):

1. A seeded synthetic statewide network is built in memory (not timed on either
   side): members, organizations, programs, sessions, and the attendance rows as
   ``(session_id, member_id, status, minutes, source)`` tuples.
2. **Library**: a fresh SQLite file opened with ``Network.open``; organizations,
   programs and sessions written first (not timed); then timed, each call end to
   end (validation, lookups, row conversion, writes, commit, event delivery):
   ``network.members.add_many(members)`` and ``network.attendance.record_many(rows)``.
3. **Baseline**: a fresh SQLite file with the same pragmas (WAL, synchronous=NORMAL)
   and the very same ``members`` and ``attendance`` tables, copied from the library's
   schema (same columns, primary keys, unique constraints and indexes).  Timed:
   converting the same records to tuples by hand (JSON text, UTC ISO datetimes) and
   ``BEGIN IMMEDIATE``; ``executemany``; ``COMMIT`` with :mod:`sqlite3`.  The baseline
   validates nothing, looks nothing up and emits no events; its attendance rows
   keep the synthetic ids, while the library makes its own.
4. The same against PostgreSQL, each side in a schema of its own: the library
   through ``Network.open("postgresql://...")``; the baseline converting the same
   records and loading them with psycopg 3 ``COPY ... FROM STDIN`` into the same
   tables (built from the library's table definitions).  Skipped, with a message,
   when the server cannot be reached.

5. **Floor**: the same attendance rows, converted, with plain ``executemany`` (COPY on
   PostgreSQL) into a table of the same columns with no key and no index: what writing
   the bytes costs, below which no import can go.
6. **Streaming**: the library's attendance import again, on a fresh database, from a
   generator with ``record_many(rows, keep=False)``; the memory it adds over the
   resident set at its start must stay under 100 MiB.

The rows written by both sides are compared afterwards (members in full;
attendance without the ids and the recording instant, which only the library sets).
Memory is the peak resident set during each step (``VmHWM``, reset before it), next to
the resident set when it began.  The summary gives each ratio against the 1.25x target.

Run ``python benchmarks/bench_bulk_import.py --scale 0.01`` for a quick look.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date
from itertools import zip_longest
from pathlib import Path
from typing import Any

from cpnetwork import Network
from cpnetwork.model import Attendance, AttendanceSource, AttendanceStatus, Member
from cpnetwork.storage.sql_types import zone_text
from cpnetwork.testing.synthetic import SyntheticNetwork, synthetic_network

FULL_MEMBERS = 100_000
FULL_ATTENDANCE = 1_000_000
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
POSTGRES_ENV = ("CPNETWORK_BENCH_POSTGRES_URL", "CPNETWORK_TEST_POSTGRES_URL")

AttendanceTuple = tuple[str, str, AttendanceStatus, int | None, AttendanceSource]


# -- measuring ------------------------------------------------------------------------
def peak_mib() -> float:
    """The process's peak resident set so far, in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _status_mib(name: str) -> float | None:
    """``VmRSS`` / ``VmHWM`` from /proc/self/status in MiB (Linux only)."""
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith(f"{name}:"):
            return int(line.split()[1]) / 1024
    return None


def reset_step_peak() -> bool:
    """Start a new peak (``VmHWM``) for the next step; False where Linux cannot."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return _status_mib("VmHWM") is not None


class Report:
    """Timings and memory by step, printed as they come and kept for the summary.

    Memory is the peak resident set during the step (Linux: ``VmHWM``, reset before
    each step), next to the resident set when the step began; elsewhere the process's
    peak so far (``ru_maxrss``).
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.peaks: dict[str, float] = {}
        #: Peak resident set added during the step, over the resident set at its start.
        self.added: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        per_step = reset_step_peak()
        before = _status_mib("VmRSS")
        start = time.perf_counter()
        yield
        elapsed = time.perf_counter() - start
        self.seconds[name] = min(elapsed, self.seconds.get(name, elapsed))
        peak = _status_mib("VmHWM") if per_step else None
        if peak is not None and before is not None:
            self.peaks[name] = peak
            self.added[name] = max(peak - before, 0.0)
            memory = f"peak RSS {peak:7.0f} MiB (+{max(peak - before, 0):5.0f} over the start)"
        else:
            self.peaks[name] = peak_mib()
            memory = f"peak RSS so far {self.peaks[name]:7.0f} MiB"
        print(f"  {name:<52} {elapsed:8.2f} s   {memory}", flush=True)

    def ratio(self, library: str, baseline: Sequence[str]) -> str:
        if library not in self.seconds or not all(b in self.seconds for b in baseline):
            return "n/a"
        base = sum(self.seconds[b] for b in baseline)
        return f"{self.seconds[library] / base:.2f}x" if base > 0 else "n/a"


# -- the data ---------------------------------------------------------------------------
def build(scale: float, report: Report) -> tuple[SyntheticNetwork, list[AttendanceTuple]]:
    members = max(20, round(FULL_MEMBERS * scale))
    attendance = max(50, round(FULL_ATTENDANCE * scale))
    with report.step(f"build {members:,} members, {attendance:,} attendance rows"):
        network = synthetic_network(members_count=members, attendance_count=attendance)
        rows = [
            (a.session_id, a.member_id, a.status, a.minutes, a.source) for a in network.attendance
        ]
    if len(rows) < attendance:
        print(f"  (the synthetic network offers {len(rows):,} attendance rows)")
    return network, rows


# -- the library ----------------------------------------------------------------------
def library_run(
    url: str, data: SyntheticNetwork, rows: list[AttendanceTuple], report: Report, label: str
) -> None:
    with Network.open(url, load_entrypoints=False) as network:
        network.organizations.add_many(data.organizations)
        with network.storage.transaction() as tx:
            tx.insert_many([*data.programs, *data.sessions])
        with report.step(f"{label} library members.add_many"):
            network.members.add_many(data.members)
        with report.step(f"{label} library attendance.record_many"):
            network.attendance.record_many(rows, keep=False)


def library_stream(url: str, data: SyntheticNetwork, report: Report, label: str) -> None:
    """The attendance import again, from a generator, for the memory it adds."""
    with Network.open(url, load_entrypoints=False) as network:
        network.organizations.add_many(data.organizations)
        with network.storage.transaction() as tx:
            tx.insert_many([*data.programs, *data.sessions])
        network.members.add_many(data.members)
        rows = ((a.session_id, a.member_id, a.status, a.minutes, a.source) for a in data.attendance)
        with report.step(f"{label} library record_many(generator)"):
            network.attendance.record_many(rows, keep=False)


# -- hand-written conversion for the baselines -----------------------------------------
def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def member_values(member: Member, *, text_json: bool = True) -> tuple[Any, ...]:
    """A member as the library stores it, converted by hand."""
    affiliations = [
        {
            "organization_id": a.organization_id,
            "title": a.title,
            "start": _day(a.start),
            "end": _day(a.end),
            "primary": a.primary,
        }
        for a in member.affiliations
    ]
    reach = {
        "teachers_supported": member.reach.teachers_supported,
        "students_reached": member.reach.students_reached,
    }
    return (
        member.id,
        member.email,
        member.given_name,
        member.family_name,
        json.dumps(sorted(r.value for r in member.roles)),
        json.dumps(sorted(g.value for g in member.grade_bands)),
        json.dumps(affiliations),
        member.county,
        _day(member.joined) if text_json else member.joined,
        json.dumps(reach),
        member.equity_focus.value,
        member.consents_to_updates,
        json.dumps(member.custom),
        json.dumps(sorted(c.value for c in member.opted_out)),
        None,  # erased_at
        None,  # erased_at_tz
    )


#: The attendance table's columns, in the order :func:`attendance_values` gives them.
ATTENDANCE_COLUMNS = (
    "id",
    "session_id",
    "member_id",
    "program_id",
    "status",
    "minutes",
    "source",
    "recorded_at",
    "recorded_at_tz",
)


#: PostgreSQL types of the floor table's columns that are not text.
FLOOR_TYPES = {"minutes": "integer", "recorded_at": "timestamptz"}


def attendance_values(record: Attendance, *, utc_text: bool = True) -> tuple[Any, ...]:
    moment = record.recorded_at.astimezone(UTC)
    return (
        record.id,
        record.session_id,
        record.member_id,
        record.program_id,
        record.status.value,
        record.minutes,
        record.source.value,
        moment.isoformat(timespec="microseconds") if utc_text else moment,
        zone_text(record.recorded_at),  # the recorded_at_tz column: the zone it was given in
    )


# -- SQLite ---------------------------------------------------------------------------
def sqlite_connect(path: Path) -> sqlite3.Connection:
    """Plain sqlite3 with the library's pragmas (see cpnetwork.storage.sql_engine)."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute("PRAGMA synchronous=NORMAL")
    return connection


def sqlite_schema(library_file: Path, tables: Sequence[str]) -> list[str]:
    """CREATE statements of these tables and their indexes, as the library made them."""
    connection = sqlite3.connect(library_file)
    marks = ", ".join("?" * len(tables))
    found = connection.execute(
        f"SELECT sql FROM sqlite_master WHERE tbl_name IN ({marks}) AND sql IS NOT NULL "
        "ORDER BY type DESC",  # tables before indexes
        list(tables),
    ).fetchall()
    connection.close()
    return [sql for (sql,) in found]


def sqlite_baseline(path: Path, schema: list[str], data: SyntheticNetwork, report: Report) -> None:
    connection = sqlite_connect(path)
    for statement in schema:
        connection.execute(statement)

    def load(table: str, values: Callable[[Any], tuple[Any, ...]], records: list[Any]) -> None:
        with report.step(f"sqlite baseline {table}: convert"):
            rows = [values(record) for record in records]
        marks = ", ".join("?" * len(rows[0]))
        with report.step(f"sqlite baseline {table}: executemany"):
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
            connection.execute("COMMIT")

    load("members", member_values, data.members)
    load("attendance", attendance_values, data.attendance)
    floor = [attendance_values(record) for record in data.attendance]
    columns = ", ".join(ATTENDANCE_COLUMNS)
    connection.execute(f"CREATE TABLE attendance_floor ({columns})")
    marks = ", ".join("?" * len(ATTENDANCE_COLUMNS))
    with report.step("sqlite floor attendance: executemany, no index"):
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(f"INSERT INTO attendance_floor VALUES ({marks})", floor)
        connection.execute("COMMIT")
    connection.close()


def _same(left: Iterator[Any], right: Iterator[Any]) -> bool:
    """Whether two row streams are equal, compared a batch at a time."""
    sentinel = object()
    return all(a == b for a, b in zip_longest(left, right, fillvalue=sentinel))


SAME_ROW_QUERIES = (
    "SELECT * FROM {schema}members ORDER BY id",
    "SELECT session_id, member_id, program_id, status, minutes, source "
    "FROM {schema}attendance ORDER BY session_id, member_id",
)


def sqlite_same_rows(library_file: Path, baseline_file: Path) -> bool:
    library, baseline = sqlite3.connect(library_file), sqlite3.connect(baseline_file)
    queries = [q.format(schema="") for q in SAME_ROW_QUERIES]
    same = all(_same(library.execute(q), baseline.execute(q)) for q in queries)
    library.close()
    baseline.close()
    return same


def run_sqlite(data: SyntheticNetwork, rows: list[AttendanceTuple], report: Report) -> None:
    print("SQLite")
    with tempfile.TemporaryDirectory(prefix="cpnetwork-bench-") as folder:
        library_file = Path(folder) / "library.db"
        baseline_file = Path(folder) / "baseline.db"
        library_run(f"sqlite:///{library_file}", data, rows, report, "sqlite")
        schema = sqlite_schema(library_file, ("members", "attendance"))
        sqlite_baseline(baseline_file, schema, data, report)
        print(f"  same rows on both sides: {sqlite_same_rows(library_file, baseline_file)}")
        library_stream(f"sqlite:///{Path(folder) / 'stream.db'}", data, report, "sqlite")


# -- PostgreSQL -------------------------------------------------------------------------
def postgres_url(given: str | None) -> str:
    if given:
        return given
    return next((os.environ[n] for n in POSTGRES_ENV if os.environ.get(n)), DEFAULT_POSTGRES_URL)


def _conninfo(url: str) -> str:
    """A libpq URL for psycopg (``postgresql+psycopg://`` is SQLAlchemy's spelling)."""
    scheme, _, rest = url.partition("://")
    return f"postgresql://{rest}" if scheme.startswith("postgres") else url


def _with_schema(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


def postgres_baseline(url: str, data: SyntheticNetwork, report: Report) -> None:
    import psycopg
    import sqlalchemy as sa

    from cpnetwork.storage.kinds import CORE_KINDS
    from cpnetwork.storage.sql_engine import engine_url
    from cpnetwork.storage.sql_schema import build_table

    engine = sa.create_engine(engine_url(url))
    metadata = sa.MetaData()
    tables = {
        k.name: build_table(k, metadata) for k in CORE_KINDS if k.name in ("members", "attendance")
    }
    metadata.create_all(engine, tables=list(tables.values()))
    engine.dispose()
    with psycopg.connect(_conninfo(url)) as connection:

        def load(table: str, values: Callable[[Any], tuple[Any, ...]], records: list[Any]) -> None:
            with report.step(f"postgres baseline {table}: convert"):
                converted = [values(record) for record in records]
            columns = ", ".join(f'"{c.name}"' for c in tables[table].columns)
            with report.step(f"postgres baseline {table}: COPY"):
                with (
                    connection.cursor() as cursor,
                    cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
                ):
                    for row in converted:
                        copy.write_row(row)
                connection.commit()

        load("members", lambda m: member_values(m, text_json=False), data.members)
        load("attendance", lambda a: attendance_values(a, utc_text=False), data.attendance)
        floor = [attendance_values(a, utc_text=False) for a in data.attendance]
        columns = ", ".join(ATTENDANCE_COLUMNS)
        types = ", ".join(f"{name} {FLOOR_TYPES.get(name, 'text')}" for name in ATTENDANCE_COLUMNS)
        connection.execute(f"CREATE TABLE attendance_floor ({types})")
        connection.commit()
        with report.step("postgres floor attendance: COPY, no index"):
            with (
                connection.cursor() as cursor,
                cursor.copy(f"COPY attendance_floor ({columns}) FROM STDIN") as copy,
            ):
                for row in floor:
                    copy.write_row(row)
            connection.commit()


def postgres_same_rows(url: str, library: str, baseline: str) -> bool:
    import psycopg

    with psycopg.connect(_conninfo(url)) as left, psycopg.connect(_conninfo(url)) as right:
        for query in SAME_ROW_QUERIES:
            with (
                left.cursor(name="library_rows") as mine,
                right.cursor(name="baseline_rows") as theirs,
            ):
                mine.itersize = theirs.itersize = 20_000
                mine.execute(query.format(schema=f'"{library}".'))
                theirs.execute(query.format(schema=f'"{baseline}".'))
                if not _same(iter(mine), iter(theirs)):
                    return False
    return True


def run_postgres(
    url: str, data: SyntheticNetwork, rows: list[AttendanceTuple], report: Report
) -> None:
    print(f"PostgreSQL ({url})")
    try:
        import psycopg

        admin = psycopg.connect(_conninfo(url), autocommit=True, connect_timeout=3)
    except Exception as exc:  # any failure to connect means "skip"
        print(f"  skipped: PostgreSQL is unreachable ({type(exc).__name__}: {exc})".rstrip())
        return
    tag = uuid.uuid4().hex[:10]
    library, baseline = f"cpnetwork_bench_lib_{tag}", f"cpnetwork_bench_base_{tag}"
    stream = f"cpnetwork_bench_stream_{tag}"
    try:
        for schema in (library, baseline, stream):
            admin.execute(f'CREATE SCHEMA "{schema}"')
        library_run(_with_schema(url, library), data, rows, report, "postgres")
        postgres_baseline(_with_schema(url, baseline), data, report)
        print(f"  same rows on both sides: {postgres_same_rows(url, library, baseline)}")
        library_stream(_with_schema(url, stream), data, report, "postgres")
    finally:
        for schema in (library, baseline, stream):
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.close()


# -- summary ----------------------------------------------------------------------------
#: What the library may cost over hand-written driver code doing the same work.
TARGET_RATIO = 1.25
#: The memory a streamed import of any size may add.
TARGET_ADDED_MIB = 100


def summary(report: Report, repeat: int) -> None:
    print(f"Summary (ratio = library time / baseline time; the target is {TARGET_RATIO}x)")
    if repeat > 1:
        print(f"  (the fastest of {repeat} runs of each step)")
    for dialect, verb in (("sqlite", "executemany"), ("postgres", "COPY")):
        for table, call in (
            ("members", "members.add_many"),
            ("attendance", "attendance.record_many"),
        ):
            library = f"{dialect} library {call}"
            if library not in report.seconds:
                continue
            convert = f"{dialect} baseline {table}: convert"
            write = f"{dialect} baseline {table}: {verb}"
            total = sum(report.seconds.get(s, 0.0) for s in (convert, write))
            ratio = report.seconds[library] / total if total else float("nan")
            verdict = "ok" if ratio <= TARGET_RATIO else "OVER TARGET"
            print(
                f"  {dialect:<8} {table:<10} library {report.seconds[library]:8.2f} s | "
                f"baseline {total:8.2f} s (convert {report.seconds.get(convert, 0):.2f} + "
                f"{verb} {report.seconds.get(write, 0):.2f}) | "
                f"ratio {ratio:.2f}x {verdict} "
                f"({report.ratio(library, [write])} of {verb} alone)"
            )
        floor = next((n for n in report.seconds if n.startswith(f"{dialect} floor")), None)
        library = f"{dialect} library attendance.record_many"
        if floor is not None and library in report.seconds:
            print(
                f"  {dialect:<8} attendance against the floor ({floor.split(': ', 1)[1]}, "
                f"{report.seconds[floor]:.2f} s): {report.ratio(library, [floor])}"
            )
        stream = f"{dialect} library record_many(generator)"
        if stream in report.added:
            added = report.added[stream]
            verdict = "ok" if added < TARGET_ADDED_MIB else "OVER TARGET"
            print(
                f"  {dialect:<8} attendance from a generator: {report.seconds[stream]:.2f} s, "
                f"peak memory added {added:.0f} MiB (target under {TARGET_ADDED_MIB}) {verdict}"
            )
    # Resetting VmHWM per step resets ru_maxrss too: the run's peak is the steps' largest.
    whole = max([peak_mib(), *report.peaks.values()])
    print(f"  peak RSS of the whole run: {whole:.0f} MiB (the records built up front included)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of full size")
    parser.add_argument("--postgres-url", help=f"default: ${POSTGRES_ENV[0]}, ${POSTGRES_ENV[1]}")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run both sides this many times, on fresh databases; the summary keeps the fastest",
    )
    options = parser.parse_args(argv)
    if options.scale <= 0:
        parser.error("--scale must be positive")
    if options.repeat < 1:
        parser.error("--repeat must be at least 1")
    report = Report()
    print(f"Bulk import benchmark at scale {options.scale:g}")
    data, rows = build(options.scale, report)
    for attempt in range(1, options.repeat + 1):
        if options.repeat > 1:
            print(f"Run {attempt} of {options.repeat}")
        if not options.no_sqlite:
            run_sqlite(data, rows, report)
        if not options.no_postgres:
            run_postgres(postgres_url(options.postgres_url), data, rows, report)
    summary(report, options.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
