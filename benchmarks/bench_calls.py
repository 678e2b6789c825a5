"""Per-call cost: the calls an application makes most, against hand-written driver code.

An application embedding the library calls it once per click: a registration form, a
review page, a check-in at the door.  For each call below, on SQLite and PostgreSQL,
this runs the library call and plain driver code (``sqlite3`` / psycopg 3) doing the
same logical work on the same tables, in one run, and prints per call: microseconds
for each, their ratio, and how many statements the library sent (counted with
SQLAlchemy's ``before_cursor_execute``; the baseline's are listed in its code).

The hand-written side locks, reads and writes what the rule needs and nothing more:

==========================  =================================================================
call                        hand-written work (in one transaction where it writes)
==========================  =================================================================
members.get                 SELECT the member by id
find by email               SELECT the member by email
members.add                 INSERT the member
enrollment.apply            lock the program; SELECT it; INSERT the enrollment and its history
register (seat free)        lock; SELECT the program; count seats; INSERT enrollment, history
register (waitlisted)       lock; SELECT; count seats; count the line; INSERT enrollment, history
accept                      SELECT the enrollment; lock; SELECT the program; count seats;
                            UPDATE the enrollment; count its steps; INSERT history
withdraw, seat offered on   SELECT the enrollment; lock; UPDATE it; INSERT history; SELECT the
                            next waitlisted; UPDATE it to offered; INSERT its history
attendance.record           SELECT the session; SELECT the member; SELECT an earlier record;
                            INSERT the record
sessions.find               SELECT a program's sessions, by start
seats_left                  SELECT the program's capacity; count seats
history                     SELECT an enrollment's steps, in order
==========================  =================================================================

Targets (issue 12): writes within 3x, reads within 5x.  Run
``python benchmarks/bench_calls.py --calls 200`` for a quick look.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Any

from cpnetwork import Network
from cpnetwork.model import EnrollmentPolicy, Member, new_id
from cpnetwork.testing.statements import sent_statements

MEMBERS = 4_000
WRITE_TARGET = 3.0
READ_TARGET = 5.0
POSTGRES_ENV = ("CPNETWORK_BENCH_POSTGRES_URL", "CPNETWORK_TEST_POSTGRES_URL")
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
SEATS = ("accepted", "completed", "enrolled", "incomplete", "offered")


# -- the driver side ----------------------------------------------------------------------
class Driver:
    """Plain DB-API calls on one connection, with the store's value conventions."""

    def __init__(self, connection: Any, dialect: str) -> None:
        self.connection = connection
        self.dialect = dialect

    def sql(self, statement: str) -> str:
        return statement if self.dialect == "sqlite" else statement.replace("?", "%s")

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Any:
        return self.connection.execute(self.sql(statement), params)

    def moment(self, value: datetime) -> Any:
        """An instant as the store keeps it: UTC ISO text on SQLite, timestamptz on PG."""
        instant = value.astimezone(UTC)
        return instant.isoformat(timespec="microseconds") if self.dialect == "sqlite" else instant

    def json(self, value: Any) -> Any:
        if self.dialect == "sqlite":
            return json.dumps(value)
        from psycopg.types.json import Jsonb

        return Jsonb(value)

    @contextmanager
    def writing(self) -> Iterator[None]:
        if self.dialect == "sqlite":
            self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.connection.rollback() if self.dialect != "sqlite" else self.connection.execute(
                "ROLLBACK"
            )
            raise
        if self.dialect == "sqlite":
            self.connection.execute("COMMIT")
        else:
            self.connection.commit()

    def lock_program(self, program_id: str) -> tuple[Any, ...]:
        """Lock the program (SQLite: the write lock already held) and read its capacity."""
        suffix = " FOR UPDATE" if self.dialect == "postgresql" else ""
        row = self.execute(f"SELECT id, policy FROM programs WHERE id = ?{suffix}", (program_id,))
        found: tuple[Any, ...] = row.fetchone()
        return found

    def seats_taken(self, program_id: str) -> int:
        marks = ", ".join("?" * len(SEATS))
        row = self.execute(
            f"SELECT count(*) FROM enrollments WHERE program_id = ? AND status IN ({marks})",
            (program_id, *SEATS),
        ).fetchone()
        return int(row[0])

    def insert_enrollment(
        self, program_id: str, member_id: str, status: str, now: datetime, **extra: Any
    ) -> str:
        enrollment_id = new_id()
        columns = {
            "id": enrollment_id,
            "program_id": program_id,
            "member_id": member_id,
            "status": status,
            "created_at": self.moment(now),
            "updated_at": self.moment(now),
            "answers": self.json({}),
            **extra,
        }
        names = ", ".join(columns)
        marks = ", ".join("?" * len(columns))
        self.execute(f"INSERT INTO enrollments ({names}) VALUES ({marks})", list(columns.values()))
        return enrollment_id

    def insert_step(
        self,
        enrollment_id: str,
        program_id: str,
        member_id: str,
        before: str | None,
        after: str,
        sequence: int,
        now: datetime,
    ) -> None:
        self.execute(
            "INSERT INTO transitions (id, enrollment_id, program_id, member_id, from_status, "
            "to_status, sequence, at, actor, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                new_id(),
                enrollment_id,
                program_id,
                member_id,
                before,
                after,
                sequence,
                self.moment(now),
                member_id,
                "hand-written",
            ),
        )


