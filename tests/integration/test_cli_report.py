"""``cpnetwork report``: listing, rendering each format, filters, files and errors."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import cpnetwork_california
import pytest
from click.testing import CliRunner, Result

from cpnetwork.cli import CliConfig, cli
from cpnetwork.testing.pytest_plugin import FrozenClock
from report_network import FORMULA, SCRIPT, build_small_network, open_network

Run = Callable[..., Result]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "network.db"
    clock = FrozenClock()
    with open_network(f"sqlite:///{path}", clock) as net:
        build_small_network(net, clock)
    return path


@pytest.fixture
def run(db: Path) -> Run:
    config = CliConfig(plugins=[cpnetwork_california], load_entrypoints=False, clock=FrozenClock())

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--db", str(db), *args], obj=config)

    return invoke


def test_report_without_a_name_lists_the_reports(run: Run) -> None:
    result = run("report")
    assert result.exit_code == 0, result.output
    for name in ("attendance", "catalog", "equity", "funnel", "materials", "reach", "surveys"):
        assert f"  {name} " in result.output


def test_terminal_report_with_filters(run: Run) -> None:
    result = run("report", "reach", "--county", "Fresno", "--county", "19")
    assert result.exit_code == 0, result.output
    assert "Filters: county: Fresno, 19" in result.output
    assert "2 of 2" in result.output


def test_each_format_to_stdout(run: Run) -> None:
    as_json = json.loads(run("report", "funnel", "--format", "json", "--year", "2024").output)
    assert as_json["report"] == "funnel" and as_json["filters"] == {"year": 2024}
    assert as_json["sections"][0]["rows"][1]["entered"] == 5
    rows = list(csv.reader(io.StringIO(run("report", "timeline", "--format", "csv").output)))
    assert [SCRIPT, "'" + FORMULA] in [r[1:] for r in rows]
    markdown = run("report", "attendance", "--format", "markdown", "--since", "2025-01-01").output
    assert "| 2025-01 |" in markdown and "since: 2025-01-01" in markdown
    assert "<svg" in run("report", "reach", "--format", "html").output


def test_output_file_is_written_whole(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "reach.html"
    result = run("report", "reach", "--format", "html", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["network.db", "reach.html"]


def test_errors(run: Run) -> None:
    unknown = run("report", "nothing")
    assert unknown.exit_code == 2 and "no report 'nothing'" in unknown.output
    county = run("report", "reach", "--county", "Atlantis")
    assert county.exit_code == 1
    assert "county 'Atlantis': is not a county of any registered jurisdiction" in county.output
    assert run("report", "reach", "--since", "soon").exit_code == 2
    assert run("report", "reach", "--format", "pdf").exit_code == 2
