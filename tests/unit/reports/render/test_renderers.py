"""Every format renders every report, and text from the data comes out inert.

A member named ``<script>alert(1)</script>`` and one named ``=HYPERLINK("http://x")``
(listed by a plugin's section, and also in titles the built-in reports show) must not
run in a browser, a Markdown viewer or a spreadsheet; control and bidi characters never
reach a terminal or a page.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from cpnetwork import Network
from cpnetwork.errors import ValidationError
from cpnetwork.reports.render import FORMATS, render, write
from cpnetwork.reports.render.cells import FORMULA_STARTS, clean_text, spreadsheet_safe
from cpnetwork.testing.pytest_plugin import FrozenClock
from report_network import FORMULA, SCRIPT, RosterPlugin, build_small_network, open_network

#: Hidden in a name: an escape sequence that would colour the terminal, a right-to-left
#: override that would reorder what follows.
SNEAKY = "Eve\x1b[31m\u202etxt.exe"


@pytest.fixture(scope="module")
def net() -> Iterator[Network]:
    clock = FrozenClock()
    with open_network("memory://", clock, plugins=(RosterPlugin(),)) as network:
        build_small_network(network, clock)
        network.members.add(email="eve@x.org", given_name=SNEAKY, county="10")
        network.programs.create(title=f"{SCRIPT} {FORMULA}", program_year=2024)
        yield network


def texts(net: Network, format: str) -> Iterator[tuple[str, str]]:
    for name in net.reports.names():
        yield name, render(net.reports.run(name), format)


def test_every_report_renders_in_every_format(net: Network) -> None:
    for format in FORMATS:
        for name, text in texts(net, format):
            assert text.strip(), (name, format)
    with pytest.raises(ValidationError, match="unknown report format"):
        render(net.reports.reach(), "pdf")


def test_the_roster_lists_the_hostile_names(net: Network) -> None:
    names = [r.name for r in net.reports.roster().section("names").rows]
    assert SCRIPT in names and FORMULA in names


@pytest.mark.parametrize("format", list(FORMATS))
def test_no_control_or_bidi_character_is_written(net: Network, format: str) -> None:
    for _, text in texts(net, format):
        assert "\x1b" not in text and "\u202e" not in text
        assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)


def test_terminal_shows_names_as_plain_text(net: Network) -> None:
    text = render(net.reports.roster(), "terminal")
    assert SCRIPT in text and FORMULA in text
    assert "Eve[31mtxt.exe" in text  # the escape's visible part stays, inert


def test_csv_neutralizes_formulas(net: Network) -> None:
    for name, text in texts(net, "csv"):
        cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
        for cell in cells:
            if cell.startswith(FORMULA_STARTS):
                # Only numbers may start with "-" (a negative count is no formula).
                assert re.fullmatch(r"-\d+(\.\d+)?", cell), (name, cell)
    cells = [c for row in csv.reader(io.StringIO(render(net.reports.roster(), "csv"))) for c in row]
    assert "'" + FORMULA in cells and SCRIPT in cells
    assert spreadsheet_safe(-3) == "-3"
    # A leading tab or line break is cleaned away first; a blank before "=" too.
    assert [spreadsheet_safe(t) for t in ("+1", "@SUM(A1)", "-x", "\tx", " =1", "ok")] == [
        "'+1", "'@SUM(A1)", "'-x", "x", "'=1", "ok",
    ]  # fmt: skip


def test_json_keeps_the_text_and_escapes_markup(net: Network) -> None:
    text = render(net.reports.roster(), "json")
    assert "<" not in text and ">" not in text
    document = json.loads(text)
    names = [row["name"] for row in document["sections"][0]["rows"]]
    assert SCRIPT in names and FORMULA in names
    assert list(document) == ["report", "version", "title", "network", "filters", "sections"]
    assert list(document["sections"][0]) == ["key", "title", "columns", "rows", "notes"]


def test_json_documents_every_column(net: Network) -> None:
    document = json.loads(render(net.reports.reach(county="10", year=2024), "json"))
    assert document["filters"] == {"county": ["10"], "year": 2024}
    for section in document["sections"]:
        keys = [c["key"] for c in section["columns"]]
        assert all(c["title"] and c["doc"] for c in section["columns"])
        assert all(list(row) == keys for row in section["rows"])


def test_markdown_escapes_markup_and_pipes(net: Network) -> None:
    for _, text in texts(net, "markdown"):
        assert "<script" not in text
    roster = render(net.reports.roster(), "markdown")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in roster
    assert clean_text("a|b") == "a|b"
    table_lines = [line for line in roster.splitlines() if line.startswith("|")]
    assert len({line.count("|") - line.count("\\|") for line in table_lines}) == 1


def test_html_is_inert_and_self_contained(net: Network) -> None:
    for name, text in texts(net, "html"):
        assert "<script" not in text.lower(), name
        assert not re.search(r"\son\w+\s*=", text), name  # no event handler attributes
        for reference in re.findall(r'(?:href|src)\s*=\s*"([^"]*)"', text):
            assert reference.startswith("#"), (name, reference)
        assert not re.search(r"url\(\s*['\"]?[a-z]+:", text), name  # no CSS fetch
        assert "<metadata" not in text, name
    roster = render(net.reports.roster(), "html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in roster
    assert "default-src 'none'" in roster


def test_html_draws_the_charts_as_svg(net: Network) -> None:
    page = render(net.reports.reach(), "html")
    assert page.count("<svg") == 1  # members by county
    funnel = render(net.reports.funnel(), "html")
    assert funnel.count("<svg") == 1
    assert render(net.reports.attendance(), "html").count("<svg") == 1
    assert render(net.reports.surveys(), "html").count("<svg") == 1
    assert render(net.reports.funnel(), "html") == funnel  # same report, same bytes


def test_write_replaces_the_file_whole(net: Network, tmp_path: Path) -> None:
    target = tmp_path / "reach.csv"
    target.write_text("old")
    write(net.reports.reach(), "csv", target)
    assert target.read_text(encoding="utf-8").startswith("# summary")
    assert [p.name for p in tmp_path.iterdir()] == ["reach.csv"]
    with pytest.raises(ValidationError):
        write(net.reports.reach(), "pdf", target)
    assert target.read_text(encoding="utf-8").startswith("# summary")
