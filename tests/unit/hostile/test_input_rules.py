"""Hostile values given to the model and the services: a typed error or a safe value.

Every string entering the model passes the one text rule of
:mod:`cpnetwork.model._validators` (NFC, no control characters, no bidi overrides or
zero-width characters where they mislead, bounded length); numbers are finite and in
range; datetimes aware and within the years 1800 to 2200.
"""

from __future__ import annotations

import math
import sys
import unicodedata
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
import pytest

from cpnetwork import Network
from cpnetwork.errors import DuplicateError, NotFoundError, ValidationError
from cpnetwork.model import (
    RECORD_TYPES,
    Affiliation,
    EnrollmentPolicy,
    Member,
    Organization,
    OutboxMessage,
    Program,
    Session,
)
from cpnetwork.model import _validators as v
from cpnetwork.testing import snapshot

START = datetime(2024, 9, 10, 16, tzinfo=UTC)

#: Text no name may hold, with what it is.
BAD_IN_NAMES = {
    "NUL": "Ada\x00",
    "escape sequence": "Ada\x1b[2J",
    "OSC title change": "\x1b]0;pwned\x07Ada",
    "C1 control": "Ada\x85",
    "line feed": "Ada\nLovelace",
    "carriage return": "Ada\rLovelace",
    "tab": "Ada\tLovelace",
    "right-to-left override": "Ada\u202egnp.exe",
    "first-strong isolate": "Ada\u2068x",
    "zero-width space": "A\u200bda",
    "byte-order mark": "\ufeffAda",
    "word joiner": "A\u2060da",
    "line separator": "Ada\u2028Lovelace",
    "lone surrogate": "Ada\ud800",
    "oversized": "A" * 1_001,
}


