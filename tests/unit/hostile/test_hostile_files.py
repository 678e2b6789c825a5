"""Hostile files given to the importers: a typed error naming the place, or a safe value.

A refused import writes nothing: the store's snapshot is the same after it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cpnetwork import Network
from cpnetwork.fields import CustomField
from cpnetwork.hookspecs import hookimpl
from cpnetwork.importers import ImportFileError, RowError
from cpnetwork.importers._common import DEFAULT_MAX_RECORDS
from cpnetwork.model import EnrollmentPolicy, Program, Session
from cpnetwork.testing import snapshot

LA = ZoneInfo("America/Los_Angeles")
HEADER = "Email Address,First name,Last name"


def errors_of(caught: pytest.ExceptionInfo[ImportFileError]) -> list[RowError]:
    return list(caught.value.errors)


@contextmanager
def refused(network: Network) -> Iterator[pytest.ExceptionInfo[ImportFileError]]:
    """An import refused with an ImportFileError that leaves the store as it was."""
    before = snapshot(network)
    with pytest.raises(ImportFileError) as caught:
        yield caught
    assert snapshot(network) == before


def write(tmp_path: Path, text: str, name: str = "file.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def members_csv(tmp_path: Path, *rows: str, encoding: str = "utf-8") -> Path:
    return write(tmp_path, "\r\n".join([HEADER, *rows]) + "\r\n", encoding=encoding)


# -- members CSV -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cell", "why"),
    [
        ("Ada\x1b]0;owned\x07", "U+001B"),
        ("Ada\u202egnp", "U+202E"),
        ("A\u200bda", "U+200B"),
        ("A" * 5_000, "at most 1,000"),
    ],
    ids=["OSC sequence", "bidi override", "zero-width space", "oversized"],
)
def test_a_bad_name_is_named_by_row_and_column(
    network: Network, tmp_path: Path, cell: str, why: str
) -> None:
    path = members_csv(tmp_path, "grace@example.org,Grace,Hopper", f"ada@example.org,{cell},L")

    with refused(network) as caught:
        network.import_file("members", path)

    [error] = errors_of(caught)
    assert (error.row, error.column) == (2, "First name")
    assert why in error.reason


def test_look_alike_emails_are_refused_by_row(network: Network, tmp_path: Path) -> None:
    path = members_csv(
        tmp_path, "ada@example.org,Ada,L", "ada\u200b@example.org,Ada,L", "ada\x00@example.org,A,L"
    )
    with refused(network) as caught:
        network.import_file("members", path)
    assert {(e.row, e.column) for e in errors_of(caught)} == {
        (2, "Email Address"),
        (3, "Email Address"),
    }


def test_one_address_in_nfc_and_nfd_is_one_member(network: Network, tmp_path: Path) -> None:
    path = members_csv(tmp_path, "jos\u00e9@example.org,Jos\u00e9,M", "jose\u0301@example.org,J,M")
    with refused(network) as caught:
        network.import_file("members", path)
    assert "also on row 1" in str(caught.value)


def test_a_member_already_stored_is_found_whatever_the_normal_form(
    network: Network, tmp_path: Path
) -> None:
    network.members.add(email="jos\u00e9@example.org", given_name="Jos\u00e9")
    report = network.import_file("members", members_csv(tmp_path, "JOSE\u0301@Example.org,J,M"))
    assert (report.created, report.updated) == (0, 1)
    assert len(network.members.find()) == 1


def test_a_megabyte_cell_is_named_by_row(network: Network, tmp_path: Path) -> None:
    path = members_csv(
        tmp_path, "grace@example.org,Grace,Hopper", f"ada@example.org,{'x' * 2**20},L"
    )

    with refused(network) as caught:
        network.import_file("members", path)

    [error] = errors_of(caught)
    assert error.row == 2
    assert "longer than" in error.reason
    assert len(str(caught.value)) < 500


def test_a_utf16_file_with_its_bom_is_read(network: Network, tmp_path: Path) -> None:
    for encoding in ("utf-16", "utf-16-le", "utf-16-be", "utf-8-sig"):
        text = "\ufeff" + "\r\n".join([HEADER, f"ada.{encoding}@example.org,Ada,Lovelace\u00e9"])
        path = write(tmp_path, text, f"{encoding}.csv", encoding=encoding.replace("-sig", ""))
        report = network.import_file("members", path)
        assert report.created == 1, encoding
    names = {m.family_name for m in network.members.find()}
    assert names == {"Lovelace\u00e9"}


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_told_by_its_zero_bytes(
    network: Network, tmp_path: Path, encoding: str
) -> None:
    path = write(tmp_path, f"{HEADER}\r\nada@example.org,Ada,L\r\n", encoding=encoding)
    assert network.import_file("members", path).created == 1


def test_a_nul_byte_in_a_cell_is_refused_by_row(network: Network, tmp_path: Path) -> None:
    path = members_csv(tmp_path, "ada@example.org,A\x00da,L")
    with refused(network) as caught:
        network.import_file("members", path)
    [error] = errors_of(caught)
    assert (error.row, error.column) == (1, "First name")


def test_invalid_utf8_falls_back_to_windows_1252(network: Network, tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(f"{HEADER}\r\nada@example.org,Jos\xe9,L\r\n".encode("latin-1"))
    network.import_file("members", path)
    [member] = network.members.find()
    assert member.given_name == "Jos\u00e9"


def test_ten_thousand_columns_give_a_short_message(network: Network, tmp_path: Path) -> None:
    header = ",".join(f"Question {n}" for n in range(10_000))
    path = write(tmp_path, header + "\r\n" + ",".join("x" for _ in range(10_000)) + "\r\n")

    with refused(network) as caught:
        network.import_file("members", path)

    assert "no email column" in str(caught.value)
    assert "and 9990 more" in str(caught.value)
    assert len(str(caught.value)) < 2_000


def test_formula_and_html_cells_are_stored_as_text(network: Network, tmp_path: Path) -> None:
    formula = '"=HYPERLINK(""http://evil.example"",""x"")"'
    path = members_csv(tmp_path, f"ada@example.org,<b>Ada</b>,{formula}")
    network.import_file("members", path)
    [member] = network.members.find()
    assert member.given_name == "<b>Ada</b>"
    assert member.family_name == '=HYPERLINK("http://evil.example","x")'


def test_a_huge_reach_is_refused_by_row_and_column(network: Network, tmp_path: Path) -> None:
    path = write(tmp_path, "Email,Teachers supported\r\nada@example.org,99999999999999\r\n")
    with refused(network) as caught:
        network.import_file("members", path)
    [error] = errors_of(caught)
    assert error.row == 1
    assert error.column == "Teachers supported"


def test_more_rows_than_max_records_are_refused(network: Network, tmp_path: Path) -> None:
    rows = [f"m{n}@example.org,M,{n}" for n in range(12)]
    path = members_csv(tmp_path, *rows)
    with refused(network) as caught:
        network.import_file("members", path, max_records="10")
    assert "max_records=12" in str(caught.value)
    with refused(network) as caught:
        network.import_file("members", path, max_records="lots")
    assert "max_records='lots'" in str(caught.value)


def test_max_records_raised_lets_the_import_through(network: Network, tmp_path: Path) -> None:
    path = members_csv(tmp_path, *[f"m{n}@example.org,M,{n}" for n in range(12)])
    assert network.import_file("members", path, max_records="12").created == 12


# -- applications ----------------------------------------------------------------------
def test_application_answers_refuse_controls_by_row(network: Network, tmp_path: Path) -> None:
    network.programs.create(
        title="Academy", program_year=2024, policy=EnrollmentPolicy(mode="application")
    )
    path = write(
        tmp_path,
        "Email,Why do you apply?\r\nada@example.org,because\x1b[2J\r\n",
    )
    with refused(network) as caught:
        network.import_file("applications", path, program="Academy")
    assert "U+001B" in str(caught.value)


def test_impossible_submission_times_are_refused(network: Network, tmp_path: Path) -> None:
    network.programs.create(title="Academy", program_year=2024)
    path = write(
        tmp_path,
        "Email,Timestamp\r\n"
        "a@example.org,0001-01-01 00:00:00\r\n"
        "b@example.org,9999-12-31 23:59\r\n",
    )
    with refused(network) as caught:
        network.import_file("applications", path, program="Academy")
    assert {(e.row, e.column) for e in errors_of(caught)} == {(1, "Timestamp"), (2, "Timestamp")}


# -- zoom ------------------------------------------------------------------------------
def zoom_session(network: Network) -> Session:
    program = network.programs.create(title="Communities", program_year=2024)
    return network.sessions.schedule(
        program.id,
        title="Community",
        start=datetime(2024, 9, 24, 16, tzinfo=LA),
        duration=timedelta(minutes=90),
    )


@pytest.mark.parametrize("duration", ["inf", "nan", "-5", "1e400", "Infinity"])
def test_zoom_durations_must_be_finite(network: Network, tmp_path: Path, duration: str) -> None:
    session = zoom_session(network)
    network.members.add(email="ada@example.org", given_name="Ada", family_name="L")
    path = write(
        tmp_path, f"Name,User Email,Duration (Minutes)\r\nAda L,ada@example.org,{duration}\r\n"
    )

    with refused(network) as caught:
        network.import_file("zoom-attendance", path, session=session.id)

    [error] = errors_of(caught)
    assert (error.row, error.column) == (1, "Duration (Minutes)")


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0", "ten"])
def test_present_minutes_must_be_a_finite_positive_number(
    network: Network, tmp_path: Path, value: str
) -> None:
    session = zoom_session(network)
    path = write(tmp_path, "Name,Duration (Minutes)\r\nAda,60\r\n")
    with refused(network) as caught:
        network.import_file("zoom-attendance", path, session=session.id, present_minutes=value)
    assert f"present_minutes={value!r}" in str(caught.value)


def test_zoom_names_with_escape_sequences_match_nobody_and_stay_notes(
    network: Network, tmp_path: Path
) -> None:
    session = zoom_session(network)
    path = write(tmp_path, "Name,Duration (Minutes)\r\n\x1b]0;owned\x07,60\r\n")
    report = network.import_file("zoom-attendance", path, session=session.id)
    assert report.created == 0


# -- iCalendar -------------------------------------------------------------------------
def calendar(*events: str) -> str:
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//cpnetwork hostile//EN\r\n"
    return head + "".join(events) + "END:VCALENDAR\r\n"


def vevent(uid: str, *lines: str) -> str:
    body = "".join(f"{line}\r\n" for line in lines)
    head = f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20240101T000000Z\r\nSUMMARY:{uid}\r\n"
    return f"{head}{body}END:VEVENT\r\n"


@pytest.fixture
def program(network: Network) -> Program:
    return network.programs.create(title="Academy", program_year=2024)


def test_a_time_zone_nobody_knows_is_refused_naming_the_event(
    network: Network, program: Program, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        calendar(
            vevent(
                "mars",
                "DTSTART;TZID=Mars/Olympus_Mons:20240910T160000",
                "DTEND;TZID=Mars/Olympus_Mons:20240910T170000",
            )
        ),
        "mars.ics",
    )
    with refused(network) as caught:
        network.import_file("ical-sessions", path, program=program.id)
    [error] = errors_of(caught)
    assert (error.row, error.column) == (1, "DTSTART")
    assert "Mars/Olympus_Mons" in error.reason


def test_the_timezone_option_reads_an_unknown_zone(
    network: Network, program: Program, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        calendar(vevent("mars", "DTSTART;TZID=Mars:20240910T160000", "DURATION:PT1H")),
        "mars.ics",
    )
    network.import_file("ical-sessions", path, program=program.id, timezone="America/New_York")
    [session] = network.sessions.find()
    assert session.start == datetime(2024, 9, 10, 16, tzinfo=ZoneInfo("America/New_York"))


@pytest.mark.parametrize(
    "lines",
    [
        ("DTSTART:00010101T100000Z", "DTEND:00010101T110000Z"),
        ("DTSTART:99991231T230000Z", "DURATION:PT2H"),
        ("DTSTART:20240910T230000Z", "DURATION:PTnanH"),
        ("DTSTART:20240910T230000Z", "DURATION:P9999999W"),
        ("DTSTART;VALUE=DATE:00010101",),
        ("DTSTART:20240910T230000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=inf"),
        ("DTSTART:20240910T230000Z", "DURATION:PT1H", "EXDATE:99991231T230000Z"),
    ],
    ids=["year 1", "year 9999", "nan", "huge", "all-day year 1", "count inf", "exdate 9999"],
)
def test_impossible_calendar_values_are_typed_errors_by_event(
    network: Network, program: Program, tmp_path: Path, lines: tuple[str, ...]
) -> None:
    path = write(
        tmp_path,
        calendar(vevent("ok", "DTSTART:20240910T230000Z", "DURATION:PT1H"), vevent("bad", *lines)),
        "bad.ics",
    )
    with refused(network) as caught:
        network.import_file("ical-sessions", path, program=program.id)
    assert [e.row for e in errors_of(caught)] == [2]
    assert "unexpected" not in str(caught.value)


def test_a_calendar_expanding_past_the_limit_is_refused(
    network: Network, program: Program, tmp_path: Path
) -> None:
    events = [
        vevent(f"e{n}", "DTSTART:20240910T230000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=60")
        for n in range(3)
    ]
    path = write(tmp_path, calendar(*events), "many.ics")
    with refused(network) as caught:
        network.import_file("ical-sessions", path, program=program.id, max_records="100")
    assert "183 sessions and series" in str(caught.value)
    assert "max_records=183" in str(caught.value)


def test_the_default_limit_stops_an_amplifying_calendar(
    network: Network, program: Program, tmp_path: Path
) -> None:
    """A small file (here about 16 KB) whose rules expand past the default limit."""
    count = DEFAULT_MAX_RECORDS // 1000 + 1
    events = [
        vevent(f"e{n}", "DTSTART:20240910T230000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=1000")
        for n in range(count)
    ]
    path = write(tmp_path, calendar(*events), "bomb.ics")
    assert path.stat().st_size < 20_000
    with refused(network) as caught:
        network.import_file("ical-sessions", path, program=program.id)
    assert "max_records" in str(caught.value)


class Score:
    """A plugin declaring a number custom member field."""

    @hookimpl
    def register_member_fields(self) -> list[CustomField]:
        return [CustomField(name="score", type="number")]


@pytest.mark.parametrize("cell", ["nan", "inf", "-Infinity", "1e400"])
def test_a_custom_number_must_be_finite(tmp_path: Path, cell: str) -> None:
    with Network.open("memory://", load_entrypoints=False, plugins=[Score()]) as net:
        path = write(tmp_path, f"Email,Score\r\nada@example.org,{cell}\r\n")
        with refused(net) as caught:
            net.import_file("members", path)
        [error] = errors_of(caught)
        assert (error.row, error.column) == (1, "Score")
