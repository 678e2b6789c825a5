"""A Hypothesis state machine driving random enrollment work against one or more stores.

Every rule is applied to each network in turn; they must agree on every outcome (the
first, normally the memory store, is the model), and the lifecycle invariants are
checked after every step.  Backends reuse it by subclassing, listing their URLs and
giving every run a fresh store; ``self.resources`` (an ExitStack closed in teardown,
each network before what was made for it) cleans up what ``open_network`` made::

    class SQLiteAgrees(EnrollmentMachine):
        urls = ("memory://", "sqlite://")

        def open_network(self, url, clock):
            if url.startswith("sqlite"):
                folder = self.resources.enter_context(tempfile.TemporaryDirectory())
                url = f"sqlite:///{folder}/network.db"
            return super().open_network(url, clock)

    TestSQLiteAgrees = SQLiteAgrees.TestCase
"""

from __future__ import annotations

import itertools
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from cpnetwork.errors import CpnetworkError, NotFoundError
from cpnetwork.model import (
    SEAT_STATUSES,
    Attendance,
    AttendanceStatus,
    Enrollment,
    EnrollmentMode,
    EnrollmentPolicy,
    EnrollmentStatus,
    Quota,
    Session,
    Transition,
)
from cpnetwork.network import Network
from cpnetwork.testing import snapshot
from cpnetwork.testing.pytest_plugin import FrozenClock

COUNTIES = ("01", "10", "19", "37")

Outcome = tuple[str, str]


