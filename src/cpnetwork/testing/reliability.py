"""A pytest plugin noting each test's outcome and how many cases it tried.

``pytest --reliability-report=FILE`` writes, for every test, its outcome and the cases
it ran: one for a plain test (each parametrized case is a test of its own), the
examples Hypothesis ran for a property test.  ``tools/reliability_page.py`` turns the
file into docs/reliability.md, so the page says what the last run tried and what held,
not what someone remembered.  The plugin is listed in ``tests/conftest.py``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator
from typing import Any

import pytest

from cpnetwork.files import replace_file

OPTION = "--reliability-report"

#: "- 50 passing, 0 failing, and 3 invalid examples" in Hypothesis' statistics.
_EXAMPLES = re.compile(r"(\d+) passing, (\d+) failing")

_RESULTS = pytest.StashKey[dict[str, dict[str, Any]]]()
#: The report property carrying what a test tried, from the process that ran it to the
#: one that writes the file (the same one, or pytest-xdist's controller).
PROPERTY = "cpnetwork_reliability"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        OPTION,
        metavar="FILE",
        default=None,
        help="write each test's outcome and the cases it tried to FILE (JSON)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_RESULTS] = {}
    config.pluginmanager.register(_Collector(config.stash[_RESULTS]), "cpnetwork-reliability")


def examples_tried(statistics: str) -> int:
    """Examples Hypothesis ran, passing or failing, over all phases of one test."""
    return sum(int(passed) + int(failed) for passed, failed in _EXAMPLES.findall(statistics))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if call.when == "call" or (call.when == "setup" and report.outcome != "passed"):
        statistics = getattr(item, "hypothesis_statistics", "")
        tried = examples_tried(statistics) if statistics else 0
        noted = {"cases": max(1, tried), "property": bool(statistics)}
        # A list of its own: the report shares the item's, which later reports reuse.
        report.user_properties = [*report.user_properties, (PROPERTY, noted)]
    return report


class _Collector:
    """Notes each report's outcome where reports arrive, whichever process ran it."""

    def __init__(self, results: dict[str, dict[str, Any]]) -> None:
        self._results = results

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, noted in report.user_properties:
            if name == PROPERTY and isinstance(noted, dict):
                self._results[report.nodeid] = {"outcome": report.outcome, **noted}


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = session.config.getoption(OPTION)
    if target and not hasattr(session.config, "workerinput"):  # not an xdist worker
        results = session.config.stash[_RESULTS]
        replace_file(target, json.dumps(results, indent=1, sort_keys=True).encode("utf-8"))
