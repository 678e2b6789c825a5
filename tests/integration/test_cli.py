"""The ``cpnetwork`` command, driven through click's CliRunner on real SQLite files."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from cpnetwork import Network, NotFoundError, hookimpl
from cpnetwork.cli import CliConfig, cli
from cpnetwork.cli._state import database_url
from cpnetwork.model import (
    CompletionRule,
    County,
    EligibilityRule,
    EnrollmentPolicy,
    Jurisdiction,
    Quota,
)
from cpnetwork.storage.sql_migrate import head_revision
from cpnetwork.testing.pytest_plugin import FrozenClock

KICKOFF = datetime(2024, 10, 16, 16, 0, tzinfo=UTC)


class Geography:
    """A jurisdiction that names county 19, so ``--county`` takes its name too."""

    @hookimpl
    def register_jurisdictions(self) -> list[Jurisdiction]:
        return [
            Jurisdiction(
                code="CA",
                name="California",
                counties=(
                    County(code="19", name="Los Angeles"),
                    County(code="37", name="San Diego"),
                ),
            )
        ]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No CPNETWORK_DB from the outside; the default cpnetwork.db lands in tmp_path."""
    monkeypatch.delenv("CPNETWORK_DB", raising=False)
    monkeypatch.delenv("CPNETWORK_BLOCK_PLUGINS", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def config(clock: FrozenClock) -> CliConfig:
    return CliConfig(plugins=[Geography()], load_entrypoints=False, clock=clock)


@pytest.fixture
def run(config: CliConfig) -> Iterator[Any]:
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(cli, list(args), obj=config, input=input)

    yield invoke


@pytest.fixture
def db(tmp_path: Path, config: CliConfig, clock: FrozenClock) -> Path:
    """A small network in an SQLite file: members, three programs, a session."""
    path = tmp_path / "network.db"
    with Network.open(
        f"sqlite:///{path}",
        name="Test Network",
        clock=clock,
        load_entrypoints=False,
        plugins=config.plugins,
    ) as net:
        office = net.organizations.add(name="LACOE", kind="county_office", county="19")
        ada = net.members.add(
            email="ada@example.org",
            given_name="Ada",
            family_name="Lovelace",
            roles=["tosa"],
            county="19",
        )
        net.members.affiliate(ada.id, office.id, title="Science coach")
        net.members.add(email="bo@example.org", given_name="Bo", roles=["teacher"], county="37")
        net.members.add(email="cy@example.org", given_name="[bold]Cy[/bold]", county="19")
        academy = net.programs.create(
            title="Academy",
            program_year=2024,
            host_ids=[office.id],
            policy=EnrollmentPolicy(
                mode="application",
                capacity=1,
                eligibility=[EligibilityRule(kind="counties", allowed={"19", "37"})],
                quotas=[Quota(scope="county", limit=1)],
            ),
            completion=CompletionRule(min_sessions=1),
        )
        net.programs.create(
            title="Convening",
            program_year=2025,
            policy=EnrollmentPolicy(capacity=1, offer_window=None),
        )
        net.programs.create(
            title="Admins", program_year=2024, policy=EnrollmentPolicy(mode="interest")
        )
        net.programs.create(
            title="Invited", program_year=2024, policy=EnrollmentPolicy(mode="invitation")
        )
        kickoff = net.sessions.schedule(
            academy.id,
            title="Kickoff",
            start=KICKOFF,
            duration=timedelta(hours=1, minutes=30),
            timezone="America/Los_Angeles",
        )
        net.attendance.record(kickoff.id, ada.id, "present")
    return path


def _ids(db: Path, table: str) -> dict[str, str]:
    """Ids by title or email, read straight from the file."""
    engine = sa.create_engine(f"sqlite:///{db}")
    key = {"programs": "title", "members": "email", "sessions": "title"}[table]
    with engine.connect() as connection:
        rows = connection.execute(sa.text(f"SELECT {key}, id FROM {table}")).all()
    engine.dispose()
    return {row[0]: row[1] for row in rows}


def _enrollment_id(output: str) -> str:
    return output.rsplit("(enrollment ", 1)[1].split(")")[0]


# -- the root: help, version, options ---------------------------------------------------


def test_help_lists_every_command_with_examples(run: Any) -> None:
    result = run("--help")
    assert result.exit_code == 0
    for name in (
        "db",
        "import",
        "import-json",
        "export",
        "members",
        "programs",
        "sessions",
        "enroll",
        "review",
        "withdraw",
        "demo",
        "plugins",
        "report",
    ):
        assert f"  {name} " in result.output
    assert "CPNETWORK_DB" in result.output and "Examples:" in result.output


COMMANDS = [
    ["db"],
    ["db", "upgrade"],
    ["db", "status"],
    ["import"],
    ["import-json"],
    ["export"],
    ["members", "list"],
    ["members", "show"],
    ["programs", "list"],
    ["programs", "show"],
    ["sessions", "list"],
    ["sessions", "show"],
    ["enroll"],
    ["review"],
    ["withdraw"],
    ["demo"],
    ["plugins"],
    ["report"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_an_example(run: Any, command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output
    if command not in (["db"], ["members"], ["programs"], ["sessions"]):
        assert "Examples:" in result.output and "cpnetwork " in result.output


def test_version(run: Any) -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.output.strip() == "cpnetwork, version 0.1.0"


def test_plain_path_is_an_sqlite_file_and_urls_pass_through() -> None:
    assert database_url("net.db") == "sqlite:///net.db"
    assert database_url("/srv/net.db") == "sqlite:////srv/net.db"
    assert database_url("postgresql://u@h/db") == "postgresql://u@h/db"
    assert database_url("memory://") == "memory://"
    assert database_url("C:\\data\\net.db") == "sqlite:///C:\\data\\net.db"


def test_db_comes_from_the_environment(run: Any, db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CPNETWORK_DB", str(db))
    result = run("members", "list")
    assert result.exit_code == 0, result.output
    assert "ada@example.org" in result.output


def test_obj_must_be_a_cli_config() -> None:
    result = CliRunner().invoke(cli, ["plugins"], obj={"plugins": []})
    assert isinstance(result.exception, TypeError)


# -- errors --------------------------------------------------------------------------------

READ_COMMANDS = [
    ["members", "list"],
    ["members", "show", "ada@example.org"],
    ["programs", "list"],
    ["programs", "show", "Academy"],
    ["sessions", "list"],
    ["sessions", "show", "abc"],
    ["enroll", "Academy", "ada@example.org"],
    ["review", "abc", "--accept"],
    ["withdraw", "abc"],
    ["export"],
    ["db", "status"],
]


@pytest.mark.parametrize("command", READ_COMMANDS, ids=" ".join)
def test_a_missing_database_is_an_error_and_is_not_created(
    run: Any, tmp_path: Path, command: list[str]
) -> None:
    result = run("--db", "typo.db", *command)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no database at typo.db")
    assert "Traceback" not in result.output
    assert not (tmp_path / "typo.db").exists()


def test_the_default_database_is_cpnetwork_db_in_the_working_directory(
    run: Any, tmp_path: Path
) -> None:
    result = run("members", "list")
    assert result.exit_code == 1
    assert "no database at cpnetwork.db" in result.stderr
    assert run("db", "upgrade").exit_code == 0
    assert (tmp_path / "cpnetwork.db").exists()
    assert run("members", "list").output.strip() == "No members match."


def test_a_library_error_is_one_line_on_stderr_with_status_1(run: Any, db: Path) -> None:
    result = run("--db", str(db), "members", "show", "nobody@example.org")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "Error: Member 'nobody@example.org': not found\n"


def test_debug_shows_the_exception(run: Any, db: Path) -> None:
    result = run("--db", str(db), "--debug", "members", "show", "nobody@example.org")
    assert result.exit_code == 1
    assert isinstance(result.exception, NotFoundError)


def test_usage_errors_exit_2(run: Any, db: Path) -> None:
    result = run("--db", str(db), "members", "list", "--role", "wizard")
    assert result.exit_code == 2
    assert "Invalid value for '--role'" in result.stderr
    assert run("--db", str(db), "frobnicate").exit_code == 2


def test_a_url_no_backend_opens_is_an_error(run: Any) -> None:
    result = run("--db", "nosuch://x", "members", "list")
    assert result.exit_code == 1
    assert "no installed backend opens this URL" in result.stderr


def test_a_database_newer_than_the_library_names_the_problem(run: Any, db: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    result = run("--db", str(db), "members", "list")
    assert result.exit_code == 1
    assert "newer than this cpnetwork" in result.stderr
    assert "Traceback" not in result.output
    status = run("--db", str(db), "db", "status")
    assert status.exit_code == 0
    assert "9999" in status.output and "newer than this cpnetwork" in status.output


# -- db ------------------------------------------------------------------------------------


def test_db_upgrade_creates_then_leaves_alone(run: Any, tmp_path: Path) -> None:
    first = run("--db", "new.db", "db", "upgrade")
    assert first.exit_code == 0, first.output
    assert f"upgraded from schema revision (none) to {head_revision()}" in first.output
    again = run("--db", "new.db", "db", "upgrade")
    assert "nothing to do" in again.output
    status = run("--db", "new.db", "db", "status")
    assert status.exit_code == 0
    assert "up to date" in status.output and "sqlite:///new.db" in status.output


def test_db_commands_refuse_a_database_that_is_not_sql(run: Any) -> None:
    for command in (["db", "upgrade"], ["db", "status"]):
        result = run("--db", "memory://", *command)
        assert result.exit_code == 1
        assert "not an SQL database" in result.stderr


# -- members, programs, sessions -----------------------------------------------------------


def test_members_list_and_filters(run: Any, db: Path) -> None:
    listed = run("--db", str(db), "members", "list")
    assert listed.exit_code == 0, listed.output
    assert "3 members" in listed.output
    assert "[bold]Cy[/bold]" in listed.output, "names are shown literally, never as markup"
    by_name = run("--db", str(db), "members", "list", "--county", "los angeles")
    assert "ada@example.org" in by_name.output and "bo@example.org" not in by_name.output
    by_code = run("--db", str(db), "members", "list", "--county", "37")
    assert "bo@example.org" in by_code.output and "ada@example.org" not in by_code.output
    by_role = run("--db", str(db), "members", "list", "--role", "TOSA")
    assert "ada@example.org" in by_role.output and "1 member" in by_role.output
    limited = run("--db", str(db), "members", "list", "--limit", "1")
    assert "1 member" in limited.output
    nobody = run("--db", str(db), "members", "list", "--county", "01")
    assert nobody.output.strip() == "No members match."


def test_members_show_by_email_and_by_id(run: Any, db: Path) -> None:
    shown = run("--db", str(db), "members", "show", "ADA@example.org")
    assert shown.exit_code == 0, shown.output
    for text in ("Ada Lovelace", "tosa", "19 (Los Angeles)", "LACOE", "Science coach"):
        assert text in shown.output
    by_id = run("--db", str(db), "members", "show", _ids(db, "members")["ada@example.org"])
    assert "Ada Lovelace" in by_id.output


def test_programs_list_and_year(run: Any, db: Path) -> None:
    listed = run("--db", str(db), "programs", "list")
    assert listed.exit_code == 0, listed.output
    assert "4 programs" in listed.output
    assert "1 of 1" in listed.output and "unlimited" in listed.output
    in_2025 = run("--db", str(db), "programs", "list", "--year", "2025")
    assert "Convening" in in_2025.output and "Academy" not in in_2025.output
    assert run("--db", str(db), "programs", "list", "--year", "1999").output.strip() == (
        "No programs match."
    )


def test_programs_show_policy_seats_and_counts(run: Any, db: Path) -> None:
    run("--db", str(db), "enroll", "Academy", "ada@example.org")
    shown = run("--db", str(db), "programs", "show", "Academy", "--enrollments")
    assert shown.exit_code == 0, shown.output
    for text in (
        "application",
        "1 of 1",
        "counties: 19, 37",
        "at most 1 per county",
        "at least 1 sessions",
        "LACOE",
        "applied",
        "1 in all",
        "ada@example.org",
    ):
        assert text in shown.output, text
    by_id = run("--db", str(db), "programs", "show", _ids(db, "programs")["Academy"])
    assert by_id.exit_code == 0 and "Academy" in by_id.output


def test_a_program_title_two_programs_share_is_refused(run: Any, db: Path) -> None:
    with Network.open(f"sqlite:///{db}", load_entrypoints=False) as net:
        net.programs.create(title="Academy", program_year=2025)
    result = run("--db", str(db), "programs", "show", "Academy")
    assert result.exit_code == 1
    assert "2 programs have this title; use an id" in result.stderr


def test_sessions_list_and_show(run: Any, db: Path) -> None:
    listed = run("--db", str(db), "sessions", "list")
    assert listed.exit_code == 0, listed.output
    assert "Kickoff" in listed.output and "2024-10-16 09:00 PDT" in listed.output
    assert "1h 30m" in listed.output and "Academy" in listed.output
    of_program = run("--db", str(db), "sessions", "list", "--program", "Academy")
    assert "Kickoff" in of_program.output
    none = run("--db", str(db), "sessions", "list", "--program", "Convening")
    assert none.output.strip() == "No sessions match."
    session_id = _ids(db, "sessions")["Kickoff"]
    shown = run("--db", str(db), "sessions", "show", session_id)
    assert shown.exit_code == 0, shown.output
    assert "America/Los_Angeles" in shown.output and "1 recorded" in shown.output
    missing = run("--db", str(db), "sessions", "show", "nope")
    assert missing.exit_code == 1 and "Session 'nope': not found" in missing.stderr


# -- enroll, review, withdraw --------------------------------------------------------------


def test_enroll_follows_the_programs_mode(run: Any, db: Path) -> None:
    applied = run("--db", str(db), "enroll", "Academy", "ada@example.org")
    assert applied.exit_code == 0, applied.output
    assert applied.output.startswith("applied: ada@example.org in Academy: applied")
    registered = run("--db", str(db), "enroll", "Convening", "ada@example.org")
    assert "registered: ada@example.org in Convening: enrolled" in registered.output
    waitlisted = run("--db", str(db), "enroll", "Convening", "bo@example.org")
    assert "in Convening: waitlisted" in waitlisted.output
    interested = run("--db", str(db), "enroll", "Admins", "ada@example.org")
    assert "expressed interest: ada@example.org in Admins: interested" in interested.output
    invited = run("--db", str(db), "enroll", "Invited", "bo@example.org")
    assert "invited: bo@example.org in Invited: enrolled" in invited.output


def test_enroll_errors(run: Any, db: Path) -> None:
    run("--db", str(db), "enroll", "Academy", "ada@example.org")
    again = run("--db", str(db), "enroll", "Academy", "ada@example.org")
    assert again.exit_code == 1
    assert "Ada Lovelace <ada@example.org> is already in 'Academy' (2024)" in again.stderr
    no_track = run("--db", str(db), "enroll", "Admins", "bo@example.org", "--track", "x")
    assert no_track.exit_code == 2 and "without tracks" in no_track.stderr
    ineligible = run("--db", str(db), "enroll", "Academy", "cy@example.org", "--track", "x")
    assert ineligible.exit_code == 1 and "no track 'x'" in ineligible.stderr
    no_program = run("--db", str(db), "enroll", "Nope", "ada@example.org")
    assert no_program.stderr == "Error: Program 'Nope': not found\n"


def test_review_moves_an_application(run: Any, db: Path) -> None:
    ada = _enrollment_id(run("--db", str(db), "enroll", "Academy", "ada@example.org").output)
    bo = _enrollment_id(run("--db", str(db), "enroll", "Academy", "bo@example.org").output)
    started = run("--db", str(db), "review", ada, "--start")
    assert started.exit_code == 0, started.output
    assert "applied -> under_review" in started.output
    accepted = run("--db", str(db), "review", ada, "--accept", "--rank", "1", "--reason", "ok")
    assert "under_review -> accepted" in accepted.output
    full = run("--db", str(db), "review", bo, "--accept")
    assert full.exit_code == 1 and "seats are taken" in full.stderr
    waitlisted = run("--db", str(db), "review", bo, "--waitlist", "--rank", "2")
    assert "applied -> waitlisted" in waitlisted.output
    listed = run("--db", str(db), "programs", "show", "Academy", "--enrollments")
    assert "waitlisted" in listed.output
    declined = run("--db", str(db), "review", bo, "--decline", "--reason", "no seat")
    assert "waitlisted -> declined" in declined.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give exactly one of"),
        (["--accept", "--decline"], "give exactly one of"),
        (["--decline", "--rank", "2"], "--rank goes with"),
        (["--start", "--reason", "x"], "--reason goes with"),
        (["--accept", "--rank", "0"], "Invalid value for '--rank'"),
    ],
)
def test_review_usage_errors(run: Any, db: Path, args: list[str], message: str) -> None:
    result = run("--db", str(db), "review", "some-id", *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_review_of_an_unknown_enrollment(run: Any, db: Path) -> None:
    result = run("--db", str(db), "review", "nope", "--start")
    assert result.exit_code == 1
    assert result.stderr == "Error: Enrollment 'nope': not found\n"


def test_withdraw_frees_the_seat_for_the_waitlist(run: Any, db: Path) -> None:
    ada = _enrollment_id(run("--db", str(db), "enroll", "Convening", "ada@example.org").output)
    run("--db", str(db), "enroll", "Convening", "bo@example.org")
    withdrawn = run("--db", str(db), "withdraw", ada, "--reason", "moved away")
    assert withdrawn.exit_code == 0, withdrawn.output
    assert "enrolled -> withdrawn" in withdrawn.output
    shown = run("--db", str(db), "members", "show", "bo@example.org")
    assert "enrolled" in shown.output and "waitlisted" not in shown.output
    twice = run("--db", str(db), "withdraw", ada)
    assert twice.exit_code == 1 and "cannot withdraw from status 'withdrawn'" in twice.stderr


# -- export and import-json ----------------------------------------------------------------


def test_export_to_stdout_and_reimport_into_an_empty_database(
    run: Any, db: Path, tmp_path: Path
) -> None:
    run("--db", str(db), "enroll", "Academy", "ada@example.org")
    exported = run("--db", str(db), "export")
    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.stdout)
    assert len(data["members"]) == 3 and len(data["enrollments"]) == 1
    (tmp_path / "backup.json").write_text(exported.stdout)
    loaded = run("--db", "copy.db", "import-json", "backup.json")
    assert loaded.exit_code == 0, loaded.output
    total = sum(len(rows) for rows in data.values())
    assert loaded.output == f"Imported {total} records into sqlite:///copy.db.\n"
    assert json.loads(run("--db", "copy.db", "export").stdout) == data
    assert "Test Network" in run("--db", "copy.db", "export").stdout


def test_export_to_a_file_reports_on_stderr(run: Any, db: Path, tmp_path: Path) -> None:
    result = run("--db", str(db), "export", "out.json")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("Exported ") and "members 3" in result.stderr
    assert json.loads((tmp_path / "out.json").read_text())["programs"]


def test_export_into_a_missing_directory_is_a_clean_error(run: Any, db: Path) -> None:
    result = run("--db", str(db), "export", "no/such/dir/out.json")
    assert result.exit_code == 1
    assert result.stderr == "Error: cannot write no/such/dir/out.json: No such file or directory\n"


def test_import_json_reads_stdin(run: Any, db: Path) -> None:
    exported = run("--db", str(db), "export").stdout
    result = run("--db", "piped.db", "import-json", "-", input=exported)
    assert result.exit_code == 0, result.output
    assert "Imported " in result.output


def test_import_json_refuses_a_database_with_records(run: Any, db: Path, tmp_path: Path) -> None:
    run("--db", str(db), "export", "backup.json")
    result = run("--db", str(db), "import-json", "backup.json")
    assert result.exit_code == 1
    assert "already holds" in result.stderr and "empty database" in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "bad.json: not JSON: "),
        ('["a list"]', "bad.json: not a cpnetwork export"),
        ('{"members": [1, 2]}', "bad.json: not a cpnetwork export"),
        ('{"wizards": []}', "unknown kinds of record ['wizards']"),
        ('{"members": [{"email": "x@example.org", "shoe_size": 9}]}', "Member"),
    ],
)
def test_import_json_bad_files(run: Any, tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "bad.json").write_text(content)
    result = run("--db", "target.db", "import-json", "bad.json")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_import_json_of_a_missing_file_is_a_usage_error(run: Any) -> None:
    result = run("import-json", "nowhere.json")
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


# -- plugins and demo ----------------------------------------------------------------------


def test_plugins_lists_builtins_and_hand_registered_plugins(run: Any) -> None:
    result = run("plugins")
    assert result.exit_code == 0, result.output
    assert "cpnetwork.builtins.sql_backend" in result.output and "built-in" in result.output
    assert "Geography" in result.output and "register_jurisdictions" in result.output
    assert "open_storage" in result.output


def test_plugins_shows_entry_point_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(cli, ["plugins"], obj=CliConfig())
    assert result.exit_code == 0, result.output
    assert "testplugin" in result.output and "cpnetwork-testplugin 0.1.0" in result.output
    monkeypatch.setenv("CPNETWORK_BLOCK_PLUGINS", "testplugin")
    blocked = CliRunner().invoke(cli, ["plugins"], obj=CliConfig())
    assert "testplugin" not in blocked.output


def test_demo_builds_the_example_network(run: Any, tmp_path: Path) -> None:
    result = run("demo", "--db", "example.db")
    assert result.exit_code == 0, result.output
    assert "California Science Leaders (demo)" in result.output
    assert "cpnetwork --db example.db programs list" in result.output
    assert (tmp_path / "demo-reports" / "reach.html").exists()  # beside the file
    programs = run("--db", "example.db", "programs", "list")
    assert "Science Leadership Academy" in programs.output
    again = run("demo", "--db", "example.db")
    assert again.exit_code == 1
    assert "the demo writes only into a new file or an empty database" in again.stderr


@pytest.fixture
def fake_demo(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replace the demo's year with opening the network, recording where."""
    import cpnetwork.demo

    urls: list[str] = []

    def fake_run(url: str, *, console: object = None, reports: object = None) -> Network:
        urls.append(url)
        return Network.open(url, load_entrypoints=False)

    monkeypatch.setattr(cpnetwork.demo, "run", fake_run)
    return urls


def test_demo_goes_to_demo_network_db_unless_a_db_is_given(
    run: Any, fake_demo: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("demo").exit_code == 0
    assert run("--db", "chosen.db", "demo").exit_code == 0
    monkeypatch.setenv("CPNETWORK_DB", "from-env.db")
    assert run("demo").exit_code == 0
    assert run("demo", "--db", "memory://").exit_code == 0
    assert fake_demo == [
        "sqlite:///demo-network.db",
        "sqlite:///chosen.db",
        "sqlite:///from-env.db",
        "memory://",
    ]


def test_demo_missing_from_the_installation(run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cpnetwork.demo", None)
    result = run("demo")
    assert result.exit_code == 1
    assert "the demo is not part of this installation" in result.stderr


def test_an_unexpected_exception_is_one_line_unless_debugging(
    run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cpnetwork.demo

    def broken(url: str, *, console: object = None, reports: object = None) -> Network:
        raise RuntimeError("boom")

    monkeypatch.setattr(cpnetwork.demo, "run", broken)
    result = run("demo", "--db", "memory://")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: unexpected RuntimeError: boom (run with --debug for the traceback)\n"
    )
    debugged = run("--debug", "demo", "--db", "memory://")
    assert isinstance(debugged.exception, RuntimeError)
