"""Concurrent writers in separate OS processes keep the enrollment invariants.

Eight processes (``forkserver``: nothing shared but the database), each with its own
``Network`` on the same URL, race to register 200 members for a program with 50 seats
and a waitlist.  Only the database serializes them: a SQLite file (``BEGIN
IMMEDIATE``) or PostgreSQL (``SELECT … FOR UPDATE`` on the program row).

What "waitlisted in arrival order" can be checked from outside:

* Serialization order.  Every capacity decision happens with the program locked, so
  the critical sections of two registrations never overlap in time.  A plugin in each
  worker notes ``time.monotonic_ns()`` (one clock for every process on the machine) in
  ``record_event``, which runs inside the transaction, lock held.  Sorting the
  registrations by that instant gives the order in which they took the lock and
  committed: the first 50 must be the enrolled ones, and the waitlisted ones must
  carry queue numbers 1, 2, 3… in exactly that order.
* Real-time order, as callers see it: when one ``register`` call returned before
  another began, the later one cannot have been served earlier (a seat after a
  waitlist place, or a smaller queue number).
* On SQLite, commit order as stored: writers hold the database's write lock until
  they commit, so the transitions table's rowid order is commit order.

Timestamps (``Transition.at``, ``waitlisted_at``) are not checked against queue order:
on PostgreSQL a unit of work reads the clock before it waits for the program's row
lock, so two registrations a few microseconds apart may carry timestamps in the other
order.  ``queue_number`` is the authority on the line.
"""

from __future__ import annotations

import itertools
import multiprocessing
import sqlite3
import time
from collections import Counter
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

from attrs import frozen

from cpnetwork.errors import CpnetworkError, QuotaReachedError
from cpnetwork.events import EnrollmentChanged, Event
from cpnetwork.hookspecs import hookimpl
from cpnetwork.model import EnrollmentPolicy, EnrollmentStatus, Member, Quota, Transition
from cpnetwork.network import Network

# Workers fork from a clean server process, not from pytest, so they share nothing with
# it or each other; the server imports the heavy modules once, keeping start-up short.
CONTEXT = multiprocessing.get_context("forkserver")
CONTEXT.set_forkserver_preload(["cpnetwork.network", "cpnetwork.storage.sql", "psycopg"])
WORKERS = 8
MEMBERS = 200
CAPACITY = 50
COUNTIES = ("01", "10", "19", "37", "43", "54")
#: Per county, in the quota variant: six counties could take 60 seats, there are 50.
COUNTY_QUOTA = 10
#: Seconds a worker waits for the others at the start line, or for its work to end.
TIMEOUT = 120


@frozen
class Call:
    """One ``register`` call as its caller saw it."""

    member_id: str
    started: int
    finished: int
    status: str | None = None
    queue_number: int | None = None
    #: The exception's class name and message, if the call raised.
    error: str | None = None
    error_class: type[BaseException] | None = None


@frozen
class Report:
    """What one worker saw: its calls, and when each transition happened under the lock."""

    calls: tuple[Call, ...]
    locked_at: tuple[tuple[str, str, int], ...]
    failure: str | None = None


