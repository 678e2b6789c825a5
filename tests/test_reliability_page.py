"""docs/reliability.md is written from a test run, and says what the run tried."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pytest

from cpnetwork.testing.reliability import examples_tried

ROOT = Path(__file__).resolve().parent.parent


def _page_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "reliability_page", ROOT / "tools" / "reliability_page.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_hypothesis_statistics_give_the_examples_tried() -> None:
    statistics = (
        "- during reuse phase (0.00 seconds):\n"
        "    - 3 passing, 0 failing, and 0 invalid examples\n"
        "- during generate phase (0.31 seconds):\n"
        "    - 47 passing, 1 failing, and 9 invalid examples\n"
    )
    assert examples_tried(statistics) == 51


def test_the_table_counts_tests_cases_and_outcomes_per_class() -> None:
    tool = _page_tool()
    results = {
        "tests/integration/test_scopes.py::test_a[memory]": {"outcome": "passed", "cases": 1},
        "tests/integration/test_scopes.py::test_a[sqlite]": {"outcome": "skipped", "cases": 1},
        "tests/integration/test_privacy.py::test_b": {"outcome": "failed", "cases": 1},
        "tests/unit/hostile/test_hostile_fuzz.py::test_c": {"outcome": "passed", "cases": 50},
    }
    page = tool.render(results, datetime(2026, 12, 2, tzinfo=UTC))
    assert "| Access scopes | 2 | 2 | 1 passed, 1 skipped |" in page
    assert "| Privacy | 1 | 1 | 0 passed, **1 failed** |" in page
    assert "| Fuzzing of importers, converter and services | 1 | 50 | 1 passed |" in page
    assert "2 of 4 tests passed" in page


def test_the_page_was_written_by_the_tool_and_covers_every_class() -> None:
    page = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    assert "Written by tools/reliability_page.py from a test run" in page
    for claim in _page_tool().CLASSES:
        assert f"| {claim.name} |" in page


SAMPLE_TESTS = """
import pytest
from hypothesis import given, settings, strategies as st

def test_plain():
    pass

@pytest.mark.parametrize("n", [1, 2])
def test_each_case(n):
    assert n == 1

@settings(max_examples=7, database=None)
@given(st.integers())
def test_property(n):
    pass

@pytest.fixture
def broken():
    raise RuntimeError("no fixture")

def test_setup_fails(broken):
    pass

def test_with_a_property_of_its_own(record_property):
    record_property("worst", 0.1)
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one process", "xdist"])
def test_the_plugin_notes_every_test_in_one_process_or_many(
    tmp_path: Path, workers: list[str]
) -> None:
    (tmp_path / "test_sample.py").write_text(SAMPLE_TESTS)
    report = tmp_path / "reliability.json"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "cpnetwork.testing.reliability",
         "-p", "no:cacheprovider", f"--reliability-report={report}", *workers, "test_sample.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    noted = json.loads(report.read_text())
    assert {name.partition("::")[2]: entry for name, entry in noted.items()} == {
        "test_plain": {"outcome": "passed", "cases": 1, "property": False},
        "test_each_case[1]": {"outcome": "passed", "cases": 1, "property": False},
        "test_each_case[2]": {"outcome": "failed", "cases": 1, "property": False},
        "test_property": {"outcome": "passed", "cases": 7, "property": True},
        "test_setup_fails": {"outcome": "failed", "cases": 1, "property": False},
        "test_with_a_property_of_its_own": {"outcome": "passed", "cases": 1, "property": False},
    }
