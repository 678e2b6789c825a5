"""Small named validators and converters shared by the model's records.

It also holds the model's input rules, applied once for every record: each model class
is declared ``@frozen(kw_only=True, field_transformer=v.checked_fields)``, and
:func:`checked_fields` gives every field a check by its declared type:

* text (``str``, and the strings inside tuples, sets and dicts) is cleaned and bounded
  by the :class:`TextKind` its field name gives (see :func:`text_kind_of`);
* emails are validated and normalized by ``email-validator`` (no network);
* integers are integers (not booleans, not floats) within ±2**53; floats are finite;
* dates and datetimes fall in years 1800 to 2200; durations within ±100 years.

Why here and not in the cattrs converter: services, importers and plugins build
records by calling their classes (``Member(...)``, ``attrs.evolve``), and the converter
only sees what is structured from JSON.  A record's own ``__init__`` is the one place
every value passes through, whichever path it came by, so the rules live in it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta
from enum import Enum, StrEnum
from typing import Any, Self, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
from email_validator import EmailNotValidError, validate_email

from cpnetwork.errors import ValidationError

T = TypeVar("T")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

#: Integers a record holds: JSON numbers stay exact up to 2**53, and SQL stores them.
MAX_INTEGER = 2**53
#: Counts, capacities, minutes, cents: at most this many.
MAX_COUNT = 1_000_000_000
#: Years a date or datetime, a program year or a milestone may have.
MIN_YEAR, MAX_YEAR = 1800, 2200
#: The longest duration a record holds.
MAX_DURATION = timedelta(days=36_525)


def _record(instance: Any) -> tuple[str, str | None]:
    record_id = getattr(instance, "id", None)
    return type(instance).__name__, record_id if isinstance(record_id, str) else None


def str_tuple(values: Iterable[str]) -> tuple[str, ...]:
    return (values,) if isinstance(values, str) else tuple(values)


def str_set(values: Iterable[str]) -> frozenset[str]:
    return frozenset((values,) if isinstance(values, str) else values)


def datetime_set(values: Iterable[datetime]) -> frozenset[datetime]:
    return frozenset(values)


def fail(instance: Any, attribute: attrs.Attribute[Any], reason: str) -> ValidationError:
    kind, record_id = _record(instance)
    return ValidationError(kind, record_id, reason, field=attribute.name)


# -- text ------------------------------------------------------------------------------
class TextKind(Enum):
    """What a text field holds, which says how long it may be and what it may contain.

    Every kind is NFC-normalized and refuses C0 and C1 control characters (multi-line
    kinds keep tab, line feed and carriage return) and lone surrogates (which no
    encoding can write).  Single-line kinds also refuse the bidirectional overrides
    and isolates (U+202A-U+202E, U+2066-U+2069), which reorder what a reader sees, and
    the invisible zero-width space, word joiner and byte-order mark.  Identifiers,
    URLs and emails refuse every format character (Unicode category Cf, zero-width
    joiners included); names keep ZWJ and ZWNJ, which Persian, Indic scripts and
    emoji spell with.
    """

    #: Ids, keys, codes, time-zone names, tags: one line, no format characters.
    IDENTIFIER = ("an identifier", 512, False)
    #: Names and titles of people, organizations, programs, sessions; other short lines.
    NAME = ("a name", 1_000, False)
    #: Links (join URLs, web sites).
    URL = ("a URL", 4_096, False)
    #: Email addresses (validated by email-validator besides).
    EMAIL = ("an email address", 320, False)
    #: Free text a person writes: descriptions, statements, reasons, answers.
    TEXT = ("a text", 100_000, True)
    #: Documents the library makes: message bodies, calendar invites, webhook JSON.
    DOCUMENT = ("a document", 10_000_000, True)

    def __init__(self, label: str, max_length: int, multiline: bool) -> None:
        self.label = label
        self.max_length = max_length
        self.multiline = multiline


_CONTROL = "\x00-\x1f\x7f-\x9f"
_CONTROL_BUT_LINES = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_SURROGATE = "\ud800-\udfff"
_BIDI = "\u202a-\u202e\u2066-\u2069"
#: Unicode's line and paragraph separators: line breaks to some readers.
_SEPARATORS = "\u2028\u2029"
_INVISIBLE = "\u200b\u2060\ufeff"
#: Unicode category Cf (format characters).
_FORMAT = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f"
)
_REFUSED: dict[TextKind, re.Pattern[str]] = {
    TextKind.IDENTIFIER: re.compile(f"[{_CONTROL}{_SURROGATE}{_FORMAT}{_SEPARATORS}]"),
    TextKind.NAME: re.compile(f"[{_CONTROL}{_SURROGATE}{_BIDI}{_INVISIBLE}{_SEPARATORS}]"),
    TextKind.URL: re.compile(f"[{_CONTROL}{_SURROGATE}{_FORMAT}{_SEPARATORS}]"),
    TextKind.EMAIL: re.compile(f"[{_CONTROL}{_SURROGATE}{_FORMAT}{_SEPARATORS}]"),
    TextKind.TEXT: re.compile(f"[{_CONTROL_BUT_LINES}{_SURROGATE}]"),
    TextKind.DOCUMENT: re.compile(f"[{_CONTROL_BUT_LINES}{_SURROGATE}]"),
}

#: Field names (of any record) and the kind of text they hold; ``id``, ``*_id`` and
#: ``*_ids`` are identifiers, any other name not listed is a :attr:`TextKind.NAME`.
#: A field can say otherwise with ``metadata={"text": TextKind.X}``.
TEXT_KINDS: dict[str, TextKind] = {
    **dict.fromkeys(
        (
            "key",
            "code",
            "county",
            "region",
            "track",
            "module",
            "timezone",
            "channel",
            "topic",
            "value",
            "tags",
            "allowed",
            "session_kinds",
            "events",
            "identifiers",
        ),
        TextKind.IDENTIFIER,
    ),
    **dict.fromkeys(("url", "join_url", "website", "unsubscribe_url"), TextKind.URL),
    **dict.fromkeys(("email", "sender", "reply_to"), TextKind.EMAIL),
    **dict.fromkeys(
        ("description", "statement", "reason", "last_error", "answers", "custom", "venue"),
        TextKind.TEXT,
    ),
    **dict.fromkeys(("text", "html", "calendar", "data"), TextKind.DOCUMENT),
}


def text_kind_of(attribute: attrs.Attribute[Any]) -> TextKind:
    """The kind of text a field holds: its metadata, else its name (see TEXT_KINDS)."""
    given = attribute.metadata.get("text")
    if isinstance(given, TextKind):
        return given
    name = attribute.name
    if name == "id" or name.endswith(("_id", "_ids")):
        return TextKind.IDENTIFIER
    return TEXT_KINDS.get(name, TextKind.NAME)


def text_problem(value: str, kind: TextKind) -> str | None:
    """Why ``value`` (already NFC) breaks the rules of ``kind``, or None."""
    if len(value) > kind.max_length:
        return f"is {len(value):,} characters long; {kind.label} has at most {kind.max_length:,}"
    found = _REFUSED[kind].search(value)
    if found is None:
        return None
    char = found.group()
    code = f"U+{ord(char):04X}"
    try:
        what = unicodedata.name(char)
    except ValueError:
        what = "a control character" if unicodedata.category(char) == "Cc" else "not text"
    if kind.multiline or char not in "\t\n\r\u2028\u2029":
        return f"has {code} ({what}) at position {found.start() + 1}, not allowed in {kind.label}"
    return f"has a line break or tab at position {found.start() + 1}; {kind.label} is one line"


def clean_text(value: str, kind: TextKind) -> str:
    """``value`` NFC-normalized; ValueError if it breaks the rules of ``kind``."""
    if len(value) > kind.max_length:  # before normalizing a megabyte for nothing
        raise ValueError(text_problem(value, kind))
    if not (value.isascii() or unicodedata.is_normalized("NFC", value)):
        value = unicodedata.normalize("NFC", value)
    problem = text_problem(value, kind)
    if problem is not None:
        raise ValueError(problem)
    return value


def normalize_email(value: str) -> str:
    """An email address as the network compares it: validated, NFC, in lower case.

    ``email-validator`` (without network checks) reads it; the normalized form it gives
    (NFC, an IDNA domain in Unicode) is lower-cased whole, so ``Ada@Example.org`` and
    ``ada@example.org`` are one member.  ValueError says why an address is refused.
    """
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not an email address")
    text = clean_text(value.strip(), TextKind.EMAIL)
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"{text!r} is not an email address: {exc}") from None
    return unicodedata.normalize("NFC", checked.normalized.lower())


#: Addresses whose key is their lower case whether email-validator accepts them or not:
#: plain ASCII, nothing to unquote, and no IDNA label (``xn--``) to show in Unicode.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@(?![^@]*[xX][nN]--)[A-Za-z0-9.-]+")


def email_key(value: str) -> str:
    """The key to look an email up by: normalized when valid, else only trimmed and
    lower-cased (a key no stored member has, so a lookup finds nobody)."""
    if isinstance(value, str):
        text = value.strip()
        if _PLAIN_ADDRESS.fullmatch(text):
            return text.lower()  # what either way below gives, without parsing it
    try:
        return normalize_email(value)
    except ValueError:
        return value.strip().lower()


def email(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not _EMAIL.match(value):
        raise fail(instance, attribute, f"{value!r} is not an email address")


def optional_email(instance: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None:
        email(instance, attribute, value)


# -- numbers and times -----------------------------------------------------------------
def aware(instance: Any, attribute: attrs.Attribute[Any], value: datetime | None) -> None:
    """Naive datetimes are ambiguous across a statewide network; refuse them."""
    if value is None:
        return
    if not isinstance(value, datetime):
        raise fail(instance, attribute, f"{value!r} is not a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise fail(instance, attribute, f"{value.isoformat()} has no time zone")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def non_negative(instance: Any, attribute: attrs.Attribute[Any], value: float | None) -> None:
    """A count: a finite number from 0 to :data:`MAX_COUNT`."""
    if value is None:
        return
    if not _number(value) or not math.isfinite(value):
        raise fail(instance, attribute, f"{value!r} is not a number")
    if value < 0:
        raise fail(instance, attribute, f"must not be negative, got {value}")
    if value > MAX_COUNT:
        raise fail(instance, attribute, f"must be at most {MAX_COUNT:,}, got {value:,}")


def non_empty(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise fail(instance, attribute, "must not be empty")


def time_zone(instance: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError) as exc:
        raise fail(instance, attribute, f"{value!r} is not an IANA time zone") from exc


def fraction(instance: Any, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is None:
        return
    if not _number(value) or not 0 <= value <= 1:  # nan compares false: refused
        raise fail(instance, attribute, f"must be between 0 and 1, got {value}")


# -- the checks every field gets -------------------------------------------------------
_Check = Callable[[Any], Any]


def _text_check(kind: TextKind) -> _Check:
    def check(value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError(f"{value!r} is not text")
        return clean_text(value, kind)

    return check


def _email_check(value: Any) -> Any:
    return normalize_email(value)


def _integer_check(value: Any) -> Any:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{value!r} is not a whole number")
    if abs(value) > MAX_INTEGER:
        raise ValueError(f"{value} is out of range (at most {MAX_INTEGER:,} either way)")
    return value


def _year_check(value: Any) -> Any:
    _integer_check(value)
    if not MIN_YEAR <= value <= MAX_YEAR:
        raise ValueError(f"year {value} is not between {MIN_YEAR} and {MAX_YEAR}")
    return value


def _float_check(value: Any) -> Any:
    if not _number(value):
        raise ValueError(f"{value!r} is not a number")
    if not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite number")
    return value


def _moment_check(value: Any) -> Any:
    if isinstance(value, date) and not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(f"{value.isoformat()} is not between the years {MIN_YEAR} and {MAX_YEAR}")
    return value


def _duration_check(value: Any) -> Any:
    if isinstance(value, timedelta) and abs(value) > MAX_DURATION:
        raise ValueError(f"{value} is longer than {MAX_DURATION.days:,} days")
    return value


def _custom_value_check(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value, TextKind.TEXT)
    if isinstance(value, float):
        return _float_check(value)
    return value


def _optional(check: _Check) -> _Check:
    return lambda value: None if value is None else check(value)


def _each(check: _Check) -> _Check:
    def each(values: Any) -> Any:
        if isinstance(values, str) or not isinstance(values, Iterable):
            return values  # the field's own converter or validator says what is wrong
        cleaned = [check(item) for item in values]
        return frozenset(cleaned) if isinstance(values, frozenset) else tuple(cleaned)

    return each


def _mapping(key: _Check, value: _Check) -> _Check:
    def items(values: Any) -> Any:
        if not isinstance(values, Mapping):
            raise ValueError(f"{values!r} is not a mapping")
        return {key(k): value(item) for k, item in values.items()}

    return items


def _check_for(attribute: attrs.Attribute[Any]) -> _Check | None:
    """The check a field gets for its declared type, or None (records, enums, bools)."""
    declared = (
        attribute.type
        if isinstance(attribute.type, str)
        else getattr(attribute.type, "__name__", "")
    )
    optional = declared.endswith(" | None")
    base = declared.removesuffix(" | None")
    kind = text_kind_of(attribute)
    text = _email_check if kind is TextKind.EMAIL else _text_check(kind)
    key = _text_check(TextKind.TEXT if kind is TextKind.TEXT else TextKind.IDENTIFIER)
    year = attribute.name == "year" or attribute.name.endswith("_year")
    checks: dict[str, _Check] = {
        "str": text,
        "tuple[str, ...]": _each(text),
        "frozenset[str]": _each(text),
        "dict[str, str]": _mapping(key, text),
        "dict[str, CustomValue]": _mapping(key, _custom_value_check),
        "dict[str, Answer]": _mapping(key, _custom_value_check),
        "int": _year_check if year else _integer_check,
        "tuple[int, ...]": _each(_integer_check),
        "float": _float_check,
        "date": _moment_check,
        "datetime": _moment_check,
        "frozenset[datetime]": _each(_moment_check),
        "timedelta": _duration_check,
    }
    check = checks.get(base)
    if check is None:
        return None
    return _optional(check) if optional else check


#: Set while a store rebuilds records it holds (see :func:`stored_values`).
_STORED: ContextVar[bool] = ContextVar("cpnetwork_stored_values", default=False)


@contextmanager
def stored_values() -> Iterator[None]:
    """Records built inside take their values as stored: the input rules are skipped.

    What a store holds passed the rules when it was written; rows written by an older
    version that knew fewer rules stay readable (a change to such a record, made with
    ``attrs.evolve``, is checked in full).  Reading is also the faster for it.
    """
    token = _STORED.set(True)
    try:
        yield
    finally:
        _STORED.reset(token)


def with_stored_values(build: Callable[..., T], *arguments: Any) -> T:
    """``build(*arguments)`` with records made inside taking their values as stored.

    :func:`stored_values` for a store rebuilding row after row: setting the flag
    directly costs a fraction of entering a context manager.
    """
    token = _STORED.set(True)
    try:
        return build(*arguments)
    finally:
        _STORED.reset(token)


def _converter(own: _Check | None, check: _Check) -> attrs.Converter[Any, Any]:
    def convert(value: Any, instance: Any, field: attrs.Attribute[Any]) -> Any:
        if _STORED.get():
            return value if own is None or own is normalize_email else own(value)
        try:
            return check(value if own is None else own(value))
        except ValidationError:
            raise
        except (ValueError, TypeError) as exc:
            raise fail(instance, field, str(exc)) from None

    return attrs.Converter(convert, takes_self=True, takes_field=True)


def checked_fields(cls: type, fields: list[attrs.Attribute[Any]]) -> list[attrs.Attribute[Any]]:
    """An attrs ``field_transformer``: every field gets the check its type calls for.

    The check runs after the field's own converter (so ``str_set`` has made a set)
    and before its validators; a refusal is a ValidationError naming the record, its
    id when already set, and the field.  An email field's own converter is dropped:
    the check normalizes it.
    """
    changed = []
    for attribute in fields:
        check = _check_for(attribute)
        if check is None:
            changed.append(attribute)
            continue
        own: Any = attribute.converter
        if isinstance(own, attrs.Converter):
            raise TypeError(f"{cls.__name__}.{attribute.name}: give a plain converter")
        if own is normalize_email:
            own = None  # the check normalizes it
        changed.append(attribute.evolve(converter=_converter(own, check)))
    return changed


class Choice(StrEnum):
    """A closed set of values: accepts members, their values and names (any case)."""

    @classmethod
    def _missing_(cls, value: object) -> Self:
        if isinstance(value, str):
            key = value.strip().casefold()
            for member in cls:
                if key in (member.value.casefold(), member.name.casefold()):
                    return member
        allowed = ", ".join(repr(m.value) for m in cls)
        shown = repr(value) if len(repr(value)) <= 300 else repr(value)[:297] + "..."
        raise ValidationError(cls.__name__, None, f"{shown} is not one of {allowed}")
