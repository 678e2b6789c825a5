"""The docs cannot drift: their examples run, and every hook is documented."""

from __future__ import annotations

import contextlib
import inspect
import io
import re
from pathlib import Path

import pytest

from cpnetwork import hookspecs
from cpnetwork.plugins import hook_names

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def _expected_output(block: str) -> list[str]:
    """Comment lines right after a line calling print(...) are its expected output."""
    expected: list[str] = []
    lines = block.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith("print("):
            for follow in lines[i + 1 :]:
                if not follow.startswith("# "):
                    break
                expected.append(follow[2:])
    return expected


def _matches(expected: str, actual: str) -> bool:
    pattern = ".*".join(re.escape(part) for part in expected.split("..."))
    return re.fullmatch(pattern, actual) is not None


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_examples_run_and_print_what_the_page_says(page: Path, tmp_path: Path) -> None:
    blocks = BLOCK.findall(page.read_text())
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    with contextlib.chdir(tmp_path):
        for block in blocks:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(block, str(page), "exec"), namespace)
            printed = out.getvalue().splitlines()
            expected = _expected_output(block)
            assert len(printed) == len(expected), f"{page.name}: {printed} vs {expected}"
            for want, got in zip(expected, printed, strict=True):
                assert _matches(want, got), f"{page.name}: expected {want!r}, got {got!r}"


@pytest.mark.parametrize("hook", hook_names())
def test_every_hook_is_documented_with_its_signature(hook: str) -> None:
    function = getattr(hookspecs, hook)
    arguments = ", ".join(inspect.signature(function).parameters)
    assert f"### {hook}({arguments})" in (ROOT / "docs" / "plugins.md").read_text()
