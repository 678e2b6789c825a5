"""Every built-in report on a big synthetic network, against hand-written SQL.

What runs (full scale: 100,000 members, 5,000 sessions, 1,000,000 attendance rows;
``--scale`` shrinks all three):

1. A seeded synthetic statewide network (``cpnetwork.testing.synthetic``) is written
   straight through the store's bulk path (``Transaction.insert_many``, a generator:
   the attendance rows are never all in memory), on a fresh SQLite file and in a fresh
   PostgreSQL schema.  Not timed as part of any report.
2. **Library**: each built-in report, ``network.reports.run(name)`` end to end (filters
   checked, every grouped count, rows built; the catalog for program year 2024), run
   twice, the faster kept; with the peak resident memory the run adds (``VmHWM`` reset
   before it, over ``VmRSS`` at its start).  The synthetic network has no surveys,
   milestones or materials: those reports time their queries over empty tables.
3. **Hand-written SQL** (``sqlite3`` / psycopg 3) for the same numbers the reach and
   attendance reports give, on the same database, in the same run:

   - reach: one grouped query for members, leaders, teachers and students by county
     (JSON functions of each database), one for members by role;
   - attendance: records by session and status (one pass), enrollments by program and
     status, and the sessions (id, program, title, start, cancelled), folding the
     records into programs and months in Python, as the library does.

   Both sides' totals are compared (``same numbers: True``).  The summary gives the
   ratio (library / hand-written; target at most 1.5x) and the memory each report added
   (target under 150 MiB).

Run ``python benchmarks/bench_reports.py --scale 0.01`` for a quick look.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench_bulk_import import Report, _conninfo, _with_schema, postgres_url

from cpnetwork import Network
from cpnetwork.model import Attendance, Member, Session
from cpnetwork.reports.reach import LEADER_ROLES
from cpnetwork.testing import synthetic

FULL_MEMBERS = 100_000
FULL_SESSIONS = 5_000
FULL_ATTENDANCE = 1_000_000
SESSIONS_EACH = 10
TARGET_RATIO = 1.5
TARGET_ADDED_MIB = 150

LEADERS = [role.value for role in LEADER_ROLES]
COMPLETION = ["enrolled", "completed", "incomplete"]


def plugins() -> list[object]:
    """The California plugin, for county coverage, when installed."""
    try:
        import cpnetwork_california
    except ImportError:
        return []
    return [cpnetwork_california]


def records(scale: float) -> Iterator[Any]:
    """The synthetic network's records, made as they are written (same seed, same data)."""
    members_count = max(50, round(FULL_MEMBERS * scale))
    programs_count = max(1, round(FULL_SESSIONS * scale) // SESSIONS_EACH)
    attendance_count = max(100, round(FULL_ATTENDANCE * scale))
    rng = random.Random(2024)
    joined = datetime(2023, 8, 1, tzinfo=UTC)
    orgs = synthetic.organizations(rng, max(1, members_count // 25))
    yield from orgs
    people = synthetic.members(rng, members_count, orgs, joined=joined)
    yield from people
    programs, sessions = synthetic.programs_with_sessions(
        rng, programs_count, SESSIONS_EACH, year=2024
    )
    yield from programs
    yield from sessions
    enrolled = synthetic.enrollments(rng, people, programs, at=joined + timedelta(days=365))
    del people
    yield from enrolled
    yield from synthetic.attendance_rows(
        rng, enrolled, sessions, attendance_count, at=joined + timedelta(days=400)
    )


def build(url: str, scale: float, report: Report, label: str) -> dict[str, int]:
    with Network.open(url, load_entrypoints=False, plugins=plugins()) as network:
        with report.step(f"{label} build (bulk insert)"), network.storage.transaction() as tx:
            tx.insert_many(records(scale))
        with network.storage.transaction(read_only=True) as tx:
            sizes = {
                "members": tx.count(Member)[()],
                "sessions": tx.count(Session)[()],
                "attendance": tx.count(Attendance)[()],
            }
    print(f"  {label}: {sizes['members']:,} members, {sizes['sessions']:,} sessions, "
          f"{sizes['attendance']:,} attendance rows")  # fmt: skip
    return sizes


def library(url: str, report: Report, label: str) -> dict[str, Any]:
    """Every built-in report twice; the totals of reach and attendance for the check."""
    totals: dict[str, Any] = {}
    with Network.open(url, load_entrypoints=False, plugins=plugins()) as network:
        for name in network.reports.names():
            # The catalog shows one program year: the synthetic one, not today's.
            filters = {"year": 2024} if name == "catalog" else {}
            for _ in range(2):
                with report.step(f"{label} report {name}"):
                    result = network.reports.run(name, **filters)
            if name == "reach":
                summary = result.section("summary").rows[0]
                roles = {r.role: r.members for r in result.section("by_role").rows}
                totals["reach"] = (summary.members, summary.leaders,
                                   summary.teachers_supported, summary.students_reached,
                                   sum(roles.values()))  # fmt: skip
            if name == "attendance":
                programs = result.section("by_program").rows
                months = result.section("by_month").rows
                totals["attendance"] = (
                    sum(p.attended for p in programs),
                    sum(p.recorded for p in programs),
                    sum(p.enrolled for p in programs),
                    sum(m.recorded for m in months),
                    len(result.section("by_session").rows),
                )
    return totals


def _timed(report: Report, name: str, run: Callable[[], Any]) -> Any:
    answer = None
    for _ in range(2):
        with report.step(name):
            answer = run()
    return answer


# -- hand-written SQL ----------------------------------------------------------------------
SQLITE_REACH = f"""
SELECT county, COUNT(*),
       SUM(EXISTS (SELECT 1 FROM json_each(members.roles)
                   WHERE value IN ({", ".join(f"'{r}'" for r in LEADERS)}))),
       SUM(json_extract(reach, '$.teachers_supported')),
       SUM(json_extract(reach, '$.students_reached'))
FROM members GROUP BY county
"""
SQLITE_ROLES = """
SELECT j.value, COUNT(*) FROM members LEFT JOIN json_each(members.roles) AS j GROUP BY j.value
"""
POSTGRES_REACH = f"""
SELECT county, COUNT(*),
       COUNT(*) FILTER (WHERE roles ?| ARRAY[{", ".join(f"'{r}'" for r in LEADERS)}]),
       SUM((reach->>'teachers_supported')::bigint),
       SUM((reach->>'students_reached')::bigint)
FROM members GROUP BY county
"""
POSTGRES_ROLES = """
SELECT j.value, COUNT(*) FROM members
LEFT JOIN LATERAL jsonb_array_elements_text(members.roles) AS j(value) ON true GROUP BY j.value
"""
ATTENDANCE_QUERIES = (
    "SELECT session_id, status, COUNT(*) FROM attendance GROUP BY session_id, status",
    "SELECT program_id, status, COUNT(*) FROM enrollments WHERE status IN "
    f"({', '.join(repr(s) for s in COMPLETION)}) GROUP BY program_id, status",
)
SESSIONS = "SELECT id, program_id, title, start, cancelled FROM sessions ORDER BY start"


def reach_totals(by_county: list[Any], by_role: list[Any]) -> tuple[int, ...]:
    return (
        sum(r[1] for r in by_county),
        sum(int(r[2] or 0) for r in by_county),
        sum(int(r[3] or 0) for r in by_county),
        sum(int(r[4] or 0) for r in by_county),
        sum(r[1] for r in by_role),
    )


def attendance_totals(
    execute: Callable[[str], list[Any]], month: Callable[[Any], str]
) -> tuple[int, ...]:
    """The attendance numbers: one pass over the records, folded by session."""
    per_session, enrollments = (execute(q) for q in ATTENDANCE_QUERIES)
    sessions = execute(SESSIONS)
    program_of = {row[0]: row[1] for row in sessions}
    month_of = {row[0]: month(row[3]) for row in sessions if not row[4]}
    per_program: dict[str, list[int]] = {}
    by_month: dict[str, int] = {}
    for session_id, status, n in per_session:
        tally = per_program.setdefault(program_of[session_id], [0, 0])
        tally[0] += n if status in ("present", "partial") else 0
        tally[1] += n
        if session_id in month_of:
            by_month[month_of[session_id]] = by_month.get(month_of[session_id], 0) + n
    return (
        sum(t[0] for t in per_program.values()),
        sum(t[1] for t in per_program.values()),
        sum(n for _, _, n in enrollments),
        sum(by_month.values()),
        len(month_of),
    )


def _la_month(value: Any) -> str:
    instant = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(ZoneInfo("America/Los_Angeles")).strftime("%Y-%m")


def sqlite_hand(path: Path, report: Report) -> dict[str, Any]:
    connection = sqlite3.connect(path)
    try:

        def execute(query: str) -> list[Any]:
            return connection.execute(query).fetchall()

        reach = _timed(report, "sqlite hand-written reach", lambda: reach_totals(
            execute(SQLITE_REACH), execute(SQLITE_ROLES)))  # fmt: skip
        attendance = _timed(report, "sqlite hand-written attendance",
                            lambda: attendance_totals(execute, _la_month))  # fmt: skip
    finally:
        connection.close()
    return {"reach": reach, "attendance": attendance}


def postgres_hand(url: str, report: Report) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(_conninfo(url)) as connection:

        def execute(query: str) -> list[Any]:
            return connection.execute(query).fetchall()  # type: ignore[arg-type]

        reach = _timed(report, "postgres hand-written reach", lambda: reach_totals(
            execute(POSTGRES_REACH), execute(POSTGRES_ROLES)))  # fmt: skip
        attendance = _timed(report, "postgres hand-written attendance",
                            lambda: attendance_totals(execute, _la_month))  # fmt: skip
    return {"reach": reach, "attendance": attendance}


def compare(label: str, ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    for name in ("reach", "attendance"):
        same = _loose(ours[name], theirs[name])
        print(f"  {label} {name}: same numbers: {same} (library {ours[name]}, "
              f"hand-written {theirs[name]})")  # fmt: skip


def _loose(ours: Sequence[Any], theirs: Sequence[Any]) -> bool:
    """Equal once unknown sums (None: nobody reported) read as 0."""
    return [x or 0 for x in ours] == [x or 0 for x in theirs]


def run_sqlite(scale: float, report: Report) -> None:
    print("SQLite")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "reports.db"
        url = f"sqlite:///{path}"
        build(url, scale, report, "sqlite")
        ours = library(url, report, "sqlite")
        theirs = sqlite_hand(path, report)
        compare("sqlite", ours, theirs)


def run_postgres(url: str, scale: float, report: Report) -> None:
    print(f"PostgreSQL ({url})")
    try:
        import psycopg

        admin = psycopg.connect(_conninfo(url), autocommit=True, connect_timeout=3)
    except Exception as exc:  # any failure to connect means "skip"
        print(f"  skipped: PostgreSQL is unreachable ({type(exc).__name__}: {exc})".rstrip())
        return
    schema = f"cpnetwork_bench_reports_{uuid.uuid4().hex[:10]}"
    try:
        admin.execute(f'CREATE SCHEMA "{schema}"')
        scoped = _with_schema(url, schema)
        build(scoped, scale, report, "postgres")
        ours = library(scoped, report, "postgres")
        theirs = postgres_hand(scoped, report)
        compare("postgres", ours, theirs)
    finally:
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.close()


def summary(report: Report) -> None:
    print(f"Summary (ratio = library / hand-written, target {TARGET_RATIO}x; "
          f"memory added, target {TARGET_ADDED_MIB} MiB)")  # fmt: skip
    for dialect in ("sqlite", "postgres"):
        for name in ("reach", "attendance"):
            library_step = f"{dialect} report {name}"
            if library_step not in report.seconds:
                continue
            ratio = report.ratio(library_step, [f"{dialect} hand-written {name}"])
            added = report.added.get(library_step)
            shown = f"+{added:.0f} MiB" if added is not None else "n/a"
            print(f"  {dialect:<8} {name:<10} {report.seconds[library_step]:7.2f} s  "
                  f"ratio {ratio:>6}  memory {shown}")  # fmt: skip
        others = sorted(
            (step, seconds)
            for step, seconds in report.seconds.items()
            if step.startswith(f"{dialect} report ")
        )
        for step, seconds in others:
            added = report.added.get(step)
            shown = f"+{added:.0f} MiB" if added is not None else "n/a"
            print(f"    {step:<34} {seconds:7.2f} s  memory {shown}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of full size")
    parser.add_argument("--postgres-url", help="default: $CPNETWORK_BENCH_POSTGRES_URL, ...")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    options = parser.parse_args(argv)
    if options.scale <= 0:
        parser.error("--scale must be positive")
    report = Report()
    print(f"Reports benchmark at scale {options.scale:g}")
    if not options.no_sqlite:
        run_sqlite(options.scale, report)
    if not options.no_postgres:
        run_postgres(postgres_url(options.postgres_url), options.scale, report)
    summary(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
