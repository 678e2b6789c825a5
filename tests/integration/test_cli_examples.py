"""Every example line in every command's ``--help`` runs, against a real SQLite network.

The examples are read from the "Examples:" block of each click command's epilog (the
root, groups, their subcommands and plugin commands), and each line runs in a fresh
directory holding a prepared network (``cpnetwork.db``, the default, and
``network.db``) and the files the examples name.  Placeholder ids are those the help
uses throughout: ``5b0e...`` a program, ``3f2a...`` an enrollment, ``7d41...`` a session,
``9f1c2e...`` a member.  A line must exit 0; commands piped into another cpnetwork
command feed it their output, a pipe into anything else (``jq``, ``less``) ends the line.
"""

from __future__ import annotations

import itertools
import re
import shlex
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import pytest
from click.testing import CliRunner, Result

from cpnetwork import Network
from cpnetwork.cli import CliConfig, CliState, cli
from cpnetwork.cli import plugin_commands as _plugin_commands
from cpnetwork.model import CompletionRule, EnrollmentPolicy, Module
from cpnetwork.testing.pytest_plugin import FrozenClock

ROOT = Path(__file__).resolve().parents[2]
PUBSCHLS = ROOT / "plugins" / "cpnetwork-california" / "tests" / "data" / "pubschls_sample.txt"
LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2024, 9, 1, 16, 0, tzinfo=UTC)
EXAMPLES = re.compile(r"^Examples:\n((?:[ \t]+\S.*\n?)+)", re.MULTILINE)
#: Database names in the help that stand for the prepared network here.
DATABASES = {
    "postgresql://user@host/network": "network.db",
    "postgresql://host/network": "network.db",
    "/srv/network.db": "network.db",
    "/tmp/example.db": "example.db",
}
#: Database files an example may name that hold the prepared network (demo's, here).
PREPARED = {"network.db", "example.db", "demo-network.db"}
#: Commands that create the database they are given: it must not exist before.
CREATING = {"demo", "import-json"}


def _commands() -> Iterator[tuple[str, click.Command]]:
    """Every command with its path: built-in, plugin-added, and groups' subcommands."""
    state = CliState(CliConfig())
    extra = _plugin_commands(state.host, set(cli.commands))
    yield "cpnetwork", cli

    def walk(path: str, command: click.Command) -> Iterator[tuple[str, click.Command]]:
        yield path, command
        if isinstance(command, click.Group):
            for name, sub in sorted(command.commands.items()):
                yield from walk(f"{path} {name}", sub)

    for name, command in sorted({**cli.commands, **extra}.items()):
        yield from walk(f"cpnetwork {name}", command)


def examples() -> list[tuple[str, str]]:
    """(command path, example line) for every line of every Examples block."""
    found = []
    for path, command in _commands():
        for block in EXAMPLES.findall(command.epilog or ""):
            found += [(path, line.strip()) for line in block.splitlines() if line.strip()]
    return found


EXAMPLE_LINES = examples()


def test_every_command_but_the_groups_has_examples() -> None:
    with_examples = {path for path, _ in EXAMPLE_LINES}
    for path, command in _commands():
        if not isinstance(command, click.Group) and command.epilog is not None:
            assert path in with_examples, f"{path}: an epilog without an Examples block"
    assert len(EXAMPLE_LINES) > 50


@dataclass
class Prepared:
    """The prepared network: its file and the ids the placeholders stand for."""

    path: Path
    program: str
    session: str
    member: str
    applied: str
    accepted: str
    offered: str


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    folder = tmp_path_factory.mktemp("prepared")
    path = folder / "network.db"
    with Network.open(f"sqlite:///{path}", name="Example Network", clock=lambda: NOW) as net:
        office = net.organizations.add(
            name="LACOE", kind="county_office", county="19", identifiers={"cds": "19101990000000"}
        )
        ada = net.members.add(
            email="ada@example.org",
            given_name="Ada",
            family_name="Okafor",
            roles=["tosa"],
            county="19",
        )
        net.members.affiliate(ada.id, office.id, title="Science coach")
        people = {
            name: net.members.add(email=f"{name}@example.org", given_name=name.title(), county="19")
            for name in ("bo", "cy", "dee", "eve")
        }
        academy = net.programs.create(
            title="Science Leadership Academy",
            program_year=2024,
            policy=EnrollmentPolicy(
                mode="application",
                capacity=30,
                opens=datetime(2024, 8, 1, tzinfo=LA),
                deadline=datetime(2024, 9, 15, 23, 59, tzinfo=LA),
            ),
            tracks=[Module(key="conference", title="Conference track")],
            completion=CompletionRule(min_sessions=1),
        )
        convening = net.programs.create(
            title="Fall Convening", program_year=2024, policy=EnrollmentPolicy(capacity=1)
        )
        kickoff = net.sessions.schedule(
            academy.id,
            title="Kickoff",
            start=datetime(2024, 8, 28, 16, 0, tzinfo=LA),
            duration=timedelta(minutes=90),
            timezone="America/Los_Angeles",
        )
        applied = net.enrollment.apply(academy.id, people["bo"].id)
        accepted = net.enrollment.accept(net.enrollment.apply(academy.id, people["cy"].id).id)
        first = net.enrollment.register(convening.id, people["dee"].id)
        waiting = net.enrollment.register(convening.id, people["eve"].id)
        net.enrollment.withdraw(first.id)
        offered = net.enrollment.get(waiting.id)
        assert offered.status.value == "offered"
        with (folder / "backup.json").open("w", encoding="utf-8") as out:
            net.export(out)
    (folder / "roster.csv").write_text(
        "Timestamp,Email Address,First name,Last name,Role(s),Grade levels you support,County\n"
        "9/03/2024 16:15:22,fay@example.org,Fay,Ng,TOSA,Grades 3-5,Los Angeles\n"
    )
    (folder / "zoom-report.csv").write_text(
        "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\n"
        "Ada Okafor,ada@example.org,08/28/2024 03:58:10 PM,08/28/2024 05:31:02 PM,93,No\n"
    )
    return Prepared(
        path=path,
        program=academy.id,
        session=kickoff.id,
        member=ada.id,
        applied=applied.id,
        accepted=accepted.id,
        offered=offered.id,
    )


