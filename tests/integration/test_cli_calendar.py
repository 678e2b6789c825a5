"""``cpnetwork sessions ics``: the calendar feed, through click's CliRunner on an SQLite file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from click.testing import CliRunner, Result

from cpnetwork import Network
from cpnetwork.cli import CliConfig, cli
from cpnetwork.model import EnrollmentPolicy
from cpnetwork.testing.pytest_plugin import FrozenClock

LA = ZoneInfo("America/Los_Angeles")
Run = Callable[..., Result]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CPNETWORK_DB", raising=False)
    monkeypatch.delenv("CPNETWORK_BLOCK_PLUGINS", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def run(clock: FrozenClock) -> Run:
    config = CliConfig(load_entrypoints=False, clock=clock)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), obj=config)

    return invoke


@pytest.fixture
def db(tmp_path: Path, clock: FrozenClock) -> Path:
    """Two programs with sessions; Ada registered in the academy only."""
    path = tmp_path / "network.db"
    with Network.open(
        f"sqlite:///{path}", name="Test Network", clock=clock, load_entrypoints=False
    ) as net:
        ada = net.members.add(email="ada@example.org", given_name="Ada")
        academy = net.programs.create(
            title="Academy", program_year=2024, policy=EnrollmentPolicy(mode="registration")
        )
        convening = net.programs.create(title="Convening", program_year=2024)
        net.sessions.schedule_series(
            academy.id,
            title="Learning community",
            rrule="FREQ=MONTHLY;BYDAY=2TU;COUNT=12",
            first_start=datetime(2024, 9, 10, 16, tzinfo=LA),
            duration=timedelta(minutes=90),
        )
        net.sessions.schedule(
            convening.id,
            title="Keynote",
            start=datetime(2025, 3, 6, 9, tzinfo=LA),
            duration=timedelta(hours=1),
        )
        net.enrollment.register(academy.id, ada.id)
    return path


def summaries(data: bytes) -> list[str]:
    return [str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(data).walk("VEVENT")]


def test_the_whole_network_to_a_file(run: Run, db: Path, tmp_path: Path) -> None:
    result = run("--db", str(db), "sessions", "ics", "-o", "network.ics")
    assert result.exit_code == 0, result.output
    assert "Wrote 2 events to network.ics." in result.output
    data = (tmp_path / "network.ics").read_bytes()
    assert summaries(data) == ["Learning community", "Keynote"]
    with Network.open(f"sqlite:///{db}", load_entrypoints=False, clock=FrozenClock()) as net:
        assert data == net.sessions.ics()


def test_a_program_by_title_and_a_member_by_email(run: Run, db: Path, tmp_path: Path) -> None:
    result = run("--db", str(db), "sessions", "ics", "--program", "Convening", "-o", "c.ics")
    assert result.exit_code == 0, result.output
    assert summaries((tmp_path / "c.ics").read_bytes()) == ["Keynote"]
    result = run("--db", str(db), "sessions", "ics", "--member", "ada@example.org", "-o", "-")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.startswith(b"BEGIN:VCALENDAR\r\n")
    assert summaries(result.stdout_bytes) == ["Learning community"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--program", "Nope"], "Program 'Nope'"),
        (["--member", "nobody@example.org"], "Member 'nobody@example.org'"),
    ],
)
def test_unknown_programs_and_members_are_errors(
    run: Run, db: Path, args: list[str], message: str
) -> None:
    result = run("--db", str(db), "sessions", "ics", *args, "-o", "x.ics")
    assert result.exit_code == 1
    assert message in result.output and "not found" in result.output


def test_an_unwritable_target_is_an_error_and_output_is_required(
    run: Run, db: Path, tmp_path: Path
) -> None:
    result = run("--db", str(db), "sessions", "ics", "-o", str(tmp_path / "no" / "x.ics"))
    assert result.exit_code == 1 and "cannot write" in result.output
    missing = run("--db", str(db), "sessions", "ics")
    assert missing.exit_code == 2 and "--output" in missing.output


def test_help_has_examples(run: Run) -> None:
    result = run("sessions", "ics", "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.output and "cpnetwork sessions ics" in result.output
    assert "ics" in run("sessions", "--help").output


def test_a_missing_database_is_refused(run: Run) -> None:
    result = run("--db", "nowhere.db", "sessions", "ics", "-o", "x.ics")
    assert result.exit_code == 1 and "no database at nowhere.db" in result.output
