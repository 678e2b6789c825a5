"""The ``zoom-attendance`` importer: a Zoom participants report into one session's attendance."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cpnetwork import Network
from cpnetwork.importers import ImportFileError
from cpnetwork.importers.zoom import covered_seconds, name_candidates
from cpnetwork.model import AttendanceSource, AttendanceStatus, Session
from cpnetwork.testing import snapshot

FIXTURES = Path(__file__).parent / "fixtures"
PADDED = FIXTURES / "zoom_participants_padded.csv"
PREAMBLE = FIXTURES / "zoom_participants_preamble.csv"
TOTALS = FIXTURES / "zoom_total_duration.csv"
REAL = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "real" / "zoom"
HEROES = REAL / "zoomclass_participants_heroes.csv"
HEROES_FULL = REAL / "zoomclass_participants_heroes_full.csv"
LA = ZoneInfo("America/Los_Angeles")
P, PARTIAL = AttendanceStatus.PRESENT, AttendanceStatus.PARTIAL


def needs(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path.name} not found: the shared real data is not beside this checkout")


def community(network: Network, *, zone: str = "America/Los_Angeles") -> Session:
    """A 90-minute learning community on Sept 24, 2024 at 4 pm, as in the fixtures."""
    program = network.programs.create(title="Learning communities", program_year=2024)
    return network.sessions.schedule(
        program.id,
        title="Learning community",
        start=datetime(2024, 9, 24, 16, tzinfo=ZoneInfo(zone)),
        duration=timedelta(minutes=90),
        timezone=zone,
    )


def add_people(network: Network) -> dict[str, str]:
    ids = {}
    for email, given, family in [
        ("maya.torres@example.org", "Maya", "Torres"),
        ("ray.ortiz@example.org", "Ray", "Ortiz"),
        ("sam@example.org", "Sam", "Okoye"),
        ("pat.lee@one.example.org", "Pat", "Lee"),
        ("pat.lee@two.example.org", "Pat", "Lee"),
    ]:
        ids[email] = network.members.add(email=email, given_name=given, family_name=family).id
    return ids


def recorded(network: Network, session: Session) -> dict[str, tuple[AttendanceStatus, int | None]]:
    return {
        network.members.get(a.member_id).email: (a.status, a.minutes)
        for a in network.attendance.for_session(session.id)
    }


@pytest.mark.parametrize("report_file", [PADDED, PREAMBLE], ids=["padded", "preamble"])
def test_rows_are_matched_merged_and_judged(network: Network, report_file: Path) -> None:
    session = community(network)
    add_people(network)

    report = network.import_file("zoom-attendance", report_file, session=session.id)

    assert recorded(network, session) == {
        # 3:58 pm to 5:31 pm: only the session's 90 minutes count.
        "maya.torres@example.org": (P, 90),
        # Matched by the original name in parentheses; two overlapping joins, 65 minutes.
        "ray.ortiz@example.org": (PARTIAL, 65),
        # "iPad (sam okoye)": names compare ignoring case; 89.5 minutes round to 90.
        "sam@example.org": (P, 90),
    }
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert {a.source for a in network.attendance.for_session(session.id)} == {
        AttendanceSource.VIDEO_REPORT
    }
    notes = list(report.notes)
    if report_file is PREAMBLE:
        assert notes.pop(0).startswith("Zoom meeting 'Learning community' (ID 81234567890)")
    assert notes == [
        "2 present, 1 partial (present from 67.5 minutes)",
        "left out 1 row(s) of people in the waiting room",
        "no member matches Visitor <visitor@elsewhere.example.com> (row(s) 5); not recorded",
        # Two members are called Pat Lee: a name shared matches nobody.
        "no member matches Pat Lee (row(s) 7); not recorded",
    ]


def test_reimport_changes_nothing_and_corrects_edits(network: Network) -> None:
    session = community(network)
    ids = add_people(network)
    network.import_file("zoom-attendance", PADDED, session=session.id)
    before = snapshot(network)
    again = network.import_file("zoom-attendance", PREAMBLE, session=session.id)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert snapshot(network) == before

    network.attendance.record(session.id, ids["ray.ortiz@example.org"], "present", minutes=90)
    fixed = network.import_file("zoom-attendance", PADDED, session=session.id)
    assert (fixed.created, fixed.updated, fixed.unchanged) == (0, 1, 2)
    assert recorded(network, session)["ray.ortiz@example.org"] == (PARTIAL, 65)


def test_present_minutes_option(network: Network) -> None:
    session = community(network)
    add_people(network)
    network.import_file("zoom-attendance", PADDED, session=session.id, present_minutes="60")
    assert recorded(network, session)["ray.ortiz@example.org"] == (P, 65)


def test_total_duration_only_exports_add_up_the_rows(network: Network) -> None:
    session = community(network)
    add_people(network)
    report = network.import_file("zoom-attendance", TOTALS, session=session.id)
    assert recorded(network, session) == {
        "maya.torres@example.org": (P, 88),
        "ray.ortiz@example.org": (PARTIAL, 50),
        # 70 + 40 minutes, at most the session's 90.
        "sam@example.org": (P, 90),
    }
    assert report.created == 3


def test_times_are_read_in_the_sessions_time_zone(network: Network) -> None:
    # The same report for a 4 pm session in New York: read as New York times it fits.
    session = community(network, zone="America/New_York")
    add_people(network)
    network.import_file("zoom-attendance", PADDED, session=session.id)
    assert recorded(network, session)["maya.torres@example.org"] == (P, 90)


def test_a_report_of_another_day_is_refused(network: Network) -> None:
    program = network.programs.create(title="Other", program_year=2024)
    session = network.sessions.schedule(
        program.id,
        title="Another day",
        start=datetime(2024, 10, 1, 16, tzinfo=LA),
        duration=timedelta(minutes=90),
    )
    add_people(network)
    with pytest.raises(ImportFileError, match="is it the right session"):
        network.import_file("zoom-attendance", PADDED, session=session.id)


def test_dry_run_writes_nothing(network: Network) -> None:
    session = community(network)
    add_people(network)
    before = snapshot(network)
    report = network.import_file("zoom-attendance", PADDED, session=session.id, dry_run=True)
    assert report.created == 3
    assert snapshot(network) == before


def test_bad_cells_are_named_by_row_and_column(network: Network, tmp_path: Path) -> None:
    session = community(network)
    path = tmp_path / "bad.csv"
    path.write_text(
        "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes)\n"
        "Maya Torres,maya.torres@example.org,09/24/2024 04:00:00 PM,09/24/2024 05:30:00 PM,90\n"
        "Ray Ortiz,,24/09/2024 16:00,09/24/2024 05:30:00 PM,90\n"
        "Sam Okoye,,09/24/2024 05:30:00 PM,09/24/2024 04:00:00 PM,0\n"
        ",,09/24/2024 04:00:00 PM,09/24/2024 05:30:00 PM,90\n"
    )
    with pytest.raises(ImportFileError) as excinfo:
        network.import_file("zoom-attendance", path, session=session.id)
    assert [(e.row, e.column) for e in excinfo.value.errors] == [
        (2, "Join Time"),
        (3, "Leave Time"),
        (4, None),
    ]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, "option session=<id> is required"),
        ({"session": "nope"}, "no session 'nope'"),
        ({"session": "SESSION", "present_minutes": "lots"}, "'lots' is not a positive number"),
        ({"session": "SESSION", "threshold": "60"}, "unknown option 'threshold'"),
    ],
)
def test_options_are_checked(network: Network, options: dict[str, str], expected: str) -> None:
    session = community(network)
    given = {k: session.id if v == "SESSION" else v for k, v in options.items()}
    with pytest.raises(ImportFileError, match=expected):
        network.import_file("zoom-attendance", PADDED, **given)


def test_a_cancelled_session_takes_no_attendance(network: Network) -> None:
    session = community(network)
    network.sessions.cancel(session.id)
    with pytest.raises(ImportFileError, match="is cancelled"):
        network.import_file("zoom-attendance", PADDED, session=session.id)


def test_name_candidates_and_overlaps() -> None:
    assert name_candidates("015_Loki (Loki Laufeyson)") == [
        "015_loki",
        "loki laufeyson",
        "015_loki (loki laufeyson)",
    ]
    assert name_candidates("  Ada   Lovelace ") == ["ada lovelace"]
    start = datetime(2024, 9, 24, 16, tzinfo=LA)
    end = start + timedelta(hours=1)
    joins = [
        (start - timedelta(minutes=10), start + timedelta(minutes=20)),
        (start + timedelta(minutes=10), start + timedelta(minutes=30)),
        (start + timedelta(minutes=50), end + timedelta(minutes=30)),
    ]
    assert covered_seconds(joins, start, end) == 40 * 60


# -- the real Zoom export samples ----------------------------------------------------
def heroes_session(network: Network) -> Session:
    program = network.programs.create(title="Heroes", program_year=2021)
    return network.sessions.schedule(
        program.id,
        title="Heroes meeting",
        start=datetime(2021, 11, 19, 10, tzinfo=LA),
        end=datetime(2021, 11, 19, 12, tzinfo=LA),
    )


def heroes(network: Network) -> None:
    for email, given, family in [
        ("loki_asgardian@marvel.com", "Loki", "Laufeyson"),
        # Matched by the original name in "003_Power Girl (Kara Zor-L)".
        ("kara@krypton.example.org", "Kara", "Zor-L"),
        ("dazzler_mutant@marvel.com", "Alison", "Blaire"),
        ("swarm_mutant@marvel.com", "Fritz", "von Meyer"),
        ("she-thing_radiation@marvel.com", "Sharon", "Ventura"),
    ]:
        network.members.add(email=email, given_name=given, family_name=family)


@pytest.mark.parametrize("path", [HEROES, HEROES_FULL], ids=["plain", "with-meeting-data"])
def test_real_zoom_exports(network: Network, path: Path) -> None:
    needs(path)
    session = heroes_session(network)
    heroes(network)
    report = network.import_file("zoom-attendance", path, session=session.id)
    assert recorded(network, session) == {
        "loki_asgardian@marvel.com": (P, 120),  # joined 9:54, counted from 10:00
        # Two overlapping joins (10:08:26 and 10:11:31 to 12:01:58): counted once.
        "kara@krypton.example.org": (P, 112),
        "dazzler_mutant@marvel.com": (PARTIAL, 28),  # 1.6 + 26.9 minutes
        "swarm_mutant@marvel.com": (P, 106),  # 10:14:30-10:24:26 and 10:24:12-12:01:58
        "she-thing_radiation@marvel.com": (PARTIAL, 23),
    }
    unmatched = [n for n in report.notes if n.startswith("no member matches")]
    assert len(unmatched) == 22
    assert (
        "no member matches 010_Cyborg Superman <cyborg-superman_cyborg@dc.com> (row(s) 5, 29)"
        in (" ".join(unmatched))
    )
    if path is HEROES_FULL:
        assert report.notes[0] == (
            "Zoom meeting 'Heroes meeting' (ID 60245167821), 11/19/2021 10:00:00 AM "
            "to 11/19/2021 12:00:00 PM"
        )


def test_both_real_exports_agree(network: Network) -> None:
    needs(HEROES)
    needs(HEROES_FULL)
    session = heroes_session(network)
    heroes(network)
    network.import_file("zoom-attendance", HEROES, session=session.id)
    again = network.import_file("zoom-attendance", HEROES_FULL, session=session.id)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