# -- the scenario ---------------------------------------------------------------------------
class Scenario:
    """Programs and people for every call, fresh ones for each side and each repetition."""

    def __init__(self, network: Network, calls: int) -> None:
        self.network = network
        self.calls = calls
        office = network.organizations.add(name="County Office", kind="county_office", county="19")
        people = (
            Member(
                email=f"member{n}@example.org",
                county="19",
                affiliations=[{"organization_id": office.id}],
            )
            for n in range(MEMBERS)
        )
        self.members = network.members.add_many(people)
        self.program = network.programs.create(title="Kickoff", program_year=2024)
        self.session = network.sessions.schedule(
            self.program.id,
            title="Kickoff",
            start=datetime(2024, 9, 24, 23, tzinfo=UTC),
            duration=timedelta(minutes=90),
        )
        self.emails = [m.email for m in self.members]
        self._next = 0

    def people(self, n: int) -> list[Member]:
        """``n`` members no earlier call used for a write."""
        taken = self.members[self._next : self._next + n]
        self._next += n
        if len(taken) < n:
            raise SystemExit(f"not enough members: raise MEMBERS above {MEMBERS}")
        return taken

    def new_program(self, **policy: Any) -> Any:
        return self.network.programs.create(
            title=f"Program {uuid.uuid4().hex[:6]}",
            program_year=2024,
            policy=EnrollmentPolicy(offer_window=timedelta(days=5), **policy),
        )


Timed = Callable[[int], None]


def timed(run: Timed, indexes: range) -> float:
    """Microseconds per call of ``run(i)`` for each i in ``indexes``."""
    start = time.perf_counter()
    for i in indexes:
        run(i)
    return (time.perf_counter() - start) / len(indexes) * 1e6


#: Turns a read is timed in, library and driver taking turns.
READ_ROUNDS = 7
#: Chunks a write's calls are timed in, library and driver taking turns.
WRITE_CHUNKS = 6


#: (call, kind, library µs, driver µs, ratio, library statements per call).
Result = tuple[str, str, float, float, float, float]


