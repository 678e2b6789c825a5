"""``ical-sessions`` against ``recurring-ical-events`` on the two packages' own test calendars.

Every ``.ics`` file the installed ``recurring-ical-events`` and ``icalendar`` ship for their
tests is imported into a memory network, with the program year of its latest event.  The
outcome is one of:

* imported: the sessions (UTC start and end) are the occurrences
  ``recurring_ical_events.of(calendar).between(...)`` lists up to the end of that program
  year, cancelled ones and the ones the importer skips with a note (zero-length
  occurrences, events without a UID) left out;
* refused: every problem's reason is one of :data:`REFUSALS`.

Nothing else passes: a crash, an unlisted refusal, or one occurrence more or less.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from cpnetwork import Network
from cpnetwork.importers import ImportFileError
from cpnetwork.importers.ical import _is_zone
from cpnetwork.recurrence import localize
from cpnetwork.testing.pytest_plugin import FrozenClock


def _corpus(module: Any, *parts: str) -> Path:
    return Path(module.__file__).parent.joinpath(*parts)


CORPORA = {
    "recurring-ical-events": _corpus(recurring_ical_events, "test", "calendars"),
    "icalendar": _corpus(icalendar, "tests", "calendars"),
}

#: Why a calendar of the corpora may be refused: each problem's reason matches one.
REFUSALS = {
    "sub-daily rule": re.compile(r"sessions recur at most daily|BYHOUR|BYMINUTE|BYSECOND"),
    "more than one RRULE": re.compile(r"more than one RRULE"),
    "EXRULE": re.compile(r"EXRULE is not supported"),
    "RANGE=THISANDFUTURE": re.compile(r"RANGE=THISANDFUTURE"),
    "unknown time zone": re.compile(r"is neither an IANA nor a Windows zone name"),
    "unreadable value": re.compile(r"cannot read (it|the event)|a time of day without a date"),
    "invalid RRULE": re.compile(r"is not one of DAILY|is not an RFC 5545 rule part"),
    "DTSTART and DTEND of different kinds": re.compile(r"wants both of one kind"),
    "all-day DURATION not in days": re.compile(r"is not whole days"),
    "not an iCalendar file": re.compile(r"not an iCalendar file"),
    "ends before it starts": re.compile(r"ends before it starts"),
    "repeated property": re.compile(r"is given \d+ times"),
    "same UID and SEQUENCE": re.compile(r"has the same UID and SEQUENCE"),
    "off-rule DTSTART": re.compile(r"DTSTART is not an occurrence of its RRULE"),
    "rule out of range": re.compile(r"more than \d+ occurrences|do not fit within"),
    "series after the program year": re.compile(r"has no occurrence before program year"),
}

#: The only differences from the reference that pass, by file: events without a UID
#: (re-importing could not find their sessions) or without a DTSTART (RFC 5545 requires
#: one; the reference cannot expand them) are skipped with a note, so the reference is
#: computed without them.  (The other principled difference, the end of the program year
#: as the end of a rule with neither COUNT nor UNTIL, is the comparison's window.)
EXCEPTIONS: dict[str, tuple[str, ...]] = {
    "duration.ics": ("UID",),
    "issue_107_omitting_last_event.ics": ("UID",),
    "issue_113_period_rdate_duration.ics": ("UID",),
    "issue_117_until_before_dtstart.ics": ("UID",),
    "issue_128_only_first_event.ics": ("UID",),
    "issue_15_duplicated_events.ics": ("UID",),
    "rdate.ics": ("UID",),
    "rdate2.ics": ("UID",),
    "rdate_hackerpublicradio.ics": ("UID",),
    "broken_ical.ics": ("DTSTART",),
    "created_calendar_with_unicode_fields.ics": (
        "UID",
        "DTSTART",
    ),
    "issue_1050_uid_in_description.ics": ("DTSTART",),
    "issue_1081_with_summary.ics": ("DTSTART",),
    "issue_1549_binary_attachment.ics": ("DTSTART",),
    "issue_1561_image_value.ics": ("DTSTART",),
    "issue_156_RDATE_with_PERIOD_TZID_khal.ics": ("UID",),
    "issue_165_missing_event.ics": ("UID",),
    "issue_237_fail_to_parse_timezone_with_non_ascii_tzid.ics": ("UID",),
    "issue_322_expected_calendar.ics": (
        "UID",
        "DTSTART",
    ),
    "issue_722_missing_VTIMEZONE_custom.ics": ("UID",),
    "issue_722_missing_timezones.ics": (
        "UID",
        "DTSTART",
    ),
    "issue_798_related_to.ics": (
        "UID",
        "DTSTART",
    ),
    "issue_82_expected_output.ics": (
        "UID",
        "DTSTART",
    ),
    "parsing_error.ics": ("UID",),
    "rfc_5545_RDATE_example.ics": ("DTSTART",),
    "rfc_6868.ics": (
        "UID",
        "DTSTART",
    ),
    "rfc_7256_multi_value_parameters.ics": ("DTSTART",),
    "rfc_7986_conferences.ics": (
        "UID",
        "DTSTART",
    ),
    "rfc_7986_image.ics": ("DTSTART",),
    "rfc_9253_gap.ics": ("DTSTART",),
    "rfc_9253_related_to.ics": ("DTSTART",),
}


def calendars() -> Iterator[Any]:
    for name, folder in CORPORA.items():
        files = sorted(folder.glob("*.ics"))
        if not files:
            yield pytest.param(
                None, marks=pytest.mark.skip(reason=f"{name} ships no test calendars"), id=name
            )
        for path in files:
            yield pytest.param(path, id=f"{name}/{path.name}")


def program_year(network: Network, calendar: Any) -> int:
    """The program year of the calendar's latest start (today's when it has none)."""
    days = []
    for component in calendar.walk("VEVENT"):
        try:
            value = component["DTSTART"].dt
        except (KeyError, AttributeError, ValueError, TypeError):
            continue
        days.append(value.date() if isinstance(value, datetime) else value)
    return network.profile.program_year(max(days, default=date(2024, 8, 1)))


def _utc(value: Any, zone: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):
        value = datetime.combine(value, time())
    if value.tzinfo is None:
        value = localize(value, zone)
    return value.astimezone(UTC)


def reference(
    calendar: Any, zone: ZoneInfo, until: datetime, leave_out: tuple[str, ...] = ()
) -> Counter[tuple[datetime, datetime]]:
    """The occurrences the importer should make: (UTC start, UTC end), counted.

    Events lacking one of the properties ``leave_out`` names are left out first.
    """

    def kept(component: Any) -> bool:
        return component.name != "VEVENT" or all(
            str(component.get(name, "")).strip() for name in leave_out
        )

    if not kept(calendar):
        return Counter()  # a file of one bare VEVENT
    calendar.subcomponents = [c for c in calendar.subcomponents if kept(c)]
    found: Counter[tuple[datetime, datetime]] = Counter()
    for occurrence in recurring_ical_events.of(calendar, skip_bad_series=True).between(
        date(1800, 1, 1), until
    ):
        if str(occurrence.get("STATUS", "")).upper() == "CANCELLED":
            continue
        start = _utc(occurrence["DTSTART"].dt, zone)
        end = _utc(occurrence["DTEND"].dt, zone) if "DTEND" in occurrence else start
        if end == start or start >= until:
            continue  # zero-length: skipped with a note
        found[start, end] += 1
    return found


def outcome(network: Network, path: Path) -> tuple[str, Any]:
    """("refused", reasons) or ("imported", (made, expected, notes))."""
    try:
        calendar = icalendar.Calendar.from_ical(path.read_bytes())
    except (ValueError, IndexError, KeyError):
        calendar = None
    year = program_year(network, calendar) if calendar is not None else 2024
    program = network.programs.create(title="Corpus", program_year=year)
    try:
        report = network.import_file("ical-sessions", path, program=program.id)
    except ImportFileError as exc:
        return "refused", [(e.row, e.column, e.reason) for e in exc.errors]
    assert calendar is not None
    until = network.sessions.year_end(program).astimezone(UTC)
    wr_zone = str(calendar.get("X-WR-TIMEZONE", "") or "").strip()
    zone = ZoneInfo(wr_zone if wr_zone and _is_zone(wr_zone) else network.profile.timezone)
    made: Counter[tuple[datetime, datetime]] = Counter(
        (s.start.astimezone(UTC), s.end.astimezone(UTC))
        for s in network.sessions.find(program.id)
        if s.start.astimezone(UTC) < until
    )
    leave_out = EXCEPTIONS.get(path.name, ())
    if leave_out:
        assert any(f"has no {name}" in note for note in report.notes for name in leave_out)
    return "imported", (made, reference(calendar, zone, until, leave_out), report.notes)


def refusal_kind(reason: str) -> str | None:
    return next((kind for kind, pattern in REFUSALS.items() if pattern.search(reason)), None)


# icalendar warns when it reads "/mozilla.org/.../America/New_York" as a zone; so do we.
@pytest.mark.filterwarnings("ignore:.*globally unique TZID")
@pytest.mark.parametrize("path", list(calendars()))
def test_corpus_calendar(clock: FrozenClock, path: Path) -> None:
    with Network.open("memory://", name="Corpus", clock=clock, load_entrypoints=False) as net:
        kind, details = outcome(net, path)
    if kind == "refused":
        unlisted = [error for error in details if refusal_kind(error[2]) is None]
        assert not unlisted, f"refused for a reason not listed: {unlisted}"
        return
    made, expected, _ = details
    assert sorted((made - expected).elements()) == [], "sessions the reference does not list"
    assert sorted((expected - made).elements()) == [], "occurrences not imported"


def main() -> None:  # pragma: no cover - prints the outcome table
    rows: Counter[str] = Counter()
    agree = differ = 0
    clock = FrozenClock()
    for folder in CORPORA.values():
        for path in sorted(folder.glob("*.ics")):
            rows["files"] += 1
            with Network.open("memory://", name="C", clock=clock, load_entrypoints=False) as net:
                try:
                    kind, details = outcome(net, path)
                except Exception as exc:
                    rows["crashed"] += 1
                    print("CRASH", path.name, type(exc).__name__, exc)
                    continue
            if kind == "refused":
                kinds = {refusal_kind(e[2]) or f"UNLISTED {e[2]}" for e in details}
                for k in kinds:
                    rows[f"refused: {k}"] += 1
                print("REFUSED", path.name, details[:3])
                continue
            made, expected, notes = details
            rows["imported"] += 1
            skipped = {
                "no UID": ("has no UID",),
                "no DTSTART": ("has no DTSTART",),
                "no length": ("ends at its start", "neither DTEND nor DURATION"),
            }
            for what, phrases in skipped.items():
                if any(phrase in note for note in notes for phrase in phrases):
                    rows[f"imported, events skipped: {what}"] += 1
            if any("older version" in n or "the newer version" in n for n in notes):
                rows["imported, older versions ignored"] += 1
            agree += sum((made & expected).values())
            bad = (made - expected) + (expected - made)
            differ += sum(bad.values())
            if bad:
                print("DIFFER", path.name, sorted(made - expected)[:3], sorted(expected - made)[:3])
    for key, value in sorted(rows.items()):
        print(f"{key}: {value}")
    print(f"occurrences agreeing: {agree}; differing: {differ}")


if __name__ == "__main__":  # pragma: no cover
    main()
