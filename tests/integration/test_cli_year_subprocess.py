"""A coordinator's whole year with the installed ``cpnetwork`` command, one process a step.

Every step runs the real console script (or ``python -m cpnetwork``) as a new process on
one SQLite file, the way a coordinator or a cron job runs it: members from a form
export, the year from a plan file (applied twice), a program and a session made by
command, enrollment by application, interest form and registration, review, confirm,
both answers to a waitlist offer, an offer left to expire by ``tick``, attendance by
hand and from a real Zoom participants report, and a report written to a file.  The
time each step runs at is set with ``CPNETWORK_NOW`` (the global ``--now``), so the
year's dates stay fixed.  Results are read back from ``--json`` output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: The shared real data beside the checkout (read in place, never copied in).
ZOOM = ROOT.parent / "shared" / "data" / "real" / "zoom" / "zoomclass_participants_heroes.csv"

#: The year's clock: Sept 1, 2021, in the network's zone (applications close Sept 15).
SEPT_1 = "2021-09-01T09:00-07:00"
#: Three days later: an offer made on Sept 1 with a two-day window has run out.
SEPT_4 = "2021-09-04T09:00-07:00"
#: The day after the institute day the Zoom report is of.
NOV_20 = "2021-11-20T09:00-08:00"

YEAR = """
timezone = "America/Los_Angeles"
year = 2021

[[programs]]
title = "Science Leadership Academy"
format = "hybrid"

[programs.policy]
mode = "application"
deadline = 2021-09-15
capacity = 2
offer_window = "2d"

[[programs.sessions]]
title = "Institute day"
kind = "institute"
start = 2021-11-19T10:00:00
duration = "2h"

[[programs.series]]
title = "Learning community"
rrule = "FREQ=MONTHLY;BYDAY=3WE;COUNT=3"
first_start = 2021-10-20T16:00:00
duration = "1h"

[[programs]]
title = "Administrators' network"

[programs.policy]
mode = "interest"
"""

ROSTER = """\
Timestamp,Email Address,First name,Last name,Role(s),County
8/20/2021 10:01:00,ada@example.org,Ada,Okafor,TOSA,19
8/20/2021 10:02:00,bo@example.org,Bo,Reyes,Instructional coach,19
8/20/2021 10:03:00,cy@example.org,Cy,Tran,TOSA,37
8/20/2021 10:04:00,dee@example.org,Dee,Park,Site administrator,10
8/20/2021 10:05:00,eve@example.org,Eve,Moss,Teacher leader,10
8/20/2021 10:06:00,fay@example.org,Fay,Ng,Teacher leader,19
8/20/2021 10:07:00,gus@example.org,Gus,Ortiz,Teacher,37
8/21/2021 09:00:00,loki_asgardian@marvel.com,Loki,Laufeyson,Teacher,19
8/21/2021 09:01:00,kara@krypton.example.org,Kara,Zor-L,Teacher,19
8/21/2021 09:02:00,dazzler_mutant@marvel.com,Alison,Blaire,Teacher,19
"""


def _command() -> list[str]:
    """The installed console script beside this Python, else ``python -m cpnetwork``."""
    script = Path(sys.executable).parent / ("cpnetwork.exe" if os.name == "nt" else "cpnetwork")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cpnetwork"]


class Coordinator:
    """Runs ``cpnetwork`` as a new process on one database, at a time of its choosing."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.now = SEPT_1
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("CPNETWORK_AS", "CPNETWORK_BLOCK_PLUGINS", "CPNETWORK_NOW")
        }
        self.env.update(CPNETWORK_DB=str(folder / "year.db"), COLUMNS="200")
        self.command = _command()

    def __call__(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*self.command, *args],
            cwd=self.folder,
            env={**self.env, "CPNETWORK_NOW": self.now},
            capture_output=True,
            text=True,
            timeout=120,
        )
        if ok:
            assert result.returncode == 0, f"cpnetwork {' '.join(args)}\n{result.stderr}"
            assert "Traceback" not in result.stderr
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json").stdout)

    def enrollment(self, *args: str) -> str:
        """Run a step of enrollment; the id of the enrollment it printed."""
        return self(*args).stdout.rsplit("(enrollment ", 1)[1].split(")")[0]


def _statuses(shown: dict[str, Any]) -> dict[str, str]:
    return {e["member_email"]: e["status"] for e in shown["enrollments"]}


