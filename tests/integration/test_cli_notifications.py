"""``cpnetwork tick`` and ``cpnetwork notifications`` on a real SQLite file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cpnetwork import Network
from cpnetwork.cli import CliConfig, cli
from cpnetwork.model import EnrollmentPolicy
from cpnetwork.testing.pytest_plugin import FrozenClock


@pytest.fixture
def db(tmp_path: Path, clock: FrozenClock) -> str:
    path = tmp_path / "network.db"
    with Network.open(f"sqlite:///{path}", name="Test", clock=clock, load_entrypoints=False) as net:
        program = net.programs.create(
            title="Academy",
            program_year=2024,
            policy=EnrollmentPolicy(capacity=1, offer_window=timedelta(days=1)),
        )
        ada = net.members.add(email="ada@example.org")
        bob = net.members.add(email="bob@example.org")
        seated = net.enrollment.register(program.id, ada.id)
        net.enrollment.register(program.id, bob.id)
        net.enrollment.withdraw(seated.id)
    return str(path)


def _run(db: str, clock: FrozenClock, *args: str) -> Result:
    config = CliConfig(load_entrypoints=False, clock=clock)
    result = CliRunner().invoke(cli, ["--db", db, *args], obj=config)
    assert result.exit_code == 0, result.output
    return result


def test_settings_turn_a_channel_on_and_show_it(db: str, clock: FrozenClock) -> None:
    shown = _run(db, clock, "notifications", "settings")
    assert "email" in shown.output and "off" in shown.output
    changed = _run(
        db, clock, "notifications", "settings", "--log", "on", "--email-sender", "net@example.org"
    )
    assert "net@example.org via localhost" in changed.output
    with Network.open(f"sqlite:///{db}", load_entrypoints=False) as net:
        assert net.notifications.settings.log is True


def test_tick_does_what_is_due_and_a_second_tick_nothing_more(db: str, clock: FrozenClock) -> None:
    _run(db, clock, "notifications", "settings", "--log", "on")
    with Network.open(f"sqlite:///{db}", load_entrypoints=False, clock=clock) as net:
        program = net.programs.find()[0]
        carol = net.members.add(email="carol@example.org")
        net.enrollment.register(program.id, carol.id)  # waitlisted: queues a message
    first = _run(db, clock, "tick")
    assert "offers expired: 0" in first.output
    assert "reminders queued: 1" in first.output  # bob's offer expires within a day
    assert "messages delivered: 2, to retry: 0, dead: 0" in first.output
    clock.advance(timedelta(days=2))
    second = _run(db, clock, "tick")
    assert "offers expired: 1" in second.output
    again = _run(db, clock, "tick")
    assert "offers expired: 0" in again.output and "reminders queued: 0" in again.output
    listed = _run(db, clock, "notifications", "list", "--member", "bob@example.org")
    assert "reminder.offer" in listed.output and "delivered" in listed.output
    assert "purged: 0" in _run(db, clock, "notifications", "purge").output
    assert "delivered: 0" in _run(db, clock, "notifications", "dispatch").output


def test_a_webhook_needs_its_secret_from_the_environment(
    db: str, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = CliConfig(load_entrypoints=False, clock=clock)
    args = ["--db", db, "notifications", "settings", "--webhook", "https://example.org/hook"]
    refused = CliRunner().invoke(cli, args, obj=config)
    assert refused.exit_code == 2 and "CPNETWORK_WEBHOOK_SECRET" in refused.output
    monkeypatch.setenv("CPNETWORK_WEBHOOK_SECRET", "s3cret")
    shown = _run(db, clock, *args[2:])
    assert "https://example.org/hook" in shown.output and "s3cret" not in shown.output
