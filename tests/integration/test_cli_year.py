"""A program year from the command line, on real SQLite files: plans, programs, sessions,
the steps of enrollment, attendance by hand and ``--json`` for scripts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cpnetwork import Network
from cpnetwork.cli import CliConfig, cli
from cpnetwork.testing.pytest_plugin import FrozenClock

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2024, 8, 20, 16, 0, tzinfo=UTC)

PLAN = """
timezone = "America/Los_Angeles"
year = 2024

[[programs]]
title = "Academy"
format = "hybrid"

[programs.policy]
mode = "application"
deadline = 2024-09-15
capacity = 2

[[programs.policy.quotas]]
scope = "county"
limit = 1

[[programs.sessions]]
title = "Kickoff"
start = 2024-10-16T09:00:00
duration = "90m"

[[programs.series]]
title = "Community"
rrule = "FREQ=WEEKLY;COUNT=4"
first_start = 2024-10-23T16:00:00
duration = "1h"

[[programs]]
title = "Convening"
year = 2025

[programs.policy]
capacity = 1
"""


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CPNETWORK_DB", raising=False)
    monkeypatch.delenv("CPNETWORK_BLOCK_PLUGINS", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def db(tmp_path: Path, clock: FrozenClock) -> Path:
    path = tmp_path / "network.db"
    with Network.open(f"sqlite:///{path}", name="Test", clock=clock, load_entrypoints=False) as net:
        for name, county in (("ada", "19"), ("bo", "37"), ("cy", "19"), ("dee", "10")):
            net.members.add(email=f"{name}@example.org", given_name=name.title(), county=county)
    return path


@pytest.fixture
def run(db: Path, clock: FrozenClock) -> Iterator[Any]:
    runner = CliRunner()
    config = CliConfig(load_entrypoints=False, clock=clock)

    def invoke(*args: str, ok: bool = True) -> Result:
        result = runner.invoke(cli, ["--db", str(db), *args], obj=config)
        if ok:
            assert result.exit_code == 0, result.output + result.stderr
        return result

    yield invoke


def _json(result: Result) -> Any:
    return json.loads(result.stdout)


def _enrollment_id(output: str) -> str:
    return output.rsplit("(enrollment ", 1)[1].split(")")[0]


# -- plan apply ---------------------------------------------------------------------------


def test_a_plan_applied_twice_changes_nothing_the_second_time(run: Any, tmp_path: Path) -> None:
    plan = tmp_path / "year.toml"
    plan.write_text(PLAN)
    dry = run("plan", "apply", str(plan), "--dry-run")
    assert dry.stdout.splitlines() == [
        "would create program 'Academy' (2024)",
        "would create session 'Kickoff' 2024-10-16 09:00 of 'Academy' (2024)",
        "would create series 'Community' of 'Academy' (2024): 4 sessions",
        "would create program 'Convening' (2025)",
        "4 change(s) (dry run: nothing written), 0 unchanged",
    ]
    assert _json(run("programs", "list", "--json")) == []
    first = run("plan", "apply", str(plan))
    assert first.stdout.splitlines()[-1] == "4 change(s), 0 unchanged"
    programs = {p["title"]: p for p in _json(run("programs", "list", "--json"))}
    assert programs["Academy"]["policy"]["deadline"] == "2024-09-15T23:59:00-07:00"
    assert programs["Academy"]["policy"]["quotas"] == [
        {"limit": 1, "scope": "county", "value": None}
    ]
    assert programs["Convening"]["program_year"] == 2025
    sessions = _json(run("sessions", "list", "--json"))
    assert len(sessions) == 5
    second = run("plan", "apply", str(plan))
    assert second.stdout.splitlines() == ["0 change(s), 4 unchanged"]
    assert _json(run("sessions", "list", "--json")) == sessions
    assert _json(run("programs", "list", "--json")) == list(programs.values())


def test_a_changed_plan_updates_in_place_keeping_session_ids(run: Any, tmp_path: Path) -> None:
    plan = tmp_path / "year.toml"
    plan.write_text(PLAN)
    run("plan", "apply", str(plan))
    before = {s["title"] + s["start"]: s["id"] for s in _json(run("sessions", "list", "--json"))}
    changed = (
        PLAN.replace("capacity = 2", "capacity = 3")
        .replace("COUNT=4", "COUNT=5")
        .replace('duration = "90m"', 'duration = "2h"')
    )
    plan.write_text(changed)
    applied = run("plan", "apply", str(plan)).stdout.splitlines()
    assert "update program 'Academy' (2024): policy" in applied
    assert "update session 'Kickoff' 2024-10-16 09:00 of 'Academy' (2024)" in applied
    assert (
        "update series 'Community' of 'Academy' (2024): 1 sessions created, 0 changed, 0 cancelled"
    ) in applied
    assert "unchanged" not in " ".join(applied[:-1])
    after = {s["title"] + s["start"]: s["id"] for s in _json(run("sessions", "list", "--json"))}
    assert len(after) == 6
    assert all(after[key] == before[key] for key in before)
    assert run("plan", "apply", str(plan)).stdout.splitlines() == ["0 change(s), 4 unchanged"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[programs]]\ntitle = "A"\ncolour = "red"\n', "program 1 ('A'): unknown key(s) colour"),
        ('[[programs]]\ntitle = "A"\n[programs.policy]\nmode = "lottery"\n', "'lottery'"),
        (
            '[[programs]]\ntitle = "A"\n[[programs.sessions]]\ntitle = "S"\n'
            "start = 2024-10-01T09:00:00\n",
            "give end or duration",
        ),
        ('[[programs]]\ntitle = "A"\n[[programs]]\ntitle = "A"\n', "lists 'A' of 2024 twice"),
        ("programs = [", "not TOML"),
    ],
)
def test_a_bad_plan_names_the_place_and_writes_nothing(
    run: Any, tmp_path: Path, text: str, message: str
) -> None:
    plan = tmp_path / "bad.toml"
    plan.write_text(text)
    result = run("plan", "apply", str(plan), ok=False)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Plan 'bad.toml': ")
    assert message in result.stderr
    assert _json(run("programs", "list", "--json")) == []


def test_a_plan_is_all_or_nothing(run: Any, tmp_path: Path) -> None:
    plan = tmp_path / "year.toml"
    # The second program's series never occurs: the first program is not created either.
    plan.write_text(
        PLAN
        + '\n[[programs.series]]\ntitle = "Never"\nrrule = "FREQ=DAILY;COUNT=1"\n'
        + 'first_start = 2024-10-01T09:00:00\nduration = "1h"\n'
        + "exdates = [2024-10-01T09:00:00]\n"
    )
    result = run("plan", "apply", str(plan), ok=False)
    assert result.exit_code == 1 and "exdate" in result.stderr
    assert _json(run("programs", "list", "--json")) == []


def test_the_plan_in_the_docs_applies_twice_to_the_same_state(
    run: Any, tmp_path: Path, db: Path
) -> None:
    (block,) = re.findall(r"```toml\n(.*?)```", (ROOT / "docs" / "cli.md").read_text(), re.DOTALL)
    plan = tmp_path / "year.toml"
    plan.write_text(block)
    with Network.open(f"sqlite:///{db}", load_entrypoints=False) as net:
        net.organizations.add(name="LACOE", kind="county_office", county="19")
    assert run("plan", "apply", str(plan)).stdout.splitlines()[-1] == "5 change(s), 0 unchanged"
    assert run("plan", "apply", str(plan)).stdout.splitlines() == ["0 change(s), 5 unchanged"]
    kickoff = next(s for s in _json(run("sessions", "list", "--json")) if s["title"] == "Kickoff")
    assert (kickoff["capacity"], kickoff["track"]) == (120, "conference")


# -- programs -----------------------------------------------------------------------------


def test_programs_create_and_edit(run: Any) -> None:
    created = run(
        "programs",
        "create",
        "Academy",
        "--mode",
        "application",
        "--capacity",
        "1",
        "--opens",
        "2024-08-01",
        "--deadline",
        "2024-09-15",
        "--json",
    )
    program = _json(created)
    assert program["program_year"] == 2024  # the current program year by default
    assert program["policy"]["opens"] == "2024-08-01T00:00:00-07:00"
    assert program["policy"]["deadline"] == "2024-09-15T23:59:00-07:00"
    again = run("programs", "create", "Academy", ok=False)
    assert again.exit_code == 1 and "a program of 2024 already has this title" in again.stderr
    assert run("programs", "create", "Academy", "--year", "2025").exit_code == 0
    edited = run(
        "programs", "edit", program["id"], "--deadline", "2024-09-20 17:00", "--no-waitlist"
    )
    assert edited.stdout.startswith("Changed program 'Academy' (2024): ")
    shown = _json(run("programs", "show", program["id"], "--json"))
    assert shown["program"]["policy"]["deadline"] == "2024-09-20T17:00:00-07:00"
    assert shown["program"]["policy"]["waitlist"] is False
    assert shown["seats_left"] == 1 and shown["sessions"] == 0
    cleared = _json(
        run("programs", "edit", program["id"], "--deadline", "", "--unlimited", "--json")
    )
    assert cleared["policy"]["deadline"] is None and cleared["policy"]["capacity"] is None
    nothing = run("programs", "edit", program["id"], ok=False)
    assert nothing.exit_code == 2 and "nothing to change" in nothing.stderr
    bad = run("programs", "edit", program["id"], "--deadline", "soon", ok=False)
    assert bad.exit_code == 2 and "'soon' is not a date or time" in bad.stderr


# -- sessions and attendance --------------------------------------------------------------


def test_sessions_create_edit_cancel_and_attendance_by_hand(run: Any) -> None:
    program = _json(run("programs", "create", "Academy", "--json"))["id"]
    kickoff = _json(
        run(
            "sessions",
            "create",
            "Academy",
            "--title",
            "Kickoff",
            "--start",
            "2024-10-16 09:00",
            "--duration",
            "1h30m",
            "--json",
        )
    )
    assert kickoff["start"] == "2024-10-16T09:00:00-07:00"
    assert kickoff["end"] == "2024-10-16T10:30:00-07:00"
    series = _json(
        run(
            "sessions",
            "create",
            program,
            "--title",
            "PLC",
            "--start",
            "2024-10-02 16:00",
            "--end",
            "2024-10-02 17:00",
            "--timezone",
            "America/New_York",
            "--rrule",
            "FREQ=WEEKLY;COUNT=3",
            "--json",
        )
    )
    assert [s["start"] for s in series] == [
        "2024-10-02T16:00:00-04:00",
        "2024-10-09T16:00:00-04:00",
        "2024-10-16T16:00:00-04:00",
    ]
    moved = run(
        "sessions", "edit", kickoff["id"], "--start", "2024-10-16 10:00", "--venue", "Room 4"
    )
    assert moved.stdout.startswith("Changed session 'Kickoff' of 'Academy' at 2024-10-16 10:00 PDT")
    shown = _json(run("sessions", "show", kickoff["id"], "--json"))
    assert shown["session"]["venue"] == "Room 4"
    assert shown["session"]["end"] == "2024-10-16T11:30:00-07:00"
    run(
        "sessions",
        "edit",
        series[1]["id"],
        "--title",
        "PLC (later)",
        "--scope",
        "this_and_following",
    )
    titles = [s["title"] for s in _json(run("sessions", "list", "--program", program, "--json"))]
    assert titles == ["PLC", "PLC (later)", "Kickoff", "PLC (later)"]
    run("sessions", "cancel", series[2]["id"])
    assert len(_json(run("sessions", "list", "--json"))) == 3
    both = run(
        "sessions",
        "create",
        program,
        "--title",
        "X",
        "--start",
        "2024-10-01 09:00",
        "--end",
        "2024-10-01 10:00",
        "--duration",
        "1h",
        ok=False,
    )
    assert both.exit_code == 2 and "--end or --duration, not both" in both.stderr
    recorded = run(
        "attendance",
        "record",
        kickoff["id"],
        "ada@example.org",
        "--status",
        "present",
        "--minutes",
        "90",
    )
    assert recorded.stdout == "ada@example.org at 'Kickoff': present, 90 minutes\n"
    run(
        "attendance",
        "record",
        kickoff["id"],
        "ada@example.org",
        "--status",
        "partial",
        "--minutes",
        "45",
    )
    listed = _json(run("attendance", "list", kickoff["id"], "--json"))
    assert [(r["member_email"], r["status"], r["minutes"]) for r in listed] == [
        ("ada@example.org", "partial", 45)
    ]
    counts = _json(run("sessions", "show", kickoff["id"], "--json"))["attendance_by_status"]
    assert counts == {"absent": 0, "excused": 0, "partial": 1, "present": 0}


# -- the steps of enrollment --------------------------------------------------------------


def test_confirm_and_the_answers_to_an_offer(run: Any) -> None:
    run("programs", "create", "Academy", "--mode", "application", "--capacity", "1")
    applied = _enrollment_id(run("enroll", "Academy", "ada@example.org").stdout)
    run("review", applied, "--accept")
    confirmed = run("confirm", applied)
    assert confirmed.stdout.startswith("ada@example.org in Academy: accepted -> enrolled")
    again = run("confirm", applied, ok=False)
    assert again.exit_code == 1
    assert "Ada <ada@example.org> in 'Academy' (2024)" in again.stderr
    run("programs", "create", "Convening", "--capacity", "1", "--offer-window", "2d")
    first = _enrollment_id(run("enroll", "Convening", "bo@example.org").stdout)
    second = _enrollment_id(run("enroll", "Convening", "cy@example.org").stdout)
    third = _enrollment_id(run("enroll", "Convening", "dee@example.org").stdout)
    run("withdraw", first)
    declined = run("decline-offer", second)
    assert declined.stdout.startswith("cy@example.org in Convening: offered -> declined")
    taken = run("accept-offer", third)
    assert taken.stdout.startswith("dee@example.org in Convening: offered -> enrolled")


def test_a_quota_refusal_on_the_command_line_names_names(run: Any, tmp_path: Path) -> None:
    plan = tmp_path / "year.toml"
    plan.write_text(PLAN)
    run("plan", "apply", str(plan))
    first = _enrollment_id(run("enroll", "Academy", "ada@example.org").stdout)
    second = _enrollment_id(run("enroll", "Academy", "cy@example.org").stdout)
    run("review", first, "--accept")
    refused = run("review", second, "--accept", ok=False)
    assert refused.exit_code == 1
    assert (
        "Cy <cy@example.org> cannot take a seat in 'Academy' (2024): the county quota of 1 "
        "for '19' is filled"
    ) in refused.stderr


# -- JSON for scripts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["members", "list"],
        ["members", "show", "ada@example.org"],
        ["programs", "list"],
        ["programs", "show", "Academy", "--enrollments"],
        ["sessions", "list"],
        ["notifications", "list"],
    ],
    ids=" ".join,
)
def test_every_list_and_show_prints_stable_json(
    run: Any, tmp_path: Path, command: list[str]
) -> None:
    plan = tmp_path / "year.toml"
    plan.write_text(PLAN)
    run("plan", "apply", str(plan))
    run("enroll", "Academy", "ada@example.org")
    first = run(*command, "--json")
    data = json.loads(first.stdout)
    assert isinstance(data, list if command[1] == "list" else dict)
    assert first.stdout == json.dumps(data, indent=2, sort_keys=True) + "\n"
    assert run(*command, "--json").stdout == first.stdout


# -- another time: --now ------------------------------------------------------------------


def test_now_runs_a_command_at_another_time(db: Path) -> None:
    runner = CliRunner()
    config = CliConfig(load_entrypoints=False)
    created = runner.invoke(
        cli,
        ["--db", str(db), "--now", "2021-09-01T09:00-07:00", "programs", "create", "A", "--json"],
        obj=config,
    )
    assert created.exit_code == 0, created.output + created.stderr
    assert _json(created)["program_year"] == 2021  # the program year of that day
    naive = runner.invoke(
        cli, ["--db", str(db), "programs", "list"], obj=config, env={"CPNETWORK_NOW": "2021-09-01"}
    )
    assert naive.exit_code == 2
    assert "give a time with its offset" in naive.stderr and "CPNETWORK_NOW" in naive.stderr


def test_plan_apply_prints_json_for_scripts(run: Any, tmp_path: Path) -> None:
    plan = tmp_path / "year.toml"
    plan.write_text(PLAN)
    dry = _json(run("plan", "apply", str(plan), "--dry-run", "--json"))
    assert (dry["dry_run"], dry["changed"], dry["unchanged"]) == (True, 4, 0)
    assert dry["changes"][0] == {
        "action": "create",
        "detail": "",
        "kind": "program",
        "name": "'Academy' (2024)",
    }
    run("plan", "apply", str(plan))
    again = _json(run("plan", "apply", str(plan), "--json"))
    assert (again["dry_run"], again["changed"], again["unchanged"]) == (False, 0, 4)


def test_db_status_prints_json(run: Any, db: Path) -> None:
    data = _json(run("db", "status", "--json"))
    assert data["database"] == f"sqlite:///{db}"
    assert data["up_to_date"] is True and data["revision"] == data["expected"]
    assert data["status"] == "up to date"


def test_plugins_prints_json(run: Any) -> None:
    data = _json(run("plugins", "--json"))
    assert {"name": "cpnetwork.builtins.importers", "version": "built-in"}.items() <= next(
        p for p in data["plugins"] if p["name"] == "cpnetwork.builtins.importers"
    ).items()
    assert "register_importers" in next(
        p["hooks"] for p in data["plugins"] if p["name"] == "cpnetwork.builtins.importers"
    )
    assert {i["kind"] for i in data["importers"]} >= {"members", "zoom-attendance"}
    assert data["commands"] == []


def test_notification_settings_print_json_without_secrets(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CPNETWORK_WEBHOOK_SECRET", "s3cret-signing-key")
    run("notifications", "settings", "--log", "on")
    data = _json(
        run(
            "notifications",
            "settings",
            "--webhook",
            "https://user:pw@hooks.example.org/in",
            "--json",
        )
    )
    assert data["log"] is True and data["email"] is None
    assert data["webhooks"] == [
        {"events": [], "timeout_seconds": 10.0, "url": "https://user:***@hooks.example.org/in"}
    ]
    shown = run("notifications", "settings", "--json").stdout
    assert "s3cret" not in shown and ":pw@" not in shown
    assert json.loads(shown) == data