@pytest.mark.parametrize("text", BAD_IN_NAMES.values(), ids=BAD_IN_NAMES.keys())
def test_a_name_refuses_what_misleads_naming_record_and_field(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Member(email="ada@example.org", given_name=text)

    assert caught.value.kind == "Member"
    assert caught.value.field == "given_name"
    assert caught.value.record_id is not None
    assert len(str(caught.value)) < 300  # a megabyte of input is not echoed


@pytest.mark.parametrize(
    "text", ["A\u200dB", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", "👩\u200d🔬"]
)
def test_names_keep_the_joiners_scripts_spell_with(text: str) -> None:
    assert Member(email="ada@example.org", given_name=text).given_name == text


@pytest.mark.parametrize(
    "text", ["line one\nline two", "tab\tseparated", "windows\r\nlines", "\u05e2\u202b x"]
)
def test_free_text_keeps_its_lines(text: str) -> None:
    program = Program(title="Academy", program_year=2024, description=text)
    assert program.description == text


@pytest.mark.parametrize("text", ["a\x00b", "a\x1b[31mb", "a\x9bb", "\ud800", "x" * 100_001])
def test_free_text_refuses_controls_and_has_a_bound(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Program(title="Academy", program_year=2024, description=text)
    assert caught.value.field == "description"


@pytest.mark.parametrize("text", ["a\u200db", "a\u00adb", "a\u202eb", "a b\x00", "x" * 513])
def test_identifiers_refuse_every_format_character(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Affiliation(organization_id=text)
    assert caught.value.field == "organization_id"


def test_text_is_nfc_normalized() -> None:
    decomposed = "Jose\u0301 Marti\u0301"
    organization = Organization(name=decomposed, kind="school")
    assert organization.name == unicodedata.normalize("NFC", decomposed)
    assert organization.name != decomposed


def test_html_in_a_name_is_kept_as_text() -> None:
    """Markup is not a control character: it is stored as written, and escaped by
    whatever renders it (the HTML report escapes every value)."""
    name = "<script>alert(1)</script><b>Ada</b>"
    assert Member(email="ada@example.org", given_name=name).given_name == name


def test_a_formula_in_a_name_is_kept_as_text() -> None:
    name = '=HYPERLINK("http://evil.example","click")'
    assert Member(email="ada@example.org", family_name=name).family_name == name


def test_strings_inside_collections_and_mappings_are_checked() -> None:
    with pytest.raises(ValidationError) as caught:
        Program(title="Academy", program_year=2024, tags={"ok", "bad\u202e"})
    assert caught.value.field == "tags"
    with pytest.raises(ValidationError) as caught:
        Member(email="ada@example.org", custom={"note": "a\x00b"})
    assert caught.value.field == "custom"
    with pytest.raises(ValidationError) as caught:
        Member(email="ada@example.org", custom={"score": math.inf})
    assert caught.value.field == "custom"


def test_a_message_header_refuses_control_characters() -> None:
    """Line breaks in a library-made header are the email channel's to flatten (see
    test_email.py); control characters are refused before the outbox."""
    with pytest.raises(ValidationError) as caught:
        OutboxMessage(
            key="k",
            channel="email",
            recipient="ada@example.org",
            topic="accepted",
            category="enrollment",
            headers={"X-Note": "hi\x00\x1b[2J"},
            created_at=START,
            due_at=START,
        )
    assert caught.value.field == "headers"


def test_non_text_where_text_belongs_is_a_validation_error() -> None:
    with pytest.raises(ValidationError) as caught:
        Member(email="ada@example.org", given_name=42)  # type: ignore[arg-type]
    assert caught.value.field == "given_name"


# -- emails ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "address",
    [
        "ada\u200b@example.org",
        "ada\x00@example.org",
        "ada@exa\u200bmple.org",
        "ada\u202e@example.org",
        "ada@example",
        "ada@@example.org",
        "ada@localhost",
        "<ada@example.org>",
        "ada@example.org\nBcc: x@example.org",
        "a" * 64 + "@" + "b" * 190 + ".example.org",
    ],
)
def test_look_alike_and_broken_emails_are_refused(address: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Member(email=address)
    assert caught.value.field == "email"


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("ada@example.org", " ADA@Example.ORG "),
        ("jos\u00e9@example.org", "jose\u0301@example.org"),  # NFC and NFD
        ("ada@b\u00fccher.example", "ada@xn--bcher-kva.example"),  # IDNA
    ],
)
def test_one_address_written_two_ways_is_one_member(network: Network, one: str, other: str) -> None:
    first = network.members.add(email=one)
    assert Member(email=other).email == first.email
    with pytest.raises(DuplicateError):
        network.members.add(email=other)
    found = network.members.find_by_email(other)
    assert found is not None and found.id == first.id


def test_looking_up_a_malformed_email_finds_nobody(network: Network) -> None:
    network.members.add(email="ada@example.org")
    assert network.members.find_by_email("ada\x00@example.org") is None


# -- numbers -----------------------------------------------------------------------------
@pytest.mark.parametrize("capacity", [-1, math.nan, math.inf, -math.inf, 10**12, 2**64, "3", True])
def test_absurd_capacities_are_refused(capacity: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        EnrollmentPolicy(capacity=capacity)
    assert caught.value.field == "capacity"


@pytest.mark.parametrize("minutes", [math.nan, math.inf, -5, 1e18])
def test_attendance_minutes_are_finite_and_in_range(network: Network, minutes: float) -> None:
    with pytest.raises(ValidationError):
        Session(
            program_id="p", title="s", start=START, end=START + timedelta(hours=1), capacity=minutes
        )


@pytest.mark.parametrize("fraction", [math.nan, math.inf, -0.1, 1.5])
def test_fractions_are_finite_and_between_0_and_1(fraction: float) -> None:
    from cpnetwork.model import CompletionRule

    with pytest.raises(ValidationError):
        CompletionRule(min_fraction=fraction)


@pytest.mark.parametrize("year", [1, 1799, 2201, 9999, -5])
def test_program_years_are_plausible(year: int) -> None:
    with pytest.raises(ValidationError) as caught:
        Program(title="Academy", program_year=year)
    assert caught.value.field == "program_year"


def test_the_services_refuse_absurd_numbers_and_write_nothing(network: Network) -> None:
    before = snapshot(network)
    for capacity in (-1, math.nan, math.inf, 10**15):
        with pytest.raises(ValidationError):
            network.programs.create(
                title="Academy", program_year=2024, policy=EnrollmentPolicy(capacity=capacity)
            )
    assert snapshot(network) == before


# -- datetimes ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "start",
    [
        datetime(2024, 9, 10, 16),  # naive
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, tzinfo=UTC),
    ],
    ids=["naive", "year 1", "year 9999"],
)
def test_naive_and_impossible_datetimes_are_refused(network: Network, start: datetime) -> None:
    program = network.programs.create(title="Academy", program_year=2024)
    before = snapshot(network)
    with pytest.raises(ValidationError):
        network.sessions.schedule(program.id, title="Kickoff", start=start, duration=timedelta(1))
    assert snapshot(network) == before


def test_dates_outside_the_years_a_network_knows_are_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        Member(email="ada@example.org", joined=date(1, 1, 1))
    assert caught.value.field == "joined"


def test_durations_are_bounded() -> None:
    with pytest.raises(ValidationError) as caught:
        EnrollmentPolicy(offer_window=timedelta(days=999_999))
    assert caught.value.field == "offer_window"


# -- organizations -----------------------------------------------------------------------
def test_a_circle_of_parents_is_refused(network: Network) -> None:
    county = network.organizations.add(name="County office", kind="county_office")
    district = network.organizations.add(name="District", kind="district", parent_id=county.id)
    school = network.organizations.add(name="School", kind="school", parent_id=district.id)
    before = snapshot(network)

    with pytest.raises(ValidationError) as caught:
        network.organizations.update(county.id, parent_id=school.id)

    assert "loop" in caught.value.reason
    assert caught.value.field == "parent_id"
    assert snapshot(network) == before


def test_a_circle_within_one_batch_is_refused(network: Network) -> None:
    one = Organization(id="one", name="One", kind="district", parent_id="two")
    two = Organization(id="two", name="Two", kind="district", parent_id="one")
    with pytest.raises(ValidationError, match="loop"):
        network.organizations.add_many([one, two])
    assert network.organizations.find() == []


def test_a_parent_that_does_not_exist_is_refused(network: Network) -> None:
    with pytest.raises(NotFoundError):
        network.organizations.add(name="School", kind="school", parent_id="nowhere")


# -- the rule covers every field ---------------------------------------------------------
def _all_record_classes() -> list[type]:
    found: dict[type, None] = {}
    pending = list(RECORD_TYPES)
    while pending:
        cls = pending.pop()
        if cls in found:
            continue
        found[cls] = None
        for field in attrs.fields(cls):
            for candidate in vars(sys.modules[cls.__module__]).values():
                if attrs.has(candidate) and candidate.__name__ in str(field.type):
                    pending.append(candidate)
    return list(found)


CHECKED_TYPES = {"str", "int", "float", "date", "datetime", "timedelta"}


@pytest.mark.parametrize("cls", _all_record_classes(), ids=lambda c: c.__name__)
def test_every_scalar_field_of_every_record_is_checked(cls: type) -> None:
    """Each text, number and time field has the rule's converter: a new field cannot
    slip past it (the class must be declared with ``field_transformer``)."""
    for field in attrs.fields(cls):
        declared = str(field.type)
        words = set(declared.replace("[", " ").replace("]", " ").replace(",", " ").split())
        if words & CHECKED_TYPES and "bool" not in words - {"|", "None"}:
            assert isinstance(field.converter, attrs.Converter), f"{cls.__name__}.{field.name}"


def test_the_format_characters_refused_are_all_of_unicode_category_cf() -> None:
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if unicodedata.category(char) == "Cf":
            assert v.text_problem(char, v.TextKind.IDENTIFIER) is not None, hex(code)
