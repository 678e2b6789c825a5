"""Every built-in report on the small network of conftest.py, numbers worked out by hand.

Each test runs on the memory store, SQLite and PostgreSQL with the same expectations.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cpnetwork import Network
from cpnetwork.errors import NotFoundError, ValidationError
from cpnetwork.reports.attendance import MonthAttendance, ProgramAttendance, SessionAttendance
from cpnetwork.reports.catalog import ProgramEntry, SessionEntry
from cpnetwork.reports.equity import EquityShare
from cpnetwork.reports.funnel import FunnelRow, StageRow
from cpnetwork.reports.history import MaterialEntry, MilestoneEntry, PartnerEntry, YearCount
from cpnetwork.reports.reach import CountyReach, ReachSummary, RegionReach, RoleReach
from cpnetwork.reports.surveys import ItemResult
from report_network import FORMULA, SCRIPT

Small = tuple[Network, dict[str, Any]]
LA = ZoneInfo("America/Los_Angeles")
ACADEMY = "Science Leadership Academy (2024)"
ADMINS = "Administrators Science Support Network (2024)"


def rows(report: Any, key: str) -> list[Any]:
    return list(report.section(key).rows)


def test_the_built_in_reports_are_registered(small: Small) -> None:
    net, _ = small
    assert net.reports.names() == [
        "attendance", "catalog", "equity", "funnel", "materials", "reach", "surveys", "timeline",
    ]  # fmt: skip


def test_reach(small: Small) -> None:
    net, _ = small
    report = net.reports.reach()
    # 7 members; leaders m1 (tosa), m3 (science lead), m5 (teacher leader), m7 (PL provider);
    # counties 01, 10, 19 of 58; teachers 30 + 100 + 10 by three, students 600 + 50 by two.
    assert rows(report, "summary") == [
        ReachSummary(members=7, leaders=4, coverage="3 of 58", counties_covered=3, counties=58,
                     teachers_supported=140, members_reporting_teachers=3, students_reached=650,
                     members_reporting_students=2)
    ]  # fmt: skip
    by_county = {r.county: r for r in rows(report, "by_county")}
    assert len(by_county) == 58 + 1  # every county, and the member with none
    # Fresno holds m1 (stored as "10") and m2 (stored as "Fresno").
    assert by_county["10"] == CountyReach(county="10", name="Fresno", region="Central Valley",
                                          members=2, leaders=1, teachers_supported=30,
                                          students_reached=600)  # fmt: skip
    assert by_county["19"] == CountyReach(county="19", name="Los Angeles", region="Los Angeles",
                                          members=2, leaders=1, teachers_supported=100,
                                          students_reached=None)  # fmt: skip
    assert by_county["01"] == CountyReach(county="01", name="Alameda", region="Bay Region",
                                          members=2, leaders=1, teachers_supported=10,
                                          students_reached=None)  # fmt: skip
    assert by_county["(no county)"] == CountyReach(
        county="(no county)", name="(no county)", region=None, members=1, leaders=1,
        teachers_supported=None, students_reached=50,
    )  # fmt: skip
    assert by_county["02"].members == 0 and by_county["02"].teachers_supported is None
    regions = {r.region: r for r in rows(report, "by_region")}
    assert len(regions) == 11
    assert regions["7"] == RegionReach(region="7", name="Central Valley", members=2, leaders=1,
                                       coverage="1 of 6")  # fmt: skip
    assert regions["11"].coverage == "1 of 1"
    assert rows(report, "by_role") == [
        RoleReach(role="teacher", members=2),
        RoleReach(role="teacher_leader", members=1),
        RoleReach(role="tosa", members=1),
        RoleReach(role="county_administrator", members=1),
        RoleReach(role="science_lead", members=1),
        RoleReach(role="pl_provider", members=1),
        RoleReach(role="(none given)", members=1),
    ]
    no_one = rows(report, "no_members")
    assert len(no_one) == 55
    assert {"01", "10", "19"}.isdisjoint(r.county for r in no_one)
    assert "Alpine" in report.section("summary").notes[0]


def test_reach_by_county_name_and_region(small: Small) -> None:
    net, _ = small
    fresno = net.reports.reach(county="fresno")
    assert rows(fresno, "summary")[0].members == 2
    assert rows(fresno, "summary")[0].coverage == "1 of 1"
    assert [r.county for r in rows(fresno, "by_county")] == ["10"]
    # Region 11 is Los Angeles alone; the Bay Region holds Alameda and six more.
    both = net.reports.reach(region=["11", "Bay Region"])
    summary = rows(both, "summary")[0]
    assert (summary.members, summary.leaders, summary.coverage) == (4, 2, "2 of 8")


def test_reach_by_program_year_and_dates(small: Small) -> None:
    net, records = small
    # Enrolled in the academy at all (any status): m1, m2, m3, m6, m7.
    academy = rows(net.reports.reach(program=records["academy"].id), "summary")[0]
    assert academy.members == 5
    by_title = rows(net.reports.reach(program="science leadership academy"), "summary")[0]
    assert by_title == academy
    assert rows(net.reports.reach(year=2024), "summary")[0].members == 7
    assert rows(net.reports.reach(year=2023), "summary")[0].members == 0
    # Joined in 2024: m1 only (m2 joined in 2023, the others did not say).
    assert rows(net.reports.reach(since="2024-01-01", until=date(2024, 12, 31)),
                "summary")[0].members == 1  # fmt: skip


def test_bad_filters_are_typed_errors_naming_the_value(small: Small) -> None:
    net, _ = small
    with pytest.raises(ValidationError, match="'Atlantis'"):
        net.reports.reach(county="Atlantis")
    with pytest.raises(ValidationError, match="'99'"):
        net.reports.equity(region="99")
    with pytest.raises(NotFoundError, match="'No such program'"):
        net.reports.funnel(program="No such program")
    with pytest.raises(ValidationError, match="before since"):
        net.reports.attendance(since="2025-01-01", until="2024-01-01")
    with pytest.raises(ValidationError, match="not a date"):
        net.reports.attendance(since="yesterday")
    with pytest.raises(NotFoundError, match="known: attendance"):
        net.reports.run("nothing")
    with pytest.raises(AttributeError):
        net.reports.nothing  # noqa: B018


def test_equity(small: Small) -> None:
    net, _ = small
    report = net.reports.equity()
    # Yes: m1 m3 m5; no: m2 m7; unknown: m4 m6.  60% of the five who said, 3 of 7 in all.
    assert rows(report, "overall") == [
        EquityShare(group="All members", members=7, serving=3, not_serving=2, unknown=2,
                    percent_of_known=60.0, percent_of_all=42.9)
    ]  # fmt: skip
    # Seats in the academy: m1 (completed) and m3 (incomplete); in the admin network m4.
    assert rows(report, "by_program") == [
        EquityShare(group=ADMINS, members=1, serving=0, not_serving=0, unknown=1,
                    percent_of_known=None, percent_of_all=0.0),
        EquityShare(group=ACADEMY, members=2, serving=2, not_serving=0, unknown=0,
                    percent_of_known=100.0, percent_of_all=100.0),
    ]  # fmt: skip
    # m5 has no county, so no region.
    assert rows(report, "by_region") == [
        EquityShare(group="Bay Region", members=2, serving=0, not_serving=1, unknown=1,
                    percent_of_known=0.0, percent_of_all=0.0),
        EquityShare(group="Central Valley", members=2, serving=1, not_serving=1, unknown=0,
                    percent_of_known=50.0, percent_of_all=50.0),
        EquityShare(group="Los Angeles", members=2, serving=1, not_serving=0, unknown=1,
                    percent_of_known=100.0, percent_of_all=50.0),
    ]  # fmt: skip
    fresno = net.reports.equity(county="10")
    assert rows(fresno, "overall")[0].members == 2
    assert [r.group for r in rows(fresno, "by_program")] == [ACADEMY]


def test_funnel(small: Small) -> None:
    net, records = small
    report = net.reports.funnel()
    # Four academy applications decided ten days after they came (m7 withdrew first).
    assert rows(report, "by_program") == [
        # m4 invited from interested (an acceptance without the step), m5 still interested.
        FunnelRow(program=ADMINS, entered=2, accepted=1, enrolled=1, completed=0,
                  waitlisted_now=0, offered_now=0, declined=0, withdrawn=0, cancelled=0,
                  expired=0, percent_completed=0.0, days_to_decision=None),
        FunnelRow(program=ACADEMY, entered=5, accepted=2, enrolled=2, completed=1,
                  waitlisted_now=1, offered_now=0, declined=1, withdrawn=1, cancelled=0,
                  expired=0, percent_completed=50.0, days_to_decision=10.0),
    ]  # fmt: skip
    assert rows(report, "stages") == [
        StageRow(stage="Interested or applied", enrollments=7),
        StageRow(stage="Accepted", enrollments=3),
        StageRow(stage="Enrolled", enrollments=3),
        StageRow(stage="Completed", enrollments=1),
    ]
    # Enrollments made from Los Angeles County: m3's application, m4's interest.
    la = net.reports.funnel(county="Los Angeles")
    assert [(r.program, r.entered, r.enrolled, r.completed) for r in rows(la, "by_program")] == [
        (ADMINS, 1, 1, 0),
        (ACADEMY, 1, 1, 0),
    ]
    academy = net.reports.funnel(program=records["academy"].id)
    assert [r.program for r in rows(academy, "by_program")] == [ACADEMY]


def test_attendance(small: Small) -> None:
    net, _ = small
    report = net.reports.attendance()
    assert rows(report, "by_program") == [
        ProgramAttendance(program=ADMINS, sessions=0, attended=0, recorded=0,
                          percent_attended=None, enrolled=1, completed=0, percent_completed=0.0),
        ProgramAttendance(program=ACADEMY, sessions=3, attended=3, recorded=6,
                          percent_attended=50.0, enrolled=2, completed=1, percent_completed=50.0),
    ]  # fmt: skip
    assert rows(report, "by_month") == [
        MonthAttendance(month="2024-10", sessions=1, attended=2, recorded=2,
                        percent_attended=100.0),
        MonthAttendance(month="2025-01", sessions=1, attended=1, recorded=2, percent_attended=50.0),
        MonthAttendance(month="2025-02", sessions=1, attended=0, recorded=2, percent_attended=0.0),
    ]  # fmt: skip
    assert rows(report, "by_session") == [
        SessionAttendance(session="Virtual kickoff", program=ACADEMY, day=date(2024, 10, 16),
                          kind="kickoff", present=2, partial=0, absent=0, excused=0,
                          percent_attended=100.0),
        SessionAttendance(session="Institute at the Exploratorium", program=ACADEMY,
                          day=date(2025, 1, 30), kind="institute", present=1, partial=0,
                          absent=1, excused=0, percent_attended=50.0),
        SessionAttendance(session="Learning community", program=ACADEMY, day=date(2025, 2, 19),
                          kind="learning_community", present=0, partial=0, absent=1, excused=1,
                          percent_attended=0.0),
    ]  # fmt: skip
    # Fresno's members: m1 only attended; sessions in 2025 only.
    fresno = net.reports.attendance(county="Fresno", since="2025-01-01")
    assert rows(fresno, "by_month") == [
        MonthAttendance(month="2025-01", sessions=1, attended=1, recorded=1,
                        percent_attended=100.0),
        MonthAttendance(month="2025-02", sessions=1, attended=0, recorded=1, percent_attended=0.0),
    ]  # fmt: skip
    assert [(r.program, r.attended, r.recorded) for r in rows(fresno, "by_program")] == [
        (ACADEMY, 1, 2),
    ]


def test_surveys(small: Small) -> None:
    net, _ = small
    report = net.reports.surveys()
    ngss, community = "increased my ability to implement NGSS", "gave me a professional community"
    assert rows(report, "items") == [
        ItemResult(survey="Network impact", statement=ngss, year=2023, n=1, agreeing=1,
                   percent_agree=100.0),
        ItemResult(survey="Network impact", statement=ngss, year=2024, n=3, agreeing=2,
                   percent_agree=66.7),
        ItemResult(survey="Network impact", statement=community, year=2024, n=2, agreeing=1,
                   percent_agree=50.0),
    ]  # fmt: skip
    assert [(r.statement, r.year) for r in rows(report, "latest")] == [
        (ngss, 2024),
        (community, 2024),
    ]
    only_2023 = net.reports.surveys(year=2023)
    assert [(r.year, r.n) for r in rows(only_2023, "items")] == [(2023, 1)]
    # Los Angeles: m3 alone answered.
    la = net.reports.surveys(county="19")
    assert [(r.year, r.n, r.agreeing) for r in rows(la, "items")] == [(2024, 1, 1), (2024, 1, 0)]


def test_catalog(small: Small) -> None:
    net, _ = small
    report = net.reports.catalog()  # today is 2024-08-01: program year 2024
    assert rows(report, "programs") == [
        ProgramEntry(program="Administrators Science Support Network",
                     hosts="Lawrence Hall of Science",
                     audience="site, district and county administrators", format="virtual",
                     enrollment="interest", deadline=None, capacity=None, seats_taken=1,
                     sessions=0, cost="no cost"),
        ProgramEntry(program="Science Leadership Academy", hosts="Exploratorium",
                     audience="teacher leaders, TOSAs and PL providers", format="hybrid",
                     enrollment="application", deadline=date(2024, 9, 15), capacity=2,
                     seats_taken=2, sessions=3, cost="no cost"),
    ]  # fmt: skip
    assert "2024-25" in report.section("programs").notes[0]
    sessions = rows(report, "sessions")
    assert [s.session for s in sessions] == [
        "Virtual kickoff", "Institute at the Exploratorium", "Learning community",
    ]  # fmt: skip
    assert sessions[1] == SessionEntry(
        program="Science Leadership Academy", session="Institute at the Exploratorium",
        kind="institute", starts=datetime(2025, 1, 30, 9, 0, tzinfo=LA),
        ends=datetime(2025, 1, 31, 16, 0, tzinfo=LA), modality="in_person", venue="Pier 15",
    )  # fmt: skip
    assert rows(net.reports.catalog(year=2023), "programs") == []


def test_timeline(small: Small) -> None:
    net, _ = small
    report = net.reports.timeline()
    assert rows(report, "milestones") == [
        MilestoneEntry(year=2024, title=SCRIPT, description=FORMULA),
        MilestoneEntry(year=2016, title="Network launched", description="from every county"),
    ]
    assert rows(report, "partners") == [
        PartnerEntry(partner="Exploratorium", scope="state", role="institutes",
                     start=date(2016, 1, 1), end=None),
        PartnerEntry(partner="Lawrence Hall of Science", scope="state", role="admin network",
                     start=date(2024, 7, 1), end=None),
    ]  # fmt: skip
    early = net.reports.timeline(until="2020-12-31")
    assert [m.year for m in rows(early, "milestones")] == [2016]
    assert [p.partner for p in rows(early, "partners")] == ["Exploratorium"]
    alameda = net.reports.timeline(county="Alameda")
    assert [p.partner for p in rows(alameda, "partners")] == ["Lawrence Hall of Science"]


def test_materials(small: Small) -> None:
    net, records = small
    report = net.reports.materials()
    assert rows(report, "by_year") == [
        YearCount(year="2016", materials=1),
        YearCount(year="2024", materials=1),
    ]
    assert rows(report, "archive") == [
        MaterialEntry(year=2024, title="Kickoff slides", kind="slides",
                      program="Science Leadership Academy", access="public",
                      url="https://example.org/kickoff"),
        MaterialEntry(year=2016, title="Sessions and materials 2016-2020", kind="document",
                      program=None, access="public", url="https://example.org/archive"),
    ]  # fmt: skip
    assert [r.year for r in rows(net.reports.materials(year=2016), "archive")] == [2016]
    assert [r.year for r in rows(net.reports.materials(until="2020-06-30"), "archive")] == [2016]
    academy = net.reports.materials(program=records["academy"].id)
    assert [r.title for r in rows(academy, "archive")] == ["Kickoff slides"]