class LockedInstants:
    """Notes when each enrollment transition happens: inside the transaction, lock held."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, int]] = []

    @hookimpl
    def record_event(self, event: Event) -> None:
        if isinstance(event, EnrollmentChanged):
            self.seen.append((event.enrollment_id, event.to_status.value, time.monotonic_ns()))


def register_all(
    url: str, program_id: str, member_ids: list[str], start: Barrier, reports: Queue[Report]
) -> None:
    """A worker: open its own network, wait for the others, then register its members."""
    calls: list[Call] = []
    instants = LockedInstants()
    failure = None
    try:
        with Network.open(url, load_entrypoints=False, plugins=[instants]) as net:
            start.wait(timeout=TIMEOUT)
            for member_id in member_ids:
                started = time.monotonic_ns()
                try:
                    enrollment = net.enrollment.register(program_id, member_id)
                except Exception as exc:
                    calls.append(
                        Call(
                            member_id,
                            started,
                            time.monotonic_ns(),
                            error=f"{type(exc).__name__}: {exc}",
                            error_class=type(exc),
                        )
                    )
                else:
                    calls.append(
                        Call(
                            member_id,
                            started,
                            time.monotonic_ns(),
                            status=enrollment.status.value,
                            queue_number=enrollment.queue_number,
                        )
                    )
    except Exception as exc:
        failure = f"{type(exc).__name__}: {exc}"
    reports.put(Report(tuple(calls), tuple(instants.seen), failure))


def race(url: str, program_id: str, member_ids: list[str]) -> list[Report]:
    """Run the workers, each on an interleaved share of the members; their reports."""
    start = CONTEXT.Barrier(WORKERS)
    reports: Queue[Report] = CONTEXT.Queue()
    workers = [
        CONTEXT.Process(
            target=register_all,
            args=(url, program_id, member_ids[n::WORKERS], start, reports),
            name=f"registrar-{n}",
        )
        for n in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    try:
        # Read before joining: a worker cannot exit while its report is unread.
        answers = [reports.get(timeout=TIMEOUT) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=TIMEOUT)
            if worker.is_alive():
                worker.kill()
    assert [w.exitcode for w in workers] == [0] * WORKERS
    return answers


def _set_up(url: str, quotas: tuple[Quota, ...] = ()) -> tuple[str, list[str]]:
    with Network.open(url, name="Race", load_entrypoints=False) as net:
        program = net.programs.create(
            title="Convening",
            program_year=2024,
            policy=EnrollmentPolicy(capacity=CAPACITY, waitlist=True, quotas=quotas),
        )
        members = net.members.add_many(
            Member(email=f"leader{n:03d}@example.org", county=COUNTIES[n % len(COUNTIES)])
            for n in range(MEMBERS)
        )
    return program.id, [m.id for m in members]


def _stored(url: str, program_id: str) -> tuple[dict[str, Any], list[Transition]]:
    with Network.open(url, load_entrypoints=False) as net:
        enrollments = {e.id: e for e in net.enrollment.find(program_id)}
        with net.storage.transaction() as tx:
            transitions = tx.find(Transition, {"program_id": program_id})
        assert net.enrollment.seats_left(program_id) == 0
    return enrollments, transitions


def _check_callers_saw_typed_errors_only(reports: list[Report]) -> list[Call]:
    assert [r.failure for r in reports] == [None] * WORKERS
    calls = [c for r in reports for c in r.calls]
    assert len(calls) == MEMBERS
    untyped = [
        c.error
        for c in calls
        if c.error_class is not None and not issubclass(c.error_class, CpnetworkError)
    ]
    assert untyped == [], f"errors that are no CpnetworkError: {untyped}"
    return calls


def _check_lock_order(reports: list[Report], enrollments: dict[str, Any]) -> list[str]:
    """Enrollments in the order they took the program lock; seats first, then the line."""
    locked = sorted(
        (at, enrollment_id, status)
        for report in reports
        for enrollment_id, status, at in report.locked_at
        if enrollment_id in enrollments
    )
    assert len(locked) == len(enrollments)
    assert [status for _, e, status in locked] == [
        enrollments[e].status.value for _, e, _ in locked
    ]
    order = [e for _, e, _ in locked]
    waitlisted = [e for e in order if enrollments[e].status is EnrollmentStatus.WAITLISTED]
    seated = [e for e in order if enrollments[e].status is EnrollmentStatus.ENROLLED]
    assert order == seated + waitlisted, "a seat went to a later arrival"
    numbers = [enrollments[e].queue_number for e in waitlisted]
    assert numbers == list(range(1, len(waitlisted) + 1)), "queue numbers out of lock order"
    return order


def _check_real_time_order(calls: list[Call]) -> None:
    """A call that returned before another began was served before it."""
    served = [c for c in calls if c.error is None]
    for a, b in itertools.permutations(served, 2):
        if a.finished < b.started and a.status == "waitlisted":
            assert b.status == "waitlisted", (a, b)
            assert (a.queue_number or 0) < (b.queue_number or 0), (a, b)


def _check_history(enrollments: dict[str, Any], transitions: list[Transition]) -> None:
    assert Counter(t.enrollment_id for t in transitions) == Counter({e: 1 for e in enrollments})
    for t in transitions:
        assert t.from_status is None and t.to_status is enrollments[t.enrollment_id].status


def _check_sqlite_commit_order(url: str, order: list[str]) -> None:
    if not url.startswith("sqlite"):
        return
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        rows = connection.execute("SELECT enrollment_id FROM transitions ORDER BY rowid")
        committed = [enrollment_id for (enrollment_id,) in rows]
    assert committed == order


def test_registrations_racing_in_eight_processes_fill_seats_then_the_line(sql_url: str) -> None:
    program_id, member_ids = _set_up(sql_url)
    reports = race(sql_url, program_id, member_ids)
    calls = _check_callers_saw_typed_errors_only(reports)
    assert [c.error for c in calls if c.error] == []
    enrollments, transitions = _stored(sql_url, program_id)

    statuses = Counter(e.status for e in enrollments.values())
    assert statuses == {
        EnrollmentStatus.ENROLLED: CAPACITY,
        EnrollmentStatus.WAITLISTED: MEMBERS - CAPACITY,
    }
    numbers = sorted(e.queue_number for e in enrollments.values() if e.queue_number is not None)
    assert numbers == list(range(1, MEMBERS - CAPACITY + 1))
    by_member = {e.member_id: e for e in enrollments.values()}
    for call in calls:
        stored = by_member[call.member_id]
        assert (call.status, call.queue_number) == (stored.status.value, stored.queue_number)

    order = _check_lock_order(reports, enrollments)
    _check_real_time_order(calls)
    _check_history(enrollments, transitions)
    _check_sqlite_commit_order(sql_url, order)


def test_a_county_quota_holds_under_racing_registrations(sql_url: str) -> None:
    quota = Quota(scope="county", limit=COUNTY_QUOTA)
    program_id, member_ids = _set_up(sql_url, quotas=(quota,))
    reports = race(sql_url, program_id, member_ids)
    calls = _check_callers_saw_typed_errors_only(reports)
    refused = [c for c in calls if c.error is not None]
    assert {c.error_class for c in refused} <= {QuotaReachedError}
    enrollments, transitions = _stored(sql_url, program_id)

    seated = [e for e in enrollments.values() if e.status is EnrollmentStatus.ENROLLED]
    waitlisted = [e for e in enrollments.values() if e.status is EnrollmentStatus.WAITLISTED]
    assert len(seated) == CAPACITY
    assert max(Counter(e.county for e in seated).values()) <= COUNTY_QUOTA
    assert len(seated) + len(waitlisted) + len(refused) == MEMBERS
    assert sorted(e.queue_number for e in waitlisted) == list(range(1, len(waitlisted) + 1))
    full = {county for county, n in Counter(e.county for e in seated).items() if n == COUNTY_QUOTA}
    county = {m: COUNTIES[n % len(COUNTIES)] for n, m in enumerate(member_ids)}
    assert all(county[c.member_id] in full for c in refused)

    _check_lock_order(reports, enrollments)
    _check_real_time_order([c for c in calls if c.error is None])
    _check_history(enrollments, transitions)
