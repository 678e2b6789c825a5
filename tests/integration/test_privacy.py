"""Privacy on every store: erase a member everywhere, export what is held, retention."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from attrs import field, frozen
from click.testing import CliRunner

from cpnetwork import Network, hookimpl
from cpnetwork.cli import CliConfig, cli
from cpnetwork.errors import NotEligibleError
from cpnetwork.model import (
    EnrollmentPolicy,
    ItemKind,
    Member,
    RetentionSettings,
    SurveyItem,
    new_id,
)
from cpnetwork.services.privacy import ERASED_DOMAIN
from cpnetwork.storage import RecordKind, Transaction
from cpnetwork.testing.pytest_plugin import FrozenClock

KICKOFF = datetime(2024, 9, 10, 23, 0, tzinfo=UTC)


@pytest.fixture
def net(store_url: str, clock: FrozenClock) -> Iterator[Network]:
    with Network.open(store_url, name="Test", clock=clock, load_entrypoints=False) as network:
        network.notifications.configure(log=True)
        yield network


def _year(net: Network) -> dict[str, str]:
    """A program with two members who applied, attended and answered a survey."""
    program = net.programs.create(
        title="Academy", program_year=2024, policy=EnrollmentPolicy(mode="application")
    )
    ada = net.members.add(
        email="ada@example.org",
        given_name="Ada",
        family_name="Lovelace",
        county="19",
        roles={"teacher"},
        custom={},
    )
    bob = net.members.add(email="bob@example.org", given_name="Bob", county="19")
    session = net.sessions.schedule(
        program.id, title="Kickoff", start=KICKOFF, duration=timedelta(hours=2)
    )
    survey = net.surveys.create(
        "Kickoff survey",
        [
            SurveyItem(key="useful", prompt="It was useful", kind=ItemKind.LIKERT),
            SurveyItem(key="notes", prompt="Anything else?", kind=ItemKind.TEXT),
        ],
        program_id=program.id,
    )
    for member in (ada, bob):
        applied = net.enrollment.apply(
            program.id, member.id, answers={"why": f"{member.given_name} loves rocks"}
        )
        net.enrollment.accept(applied.id, reason=f"strong essay by {member.given_name}")
        net.attendance.record(session.id, member.id, "present", minutes=120)
        net.surveys.respond(
            survey.id, {"useful": 5, "notes": f"I am {member.given_name}"}, member_id=member.id
        )
    net.history.recognize("Science Educator of the Year", 2024, member_id=ada.id)
    return {
        "program": program.id,
        "ada": ada.id,
        "bob": bob.id,
        "session": session.id,
        "survey": survey.id,
    }


def _everything(net: Network) -> str:
    """Every record of the network as JSON text, to search for what must be gone."""
    out = Path(f"/tmp/cpnetwork-privacy-{id(net)}.json")
    try:
        with out.open("w", encoding="utf-8") as file:
            net.export(file)
        return out.read_text(encoding="utf-8")
    finally:
        out.unlink(missing_ok=True)


def test_erasing_a_member_removes_their_personal_data_everywhere(net: Network) -> None:
    ids = _year(net)
    erased = net.members.erase(ids["ada"])
    assert erased.erased_at is not None and erased.email.endswith("@" + ERASED_DOMAIN)
    assert (erased.given_name, erased.family_name, erased.affiliations) == ("", "", ())
    everything = _everything(net)
    for trace in ("ada@example.org", "Ada", "Lovelace", "strong essay by Ada", "I am Ada"):
        assert trace not in everything, trace
    for kept in ("bob@example.org", "Bob loves rocks", "strong essay by Bob", "I am Bob"):
        assert kept in everything, kept
    assert net.history.recognitions() == []
    assert net.notifications.messages(member_id=ids["ada"]) == []


def test_anonymous_counts_stay_right_after_erasure(net: Network) -> None:
    ids = _year(net)
    agreement = net.surveys.agreement(ids["survey"])
    counts = net.enrollment.status_counts(ids["program"])
    attendance = net.attendance.summary(ids["program"])
    net.members.erase(ids["ada"])
    assert net.surveys.agreement(ids["survey"]) == agreement
    assert net.enrollment.status_counts(ids["program"]) == counts
    assert net.attendance.summary(ids["program"]) == attendance
    assert len(net.members.find({"county": "19"})) == 2  # reach by county still counts her


def test_an_erased_member_cannot_enroll_and_erasing_again_changes_nothing(net: Network) -> None:
    ids = _year(net)
    first = net.members.erase(ids["ada"])
    assert net.members.erase(ids["ada"]) == first
    other = net.programs.create(title="Other", program_year=2024)
    with pytest.raises(NotEligibleError, match="the member's data was erased"):
        net.enrollment.register(other.id, ids["ada"])


def test_export_data_holds_everything_about_one_member(net: Network) -> None:
    ids = _year(net)
    data = net.members.export_data(ids["ada"])
    json.dumps(data)  # JSON-ready
    assert data["member"]["email"] == "ada@example.org"
    assert [e["answers"] for e in data["enrollments"]] == [{"why": "Ada loves rocks"}]
    assert [p["title"] for p in data["programs"]] == ["Academy"]
    assert {t["to_status"] for t in data["enrollment_history"]} == {"applied", "accepted"}
    assert [a["minutes"] for a in data["attendance"]] == [120]
    assert data["survey_responses"][0]["answers"]["notes"] == "I am Ada"
    assert data["survey_responses"][0]["survey"] == "Kickoff survey"
    assert [r["title"] for r in data["recognitions"]] == ["Science Educator of the Year"]
    messages = data["plugins"]["cpnetwork.builtins.notifications"]["messages"]
    assert {m["topic"] for m in messages} == {"enrollment.applied", "enrollment.accepted"}
    assert "bob@example.org" not in json.dumps(data)


def test_retention_clears_details_of_past_years_only(net: Network, clock: FrozenClock) -> None:
    ids = _year(net)
    net.update_profile(
        retention=RetentionSettings(application_answers=1, survey_comments=1, step_reasons=0)
    )
    assert net.apply_retention() == 0  # the 2024 year has not ended
    clock.now = datetime(2025, 7, 2, tzinfo=UTC)  # the year ended July 1, 2025
    assert net.apply_retention() == 4  # the reasons on four steps (kept 0 years)
    clock.now = datetime(2026, 7, 2, tzinfo=UTC)
    assert net.apply_retention() == 4  # two forms' answers, two comments
    assert net.apply_retention() == 0
    enrollment = net.enrollment.of(ids["program"], ids["ada"])
    assert enrollment is not None and enrollment.answers == {}
    responses = net.surveys.responses(ids["survey"])
    assert [r.answers for r in responses] == [{"useful": 5}, {"useful": 5}]


def test_the_command_line_erases_and_exports(tmp_path: Path, clock: FrozenClock) -> None:
    db = tmp_path / "network.db"
    with Network.open(f"sqlite:///{db}", name="T", clock=clock, load_entrypoints=False) as net:
        ids = _year(net)
    config = CliConfig(load_entrypoints=False, clock=clock)
    out = tmp_path / "ada.json"
    exported = CliRunner().invoke(
        cli,
        ["--db", str(db), "members", "export-data", "ada@example.org", "-o", str(out)],
        obj=config,
    )
    assert exported.exit_code == 0, exported.output
    assert json.loads(out.read_text())["member"]["id"] == ids["ada"]
    refused = CliRunner().invoke(
        cli, ["--db", str(db), "members", "erase", "ada@example.org"], obj=config, input="n\n"
    )
    assert refused.exit_code == 1 and "Aborted" in refused.output
    erased = CliRunner().invoke(
        cli, ["--db", str(db), "members", "erase", "ada@example.org", "--yes"], obj=config
    )
    assert erased.exit_code == 0 and f"Erased member {ids['ada']}" in erased.output
    with Network.open(f"sqlite:///{db}", load_entrypoints=False) as net:
        assert net.members.find_by_email("ada@example.org") is None


@frozen(kw_only=True)
class Badge:
    """A plugin's own record naming a member by email."""

    id: str = field(factory=new_id)
    email: str
    label: str


