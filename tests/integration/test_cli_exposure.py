"""What the command shows and leaves behind: no secrets, no live escape codes, no stray files.

Passwords in database URLs are masked in every line the command prints; data from
the network (member names, program titles) cannot act on the terminal; read commands
open the database read-only and leave its bytes alone; a failed command leaves no
database file it created; new databases are private to their owner.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from attrs import evolve, frozen
from click.testing import CliRunner, Result

from cpnetwork import Network, hookimpl
from cpnetwork.cli import CliConfig, cli
from cpnetwork.errors import StorageError
from cpnetwork.model import EnrollmentPolicy, Member, Program, Session
from cpnetwork.model._validators import stored_values
from cpnetwork.storage import RecordKind
from cpnetwork.storage.sql_engine import create_engine
from cpnetwork.testing.pytest_plugin import FrozenClock

SECRET = "topsecret42"

#: Names that would act on a terminal if printed raw: SGR colour, an OSC title change
#: (ended by BEL and by ST), a bidi override, a cursor move and a C1 control.
HOSTILE = (
    "\x1b[31mRed",
    "\x1b]0;pwned\x07Title",
    "\x1b]2;pwned\x1b\\Title",
    "\u202eevil",
    "Iso\u2066late",
    "Up\x1b[2A",
    "C1\x9b31m",
    "[bold]Markup[/bold]",
)
LIVE = ("\x1b", "\x07", "\x9b", "\u202e", "\u2066")


def _inert(text: str) -> None:
    for char in LIVE:
        assert char not in text, f"{char!r} reached the terminal: {text!r}"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CPNETWORK_DB", raising=False)
    monkeypatch.delenv("CPNETWORK_BLOCK_PLUGINS", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def config(clock: FrozenClock) -> CliConfig:
    return CliConfig(load_entrypoints=False, clock=clock)


@pytest.fixture
def run(config: CliConfig) -> Iterator[Any]:
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(cli, list(args), obj=config, input=input)

    yield invoke


def _build(url: str, clock: FrozenClock) -> None:
    """A network whose members and program carry names that would act on a terminal.

    The input rules refuse such names today, so they are written as an older store may
    hold them: the terminal must stay safe whatever the database contains.
    """
    with Network.open(url, name="Hostile", clock=clock) as net:
        start = datetime(2024, 10, 16, 16, tzinfo=UTC)
        with stored_values():
            profile = evolve(net.profile, name="Hostile \x1b]0;net\x07")
            members = [
                Member(email=f"m{n}@example.org", given_name=name, family_name="\u202eLast")
                for n, name in enumerate(HOSTILE)
            ]
            program = Program(
                title="Academy \x1b[5mblink\u202e",
                program_year=2024,
                policy=EnrollmentPolicy(mode="registration", capacity=5),
            )
            session = Session(
                program_id=program.id,
                title="Kick\x1b]0;x\x07off",
                start=start,
                end=start + timedelta(hours=1),
            )
        with net.storage.transaction() as tx:
            tx.update(profile)
            tx.insert_many([*members, program, session])


# -- secrets in URLs --------------------------------------------------------------------


def _with_password(url: str) -> str:
    """``url`` with the password given both as a user part and as a query parameter."""
    scheme, rest = url.split("://", 1)
    user, at, host = rest.partition("@")
    if not at:
        user, host = "postgres", rest
    return f"{scheme}://{user}:{SECRET}@{host}&password={SECRET}"


@pytest.mark.postgres
def test_no_command_shows_the_password_of_a_postgresql_url(
    run: Any, pg_url: str, clock: FrozenClock
) -> None:
    url = _with_password(pg_url)
    _build(url, clock)
    outputs = [
        run("--db", url, "db", "upgrade"),
        run("--db", url, "db", "status"),
        run("--db", url, "members", "list"),
        run("--db", url, "programs", "list"),
        run("--db", url, "sessions", "list"),
        run("--db", url, "export", "out.json"),
        run("--db", url, "import-json", "out.json"),  # refused: the network is not empty
        run("--db", url, "demo"),  # refused: the database holds a network
    ]
    for result in outputs:
        assert SECRET not in result.output
    assert "already holds" in outputs[-2].output and "***" in outputs[-2].output
    with Network.open(url) as net:
        assert SECRET not in repr(net) and SECRET not in repr(net.storage)
        assert SECRET not in net.storage.url


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://postgres:{SECRET}@127.0.0.1:1/none?password={SECRET}",  # refused
        f"mysql://ada:{SECRET}@db.example.org/network?password={SECRET}",  # no backend
    ],
)
@pytest.mark.parametrize(
    "command", [("members", "list"), ("db", "upgrade"), ("db", "status"), ("programs", "list")]
)
def test_errors_naming_a_database_hide_its_password(
    run: Any, url: str, command: tuple[str, ...]
) -> None:
    result = run("--db", url, *command)
    assert result.exit_code == 1, result.output
    assert SECRET not in result.output
    assert "***" in result.output


def test_a_webhook_secret_in_its_url_is_masked(run: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run("db", "upgrade").exit_code == 0
    monkeypatch.setenv("CPNETWORK_WEBHOOK_SECRET", "signing")
    hook = f"https://hooks.example.org/in?token={SECRET}&channel=leads"
    result = run("notifications", "settings", "--webhook", hook)
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output and "token=***&channel=leads" in result.output


# -- data that would act on the terminal ------------------------------------------------


def test_list_and_show_commands_print_data_inert(
    run: Any, tmp_path: Path, clock: FrozenClock
) -> None:
    _build(f"sqlite:///{tmp_path / 'network.db'}", clock)
    listed = run("--db", "network.db", "members", "list")
    assert listed.exit_code == 0, listed.output
    _inert(listed.output)
    assert "[bold]Markup[/bold]" in listed.output  # markup stays text
    for n in range(len(HOSTILE)):
        shown = run("--db", "network.db", "members", "show", f"m{n}@example.org")
        assert shown.exit_code == 0, shown.output
        _inert(shown.output)
    programs = run("--db", "network.db", "programs", "list")
    _inert(programs.output)
    assert "Academy" in programs.output
    program = run("--db", "network.db", "programs", "show", "Academy \x1b[5mblink\u202e")
    assert program.exit_code == 0, program.output
    _inert(program.output)
    sessions = run("--db", "network.db", "sessions", "list")
    assert "Kick" in sessions.output
    _inert(sessions.output)
    enrolled = run("--db", "network.db", "enroll", "Academy \x1b[5mblink\u202e", "m0@example.org")
    assert enrolled.exit_code == 0, enrolled.output
    _inert(enrolled.output)


def test_an_error_quoting_data_is_inert(run: Any, tmp_path: Path, clock: FrozenClock) -> None:
    _build(f"sqlite:///{tmp_path / 'network.db'}", clock)
    result = run("--db", "network.db", "members", "show", "\x1b]0;pwned\x07@example.org")
    assert result.exit_code == 1
    _inert(result.output)


# -- read commands write nothing --------------------------------------------------------


def _snapshot(path: Path) -> tuple[int, str]:
    return path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest()


def test_read_commands_leave_the_database_file_untouched(
    run: Any, tmp_path: Path, clock: FrozenClock
) -> None:
    path = tmp_path / "network.db"
    _build(f"sqlite:///{path}", clock)
    before = _snapshot(path)
    for command in (
        ("members", "list"),
        ("members", "show", "m0@example.org"),
        ("programs", "list"),
        ("sessions", "list"),
        ("notifications", "list"),
        ("notifications", "settings"),
        ("db", "status"),
        ("export", "copy.json"),
    ):
        result = run("--db", str(path), *command)
        assert result.exit_code == 0, (command, result.output)
        assert _snapshot(path) == before, command
    # The WAL files a reader needs are tidied away as a writer's would be.
    assert _files(tmp_path) == {"network.db", "copy.json"}


def test_a_database_without_a_profile_is_read_without_writing_one(run: Any, tmp_path: Path) -> None:
    assert run("--db", "bare.db", "db", "upgrade").exit_code == 0
    before = _snapshot(tmp_path / "bare.db")
    assert run("--db", "bare.db", "members", "list").exit_code == 0
    assert _snapshot(tmp_path / "bare.db") == before


def test_a_network_opened_read_only_refuses_every_change(sql_url: str) -> None:
    with Network.open(sql_url, name="Read only") as net:
        net.members.add(email="ada@example.org")
    with Network.open(sql_url, read_only=True) as net:
        assert net.storage.read_only
        with pytest.raises(StorageError, match="read-only"):
            net.members.add(email="grace@example.org")
        assert [m.email for m in net.members.find()] == ["ada@example.org"]


# -- failed commands leave no database behind -------------------------------------------


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_a_refused_import_into_a_new_path_leaves_no_database(run: Any, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("email,given_name\nnot-an-email,Ada\n", encoding="utf-8")
    before = _files(tmp_path)
    result = run("--db", "new.db", "import", "members", str(roster))
    assert result.exit_code == 1, result.output
    assert _files(tmp_path) == before


def test_a_refused_import_json_into_a_new_path_leaves_no_database(run: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"members": [{"email": "ada@example.org", "nonsense": 1}]}', "utf-8")
    before = _files(tmp_path)
    result = run("--db", "new.db", "import-json", str(bad))
    assert result.exit_code == 1, result.output
    assert _files(tmp_path) == before


def test_a_failed_command_keeps_a_database_it_did_not_create(
    run: Any, tmp_path: Path, clock: FrozenClock
) -> None:
    _build(f"sqlite:///{tmp_path / 'network.db'}", clock)
    export = run("--db", "network.db", "export", "copy.json")
    assert export.exit_code == 0
    again = run("--db", "network.db", "import-json", "copy.json")
    assert again.exit_code == 1 and "already holds" in again.output
    assert (tmp_path / "network.db").exists()


# -- private files ----------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_a_new_sqlite_database_and_its_wal_files_are_owner_only(tmp_path: Path, umask: int) -> None:
    path = tmp_path / "private.db"
    old = os.umask(umask)
    try:
        with Network.open(f"sqlite:///{path}") as net:
            net.members.add(email="ada@example.org")
            wal = [path.with_name(path.name + s) for s in ("-wal", "-shm")]
            assert all(p.exists() for p in wal)
            assert {p.name: _mode(p) for p in [path, *wal]} == {p.name: 0o600 for p in [path, *wal]}
    finally:
        os.umask(old)
    assert _mode(path) == 0o600


def test_cli_created_databases_and_exports_are_owner_only(
    run: Any, tmp_path: Path, clock: FrozenClock
) -> None:
    assert run("--db", "upgraded.db", "db", "upgrade").exit_code == 0
    assert _mode(tmp_path / "upgraded.db") == 0o600
    url = f"sqlite:///{tmp_path / 'network.db'}"
    with Network.open(url, name="Plain", clock=clock, load_entrypoints=False) as net:
        net.members.add(email="ada@example.org")  # import-json takes only valid data
    assert run("--db", "network.db", "export", "copy.json").exit_code == 0
    assert _mode(tmp_path / "copy.json") == 0o600
    assert run("--db", "restored.db", "import-json", "copy.json").exit_code == 0
    assert _mode(tmp_path / "restored.db") == 0o600


@frozen(kw_only=True)
class Note:
    """A plugin's kind of record: a read command must not create its table."""

    id: str
    text: str = ""


