"""Plugins add reports (register_reports) and sections (report_sections), through pluggy."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cpnetwork import Network, hookimpl
from cpnetwork.errors import PluginError, ValidationError
from cpnetwork.reports import Chart, Filters, ReportDefinition, Section
from cpnetwork.testing.pytest_plugin import FrozenClock
from report_network import NameRow, RosterPlugin, RosterSize, members_by_name


def open_with(*plugins: Any) -> Network:
    return Network.open("memory://", clock=FrozenClock(), load_entrypoints=False, plugins=plugins)


@pytest.fixture
def net() -> Iterator[Network]:
    with open_with(RosterPlugin()) as network:
        network.members.add(email="b@x.org", given_name="Bo", county="19")
        network.members.add(email="a@x.org", given_name="Al", county="10")
        yield network


def test_a_plugin_report_runs_by_name_with_filters(net: Network) -> None:
    assert "roster" in net.reports.names()
    report = net.reports.roster()
    assert [r.name for r in report.section("names").rows] == ["Al", "Bo"]
    assert [r.name for r in net.reports.run("roster", county="19").section("names").rows] == ["Bo"]
    assert report.filters == Filters()
    assert net.reports.roster(county="19").filters.applied() == {"county": ["19"]}


def test_a_plugin_section_joins_a_built_in_report_after_its_own(net: Network) -> None:
    report = net.reports.reach(county="10")
    assert report.sections[-1].key == "roster_size"
    assert report.section("roster_size").rows == (RosterSize(members=1),)
    assert "roster_size" not in [s.key for s in net.reports.funnel().sections]


def test_a_report_name_taken_twice_names_the_plugin() -> None:
    class Again:
        @hookimpl
        def register_reports(self) -> list[ReportDefinition]:
            return RosterPlugin().register_reports()

    with open_with(RosterPlugin(), Again()) as network, pytest.raises(PluginError, match="taken"):
        network.reports.names()


def test_wrong_answers_name_the_plugin() -> None:
    class Wrong:
        @hookimpl
        def register_reports(self) -> list[str]:
            return ["not a report"]

    with (
        open_with(Wrong()) as network,
        pytest.raises(PluginError, match=r"Wrong.*ReportDefinition"),
    ):
        network.reports.names()

    class WrongSection:
        @hookimpl
        def report_sections(self) -> list[str]:
            return ["not a section"]

    with open_with(WrongSection()) as network, pytest.raises(PluginError, match="WrongSection"):
        network.reports.reach()


def test_sections_check_their_rows_and_chart() -> None:
    with pytest.raises(ValidationError, match="not a NameRow"):
        Section(key="k", title="t", row_type=NameRow, rows=[RosterSize(members=1)])
    with pytest.raises(ValidationError, match="no column 'members'"):
        Section(
            key="k", title="t", row_type=NameRow, chart=Chart(label="name", values=("members",))
        )
    with pytest.raises(ValidationError, match="lowercase"):
        ReportDefinition(name="Roster", title="t", description="d", build=members_by_name)