class EnrollmentMachine(RuleBasedStateMachine):
    """Random apply / accept / register / withdraw / cancel / attend sequences."""

    urls: ClassVar[tuple[str, ...]] = ("memory://",)

    @classmethod
    def with_urls(cls, urls: list[str]) -> type[EnrollmentMachine]:
        return type(f"{cls.__name__}On{len(urls)}", (cls,), {"urls": tuple(urls)})

    def open_network(self, url: str, clock: FrozenClock) -> Network:
        """Open a fresh network at ``url``; backends override to give each run its own."""
        return Network.open(url, name="Machine", clock=clock, load_entrypoints=False)

    def __init__(self) -> None:
        super().__init__()
        self.clock = FrozenClock(datetime(2024, 8, 1, 9, 0, tzinfo=UTC))
        #: Closed in teardown, last in first out: each network, then what it was given.
        self.resources = ExitStack()
        self.networks: list[Network] = []
        try:
            for url in self.urls:
                network = self.open_network(url, self.clock)
                self.resources.callback(network.close)
                self.networks.append(network)
        except BaseException:
            self.resources.close()
            raise
        self.programs: list[list[str]] = [[] for _ in self.networks]
        self.members: list[list[str]] = [[] for _ in self.networks]
        self.sessions: list[list[str]] = [[] for _ in self.networks]

    def teardown(self) -> None:
        self.resources.close()

    # -- helpers ---------------------------------------------------------------
    def _each(self, call: Any) -> list[Outcome]:
        """Run ``call(index, network)`` on every network; all must agree."""
        outcomes: list[Outcome] = []
        for index, network in enumerate(self.networks):
            before = snapshot(network)
            try:
                result = call(index, network)
            except CpnetworkError as error:
                assert snapshot(network) == before, f"{error!r} changed the store"
                outcomes.append(("error", type(error).__name__))
            else:
                outcomes.append(("ok", str(getattr(result, "status", ""))))
        assert all(o == outcomes[0] for o in outcomes), f"backends disagree: {outcomes}"
        return outcomes

    def _enrollment(self, index: int, network: Network, p: int, m: int) -> str:
        found = network.enrollment.of(self.programs[index][p], self.members[index][m])
        if found is None:
            raise NotFoundError("Enrollment", f"program {p} member {m}")
        return found.id

    # -- set-up ----------------------------------------------------------------
    @initialize()
    def programs_and_sessions(self) -> None:
        for index, network in enumerate(self.networks):
            convening = network.programs.create(
                title="Convening",
                program_year=2024,
                policy=EnrollmentPolicy(
                    capacity=3,
                    quotas=(Quota(scope="county", limit=2),),
                    offer_window=timedelta(days=1),
                ),
            )
            academy = network.programs.create(
                title="Academy",
                program_year=2024,
                policy=EnrollmentPolicy(
                    mode=EnrollmentMode.APPLICATION, capacity=2, offer_window=timedelta(days=2)
                ),
            )
            self.programs[index] = [convening.id, academy.id]
            start = datetime(2024, 10, 16, 23, 0, tzinfo=UTC)
            made = [
                Session(
                    program_id=pid,
                    title=f"session {n}",
                    start=start + timedelta(days=n),
                    end=start + timedelta(days=n, hours=2),
                )
                for n, pid in enumerate([convening.id, academy.id, academy.id])
            ]
            with network._context.unit_of_work() as uow:
                uow.tx.insert_many(made)
            self.sessions[index] = [s.id for s in made]
        for county in COUNTIES:
            self.add_member(county)

    # -- rules ---------------------------------------------------------------------
    @rule(county=st.sampled_from(COUNTIES))
    def add_member(self, county: str) -> None:
        for index, network in enumerate(self.networks):
            n = len(self.members[index])
            member = network.members.add(email=f"member{n}@example.org", county=county)
            self.members[index].append(member.id)

    @rule(m=st.integers(0, 30))
    def register(self, m: int) -> None:
        m %= len(self.members[0])
        self._each(lambda i, net: net.enrollment.register(self.programs[i][0], self.members[i][m]))

    @rule(m=st.integers(0, 30))
    def apply(self, m: int) -> None:
        m %= len(self.members[0])
        self._each(lambda i, net: net.enrollment.apply(self.programs[i][1], self.members[i][m]))

    @rule(
        m=st.integers(0, 30),
        action=st.sampled_from(
            [
                "start_review",
                "accept",
                "waitlist",
                "decline",
                "confirm",
                "accept_offer",
                "decline_offer",
                "withdraw",
                "cancel",
            ]
        ),
        p=st.integers(0, 1),
    )
    def move(self, m: int, action: str, p: int) -> None:
        m %= len(self.members[0])
        self._each(lambda i, net: getattr(net.enrollment, action)(self._enrollment(i, net, p, m)))

    @rule(m=st.integers(0, 30), s=st.integers(0, 2), status=st.sampled_from(list(AttendanceStatus)))
    def attend(self, m: int, s: int, status: AttendanceStatus) -> None:
        m %= len(self.members[0])

        def record(i: int, net: Network) -> Attendance:
            session = self.sessions[i][s]
            attendance = Attendance(
                session_id=session,
                member_id=self.members[i][m],
                program_id=self.programs[i][0 if s == 0 else 1],
                status=status,
                recorded_at=self.clock(),
            )
            with net._context.unit_of_work() as uow:
                existing = uow.tx.find_one(
                    Attendance, {"session_id": session, "member_id": self.members[i][m]}
                )
                if existing is None:
                    uow.tx.insert(attendance)
            return attendance

        self._each(record)

    @rule(hours=st.integers(1, 72))
    def time_passes(self, hours: int) -> None:
        self.clock.advance(timedelta(hours=hours))
        counts = [len(net.enrollment.expire_offers()) for net in self.networks]
        assert len(set(counts)) == 1, f"backends expired {counts} offers"

    # -- invariants --------------------------------------------------------------
    @invariant()
    def backends_agree_on_every_enrollment(self) -> None:
        views = [self._view(index, network) for index, network in enumerate(self.networks)]
        for name in views[0]:
            assert all(v[name] == views[0][name] for v in views), f"backends disagree on {name}"

    def _view(self, index: int, network: Network) -> dict[str, Any]:
        """What a caller can observe, with ids (random per network) replaced by positions."""
        position = {mid: n for n, mid in enumerate(self.members[index])}
        program = {pid: n for n, pid in enumerate(self.programs[index])}
        session = {sid: n for n, sid in enumerate(self.sessions[index])}
        enrollments = network.enrollment.find()
        with network.storage.transaction() as tx:
            transitions = tx.find(Transition)
            attendance = tx.count(Attendance, group_by=("session_id", "status"))
        return {
            "enrollments": sorted(
                (
                    program[e.program_id],
                    position[e.member_id],
                    e.status.value,
                    e.queue_number,
                    e.waitlisted_at,
                    e.offer_expires_at,
                    e.created_at,
                    e.updated_at,
                    e.county,
                )
                for e in enrollments
            ),
            "history": sorted(
                (
                    program[t.program_id],
                    position[t.member_id],
                    t.sequence,
                    t.from_status.value if t.from_status else None,
                    t.to_status.value,
                    t.at,
                    position.get(t.actor, t.actor),
                    t.reason,
                )
                for t in transitions
            ),
            "waitlists": [
                [position[e.member_id] for e in network.enrollment.waitlist_of(pid)]
                for pid in self.programs[index]
            ],
            "seats left": [network.enrollment.seats_left(pid) for pid in self.programs[index]],
            "attendance": sorted(
                (session[sid], status, n) for (sid, status), n in attendance.items()
            ),
        }

    @invariant()
    def seats_and_quotas_hold(self) -> None:
        for network in self.networks:
            for program in network.programs.find():
                held = [e for e in network.enrollment.find(program.id) if e.status in SEAT_STATUSES]
                capacity = program.policy.capacity
                assert capacity is None or len(held) <= capacity, f"{program.title} overfull"
                for quota in program.policy.quotas:
                    per_county = Counter(e.county for e in held)
                    assert max(per_county.values(), default=0) <= quota.limit

    @invariant()
    def free_seats_are_offered_in_registration_programs(self) -> None:
        for network in self.networks:
            for program in network.programs.find():
                if program.policy.mode is not EnrollmentMode.REGISTRATION:
                    continue
                left = network.enrollment.seats_left(program.id)
                waiting = network.enrollment.find(program.id, status=EnrollmentStatus.WAITLISTED)
                if left and waiting:
                    held = Counter(
                        e.county for e in network.enrollment.find(program.id, status=SEAT_STATUSES)
                    )
                    limit = program.policy.quotas[0].limit
                    assert all(held[e.county] >= limit for e in waiting), "a seat went unoffered"

    @invariant()
    def history_explains_every_status(self) -> None:
        for network in self.networks:
            with network.storage.transaction() as tx:
                steps: dict[str, list[Transition]] = {}
                for t in tx.find(Transition, order_by=("sequence",)):
                    steps.setdefault(t.enrollment_id, []).append(t)
                for e in tx.find(Enrollment):
                    chain = steps[e.id]
                    assert [t.sequence for t in chain] == list(range(1, len(chain) + 1))
                    assert chain[0].from_status is None
                    assert all(a.to_status == b.from_status for a, b in itertools.pairwise(chain))
                    assert chain[-1].to_status == e.status
                    assert (e.status is EnrollmentStatus.OFFERED) == (
                        e.offer_expires_at is not None
                    )