def test_a_coordinators_year_in_separate_processes(tmp_path: Path) -> None:
    if not ZOOM.exists():
        pytest.skip(f"{ZOOM.name} not found: the shared real data is not beside this checkout")
    run = Coordinator(tmp_path)
    (tmp_path / "roster.csv").write_text(ROSTER)
    (tmp_path / "year.toml").write_text(YEAR)

    # Members from a form export: the import creates the database.
    imported = run("import", "members", "roster.csv")
    assert imported.stdout.startswith("members from roster.csv: created 10, updated 0")

    # The year from its plan: a dry run, the real thing, and again (nothing changes).
    dry = run.json("plan", "apply", "year.toml", "--dry-run")
    assert (dry["dry_run"], dry["changed"], dry["unchanged"]) == (True, 4, 0)
    applied = run.json("plan", "apply", "year.toml")
    assert [(c["action"], c["kind"]) for c in applied["changes"]] == [
        ("create", "program"),
        ("create", "session"),
        ("create", "series"),
        ("create", "program"),
    ]
    run("export", "before.json")
    again = run.json("plan", "apply", "year.toml")
    assert (again["changed"], again["unchanged"]) == (0, 4)
    assert {c["action"] for c in again["changes"]} == {"unchanged"}
    run("export", "after.json")
    before = (tmp_path / "before.json").read_text()
    assert (tmp_path / "after.json").read_text() == before
    (institute,) = [s for s in json.loads(before)["sessions"] if s["title"] == "Institute day"]

    # A program and a session made by command.
    workshop = run.json(
        "programs", "create", "Lab workshop", "--year", "2021", "--capacity", "1",
        "--offer-window", "2d", "--format", "in_person",
    )  # fmt: skip
    lab = run.json(
        "sessions", "create", "Lab workshop", "--title", "Lab", "--start", "2021-10-02 09:00",
        "--duration", "3h", "--modality", "in_person", "--venue", "Room 4",
    )  # fmt: skip
    assert (lab["program_id"], lab["end"]) == (workshop["id"], "2021-10-02T12:00:00-07:00")

    # Applications, an interest form; review, confirm, an offer taken up.
    academy = "Science Leadership Academy"
    ada = run.enrollment("enroll", academy, "ada@example.org")
    bo = run.enrollment("enroll", academy, "bo@example.org")
    cy = run.enrollment("enroll", academy, "cy@example.org")
    interest = run("enroll", "Administrators' network", "dee@example.org")
    assert interest.stdout.startswith("expressed interest: dee@example.org")
    run("review", ada, "--accept", "--rank", "1")
    run("review", bo, "--accept", "--rank", "2")
    run("review", cy, "--waitlist", "--rank", "3", "--reason", "no seat left")
    assert run("confirm", ada).stdout.startswith(
        f"ada@example.org in {academy}: accepted -> enrolled"
    )
    run("withdraw", bo, "--reason", "moved out of state")  # cy is offered bo's seat
    taken = run("accept-offer", cy)
    assert taken.stdout.startswith(f"cy@example.org in {academy}: offered -> accepted")
    shown = run.json("programs", "show", academy, "--enrollments")
    assert _statuses(shown) == {
        "ada@example.org": "enrolled",
        "bo@example.org": "withdrawn",
        "cy@example.org": "accepted",
    }

    # Registration: a seat freed twice, an offer declined and one left to expire.
    eve = run.enrollment("enroll", "Lab workshop", "eve@example.org")
    fay = run.enrollment("enroll", "Lab workshop", "fay@example.org")
    run("enroll", "Lab workshop", "gus@example.org")
    run("withdraw", eve)  # fay is offered the seat ...
    declined = run("decline-offer", fay)  # ... and declines: gus is offered it
    assert declined.stdout.startswith("fay@example.org in Lab workshop: offered -> declined")
    run.now = SEPT_4
    assert "offers expired: 1" in run("tick").stdout.splitlines()
    assert _statuses(run.json("programs", "show", "Lab workshop", "--enrollments")) == {
        "eve@example.org": "withdrawn",
        "fay@example.org": "declined",
        "gus@example.org": "expired",
    }

    # Attendance by hand and from the Zoom participants report of the institute day.
    run.now = NOV_20
    run("attendance", "record", institute["id"], "ada@example.org", "--status", "present")
    zoom = run("import", "zoom-attendance", str(ZOOM), "-o", f"session={institute['id']}")
    assert "created 3, updated 0" in zoom.stdout
    assert "2 present, 1 partial (present from 90 minutes)" in zoom.stdout
    recorded = run.json("attendance", "list", institute["id"])
    assert {(r["member_email"], r["status"], r["minutes"], r["source"]) for r in recorded} == {
        ("ada@example.org", "present", None, "manual"),
        ("loki_asgardian@marvel.com", "present", 120, "video_report"),
        ("kara@krypton.example.org", "present", 112, "video_report"),
        ("dazzler_mutant@marvel.com", "partial", 28, "video_report"),
    }

    # The year's attendance report, written to a file.
    run("report", "attendance", "--year", "2021", "--format", "json", "-o", "attendance.json")
    report = json.loads((tmp_path / "attendance.json").read_text())
    sections = {section["key"]: section["rows"] for section in report["sections"]}
    by_session = {(row["session"], row["day"]): row for row in sections["by_session"]}
    assert len(by_session) == 5  # the lab, the institute day and three communities
    institute_day = by_session[("Institute day", "2021-11-19")]
    assert (institute_day["present"], institute_day["partial"]) == (3, 1)
    academy_row = next(r for r in sections["by_program"] if r["program"].startswith(academy))
    assert (academy_row["sessions"], academy_row["enrolled"]) == (4, 1)
