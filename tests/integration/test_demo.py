"""The demo tells its whole story on a real SQLite file."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from rich.console import Console

from cpnetwork import Network
from cpnetwork.cli import CliConfig, cli
from cpnetwork.demo import NotEmptyError, main, run
from cpnetwork.model import EnrollmentStatus, Program


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Network, Path, str]]:
    """The demo, played once into a temporary folder: its network, report folder, output."""
    folder = tmp_path_factory.mktemp("demo")
    out = io.StringIO()
    reports = folder / "reports"
    url = f"sqlite:///{folder / 'demo.db'}"
    with run(url, console=Console(file=out, width=120), reports=reports) as net:
        yield net, reports, out.getvalue()


def _program(net: Network, title: str) -> Program:
    (program,) = [p for p in net.programs.find() if p.title == title]
    return program


def test_demo_plays_the_year_on_an_sqlite_file(demo: tuple[Network, Path, str]) -> None:
    net, _, text = demo
    academy = _program(net, "Science Leadership Academy")
    admins = _program(net, "Administrators Science Support Network")
    convening = _program(net, "In-Person Science CoP & CASE Learning Track")
    seats = [e for e in net.enrollment.find(academy.id) if e.holds_seat]
    assert len(seats) <= 24
    completed = net.enrollment.find(academy.id, status=EnrollmentStatus.COMPLETED)
    assert completed, "nobody completed the academy"
    assert net.enrollment.find(academy.id, status="waitlisted"), "nobody waits"
    assert [e for e in net.enrollment.find(academy.id, status="expired")]
    assert len(net.enrollment.find(admins.id, status="enrolled")) == 12
    assert len(net.enrollment.find(convening.id, status="enrolled")) == 20
    communities = [s for s in net.sessions.find(academy.id) if s.series_id is not None]
    assert len(communities) == 9
    assert {s.start.astimezone(ZoneInfo(s.timezone)).hour for s in communities} == {16}
    assert "16:00      │ -0800" in text and "16:00      │ -0700" in text
    assert "1 offer expired and passed on" in text
    assert "counties covered 58 of 58" in text


def test_the_four_seed_networks_are_in_the_one_file(demo: tuple[Network, Path, str]) -> None:
    net, _, _ = demo
    # 000: leaders in every county, 80% serving historically marginalized students.
    leader_network = _program(net, "K-12 Science Leader Network")
    roster = net.enrollment.find(leader_network.id, status="enrolled")
    assert len(roster) == 1_100
    leaders = {m.id: m for m in net.members.find()}
    assert {leaders[e.member_id].county for e in roster} == {f"{n:02d}" for n in range(1, 59)}
    serving = sum(1 for e in roster if leaders[e.member_id].equity_focus.value == "yes")
    assert serving == 880
    assert all(m.email.endswith(".example.org") for m in leaders.values())
    # 001: regional and county teams, the series' groups, five modules, the archive.
    kinds = Counter(team.kind.value for team in net.teams.find())
    assert kinds["regional"] == 11 and kinds["county"] >= 50
    assert kinds["cohort"] == 11 and kinds["grade_level"] == 4 and kinds["job_alike"] == 3
    principals = _program(net, "Principals Supporting NGSS")
    assert len(principals.modules) == 5
    assert sorted(s.module or "" for s in net.sessions.find(principals.id)) == [
        f"module_{n}" for n in range(1, 6)
    ]
    archive = net.reports.materials().section("by_year").rows
    assert [row.year for row in archive] == [str(year) for year in range(2016, 2025)]
    # 002: timeline, state and national partners, recognitions, impact.
    timeline = net.reports.timeline()
    assert len(timeline.section("milestones").rows) >= 14
    scopes = Counter(row.scope for row in timeline.section("partners").rows)
    assert scopes == {"state": 8, "national": 7}
    assert {"Paul Hood Award", "Distinguished Contributions award"} <= {
        row.title for row in timeline.section("recognitions").rows
    }
    impact = net.reports.reach(program="CA NGSS K-8 Early Implementation Initiative")
    assert impact.section("summary").rows[0].members == 120
    assert (impact.section("summary").rows[0].teachers_supported or 0) > 0


def test_the_report_folder_holds_every_report(demo: tuple[Network, Path, str]) -> None:
    net, reports, text = demo
    assert f"Wrote {len(net.reports.names()) + 1} reports" in text and reports.name in text
    for name in net.reports.names():
        for suffix in ("html", "csv", "json", "md", "txt"):
            assert (reports / f"{name}.{suffix}").stat().st_size > 0, (name, suffix)
        assert f'href="{name}.html"' in (reports / "index.html").read_text(encoding="utf-8")
    reach = net.reports.reach()
    assert reach.section("summary").rows[0].coverage == "58 of 58"
    assert reach.section("no_members").rows == ()
    page = (reports / "reach.html").read_text(encoding="utf-8")
    assert "58 of 58" in page
    for county in ("Alpine", "Del Norte", "Los Angeles", "Yuba"):
        assert f"<td>{county}</td>" in page
    document = json.loads((reports / "reach.json").read_text(encoding="utf-8"))
    by_county = next(s for s in document["sections"] if s["key"] == "by_county")
    assert sum(1 for row in by_county["rows"] if row["members"]) == 58
    # The survey impact table in the shape of the published one: 96, 95, 93, 93, 88%.
    survey = net.reports.surveys()
    published = [
        row.percent_agree for row in survey.section("items").rows
        if row.survey == "K-12 Science Leader Network evaluation"
    ]  # fmt: skip
    assert published == [96, 95, 93, 93, 88, 100, 95, 90]
    surveys_page = (reports / "surveys.html").read_text(encoding="utf-8")
    for row in survey.section("items").rows:
        assert row.statement in surveys_page
    assert "Increased my ability to implement NGSS in my local context" in surveys_page


def test_the_year_delivers_messages_and_imports_a_zoom_report(
    demo: tuple[Network, Path, str],
) -> None:
    net, reports, _ = demo
    delivered = net.notifications.messages(status="delivered")
    assert delivered and not net.notifications.messages(status="pending")
    sink = (reports / "notifications.log").read_text(encoding="utf-8")
    assert sink.count("\n--- ") + sink.startswith("--- ") == len(delivered)
    assert "Application received: Science Leadership Academy" in sink
    assert f"Notifications: {len(delivered)} messages delivered" in demo[2]
    (zoom,) = reports.glob("zoom-participants-*.csv")
    assert zoom.read_text(encoding="utf-8").startswith("Meeting ID,Topic,Start Time")
    academy = _program(net, "Science Leadership Academy")
    first = min(
        (s for s in net.sessions.find(academy.id) if s.series_id is not None),
        key=lambda s: s.start,
    )
    imported = net.attendance.for_session(first.id)
    assert imported and {a.source.value for a in imported} == {"video_report"}
    rows = list(csv.DictReader(zoom.read_text(encoding="utf-8").splitlines()[3:]))
    emails = {row["User Email"] for row in rows if row["User Email"]}
    assert len(imported) == len(emails)  # rejoins merged, the guest nobody knows left out
    assert {a.status.value for a in imported} == {"present", "partial"}


def test_demo_main_rebuilds_only_its_own_network(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "again.db"
    assert main([str(db)]) == 0
    assert main(["--rebuild", str(db)]) == 0  # what `make demo` runs, again and again
    assert db.exists()
    capsys.readouterr()
    assert main([str(db)]) == 1  # without --rebuild even the demo's own is kept
    assert "the demo writes only into a new file or an empty database" in capsys.readouterr().err


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_demo_main_refuses_any_other_network_even_with_rebuild(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "network.db"
    with Network.open(f"sqlite:///{db}", name="Real County Network") as net:
        net.members.add(email="ada@example.org")
    before = _digest(db)
    for args in ([str(db)], ["--rebuild", str(db)]):
        assert main(args) == 1
        error = capsys.readouterr().err
        assert "already holds the network 'Real County Network' (1 records)" in error
        assert _digest(db) == before


@pytest.mark.postgres
def test_demo_refuses_a_postgresql_database_holding_a_network(pg_url: str) -> None:
    with Network.open(pg_url, name="Shared network") as net:
        net.members.add(email="ada@example.org")
    with pytest.raises(NotEmptyError, match="the demo writes only into a new file"):
        run(pg_url, console=Console(file=io.StringIO()))
    result = CliRunner().invoke(
        cli, ["demo", "--db", pg_url], obj=CliConfig(load_entrypoints=False)
    )
    assert result.exit_code == 1
    assert "already holds the network 'Shared network'" in result.output
    with Network.open(pg_url, read_only=True) as net:
        assert net.count_records() == 1
        assert [m.email for m in net.members.find()] == ["ada@example.org"]