def plan_in_the_docs() -> str:
    """The plan file docs/cli.md shows (its one TOML block)."""
    (block,) = re.findall(r"```toml\n(.*?)```", (ROOT / "docs" / "cli.md").read_text(), re.DOTALL)
    return str(block)


def _substitute(line: str, prepared: Prepared) -> str:
    if re.search(r"\b(confirm)\b", line):
        enrollment = prepared.accepted
    elif re.search(r"\b(accept-offer|decline-offer)\b", line):
        enrollment = prepared.offered
    else:
        enrollment = prepared.applied
    for placeholder, value in (
        ("5b0e...", prepared.program),
        ("3f2a...", enrollment),
        ("7d41...", prepared.session),
        ("9f1c2e...", prepared.member),
        *DATABASES.items(),
    ):
        line = line.replace(placeholder, value)
    return line


def _databases(words: list[str]) -> list[str]:
    return [words[i + 1] for i, word in enumerate(words[:-1]) if word == "--db"]


def _pipeline(line: str) -> list[list[str]]:
    """The commands of a shell pipeline, each as its words."""
    commands: list[list[str]] = [[]]
    for word in shlex.split(line):
        if word == ">":
            break  # a redirection: the output is not looked at
        if word == "|":
            commands.append([])
        else:
            commands[-1].append(word)
    return commands


def run_example(line: str, prepared: Prepared, folder: Path) -> list[Result]:
    """Run one example line in ``folder``: each cpnetwork command of its pipeline."""
    for name in ("cpnetwork.db", "network.db"):
        shutil.copy(prepared.path, folder / name)
    for name in ("backup.json", "roster.csv", "zoom-report.csv"):
        shutil.copy(prepared.path.parent / name, folder / name)
    shutil.copy(PUBSCHLS, folder / "pubschls.txt")
    (folder / "year.toml").write_text(plan_in_the_docs())
    config = CliConfig(clock=FrozenClock(NOW))
    runner = CliRunner()
    results: list[Result] = []
    stdin: str | None = None
    for words in _pipeline(_substitute(line, prepared)):
        env: dict[str, str | None] = {"CPNETWORK_DB": None, "CPNETWORK_BLOCK_PLUGINS": None}
        while words and re.match(r"^[A-Z_]+=", words[0]):
            key, _, value = words.pop(0).partition("=")
            env[key] = DATABASES.get(value, value)
        if not words or words[0] != "cpnetwork":
            break  # piped into another program: the cpnetwork part has run
        creating = bool(CREATING & set(words))
        for database in _databases(words):
            if not creating and database in PREPARED and not (folder / database).exists():
                shutil.copy(prepared.path, folder / database)
        result = runner.invoke(cli, words[1:], obj=config, input=stdin, env=env)
        results.append(result)
        stdin = result.stdout
    return results


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("command", "line"), EXAMPLE_LINES, ids=[line for _, line in EXAMPLE_LINES]
)
def test_every_help_example_runs(command: str, line: str, prepared: Prepared, folder: Path) -> None:
    results = run_example(line, prepared, folder)
    assert results, f"{command}: {line!r} runs no cpnetwork command"
    for result in results:
        assert result.exit_code == 0, f"{line}\n{result.output}\n{result.stderr}"


#: Pages whose command lines run against the database the page's own examples build,
#: in the test of that page (tests/test_docs_site.py runs the tutorial's).
OWN_DATABASE = frozenset({"tutorial.md"})


def doc_examples() -> list[tuple[str, str, bool]]:
    """(page, line, whether the page shows it failing) for each ``$ cpnetwork`` line."""
    found = []
    for page in sorted((ROOT / "docs").glob("*.md")):
        if page.name in OWN_DATABASE:
            continue
        lines = page.read_text().splitlines()
        for i, line in enumerate(lines):
            if line.startswith("$ cpnetwork "):
                shown = itertools.takewhile(
                    lambda text: not text.startswith(("$ ", "```")), lines[i + 1 :]
                )
                fails = any(text.startswith("Error:") for text in shown)
                found.append((page.name, line[2:], fails))
    return found


DOC_LINES = doc_examples()


@pytest.mark.parametrize(
    ("page", "line", "fails"), DOC_LINES, ids=[f"{p}: {line}" for p, line, _ in DOC_LINES]
)
def test_every_command_line_in_the_docs_runs(
    page: str, line: str, fails: bool, prepared: Prepared, folder: Path
) -> None:
    results = run_example(line, prepared, folder)
    assert results, f"{page}: {line!r} runs no cpnetwork command"
    if fails:
        assert results[-1].exit_code != 0, f"{page}: {line} should fail as the page shows"
        return
    for result in results:
        assert result.exit_code == 0, f"{page}: {line}\n{result.output}\n{result.stderr}"
