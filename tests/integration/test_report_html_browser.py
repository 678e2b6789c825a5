"""The HTML report in headless Chromium: it renders, logs no error and fetches nothing.

Uses Debian's ``chromium`` (``/usr/bin/chromium``; ``.ci/run`` installs it when missing)
through Playwright; without it these tests skip with a one-line reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cpnetwork import Network
from cpnetwork.reports.render import write
from cpnetwork.testing.pytest_plugin import FrozenClock
from report_network import SCRIPT, build_small_network, open_network

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        f"headless browser tests: install Debian's chromium ({CHROMIUM}) to run them",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (the test extra)")


@pytest.fixture(scope="module")
def net() -> Iterator[Network]:
    clock = FrozenClock()
    with open_network("memory://", clock) as network:
        build_small_network(network, clock)
        network.programs.create(title=SCRIPT, program_year=2024)
        yield network


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


@pytest.mark.parametrize("name", ["reach", "funnel", "attendance", "surveys", "catalog", "equity"])
def test_the_page_renders_without_errors_or_requests(
    net: Network, browser: sync_api.Browser, tmp_path: Path, name: str
) -> None:
    page_file = write(net.reports.run(name), "html", tmp_path / f"{name}.html")
    url = page_file.resolve().as_uri()
    page = browser.new_page()
    errors: list[str] = []
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url)
    page.wait_for_load_state("load")
    shot = tmp_path / f"{name}.png"
    page.screenshot(path=str(shot), full_page=True)
    title = page.title()
    tables = page.locator("table").count()
    charts = page.locator("figure svg").count()
    page.close()
    assert errors == []
    assert dialogs == []  # the <script> in a title never ran
    assert [r for r in requests if r != url] == []
    assert shot.stat().st_size > 1000
    assert name != "reach" or (tables >= 4 and charts == 1)
    assert title.endswith("Test Leaders")