def measure(network: Network, driver: Driver, scenario: Scenario) -> list[Result]:
    """A :data:`Result` for every call.

    Statements are counted on a first tenth of the calls, untimed: the counting
    listener would otherwise be timed with the library.  That tenth also warms both
    sides (statements compiled, pages cached).  The two sides then take turns, each
    turn timing the library and then the driver on the same kind of work, so a noisy
    moment on the machine falls on a pair: the ratio printed is the median of the
    pairs' ratios, and each side's time the median of its turns.  A read changes
    nothing, so each turn makes every call: :data:`READ_ROUNDS` turns.  A write's
    remaining calls are split into :data:`WRITE_CHUNKS` turns, each side on its own
    records.
    """
    net, calls = network, scenario.calls
    results: list[Result] = []
    counted = range(max(1, calls // 10))

    def compare(name: str, kind: str, library: Timed, hand: Timed) -> None:
        with sent_statements(net) as sent:
            for i in counted:
                library(i)
        statements = len(sent) / len(counted)
        for i in counted:
            hand(i)
        if kind == "read":
            every = range(calls)
            turns = [(timed(library, every), timed(hand, every)) for _ in range(READ_ROUNDS)]
        else:
            rest = range(len(counted), calls)
            size = -(-len(rest) // WRITE_CHUNKS)
            chunks = [rest[n : n + size] for n in range(0, len(rest), size)]
            turns = [(timed(library, chunk), timed(hand, chunk)) for chunk in chunks]
        mine, theirs = median(m for m, _ in turns), median(t for _, t in turns)
        ratio = median(m / t for m, t in turns)
        results.append((name, kind, mine, theirs, ratio, statements))

    now = datetime.now(UTC)
    ids = [m.id for m in scenario.members]

    # -- reads
    compare(
        "members.get",
        "read",
        lambda i: net.members.get(ids[i % len(ids)]),
        lambda i: driver.execute(
            "SELECT * FROM members WHERE id = ?", (ids[i % len(ids)],)
        ).fetchone(),
    )
    compare(
        "find by email",
        "read",
        lambda i: net.members.find_by_email(scenario.emails[i % len(ids)]),
        lambda i: driver.execute(
            "SELECT * FROM members WHERE email = ?", (scenario.emails[i % len(ids)],)
        ).fetchone(),
    )
    program_id, session_id = scenario.program.id, scenario.session.id
    compare(
        "sessions.find",
        "read",
        lambda i: net.sessions.find(program_id),
        lambda i: driver.execute(
            "SELECT * FROM sessions WHERE program_id = ? AND cancelled = ? ORDER BY start",
            (program_id, False),
        ).fetchall(),
    )

    # -- members.add
    def hand_add(i: int) -> None:
        with driver.writing():
            driver.execute(
                "INSERT INTO members (id, email, given_name, family_name, roles, grade_bands, "
                "affiliations, county, reach, equity_focus, consents_to_updates, custom) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    new_id(),
                    f"hand{i}-{uuid.uuid4().hex[:6]}@example.org",
                    "",
                    "",
                    driver.json([]),
                    driver.json([]),
                    driver.json([]),
                    "19",
                    driver.json({"teachers_supported": None, "students_reached": None}),
                    "unknown",
                    False,
                    driver.json({}),
                ),
            )

    tag = uuid.uuid4().hex[:6]
    compare(
        "members.add",
        "write",
        lambda i: net.members.add(email=f"lib{i}-{tag}@example.org", county="19"),
        hand_add,
    )

    # -- apply
    applying = scenario.new_program(mode="application")
    lib_people, hand_people = scenario.people(calls), scenario.people(calls)

    def hand_apply(i: int) -> None:
        member = hand_people[i].id
        with driver.writing():
            driver.lock_program(applying.id)
            enrollment = driver.insert_enrollment(applying.id, member, "applied", now)
            driver.insert_step(enrollment, applying.id, member, None, "applied", 1, now)

    applied = []
    compare(
        "enrollment.apply",
        "write",
        lambda i: applied.append(net.enrollment.apply(applying.id, lib_people[i].id)),
        hand_apply,
    )
    hand_applied = [
        row[0]
        for row in driver.execute(
            "SELECT e.id FROM enrollments e JOIN transitions t ON t.enrollment_id = e.id "
            "WHERE e.program_id = ? AND t.reason = ?",
            (applying.id, "hand-written"),
        ).fetchall()
    ]

    # -- accept
    def hand_accept(i: int) -> None:
        enrollment_id = hand_applied[i]
        with driver.writing():
            row = driver.execute(
                "SELECT program_id, member_id, status FROM enrollments WHERE id = ?",
                (enrollment_id,),
            ).fetchone()
            driver.lock_program(row[0])
            driver.seats_taken(row[0])
            driver.execute(
                "UPDATE enrollments SET status = ?, updated_at = ? WHERE id = ?",
                ("accepted", driver.moment(now), enrollment_id),
            )
            steps = driver.execute(
                "SELECT count(*) FROM transitions WHERE enrollment_id = ?", (enrollment_id,)
            ).fetchone()[0]
            driver.insert_step(enrollment_id, row[0], row[1], row[2], "accepted", steps + 1, now)

    compare(
        "enrollment.accept",
        "write",
        lambda i: net.enrollment.accept(applied[i].id),
        hand_accept,
    )

    # -- register with a seat free, and waitlisted
    def hand_register(program_id: str, people: list[Member], *, full: bool) -> Timed:
        def run(i: int) -> None:
            member = people[i].id
            with driver.writing():
                driver.lock_program(program_id)
                driver.seats_taken(program_id)
                if not full:
                    enrollment = driver.insert_enrollment(program_id, member, "enrolled", now)
                    driver.insert_step(enrollment, program_id, member, None, "enrolled", 1, now)
                    return
                line = driver.execute(
                    "SELECT count(*) FROM transitions WHERE program_id = ? AND to_status = ?",
                    (program_id, "waitlisted"),
                ).fetchone()[0]
                enrollment = driver.insert_enrollment(
                    program_id,
                    member,
                    "waitlisted",
                    now,
                    waitlisted_at=driver.moment(now),
                    queue_number=line + 1,
                )
                driver.insert_step(enrollment, program_id, member, None, "waitlisted", 1, now)

        return run

    open_program = scenario.new_program(capacity=10 * calls)
    lib_people, hand_people = scenario.people(calls), scenario.people(calls)
    compare(
        "register (seat free)",
        "write",
        lambda i: net.enrollment.register(open_program.id, lib_people[i].id),
        hand_register(open_program.id, hand_people, full=False),
    )
    full = scenario.new_program(capacity=0)
    lib_people, hand_people = scenario.people(calls), scenario.people(calls)
    compare(
        "register (waitlisted)",
        "write",
        lambda i: net.enrollment.register(full.id, lib_people[i].id),
        hand_register(full.id, hand_people, full=True),
    )

    # -- withdraw, the seat offered to the next in line: each side its own program
    def seated_program() -> tuple[Any, list[Any]]:
        program = scenario.new_program(capacity=calls)
        seated = [net.enrollment.register(program.id, m.id) for m in scenario.people(calls)]
        for member in scenario.people(calls):
            net.enrollment.register(program.id, member.id)
        return program, seated

    _, lib_seated = seated_program()
    hand_program, hand_seated = seated_program()
    hand_line = [
        row[0]
        for row in driver.execute(
            "SELECT id FROM enrollments WHERE program_id = ? AND status = ? ORDER BY queue_number",
            (hand_program.id, "waitlisted"),
        ).fetchall()
    ]

    def hand_withdraw(i: int) -> None:
        enrollment_id = hand_seated[i].id
        with driver.writing():
            row = driver.execute(
                "SELECT program_id, member_id, status FROM enrollments WHERE id = ?",
                (enrollment_id,),
            ).fetchone()
            driver.lock_program(row[0])
            driver.execute(
                "UPDATE enrollments SET status = ?, updated_at = ? WHERE id = ?",
                ("withdrawn", driver.moment(now), enrollment_id),
            )
            driver.insert_step(enrollment_id, row[0], row[1], row[2], "withdrawn", 2, now)
            nxt = driver.execute(
                "SELECT id, member_id FROM enrollments WHERE program_id = ? AND status = ? "
                "ORDER BY queue_number LIMIT 1",
                (row[0], "waitlisted"),
            ).fetchone()
            driver.execute(
                "UPDATE enrollments SET status = ?, offer_expires_at = ?, updated_at = ? "
                "WHERE id = ?",
                ("offered", driver.moment(now + timedelta(days=5)), driver.moment(now), nxt[0]),
            )
            driver.insert_step(nxt[0], row[0], nxt[1], "waitlisted", "offered", 2, now)

    assert len(hand_line) == calls
    compare(
        "withdraw, seat offered on",
        "write",
        lambda i: net.enrollment.withdraw(lib_seated[i].id),
        hand_withdraw,
    )

    # -- attendance.record
    lib_people, hand_people = scenario.people(calls), scenario.people(calls)

    def hand_record(i: int) -> None:
        member = hand_people[i].id
        with driver.writing():
            driver.execute("SELECT program_id FROM sessions WHERE id = ?", (session_id,))
            driver.execute("SELECT id FROM members WHERE id = ?", (member,)).fetchone()
            driver.execute(
                "SELECT id FROM attendance WHERE session_id = ? AND member_id = ?",
                (session_id, member),
            ).fetchone()
            driver.execute(
                "INSERT INTO attendance (id, session_id, member_id, program_id, status, "
                "minutes, source, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    new_id(),
                    session_id,
                    member,
                    program_id,
                    "present",
                    None,
                    "manual",
                    driver.moment(now),
                ),
            )

    compare(
        "attendance.record",
        "write",
        lambda i: net.attendance.record(session_id, lib_people[i].id, "present"),
        hand_record,
    )

    # -- seats_left and history
    def hand_seats_left(i: int) -> None:
        driver.execute("SELECT policy FROM programs WHERE id = ?", (open_program.id,)).fetchone()
        driver.seats_taken(open_program.id)

    compare(
        "seats_left",
        "read",
        lambda i: net.enrollment.seats_left(open_program.id),
        hand_seats_left,
    )
    compare(
        "history",
        "read",
        lambda i: net.enrollment.history(applied[i % len(applied)].id),
        lambda i: driver.execute(
            "SELECT * FROM transitions WHERE enrollment_id = ? ORDER BY sequence",
            (applied[i % len(applied)].id,),
        ).fetchall(),
    )
    return results


def report(store: str, results: list[Result]) -> bool:
    print(f"{store}: {'call':<27} {'library':>10} {'by hand':>10} {'ratio':>7}  statements  target")
    ok = True
    for name, kind, mine, theirs, ratio, statements in results:
        target = WRITE_TARGET if kind == "write" else READ_TARGET
        verdict = "ok" if ratio <= target else "OVER"
        ok = ok and ratio <= target
        print(
            f"  {name:<33} {mine:8.0f} µs {theirs:8.0f} µs {ratio:6.1f}x  {statements:10.1f}  "
            f"{target:.0f}x {verdict}"
        )
    return ok


# -- the stores --------------------------------------------------------------------------
def run_sqlite(calls: int) -> bool:
    with tempfile.TemporaryDirectory(prefix="cpnetwork-calls-") as folder:
        path = Path(folder) / "calls.db"
        with Network.open(f"sqlite:///{path}", load_entrypoints=False) as network:
            scenario = Scenario(network, calls)
            connection = sqlite3.connect(path, isolation_level=None)
            connection.execute("PRAGMA busy_timeout = 5000")
            driver = Driver(connection, "sqlite")
            try:
                return report("SQLite", measure(network, driver, scenario))
            finally:
                connection.close()


def postgres_url(given: str | None) -> str:
    if given:
        return given
    return next((os.environ[n] for n in POSTGRES_ENV if os.environ.get(n)), DEFAULT_POSTGRES_URL)


def run_postgres(url: str, calls: int) -> bool:
    try:
        import psycopg

        admin = psycopg.connect(url, autocommit=True, connect_timeout=3)
    except Exception as exc:  # any failure to connect means "skip"
        print(f"PostgreSQL: skipped, unreachable ({type(exc).__name__}: {exc})".rstrip())
        return True
    schema = f"cpnetwork_calls_{uuid.uuid4().hex[:10]}"
    admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        scoped = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
        with Network.open(scoped, load_entrypoints=False) as network:
            scenario = Scenario(network, calls)
            with psycopg.connect(url, options=f"-csearch_path={schema}") as connection:
                return report(
                    "PostgreSQL", measure(network, Driver(connection, "postgresql"), scenario)
                )
    finally:
        admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--calls", type=int, default=300, help="calls of each kind (default 300)")
    parser.add_argument("--postgres-url", help=f"default: ${POSTGRES_ENV[0]}, ${POSTGRES_ENV[1]}")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of --calls")
    options = parser.parse_args(argv)
    calls = max(20, round(options.calls * options.scale))
    print(f"Per-call benchmark: {calls} calls of each kind, {MEMBERS:,} members")
    ok = run_sqlite(calls)
    if not options.no_postgres:
        ok = run_postgres(postgres_url(options.postgres_url), calls) and ok
    print("every call within its target" if ok else "some calls are over their target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
