"""The documentation site builds without a warning, and what it draws matches the code."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cpnetwork.cli import CliConfig, cli
from cpnetwork.model import ALLOWED_FROM, OPEN_STATUSES, RECORD_TYPES, SEAT_STATUSES
from cpnetwork.plugins import hook_names

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SITE_PACKAGES = ("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python")


def _missing_site_packages() -> list[str]:
    missing = []
    for name in SITE_PACKAGES:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            missing.append(name)
    return missing


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built by ``mkdocs build --strict``, as ``make docs`` builds it."""
    missing = _missing_site_packages()
    if missing:
        pytest.skip(f"mkdocs not installed ({', '.join(missing)}): pip install -e '.[docs]'")
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", "mkdocs.yml", "-d", str(out)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stderr}"
    assert "WARNING" not in done.stderr, done.stderr
    return out


def test_the_site_builds_strict_with_every_page_in_the_nav(site: Path) -> None:
    config = (ROOT / "mkdocs.yml").read_text()
    pages = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))
    missing = [page for page in pages if f": {page}" not in config]
    assert missing == [], f"pages not in the nav of mkdocs.yml: {missing}"
    assert (site / "index.html").exists()
    assert (site / "search" / "search_index.json").exists()
    assert 'class="mermaid"' in (site / "model" / "index.html").read_text()


def test_the_hook_reference_has_every_hook_from_hookspecs(site: Path) -> None:
    page = (site / "reference" / "hooks" / "index.html").read_text()
    missing = [hook for hook in hook_names() if f'id="cpnetwork.hookspecs.{hook}"' not in page]
    assert missing == []


def test_the_api_reference_documents_the_facade_and_services(site: Path) -> None:
    page = (site / "reference" / "api" / "index.html").read_text()
    for anchor in (
        "cpnetwork.network.Network.open",
        "cpnetwork.services.enrollment.EnrollmentService.apply",
        "cpnetwork.services.people.MemberService.add",
        "cpnetwork.reports.service.ReportService",
    ):
        assert f'id="{anchor}"' in page, anchor
    assert ":class:" not in page and ":meth:" not in page


def test_the_cli_reference_has_every_command_and_its_examples(site: Path) -> None:
    page = (site / "reference" / "cli" / "index.html").read_text()
    # As the page: the core commands, none from plugins' entry points.
    config = CliConfig(load_entrypoints=False)
    ctx = cli.make_context("cpnetwork", [], obj=config, resilient_parsing=True)
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        if command is not None and not command.hidden:
            assert f"cpnetwork {name} --help" in page, name
    assert "Examples:" in page


# -- the data model page ---------------------------------------------------------------
MODEL = (DOCS / "model.md").read_text()
MERMAID = re.compile(r"```mermaid\n(.*?)```", re.DOTALL)
EDGE = re.compile(r"^\s*(\[\*\]|\w+) --> (\[\*\]|\w+)(?::\s*(.*))?$", re.MULTILINE)

#: Where each action leads (from ALLOWED_FROM's statuses); withdraw and cancel are drawn
#: from "any open status", and the network's own steps are listed apart.
TARGETS = {
    "express interest": {"interested"},
    "invite": {"enrolled"},
    "apply": {"applied"},
    "register": {"enrolled", "waitlisted"},
    "start review": {"under_review"},
    "accept": {"accepted"},
    "waitlist": {"waitlisted"},
    "decline": {"declined"},
    "confirm": {"enrolled"},
    "accept offer": {"accepted", "enrolled"},
    "decline offer": {"declined"},
    "complete": {"completed", "incomplete"},
}
NETWORK_STEPS = {("waitlisted", "offered"), ("offered", "expired")}
FINAL = {("completed", "[*]"), ("incomplete", "[*]")}


def test_the_lifecycle_diagram_draws_exactly_the_allowed_steps() -> None:
    assert set(ALLOWED_FROM) == {*TARGETS, "withdraw", "cancel"}, "a new step: draw it"
    allowed = {
        ("[*]" if before is None else before.value, after)
        for action, targets in TARGETS.items()
        for before in ALLOWED_FROM[action]
        for after in targets
    }
    lifecycle, leaving = MERMAID.findall(MODEL)[1:3]
    drawn = {(a, b) for a, b, _ in EDGE.findall(lifecycle)}
    assert drawn == allowed | NETWORK_STEPS | FINAL
    assert {(a, b) for a, b, _ in EDGE.findall(leaving)} == {
        ("open", "withdrawn"),
        ("open", "cancelled"),
    }
    assert ALLOWED_FROM["withdraw"] == ALLOWED_FROM["cancel"] == OPEN_STATUSES


def test_the_model_page_names_the_open_and_seat_statuses_and_every_record() -> None:
    words = " ".join(MODEL.split())
    listed = ", ".join(sorted((s.value for s in OPEN_STATUSES), key=_lifecycle_order))
    assert f"**open** status ({listed})" in words
    seats = sorted((s.value for s in SEAT_STATUSES), key=_lifecycle_order)
    assert f"The statuses {', '.join(seats[:-1])} and {seats[-1]} hold a seat" in words
    table = MODEL.split("| record | what it is |", 1)[1]
    for kind in RECORD_TYPES:
        assert f"`{kind.__name__}`" in table, kind.__name__


def _lifecycle_order(status: str) -> int:
    order = [
        "interested",
        "applied",
        "under_review",
        "accepted",
        "waitlisted",
        "offered",
        "enrolled",
        "completed",
        "incomplete",
    ]
    return order.index(status)


# -- the tutorial's command lines ------------------------------------------------------
def test_the_tutorial_command_lines_run_on_the_network_it_built(tmp_path: Path) -> None:
    text = (DOCS / "tutorial.md").read_text()
    namespace: dict[str, object] = {"__name__": "docs_tutorial"}
    with contextlib.chdir(tmp_path):
        for block in re.findall(r"```python\n(.*?)```", text, re.DOTALL):
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(block, "tutorial.md", "exec"), namespace)
        lines = [
            line[2:]
            for block in re.findall(r"```console\n(.*?)```", text, re.DOTALL)
            for line in block.splitlines()
            if line.startswith("$ ")
        ]
        assert lines, "the tutorial shows its command lines in ```console blocks"
        for line in lines:
            program, *args = shlex.split(line)
            assert program == "cpnetwork"
            result = CliRunner().invoke(cli, args)
            assert result.exit_code == 0, f"{line}\n{result.output}"
        assert Path("attendance.md").read_text().startswith("# Attendance")


# -- the storage backend example ---------------------------------------------------------
def test_the_storage_page_backend_passes_the_conformance_suite(tmp_path: Path) -> None:
    """The backend and conformance class the page shows, run as the page says to."""
    blocks = re.findall(r"```python\n(.*?)```", (DOCS / "storage.md").read_text(), re.DOTALL)
    backend, conformance = blocks[-2:]
    assert "open_storage" in backend and "StorageConformance" in conformance
    (tmp_path / "test_scratch_backend.py").write_text(f"{backend}\n{conformance}")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", tmp_path],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert " passed" in done.stdout
