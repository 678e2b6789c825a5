"""``cpnetwork import KIND FILE`` with a small importer registered by a test plugin."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from cpnetwork import Network, hookimpl
from cpnetwork.cli import CliConfig, CliState, cli
from cpnetwork.cli.data import _complete_kinds
from cpnetwork.importers import Importer, ImportFileError, ImportReport, RowError


class PeopleImporter(Importer):
    """Members from a CSV with ``email`` and ``given_name`` columns."""

    kind = "people"
    description = "People from a CSV of email and given_name"

    def run(
        self,
        network: Network,
        path: Path,
        *,
        dry_run: bool = False,
        options: Mapping[str, str] | None = None,
    ) -> ImportReport:
        with path.open(newline="") as stream:
            rows = list(csv.DictReader(stream))
        problems = [
            RowError(row=n, column="email", reason=f"{row['email']!r} is not an email")
            for n, row in enumerate(rows, start=1)
            if "@" not in row["email"]
        ]
        if problems:
            raise ImportFileError(path.name, problems)
        created = unchanged = 0
        for row in rows:
            if network.members.find_by_email(row["email"]) is not None:
                unchanged += 1
                continue
            if not dry_run:
                network.members.add(email=row["email"], given_name=row["given_name"])
            created += 1
        notes = [f"{key} = {value}" for key, value in sorted((options or {}).items())]
        return ImportReport(
            kind=self.kind,
            source=path.name,
            dry_run=dry_run,
            created=created,
            unchanged=unchanged,
            notes=notes,
        )


class Calendar(Importer):
    kind = "calendar"
    description = "Sessions from an iCalendar file"

    def run(
        self,
        network: Network,
        path: Path,
        *,
        dry_run: bool = False,
        options: Mapping[str, str] | None = None,
    ) -> ImportReport:
        return ImportReport(kind=self.kind, source=path.name, dry_run=dry_run)


class ImportersPlugin:
    @hookimpl
    def register_importers(self) -> list[Importer]:
        return [PeopleImporter(), Calendar()]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CPNETWORK_DB", raising=False)
    monkeypatch.chdir(tmp_path)


#: Only this module's importers: the built-in ones are tested with their own files.
WITHOUT_BUILTINS = ("cpnetwork.builtins.importers",)


def run(*args: str, plugins: tuple[object, ...] = (ImportersPlugin(),)) -> Result:
    config = CliConfig(plugins=plugins, load_entrypoints=False, block_plugins=WITHOUT_BUILTINS)
    return CliRunner().invoke(cli, list(args), obj=config)


def write_people(path: Path, *emails: str) -> Path:
    lines = ["email,given_name", *(f"{email},Someone" for email in emails)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_import_creates_the_database_and_reports(tmp_path: Path) -> None:
    write_people(tmp_path / "people.csv", "ada@example.org", "bo@example.org")
    result = run("--db", "new.db", "import", "people", "people.csv")
    assert result.exit_code == 0, result.output
    assert result.output == "people from people.csv: created 2, updated 0, unchanged 0\n"
    again = run("--db", "new.db", "import", "people", "people.csv")
    assert "created 0, updated 0, unchanged 2" in again.output
    assert "2 members" in run("--db", "new.db", "members", "list").output


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    write_people(tmp_path / "people.csv", "ada@example.org")
    run("db", "upgrade")
    result = run("import", "people", "people.csv", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would create 1, would update 0" in result.output
    assert run("members", "list").output.strip() == "No members match."


def test_dry_run_against_a_missing_database_creates_no_file(tmp_path: Path) -> None:
    write_people(tmp_path / "people.csv", "ada@example.org")
    result = run("--db", "later.db", "import", "people", "people.csv", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would create 1" in result.output
    assert not (tmp_path / "later.db").exists()


def test_options_reach_the_importer(tmp_path: Path) -> None:
    write_people(tmp_path / "people.csv", "ada@example.org")
    result = run("import", "people", "people.csv", "-o", "tag=2024", "--option", "note=a=b")
    assert result.exit_code == 0, result.output
    assert "note = a=b" in result.output and "tag = 2024" in result.output


def test_an_option_without_a_value_is_a_usage_error(tmp_path: Path) -> None:
    write_people(tmp_path / "people.csv", "ada@example.org")
    result = run("import", "people", "people.csv", "-o", "tag")
    assert result.exit_code == 2
    assert "'tag' is not KEY=VALUE" in result.stderr


def test_a_bad_file_lists_every_problem_by_row_and_column(tmp_path: Path) -> None:
    write_people(tmp_path / "people.csv", "ada@example.org", "not-an-email", "nor-this")
    result = run("--db", "net.db", "import", "people", "people.csv")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: file 'people.csv': 2 problem(s)\n"
        "  row 2, column 'email': 'not-an-email' is not an email\n"
        "  row 3, column 'email': 'nor-this' is not an email\n"
    )
    assert not (tmp_path / "net.db").exists()  # the refused import created it: removed


def test_a_file_with_many_problems_is_cut_short(tmp_path: Path) -> None:
    write_people(tmp_path / "people.csv", *(f"bad{n}" for n in range(60)))
    result = run("import", "people", "people.csv")
    assert result.exit_code == 1
    assert "60 problem(s)" in result.stderr and "  ... and 10 more" in result.stderr
    assert result.stderr.count("is not an email") == 50


def test_an_unknown_kind_lists_the_known_ones(tmp_path: Path) -> None:
    write_people(tmp_path / "people.csv", "ada@example.org")
    result = run("import", "roster", "people.csv")
    assert result.exit_code == 2
    assert "unknown import kind 'roster' (known kinds: calendar, people)" in result.stderr
    assert not (tmp_path / "cpnetwork.db").exists()


def test_without_importers_the_error_says_plugins_add_them(tmp_path: Path) -> None:
    write_people(tmp_path / "people.csv", "ada@example.org")
    result = run("import", "people", "people.csv", plugins=())
    assert result.exit_code == 2
    assert "known kinds: none: plugins add importers" in result.stderr
    assert "None installed" in run("import", "--help", plugins=()).output


def test_a_missing_file_is_a_usage_error() -> None:
    result = run("import", "people", "nowhere.csv")
    assert result.exit_code == 2
    assert "'nowhere.csv' does not exist" in result.stderr


def test_help_lists_the_installed_kinds() -> None:
    result = run("import", "--help")
    assert result.exit_code == 0
    assert "Kinds of file:" in result.output
    assert "people    People from a CSV of email and given_name" in result.output
    assert "calendar  Sessions from an iCalendar file" in result.output


def test_plugins_lists_the_importers() -> None:
    result = run("plugins")
    assert "Importers" in result.output
    assert "people" in result.output and "ImportersPlugin" in result.output


def test_kinds_complete_in_the_shell() -> None:
    state = CliState(
        CliConfig(
            plugins=[ImportersPlugin()], load_entrypoints=False, block_plugins=WITHOUT_BUILTINS
        )
    )
    ctx = click.Context(cli, obj=state)
    param = click.Argument(["kind"])
    assert [item.value for item in _complete_kinds(ctx, param, "pe")] == ["people"]
