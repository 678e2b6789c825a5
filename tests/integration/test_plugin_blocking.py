"""Built-in plugins blocked one at a time, wrappers and hooks reading the network, on SQL.

Each test runs on a SQLite file and on a PostgreSQL schema (the ``sql_url`` fixture).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from cpnetwork import Network, NotEligibleError, ValidationError, hookimpl
from cpnetwork.model import (
    CompletionRule,
    EligibilityRule,
    Enrollment,
    EnrollmentMode,
    EnrollmentPolicy,
    EnrollmentStatus,
    Member,
    Program,
)
from cpnetwork.plugins import DEFAULT_PLUGINS
from cpnetwork.testing.pytest_plugin import FrozenClock

S = EnrollmentStatus
SQL_BACKEND = "cpnetwork.builtins.sql_backend"


def open_network(url: str, **options: Any) -> Network:
    return Network.open(url, name="Hooks", clock=FrozenClock(), load_entrypoints=False, **options)


def program(net: Network, title: str, mode: str = "registration", **fields: Any) -> Program:
    policy = {k: fields.pop(k) for k in ("capacity", "eligibility") if k in fields}
    return net.programs.create(
        title=title,
        program_year=2024,
        policy=EnrollmentPolicy(mode=EnrollmentMode(mode), **policy),
        **fields,
    )


def members(net: Network, *names: str, **fields: Any) -> list[Member]:
    return [net.members.add(email=f"{name}@example.org", **fields) for name in names]


def ranked_waitlist(net: Network) -> tuple[Program, list[Enrollment]]:
    """One seat taken; ``b`` waitlisted first without a rank, then ``c`` ranked 1."""
    p = program(net, "Summer institute", "application", capacity=1)
    a, b, c = (net.enrollment.apply(p.id, m.id) for m in members(net, "a", "b", "c"))
    net.enrollment.accept(a.id)
    net.enrollment.waitlist(b.id)
    net.enrollment.waitlist(c.id, rank=1)
    return p, [a, b, c]


# -- every built-in can be blocked -------------------------------------------------------
@pytest.mark.parametrize("blocked", DEFAULT_PLUGINS)
def test_each_builtin_blocked_leaves_the_rest_working(
    blocked: str, sql_url: str, tmp_path: Path
) -> None:
    if blocked == SQL_BACKEND:
        message = f"no installed backend opens this URL (blocked plugins: {SQL_BACKEND})"
        with pytest.raises(ValidationError, match=re.escape(message)):
            open_network(sql_url, block_plugins=[blocked])
        return
    with open_network(sql_url, block_plugins=[blocked]) as net:
        assert blocked not in net.plugins.names()
        assert net.plugins.blocked() == [blocked]

        teachers = program(
            net, "Teachers only", eligibility=[EligibilityRule(kind="roles", allowed={"teacher"})]
        )
        (coach,) = members(net, "coach", roles={"instructional_coach"})
        if blocked == "cpnetwork.builtins.eligibility":
            assert net.enrollment.register(teachers.id, coach.id).status is S.ENROLLED
        else:
            with pytest.raises(NotEligibleError, match="roles must include one of: teacher"):
                net.enrollment.register(teachers.id, coach.id)

        p, (a, b, c) = ranked_waitlist(net)
        order = [e.id for e in net.enrollment.waitlist_of(p.id)]
        first = b if blocked == "cpnetwork.builtins.waitlist" else c  # queue order, else rank
        assert order[0] == first.id and set(order) == {b.id, c.id}
        net.enrollment.withdraw(a.id)
        assert net.enrollment.get(first.id).status is S.OFFERED

        roster = tmp_path / "roster.csv"
        roster.write_text("Email Address,First name\nada@example.org,Ada\n")
        if blocked == "cpnetwork.builtins.importers":
            with pytest.raises(
                ValidationError, match=r"unknown import kind \(known: none installed"
            ):
                net.import_file("members", roster)
        else:
            net.import_file("members", roster)
            assert net.members.find_by_email("ada@example.org") is not None

        reports = net.reports.names()
        assert (reports == []) is (blocked == "cpnetwork.builtins.reports")


def test_a_sql_network_opens_without_the_memory_backend(sql_url: str) -> None:
    with open_network(sql_url, block_plugins=["cpnetwork.builtins.memory_backend"]) as net:
        net.members.add(email="ada@example.org")
    with open_network(sql_url, block_plugins=["cpnetwork.builtins.memory_backend"]) as net:
        assert [m.email for m in net.members.find()] == ["ada@example.org"]


# -- wrappers change the answer ----------------------------------------------------------
class StaffAlwaysWelcome:
    """Wraps every eligibility rule: staff are never refused."""

    @hookimpl(wrapper=True)
    def check_eligibility(self, member: Member) -> Any:
        answers = yield
        return [] if member.email.endswith("@staff.example.org") else answers


def test_a_wrapper_changes_the_eligibility_answer(sql_url: str) -> None:
    with open_network(sql_url, plugins=[StaffAlwaysWelcome()]) as net:
        teachers = program(
            net, "Teachers only", eligibility=[EligibilityRule(kind="roles", allowed={"teacher"})]
        )
        staff = net.members.add(email="sam@staff.example.org", roles={"tosa"})
        (coach,) = members(net, "coach", roles={"tosa"})
        assert net.enrollment.register(teachers.id, staff.id).status is S.ENROLLED
        with pytest.raises(NotEligibleError):
            net.enrollment.register(teachers.id, coach.id)


class LatestEmailFirst:
    """Wraps the waitlist order, reading each member's email through the network."""

    @hookimpl(wrapper=True)
    def order_waitlist(self, network: Network) -> Any:
        ordered: Sequence[Enrollment] = yield
        email = {e.id: network.members.get(e.member_id).email for e in ordered}
        return sorted(ordered, key=lambda e: email[e.id], reverse=True)


