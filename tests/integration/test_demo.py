"""The demo tells its whole story on a real SQLite file."""

from __future__ import annotations

import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

from cpnetwork.demo import main, run
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
