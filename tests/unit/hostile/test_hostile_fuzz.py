"""Fuzzing: arbitrary files into every importer, arbitrary JSON into every record kind,
arbitrary text into the services.  Only CpnetworkError subclasses may escape, and a
refused import or call leaves the store as it was.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cpnetwork import Network
from cpnetwork.errors import CpnetworkError
from cpnetwork.importers._forms import FORM_OPTIONS
from cpnetwork.model import RECORD_TYPES, Session
from cpnetwork.serialization import structure, unstructure
from cpnetwork.testing import snapshot
from cpnetwork.testing.strategies import records

#: Few examples each: the corpus beside this file holds the known cases, these look
#: for unknown ones (``HYPOTHESIS_PROFILE=soak`` tries many more).
FUZZ = settings(max_examples=max(10, settings.default.max_examples // 2))

#: Any character at all, controls, surrogates, bidi and zero-width ones included.
ANY_TEXT = st.text(st.characters(codec=None), max_size=40)
#: Cells that look like what files hold, and what hostile files hold.
CELLS = st.one_of(
    ANY_TEXT,
    st.sampled_from(
        [
            "ada@example.org",
            "ADA@Example.org",
            "ada\u200b@example.org",
            "jose\u0301@example.org",
            "inf",
            "nan",
            "-1",
            "1e400",
            "99999999999999999999",
            "=cmd|' /C calc'!A0",
            "<script>alert(1)</script>",
            "\x1b]0;title\x07",
            "\u202eevil",
            "09/24/2024 4:00:00 PM",
            "0001-01-01 00:00:00",
            "9999-12-31 23:59:59",
            "Grades 3-5; TOSA",
            "yes",
            "",
        ]
    ),
)
HEADERS = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "Email Address",
                "Email",
                "First name",
                "Last name",
                "Name",
                "Role(s)",
                "Grade levels",
                "County",
                "Teachers supported",
                "Timestamp",
                "User Email",
                "Name (Original Name)",
                "Join Time",
                "Leave Time",
                "Duration (Minutes)",
                "In Waiting Room",
            ]
        ),
        ANY_TEXT,
    ),
    min_size=1,
    max_size=6,
)


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    """A CSV table of hostile cells, in one of the encodings files come in, or noise."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300))
    header = draw(HEADERS)
    rows = draw(st.lists(st.lists(CELLS, max_size=len(header) + 1), max_size=4))

    def line(cells: list[str]) -> str:
        return ",".join(
            '"' + c.replace('"', '""') + '"' if draw(st.booleans()) else c for c in cells
        )

    text = "\r\n".join(line(r) for r in [header, *rows]) + "\r\n"
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    return text.encode(encoding, errors="surrogatepass" if encoding == "utf-8" else "replace")


@st.composite
def ics_bytes(draw: st.DrawFn) -> bytes:
    """A calendar whose events have hostile values in their properties."""
    values = st.one_of(
        ANY_TEXT,
        st.sampled_from(
            [
                "20240910T160000",
                "20240910T160000Z",
                "00010101T000000Z",
                "99991231T235959Z",
                "20240910",
                "PT1H",
                "PTnanH",
                "P99999999W",
                "-PT1H",
                "FREQ=DAILY;COUNT=5",
                "FREQ=MONTHLY;BYDAY=3WE;COUNT=1000",
                "FREQ=SECONDLY",
                "FREQ=DAILY;COUNT=-1",
            ]
        ),
    )
    names = st.sampled_from(
        [
            "DTSTART",
            "DTSTART;TZID=Mars/Olympus_Mons",
            "DTSTART;TZID=America/Los_Angeles",
            "DTSTART;VALUE=DATE",
            "DTEND",
            "DURATION",
            "RRULE",
            "EXDATE",
            "RDATE",
            "RECURRENCE-ID",
            "SUMMARY",
            "LOCATION",
            "SEQUENCE",
            "STATUS",
        ]
    )
    events = []
    for number in range(draw(st.integers(0, 3))):
        lines = [
            f"{name}:{value}"
            for name, value in draw(st.lists(st.tuples(names, values), max_size=6))
        ]
        body = "\r\n".join(
            ["BEGIN:VEVENT", f"UID:e{number}", "DTSTAMP:20240101T000000Z", *lines, "END:VEVENT"]
        )
        events.append(body)
    text = "\r\n".join(
        ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//fuzz//EN", *events, "END:VCALENDAR", ""]
    )
    return text.encode("utf-8", errors="surrogatepass")


