"""HistoryService: the timeline, partners over time, and recognitions."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cpnetwork import Network, NotFoundError, ValidationError
from cpnetwork.model import Member, Organization, PartnershipScope
from cpnetwork.reports.history import RecognitionEntry
from cpnetwork.testing import snapshot


@pytest.fixture
def wested(network: Network) -> Organization:
    return network.organizations.add(name="WestEd", kind="nonprofit")


@pytest.fixture
def museum(network: Network) -> Organization:
    return network.organizations.add(name="Exploratorium", kind="museum")


@pytest.fixture
def leader(network: Network) -> Member:
    return network.members.add(email="director@example.org", given_name="Kathy")


# -- timeline ------------------------------------------------------------------------------


def test_timeline_is_by_year_then_day_undated_first(network: Network) -> None:
    h = network.history
    late = h.add_milestone(2021, "Blueprint convening", on=date(2021, 10, 5))
    founding = h.add_milestone(1987, "Alliance founded", description="since 1987")
    early = h.add_milestone(2021, "LCAP series", on=date(2021, 3, 10))
    undated = h.add_milestone(2021, "Virtual series for eleven teams")
    cop = h.add_milestone(2016, "Science CoP begins")
    assert founding.description == "since 1987"
    assert h.timeline() == [founding, cop, undated, early, late]
    assert h.timeline(since=2016, until=2016) == [cop]
    assert h.timeline(since=2017) == [undated, early, late]
    assert h.timeline(until=2000) == [founding]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ({"year": 2021, "title": "X", "on": date(2020, 12, 31)}, "2020-12-31 is not in 2021"),
        ({"year": 20216, "title": "X"}, "20216 is not a year"),
        ({"year": True, "title": "X"}, "True is not a year"),
        ({"year": "2021", "title": "X"}, "'2021' is not a year"),
        ({"year": 2021, "title": " "}, "must not be empty"),
    ],
)
def test_add_milestone_refuses_bad_input_and_changes_nothing(
    network: Network, args: dict[str, Any], words: str
) -> None:
    before = snapshot(network)
    with pytest.raises(ValidationError, match=rf"Milestone.*{words}"):
        network.history.add_milestone(args.pop("year"), args.pop("title"), **args)
    assert snapshot(network) == before


# -- partners ------------------------------------------------------------------------------


def test_add_partnership(network: Network, wested: Organization) -> None:
    partnership = network.history.add_partnership(
        wested.id, role="host", scope="national", start=date(1987, 1, 1)
    )
    assert partnership.scope is PartnershipScope.NATIONAL
    assert network.history.partnerships() == [partnership]


@pytest.mark.parametrize(
    ("args", "error", "words"),
    [
        ({"organization_id": "nope"}, NotFoundError, "Organization 'nope'"),
        (
            {"start": date(2020, 1, 1), "end": date(2019, 1, 1)},
            ValidationError,
            "ends before it starts",
        ),
        ({"scope": "galactic"}, ValidationError, "galactic"),
    ],
)
def test_add_partnership_refuses_bad_input_and_changes_nothing(
    network: Network,
    wested: Organization,
    args: dict[str, Any],
    error: type[Exception],
    words: str,
) -> None:
    organization_id = args.pop("organization_id", wested.id)
    before = snapshot(network)
    with pytest.raises(error, match=words):
        network.history.add_partnership(organization_id, **args)
    assert snapshot(network) == before


def test_partners_are_those_active_on_a_day(
    network: Network, wested: Organization, museum: Organization
) -> None:
    h = network.history
    span = h.add_partnership(wested.id, start=date(2014, 1, 1), end=date(2020, 6, 30))
    ongoing = h.add_partnership(museum.id, start=date(2016, 7, 1))
    always = h.add_partnership(wested.id, role="evaluator")
    ended = h.add_partnership(museum.id, end=date(2010, 12, 31))
    assert h.partners(on=date(2015, 1, 1)) == [always, span]
    assert h.partners(on=date(2016, 7, 1)) == [always, span, ongoing]
    assert h.partners(on=date(2020, 6, 30)) == [always, span, ongoing]
    assert h.partners(on=date(2020, 7, 1)) == [always, ongoing]
    assert h.partners(on=date(2005, 1, 1)) == [always, ended]
    # Without a day: today in the network's time zone (the test clock says 2024-08-01).
    assert h.partners() == [always, ongoing]
    assert h.partnerships() == [always, ended, span, ongoing]
    assert h.partnerships(organization_id=museum.id) == [ended, ongoing]


def test_end_partnership(network: Network, museum: Organization) -> None:
    partnership = network.history.add_partnership(museum.id, start=date(2016, 7, 1))
    ended = network.history.end_partnership(partnership.id, date(2023, 6, 30))
    assert ended.end == date(2023, 6, 30)
    assert network.history.partners(on=date(2023, 7, 1)) == []
    assert network.history.partnerships() == [ended]


@pytest.mark.parametrize(
    ("which", "error", "words"),
    [
        ("nope", NotFoundError, "Partnership 'nope'"),
        (None, ValidationError, "ends before it starts"),
    ],
)
def test_end_partnership_refuses_bad_input_and_changes_nothing(
    network: Network,
    museum: Organization,
    which: str | None,
    error: type[Exception],
    words: str,
) -> None:
    partnership = network.history.add_partnership(museum.id, start=date(2016, 7, 1))
    before = snapshot(network)
    with pytest.raises(error, match=words):
        network.history.end_partnership(which or partnership.id, date(2016, 6, 30))
    assert snapshot(network) == before


# -- recognitions --------------------------------------------------------------------------


def test_recognize_members_and_organizations(
    network: Network, leader: Member, wested: Organization
) -> None:
    h = network.history
    award = h.recognize("Paul Hood Award", 2019, organization_id=wested.id, awarded_by="WestEd")
    pa = h.recognize(
        "Presidential Award for Excellence", 2012, member_id=leader.id, description="elementary"
    )
    both = h.recognize(
        "Distinguished Service Award", 2019, member_id=leader.id, organization_id=wested.id
    )
    assert award.awarded_by == "WestEd"
    assert h.recognitions() == [pa, both, award]
    assert h.recognitions(member_id=leader.id) == [pa, both]
    assert h.recognitions(organization_id=wested.id) == [both, award]
    assert h.recognitions(year=2019) == [both, award]
    assert h.recognitions(year=2019, member_id=leader.id) == [both]


@pytest.mark.parametrize(
    ("args", "error", "words"),
    [
        ({}, ValidationError, "needs a member or an organization"),
        ({"member_id": "nobody"}, NotFoundError, "Member 'nobody'"),
        ({"organization_id": "nope"}, NotFoundError, "Organization 'nope'"),
        ({"member_id": "LEADER", "year": 1066}, ValidationError, "1066 is not a year"),
        ({"member_id": "LEADER", "title": ""}, ValidationError, "title"),
    ],
)
def test_recognize_refuses_bad_input_and_changes_nothing(
    network: Network,
    leader: Member,
    args: dict[str, Any],
    error: type[Exception],
    words: str,
) -> None:
    if args.get("member_id") == "LEADER":
        args["member_id"] = leader.id
    title = args.pop("title", "Teacher Leadership Award")
    year = args.pop("year", 2020)
    before = snapshot(network)
    with pytest.raises(error, match=words):
        network.history.recognize(title, year, **args)
    assert snapshot(network) == before


def test_the_timeline_report_lists_recognitions_newest_first(
    network: Network, leader: Member, wested: Organization
) -> None:
    h = network.history
    h.recognize("Paul Hood Award", 2008, organization_id=wested.id, awarded_by="WestEd")
    h.recognize("Teacher Leadership Award", 2019, member_id=leader.id, awarded_by="CASE")
    h.recognize("Distinguished Service Award", 2019, member_id=leader.id, organization_id=wested.id)
    report = network.reports.timeline()
    assert list(report.section("recognitions").rows) == [
        RecognitionEntry(year=2019, title="Distinguished Service Award",
                         recipient="Kathy (WestEd)", awarded_by="", description=""),
        RecognitionEntry(year=2019, title="Teacher Leadership Award", recipient="Kathy",
                         awarded_by="CASE", description=""),
        RecognitionEntry(year=2008, title="Paul Hood Award", recipient="WestEd",
                         awarded_by="WestEd", description=""),
    ]  # fmt: skip
    early = network.reports.timeline(until="2010-12-31")
    assert [r.year for r in early.section("recognitions").rows] == [2008]