def test_a_wrapper_changes_the_waitlist_order(sql_url: str) -> None:
    with open_network(sql_url, plugins=[LatestEmailFirst()]) as net:
        p, (a, b, c) = ranked_waitlist(net)
        assert [e.id for e in net.enrollment.waitlist_of(p.id)] == [c.id, b.id]
        net.enrollment.cancel(c.id)
        net.enrollment.waitlist(net.enrollment.apply(p.id, members(net, "d")[0].id).id)
        assert next(e.id for e in net.enrollment.waitlist_of(p.id)) != b.id
        net.enrollment.withdraw(a.id)  # the seat is offered inside the change
        offered = net.enrollment.find(p.id, status=S.OFFERED)
        assert [net.members.get(e.member_id).email for e in offered] == ["d@example.org"]


# -- hooks read through the network ------------------------------------------------------
class Prerequisite:
    """Leadership II needs Leadership I completed: read through the network."""

    def __init__(self) -> None:
        self.checked: list[str] = []

    @hookimpl
    def check_eligibility(self, program: Program, member: Member, network: Network) -> list[str]:
        if program.title != "Leadership II":
            return []
        self.checked.append(member.email)
        done = [
            enrollment
            for basics in network.programs.find({"title": "Leadership I"})
            for enrollment in network.enrollment.find(
                basics.id, status=S.COMPLETED, where={"member_id": member.id}
            )
        ]
        return [] if done else ["complete Leadership I first"]


def test_an_eligibility_hook_requires_a_completed_prerequisite(sql_url: str) -> None:
    prerequisite_is_required(sql_url)


def test_an_eligibility_hook_reads_the_memory_store_too() -> None:
    prerequisite_is_required("memory://")


def prerequisite_is_required(url: str) -> None:
    rule = Prerequisite()
    with open_network(url, plugins=[rule]) as net:
        basics = program(net, "Leadership I", completion=CompletionRule(min_sessions=0))
        advanced = program(net, "Leadership II")
        alum, newcomer = members(net, "alum", "newcomer")
        net.enrollment.register(basics.id, alum.id)
        net.enrollment.evaluate_completion(basics.id)
        assert net.enrollment.register(advanced.id, alum.id).status is S.ENROLLED
        with pytest.raises(NotEligibleError, match="complete Leadership I first"):
            net.enrollment.register(advanced.id, newcomer.id)
        assert net.enrollment.of(advanced.id, newcomer.id) is None
    assert rule.checked == ["alum@example.org", "newcomer@example.org"]


class Stamping:
    """Writes through the network from inside the change, then refuses newcomers."""

    @hookimpl
    def check_eligibility(self, program: Program, member: Member, network: Network) -> list[str]:
        network.members.update(member.id, family_name=f"checked for {program.title}")
        return ["newcomers wait a year"] if member.email.startswith("new") else []


def test_a_hook_writing_through_the_network_joins_the_change(sql_url: str) -> None:
    with open_network(sql_url, plugins=[Stamping()]) as net:
        seen: list[str] = []
        net.subscribe(lambda event: seen.append(type(event).__name__))
        p = program(net, "Leadership I")
        alum, newcomer = members(net, "alum", "newcomer")
        seen.clear()
        net.enrollment.register(p.id, alum.id)
        assert net.members.get(alum.id).family_name == "checked for Leadership I"
        assert "EnrollmentChanged" in seen and len(seen) >= 2  # both changes, after commit
        with pytest.raises(NotEligibleError):
            net.enrollment.register(p.id, newcomer.id)
        assert net.members.get(newcomer.id).family_name == ""  # rolled back with it
