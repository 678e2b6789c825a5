"""Reading one cell of a form export: lists, choices, yes/no, numbers, names, timestamps."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING

from cpnetwork import recurrence
from cpnetwork.errors import ValidationError
from cpnetwork.fields import CustomField, FieldType
from cpnetwork.importers._columns import normalize_header
from cpnetwork.model import CustomValue, GradeBand, Role
from cpnetwork.model import _validators as v

if TYPE_CHECKING:
    pass


# -- values -------------------------------------------------------------------------
ROLE_ALIASES = {
    "teacher on special assignment": Role.TOSA,
    "coach": Role.INSTRUCTIONAL_COACH,
    "science coach": Role.INSTRUCTIONAL_COACH,
    "principal": Role.SITE_ADMINISTRATOR,
    "assistant principal": Role.SITE_ADMINISTRATOR,
    "vice principal": Role.SITE_ADMINISTRATOR,
    "professional learning provider": Role.PL_PROVIDER,
}
GRADE_ALIASES = {
    "prek": GradeBand.PRE_K,
    "pre k": GradeBand.PRE_K,
    "tk": GradeBand.PRE_K,
    "transitional kindergarten": GradeBand.PRE_K,
    "preschool": GradeBand.PRE_K,
    "k 2": GradeBand.K_2,
    "k2": GradeBand.K_2,
    "higher education": GradeBand.POSTSECONDARY,
    "college": GradeBand.POSTSECONDARY,
    "post secondary": GradeBand.POSTSECONDARY,
}


def split_values(text: str) -> list[str]:
    """Several answers in one cell: separated by ``;``, ``,`` or line breaks."""
    return [part.strip() for part in re.split(r"[;,\n]", text) if part.strip()]


def choice(cls: type[v.Choice], text: str, aliases: Mapping[str, v.Choice]) -> v.Choice:
    """A Choice from form text: its value or name in any case, spaces or dashes for ``_``.

    ``"Instructional coach"`` → ``instructional_coach``; ``"Grades 3-5"`` → ``3_5``; a
    parenthesised explanation (``"TOSA (Teacher on Special Assignment)"``) is ignored.
    """
    candidates = [text, text.split("(")[0]]
    for candidate in candidates:
        spaced = normalize_header(candidate.replace("\u2013", "-"))
        for key in (spaced, re.sub(r"^grades? ", "", spaced)):
            if key in aliases:
                return aliases[key]
            try:
                return cls(key.replace(" ", "_"))
            except ValidationError:
                continue
    allowed = ", ".join(member.value for member in cls)
    raise ValidationError(cls.__name__, None, f"{text!r} is not one of {allowed}")


_TRUE = {"yes", "y", "true", "1", "x", "agree", "i agree", "checked", "on"}
_FALSE = {"no", "n", "false", "0", "disagree", "unchecked", "off"}


def boolean(text: str) -> bool:
    key = normalize_header(text)
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ValueError(f"{text!r} is not yes or no")


def whole_number(text: str) -> int:
    cleaned = re.sub(r"[,_\s]", "", text)
    if not re.fullmatch(r"\d+", cleaned):
        raise ValueError(f"{text!r} is not a whole number")
    return int(cleaned)


def custom_value(spec: CustomField, text: str) -> CustomValue:
    try:
        if spec.type is FieldType.INTEGER:
            return int(text.strip())
        if spec.type is FieldType.NUMBER:
            number = float(text.strip())
            if not math.isfinite(number):
                raise ValueError(text)
            return number
    except ValueError:
        raise ValueError(f"{text!r} is not {spec.type.value}") from None
    if spec.type is FieldType.BOOLEAN:
        return boolean(text)
    return text


def split_name(text: str) -> tuple[str, str]:
    """``"Ada Lovelace"`` → (Ada, Lovelace); ``"Lovelace, Ada"`` too; one word is a given name."""
    if "," in text:
        family, _, given = text.partition(",")
        return given.strip(), family.strip()
    words = text.split()
    if len(words) < 2:
        return text.strip(), ""
    return " ".join(words[:-1]), words[-1]


_STAMP_FORMATS = (
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%y %H:%M:%S",
    "%m/%d/%y %I:%M:%S %p",
    "%m/%d/%y %H:%M",
    "%m/%d/%y %I:%M %p",
    "%Y/%m/%d %I:%M:%S %p",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
)
_ZONE_NAMES = {
    "UTC": 0,
    "GMT": 0,
    "PST": -8,
    "PDT": -7,
    "MST": -7,
    "MDT": -6,
    "CST": -6,
    "CDT": -5,
    "EST": -5,
    "EDT": -4,
}
_OFFSET = re.compile(r"\s+(?:GMT|UTC)([+-])(\d{1,2})(?::?(\d{2}))?$")


def parse_timestamp(text: str, zone: tzinfo, fmt: str | None = None) -> datetime:
    """A form's submission time: local to ``zone`` unless it names an offset or zone.

    Month-first dates (US exports) unless ``fmt`` (a ``strptime`` format) says otherwise.
    """
    value = text.strip()
    offset: tzinfo | None = None
    match = _OFFSET.search(value)
    if match:
        sign = -1 if match.group(1) == "-" else 1
        delta = timedelta(hours=int(match.group(2)), minutes=int(match.group(3) or 0))
        offset = timezone(sign * delta)
        value = value[: match.start()]
    else:
        head, _, tail = value.rpartition(" ")
        if tail.upper() in _ZONE_NAMES and head:
            offset = timezone(timedelta(hours=_ZONE_NAMES[tail.upper()]))
            value = head
    formats = (fmt,) if fmt else _STAMP_FORMATS
    for candidate in formats:
        try:
            naive = datetime.strptime(value, candidate)
            break
        except ValueError:
            continue
    else:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{text!r} is not a date and time") from None
        if parsed.tzinfo is not None:
            _check_year(parsed, text)
            return parsed
        naive = parsed
    _check_year(naive, text)
    if offset is not None:
        return naive.replace(tzinfo=offset)
    return recurrence.localize(naive, zone)


def _check_year(moment: datetime, text: str) -> None:
    if not v.MIN_YEAR <= moment.year <= v.MAX_YEAR:
        raise ValueError(f"{text!r} is not between the years {v.MIN_YEAR} and {v.MAX_YEAR}")
