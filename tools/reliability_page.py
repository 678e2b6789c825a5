"""Write docs/reliability.md from a test run: each class of test, cases tried, what held.

    make reliability        # runs the tests with --reliability-report, then this script

The input is the JSON ``pytest --reliability-report=FILE`` writes
(:mod:`cpnetwork.testing.reliability`).  Each class below names the tests it covers by
a pattern on their node ids and says what they assert; the table counts what the run
tried and how much of it held.  Nothing in the table is typed by hand.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from attrs import frozen

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "reliability.md"


@frozen
class Claim:
    name: str
    #: A regular expression searched for in each test's node id.
    pattern: str
    #: What every test of the class asserts: the claim the count backs.
    holds: str


CLASSES: tuple[Claim, ...] = (
    Claim(
        "Hostile input corpus",
        r"test_hostile_files|test_hostile_sql",
        "oversized, control and bidi text, bad encodings, formula cells, look-alike "
        "emails, impossible dates and numbers end in a typed error or a safe value; "
        "nothing is written",
    ),
    Claim(
        "Fuzzing of importers, converter and services",
        r"hostile_fuzz",
        "arbitrary files, JSON and text raise only cpnetwork errors and write nothing",
    ),
    Claim(
        "Input rules",
        r"test_input_rules|test_deadlines",
        "text is NFC without control characters, emails are one per person, numbers "
        "are finite and in range",
    ),
    Claim(
        "Exposure: files, secrets, terminal",
        r"test_cli_exposure|test_sql_url|test_cli_output|unit/test_files|test_read_only|test_ci_run",
        "files are replaced only when complete and created 0600, secrets in URLs are "
        "masked, data cannot drive the terminal, read commands write nothing",
    ),
    Claim(
        "Imported networks and the demo",
        r"test_import_invariants|test_demo",
        "an edited export that overbooks, breaks a quota or names a missing record is "
        "refused whole; the demo never writes into a network that exists",
    ),
    Claim(
        "Faults below the library",
        r"test_faults|crash_safety",
        "a busy database, a killed connection, a full disk or a killed process end "
        "in a clear error with nothing lost",
    ),
    Claim(
        "Concurrency between processes",
        r"test_concurrency|dispatch_processes",
        "processes racing on one database never overbook, never deliver or queue a message twice",
    ),
    Claim(
        "Access scopes",
        r"test_scopes",
        "an actor reads, changes, exports and reports only their part of the network",
    ),
    Claim(
        "Privacy",
        r"test_privacy",
        "erasure removes personal data everywhere and keeps counts right; an export "
        "holds everything about one member",
    ),
    Claim(
        "Notifications",
        r"unit/notifications|cli_notifications",
        "no message on rollback, retries with backoff, dead after N, delivered once, "
        "consent kept, headers cannot be injected",
    ),
    Claim(
        "Enrollment invariants (state machine)",
        r"enrollment_machine|enrollment_lifecycle|one_path",
        "capacity and quotas never exceeded, every step legal, history complete",
    ),
    Claim(
        "Backend agreement and conformance",
        r"conformance|agreement",
        "memory, SQLite and PostgreSQL stores give the same answers",
    ),
    Claim(
        "Observers and plugins",
        r"test_plugins|plugin_blocking|installed_plugin",
        "a failing plugin is named or isolated; blocked plugins take their behaviour with them",
    ),
)


def classify(results: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per class: tests, cases tried, and how many passed, failed and skipped."""
    rows = []
    for claim in CLASSES:
        pattern = re.compile(claim.pattern)
        picked = [r for nodeid, r in results.items() if pattern.search(nodeid)]
        rows.append(
            {
                "class": claim,
                "tests": len(picked),
                "cases": sum(int(r["cases"]) for r in picked),
                "passed": sum(1 for r in picked if r["outcome"] == "passed"),
                "failed": sum(1 for r in picked if r["outcome"] == "failed"),
                "skipped": sum(1 for r in picked if r["outcome"] == "skipped"),
            }
        )
    return rows


def render(results: Mapping[str, Mapping[str, Any]], when: datetime) -> str:
    rows = classify(results)
    total = len(results)
    passed = sum(1 for r in results.values() if r["outcome"] == "passed")
    lines = [
        "# Reliability and security",
        "",
        "<!-- Written by tools/reliability_page.py from a test run (make reliability). -->",
        "",
        "What the test suite tries against the library, class by class, and what held in",
        f"the run of {when:%Y-%m-%d}: {passed} of {total} tests passed. A *case* is one run",
        "of a test: each parametrized case, and each example a property test generated.",
        "",
        "| class | tests | cases tried | held | what holds |",
        "|---|---:|---:|---|---|",
    ]
    for row in rows:
        held = f"{row['passed']} passed"
        if row["failed"]:
            held += f", **{row['failed']} failed**"
        if row["skipped"]:
            held += f", {row['skipped']} skipped"
        lines.append(
            f"| {row['class'].name} | {row['tests']} | {row['cases']:,} | {held} "
            f"| {row['class'].holds} |"
        )
    lines += [
        "",
        "A skipped test is one the store or machine cannot run (the memory store has no",
        "concurrent writers and keeps nothing after close; without PostgreSQL or Chromium",
        "their tests skip). Regenerate this page with `make reliability` after `make test`.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: reliability_page.py REPORT.json", file=sys.stderr)
        return 2
    results = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    PAGE.write_text(render(results, datetime.now(UTC)), encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)} from {len(results)} tests")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
