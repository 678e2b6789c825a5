"""A Zoom "Participants" report for a session, as the web portal exports it.

The layout is that of ``shared/data/real/zoom/``: the meeting-data preamble (one row,
then a row of empty fields), then the participant table with ``Name (Original Name)``,
``User Email``, join and leave times (``MM/DD/YYYY hh:mm:ss AM/PM``, local, no zone),
``Duration (Minutes)``, ``Guest`` and ``Recording Consent``.  People rejoin, leave
early, and a guest no one knows turns up: the importer sorts that out.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from cpnetwork.model import Member, Session

PREAMBLE = ("Meeting ID", "Topic", "Start Time", "End Time", "User Email",
            "Duration (Minutes)", "Participants")  # fmt: skip
HEADER = ("Name (Original Name)", "User Email", "Join Time", "Leave Time",
          "Duration (Minutes)", "Guest", "Recording Consent")  # fmt: skip


def _when(moment: datetime) -> str:
    return moment.strftime("%m/%d/%Y %I:%M:%S %p")


def write_participants(
    path: Path,
    session: Session,
    attendees: Sequence[Member],
    host: Member,
    rng: random.Random,
) -> Path:
    """Write the report of ``session`` attended by ``attendees`` (and one stranger)."""
    zone = ZoneInfo(session.timezone)
    start, end = session.start.astimezone(zone), session.end.astimezone(zone)
    rows: list[tuple[str, ...]] = []

    def row(name: str, email: str, joined: datetime, left: datetime, guest: str) -> None:
        minutes = max(1, round((left - joined).total_seconds() / 60))
        consent = rng.choice(("Y", "Y", "NA"))
        rows.append((name, email, _when(joined), _when(left), str(minutes), guest, consent))

    for n, member in enumerate(attendees):
        joined = start + timedelta(seconds=rng.randint(-300, 420))
        # Every fifth leaves early; every seventh drops out and rejoins.
        left = end - timedelta(minutes=50) if n % 5 == 4 else end + timedelta(seconds=30)
        name = f"{member.given_name} {member.family_name}"
        shown = f"{n + 1:03d}_{member.given_name} ({name})" if n % 3 == 0 else name
        if n % 7 == 6:
            gap = start + timedelta(minutes=30)
            row(shown, member.email, joined, gap, "Yes")
            row(shown, member.email, gap + timedelta(minutes=2), left, "Yes")
        else:
            row(shown, member.email, joined, left, "Yes" if n % 4 else "No")
    row("Visiting Guest", "", start + timedelta(minutes=10), start + timedelta(minutes=25), "Yes")
    rows.sort(key=lambda r: datetime.strptime(r[2], "%m/%d/%Y %I:%M:%S %p"))
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(PREAMBLE)
        minutes = round((end - start).total_seconds() / 60)
        meeting = "8" + "".join(str(rng.randint(0, 9)) for _ in range(10))
        writer.writerow((meeting, session.title, _when(start), _when(end), host.email,
                         str(minutes), str(len({r[1] or r[0] for r in rows}))))  # fmt: skip
        writer.writerow(("",) * len(PREAMBLE))
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path