class NotesPlugin:
    @hookimpl
    def register_record_kinds(self) -> list[RecordKind]:
        return [RecordKind(name="plugin_notes", cls=Note)]


def test_read_commands_write_nothing_on_either_sql_store(sql_url: str, clock: FrozenClock) -> None:
    runner = CliRunner()
    bare = CliConfig(load_entrypoints=False, clock=clock)
    assert runner.invoke(cli, ["--db", sql_url, "db", "upgrade"], obj=bare).exit_code == 0
    config = CliConfig(plugins=[NotesPlugin()], load_entrypoints=False, clock=clock)
    for command in (
        ["members", "list"],
        ["programs", "list"],
        ["sessions", "list"],
        ["notifications", "list"],
        ["notifications", "settings"],
        ["export", "-"],
    ):
        result = runner.invoke(cli, ["--db", sql_url, *command], obj=config)
        assert result.exit_code == 0, (command, result.output)
    engine = create_engine(sql_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM network")).scalar() == 0
            assert not sa.inspect(connection).has_table("plugin_notes")
    finally:
        engine.dispose()
    # A command that writes opens it writable: the profile and the plugin's table appear.
    added = runner.invoke(
        cli, ["--db", sql_url, "notifications", "settings", "--log", "on"], obj=config
    )
    assert added.exit_code == 0, added.output
    with Network.open(sql_url, plugins=[NotesPlugin()], load_entrypoints=False) as net:
        assert net.notifications.settings.log


def test_a_members_data_export_is_owner_only_and_whole(
    run: Any, tmp_path: Path, clock: FrozenClock
) -> None:
    _build(f"sqlite:///{tmp_path / 'network.db'}", clock)
    target = tmp_path / "ada.json"
    result = run("--db", "network.db", "members", "export-data", "m0@example.org", "-o", "ada.json")
    assert result.exit_code == 0, result.output
    assert _mode(target) == 0o600
    assert json.loads(target.read_text())
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == []
    missing = run(
        "--db", "network.db", "members", "export-data", "nobody@example.org", "-o", "ada.json"
    )
    assert missing.exit_code == 1
    assert json.loads(target.read_text())  # untouched by the failed run