@contextmanager
def fresh_network() -> Iterator[tuple[Network, Session, Path]]:
    clock = lambda: datetime(2024, 8, 1, 9, tzinfo=UTC)  # noqa: E731
    with (
        tempfile.TemporaryDirectory() as folder,
        Network.open("memory://", name="Fuzz", clock=clock, load_entrypoints=False) as network,
    ):
        program = network.programs.create(title="Academy", program_year=2024)
        session = network.sessions.schedule(
            program.id,
            title="Community",
            start=datetime(2024, 9, 24, 23, tzinfo=UTC),
            duration=timedelta(minutes=90),
        )
        network.members.add(email="ada@example.org", given_name="Ada", family_name="Lovelace")
        yield network, session, Path(folder)


def only_typed_errors(run: Callable[[], Any], network: Network) -> None:
    """``run`` succeeds, or raises a CpnetworkError having written nothing."""
    before = snapshot(network)
    try:
        run()
    except CpnetworkError:
        assert snapshot(network) == before


IMPORTS: dict[str, tuple[st.SearchStrategy[bytes], dict[str, str]]] = {
    "members": (csv_bytes(), {}),
    "applications": (csv_bytes(), {"program": "Academy"}),
    "zoom-attendance": (csv_bytes(), {}),
    "ical-sessions": (ics_bytes(), {"program": "Academy"}),
}


@pytest.mark.parametrize("kind", IMPORTS)
@FUZZ
@given(data=st.data())
def test_an_importer_given_any_file_raises_only_typed_errors(
    kind: str, data: st.DataObject
) -> None:
    files, options = IMPORTS[kind]
    content = data.draw(files, label="file")
    with fresh_network() as (network, session, folder):
        path = folder / "input"
        path.write_bytes(content)
        given = {**options, **({"session": session.id} if kind == "zoom-attendance" else {})}
        only_typed_errors(lambda: network.import_file(kind, path, **given), network)


@FUZZ
@given(
    options=st.dictionaries(
        st.sampled_from(
            [*FORM_OPTIONS, "map.email", "max_records", "present_minutes", "timezone", "x"]
        ),
        ANY_TEXT,
        max_size=3,
    )
)
def test_importer_options_given_any_text_raise_only_typed_errors(options: dict[str, str]) -> None:
    with fresh_network() as (network, session, folder):
        path = folder / "members.csv"
        path.write_bytes(b"Email,Name\r\nbea@example.org,Bea\r\n")
        for kind in ("members", "zoom-attendance", "ical-sessions"):
            extra = {"session": session.id, "program": "Academy"} if kind != "members" else {}
            given = {**options, **extra}
            only_typed_errors(partial(network.import_file, kind, path, **given), network)


# -- the converter -----------------------------------------------------------------------
JSON = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        ANY_TEXT,
    ),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(ANY_TEXT, children, max_size=3)
    ),
    max_leaves=8,
)


@pytest.mark.parametrize("cls", RECORD_TYPES, ids=lambda c: c.__name__)
@FUZZ
@given(data=st.data())
def test_structuring_any_json_raises_only_validation_errors(cls: type, data: st.DataObject) -> None:
    """Arbitrary JSON, and a valid record with one field replaced by arbitrary JSON."""
    valid = unstructure(data.draw(records(cls), label="record"))
    field = data.draw(st.sampled_from(sorted(valid)), label="field")
    value = data.draw(JSON, label="value")
    for candidate in ({**valid, field: value}, value):
        with suppress(CpnetworkError):
            structure(candidate, cls)


# -- the services ------------------------------------------------------------------------
@FUZZ
@given(email=st.one_of(ANY_TEXT, st.emails()), name=ANY_TEXT, title=ANY_TEXT, kind=ANY_TEXT)
def test_service_calls_given_any_text_raise_only_typed_errors(
    email: str, name: str, title: str, kind: str
) -> None:
    with fresh_network() as (network, session, _):
        calls: list[Callable[[], Any]] = [
            lambda: network.members.add(email=email, given_name=name, family_name=title),
            lambda: network.members.find_by_email(email),
            lambda: network.organizations.add(name=name, kind=kind, county=title),
            lambda: network.programs.create(title=title, program_year=2024, description=name),
            lambda: network.sessions.schedule(
                session.program_id,
                title=title,
                start=datetime(2024, 10, 1, 16, tzinfo=UTC),
                duration=timedelta(hours=1),
                venue=name,
                timezone=kind,
            ),
            lambda: network.import_file(kind, Path(name or "x")),
        ]
        for call in calls:
            only_typed_errors(call, network)
