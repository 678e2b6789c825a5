"""The demo tells its whole story on a real SQLite file."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from rich.console import Console

from cpnetwork import Network
from cpnetwork.cli import CliConfig, cli
from cpnetwork.demo import NotEmptyError, main, run
from cpnetwork.model import EnrollmentStatus


def test_demo_plays_the_year_on_an_sqlite_file(tmp_path: Path) -> None:
    out = io.StringIO()
    with run(f"sqlite:///{tmp_path / 'demo.db'}", console=Console(file=out, width=120)) as net:
        academy, admins, convening = (
            next(p for p in net.programs.find() if p.title.startswith(prefix))
            for prefix in ("Science Leadership", "Administrators", "California Science")
        )
        seats = [e for e in net.enrollment.find(academy.id) if e.holds_seat]
        assert len(seats) <= 24
        completed = net.enrollment.find(academy.id, status=EnrollmentStatus.COMPLETED)
        assert completed, "nobody completed the academy"
        assert len(net.enrollment.find(admins.id, status="enrolled")) == 12
        assert len(net.enrollment.find(convening.id, status="enrolled")) == 20
        communities = [s for s in net.sessions.find(academy.id) if s.series_id is not None]
        assert len(communities) == 9
        assert {s.start.astimezone(ZoneInfo(s.timezone)).hour for s in communities} == {16}
    text = out.getvalue()
    assert "16:00      │ -0800" in text and "16:00      │ -0700" in text
    assert "offer expired and passed on" in text


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