class Badges:
    @hookimpl
    def register_record_kinds(self) -> list[RecordKind]:
        return [RecordKind(name="test_badges", cls=Badge)]

    @hookimpl
    def erase_member(self, member: Member, transaction: Transaction) -> None:
        transaction.delete_where(Badge, {"email": member.email})

    @hookimpl
    def export_member(self, member: Member, transaction: Transaction) -> dict[str, Any]:
        return {"badges": [b.label for b in transaction.find(Badge, {"email": member.email})]}


def test_plugins_erase_and_export_what_they_keep(store_url: str, clock: FrozenClock) -> None:
    badges = Badges()
    with Network.open(
        store_url, name="T", clock=clock, plugins=[badges], load_entrypoints=False
    ) as net:
        ada = net.members.add(email="ada@example.org")
        bob = net.members.add(email="bob@example.org")
        with net.storage.transaction() as tx:
            tx.insert_many(
                [
                    Badge(email="ada@example.org", label="mentor"),
                    Badge(email="bob@example.org", label="host"),
                ]
            )
        assert net.members.export_data(ada.id)["plugins"]["Badges"] == {"badges": ["mentor"]}
        net.members.erase(ada.id)
        with net.storage.transaction(read_only=True) as tx:
            assert [b.email for b in tx.find(Badge)] == [bob.email]
