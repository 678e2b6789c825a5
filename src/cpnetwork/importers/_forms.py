"""Form-tool CSV exports (Google Forms, Microsoft Forms, SurveyMonkey) and member columns.

Reading: UTF-8 (with or without the byte-order mark Excel writes) or Windows-1252, the
``csv`` module's dialect, answers with line breaks inside quotes.  SurveyMonkey's
two-row header (questions, then "Response" / answer choices) is merged: the columns of
one multiple-choice question become one column whose cell lists the ticked choices,
separated by ``;``.  Blank rows are skipped but counted, so row numbers are the data
rows' positions (1 = the first row after the header), as a spreadsheet shows them
shifted by the header.

Mapping: each member field reads one column.  ``map.FIELD=HEADER`` options (or a JSON /
TOML mapping file, ``mapping=PATH``, holding ``{"FIELD": "HEADER"}``) choose the column;
fields left out are found by common header spellings, compared ignoring case and
punctuation: a header that is a spelling, else one that starts with a spelling of two
words or more ("Grade levels you support"), else one that holds such a spelling ("Which
grade bands do you teach?").  Two headers found for one field are an error naming both;
``map.FIELD=`` (empty) turns a field off.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import frozen

from cpnetwork import recurrence
from cpnetwork.errors import ValidationError
from cpnetwork.fields import CustomField, FieldType, validate_custom
from cpnetwork.importers._common import Options, fail_if
from cpnetwork.importers.base import RowError
from cpnetwork.model import CustomValue, EquityFocus, GradeBand, Jurisdiction, Member, Role
from cpnetwork.model import _validators as v

if TYPE_CHECKING:
    from cpnetwork.network import Network

#: SurveyMonkey's second header row names these under each question.
_SUBHEADERS = {"response", "open-ended response"}


@frozen
class Table:
    """A CSV file's columns and its non-blank data rows as ``(row number, cells)``."""

    headers: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]


def read_text(path: Path, encoding: str | None, errors: list[RowError]) -> str | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        errors.append(RowError(row=None, column=None, reason=f"cannot read the file: {exc}"))
        return None
    tried = [encoding] if encoding else ["utf-8-sig", "cp1252"]
    for name in tried:
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    reason = f"the file is not text in {' or '.join(tried)}; give encoding=..."
    errors.append(RowError(row=None, column=None, reason=reason))
    return None


def _blank(cells: Sequence[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def _unique(headers: Iterable[str]) -> list[str]:
    """Headers made unique ("Question", "Question (2)") and never empty."""
    seen: dict[str, int] = {}
    names = []
    for number, header in enumerate(headers, start=1):
        name = header.strip() or f"Column {number}"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return names


def _surveymonkey(header: list[str], second: list[str]) -> list[str] | None:
    """Column names from SurveyMonkey's two header rows, or None if it is not one."""
    if not any(c.strip().casefold() == "respondent id" for c in header):
        return None
    if not any(c.strip().casefold() in _SUBHEADERS for c in second):
        return None
    merged, question = [], ""
    for number, cell in enumerate(header, start=1):
        question = cell.strip() or question or f"Column {number}"
        merged.append(question)
    return merged


def parse_table(text: str, errors: list[RowError]) -> Table | None:
    """The table in ``text``; problems (ragged rows, no header) go to ``errors``."""
    records = list(csv.reader(io.StringIO(text, newline="")))
    while records and _blank(records[0]):
        records.pop(0)
    if not records:
        errors.append(RowError(row=None, column=None, reason="the file has no header row"))
        return None
    header = records[0]
    body = records[1:]
    merged = _surveymonkey(header, body[0]) if body else None
    if merged is not None:
        body = body[1:]
        names = list(dict.fromkeys(merged))
    else:
        names = _unique(header)
        merged = names
    rows = []
    for number, cells in enumerate(body, start=1):
        if _blank(cells):
            continue
        if len(cells) > len(header) and not _blank(cells[len(header) :]):
            errors.append(
                RowError(
                    row=number,
                    column=None,
                    reason=f"has {len(cells)} cells but the header names {len(header)} columns",
                )
            )
            continue
        values: dict[str, list[str]] = {name: [] for name in names}
        for column, cell in zip(merged, cells, strict=False):
            if cell.strip():
                values[column].append(cell.strip())
        rows.append((number, {name: "; ".join(parts) for name, parts in values.items()}))
    return Table(headers=tuple(names), rows=tuple(rows))


def read_table(path: Path, encoding: str | None, errors: list[RowError]) -> Table | None:
    text = read_text(path, encoding, errors)
    return parse_table(text, errors) if text is not None else None


# -- headers ------------------------------------------------------------------------
def normalize_header(header: str) -> str:
    """Lower case, punctuation to single blanks: ``"E-mail Address*"`` → ``"e mail address"``."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", header.casefold()).split())


#: Header spellings recognised for each member field, most specific first.
MEMBER_ALIASES: dict[str, tuple[str, ...]] = {
    "email": (
        "email address",
        "e mail address",
        "your email address",
        "work email address",
        "school email address",
        "email",
        "e mail",
        "your email",
        "work email",
        "school email",
        "username",
    ),
    "given_name": (
        "first name",
        "given name",
        "preferred first name",
        "your first name",
        "firstname",
        "first",
    ),
    "family_name": ("last name", "family name", "surname", "your last name", "lastname", "last"),
    "name": ("full name", "your full name", "your name", "name"),
    "roles": (
        "roles",
        "role",
        "role s",
        "your role",
        "your role s",
        "current role",
        "primary role",
    ),
    "grade_bands": (
        "grade bands",
        "grade band",
        "grade band s",
        "grade levels",
        "grade level",
        "grade level s",
        "grade levels taught",
        "grades taught",
        "grades",
    ),
    "county": ("county", "your county", "county of employment", "school county"),
    "equity_focus": (),
    "consents_to_updates": (),
    "teachers_supported": ("teachers supported", "number of teachers supported"),
    "students_reached": ("students reached", "number of students reached"),
}


def load_mapping(options: Options, path: Path, errors: list[RowError]) -> dict[str, str]:
    """Field → header from ``mapping=FILE`` (JSON or TOML) then ``map.FIELD`` options."""
    mapping: dict[str, str] = {}
    given = options.get("mapping")
    if given:
        file = Path(given)
        if not file.is_absolute() and not file.exists():
            file = path.parent / file
        try:
            text = file.read_text(encoding="utf-8")
            loaded: Any = tomllib.loads(text) if file.suffix == ".toml" else json.loads(text)
        except (OSError, ValueError) as exc:
            errors.append(RowError(row=None, column=None, reason=f"mapping file {given!r}: {exc}"))
            loaded = {}
        table = loaded.get("map", loaded) if isinstance(loaded, dict) else None
        if not isinstance(table, dict) or not all(
            isinstance(k, str) and isinstance(val, str) for k, val in table.items()
        ):
            errors.append(
                RowError(
                    row=None,
                    column=None,
                    reason=f'mapping file {given!r} must hold FIELD = "header" pairs',
                )
            )
        else:
            mapping.update(table)
    for prefix in ("map.", "map_"):
        mapping.update(options.prefixed(prefix))
    return mapping


def resolve_columns(
    table: Table,
    mapping: Mapping[str, str],
    aliases: Mapping[str, Sequence[str]],
    errors: list[RowError],
    *,
    skip_default: Callable[[dict[str, str]], set[str]] | None = None,
) -> dict[str, str]:
    """Field → header: the mapping's choices, then defaults by alias for the others."""
    columns: dict[str, str] = {}
    by_exact = {h.strip(): h for h in table.headers}
    by_folded: dict[str, list[str]] = {}
    for header in table.headers:
        by_folded.setdefault(header.strip().casefold(), []).append(header)
    for name, header in mapping.items():
        if name not in aliases:
            known = ", ".join(sorted(aliases))
            errors.append(
                RowError(row=None, column=None, reason=f"map.{name}: no field {name!r} ({known})")
            )
            continue
        if not header.strip():
            continue
        found = by_exact.get(header.strip()) or next(
            iter(by_folded.get(header.strip().casefold(), [])), None
        )
        if found is None:
            shown = ", ".join(repr(h) for h in table.headers)
            errors.append(
                RowError(row=None, column=header, reason=f"no such column (columns: {shown})")
            )
            continue
        columns[name] = found
    taken = set(columns.values())
    off = {name for name, header in mapping.items() if not header.strip()}
    skipped = skip_default(columns) if skip_default else set()
    normalized = {header: normalize_header(header) for header in table.headers}
    for name, spellings in aliases.items():
        if name in columns or name in off or name in skipped:
            continue
        free = [h for h in table.headers if h not in taken]
        for tier in (_exact, _starts, _contains):
            candidates = list(
                dict.fromkeys(
                    h for spelling in spellings for h in free if tier(normalized[h], spelling)
                )
            )
            # The most specific spelling decides among headers of one tier.
            for spelling in spellings:
                matching = [h for h in candidates if tier(normalized[h], spelling)]
                if matching:
                    candidates = matching
                    break
            if len(candidates) > 1:
                shown = " and ".join(repr(h) for h in candidates)
                errors.append(
                    RowError(
                        row=None,
                        column=None,
                        reason=f"columns {shown} could both be {name}; choose one with map.{name}=",
                    )
                )
                break
            if candidates:
                columns[name] = candidates[0]
                taken.add(candidates[0])
                break
    return columns


def _exact(header: str, spelling: str) -> bool:
    return header == spelling


def _starts(header: str, spelling: str) -> bool:
    """``"grade levels you support"`` starts with ``"grade levels"`` (two words or more)."""
    return " " in spelling and header.startswith(spelling + " ")


def _contains(header: str, spelling: str) -> bool:
    """``"which grade bands do you support"`` holds ``"grade bands"`` (two words or more)."""
    return " " in spelling and f" {spelling} " in f" {header} "


# -- values -------------------------------------------------------------------------
_ROLE_ALIASES = {
    "teacher on special assignment": Role.TOSA,
    "coach": Role.INSTRUCTIONAL_COACH,
    "science coach": Role.INSTRUCTIONAL_COACH,
    "principal": Role.SITE_ADMINISTRATOR,
    "assistant principal": Role.SITE_ADMINISTRATOR,
    "vice principal": Role.SITE_ADMINISTRATOR,
    "professional learning provider": Role.PL_PROVIDER,
}
_GRADE_ALIASES = {
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


def _custom_value(spec: CustomField, text: str) -> CustomValue:
    try:
        if spec.type is FieldType.INTEGER:
            return int(text.strip())
        if spec.type is FieldType.NUMBER:
            return float(text.strip())
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


class MemberColumns:
    """Turns a form row into Member fields, collecting each bad cell as a RowError."""

    def __init__(
        self,
        columns: Mapping[str, str],
        *,
        jurisdictions: Sequence[Jurisdiction],
        custom_fields: Mapping[str, CustomField],
    ) -> None:
        self.columns = dict(columns)
        self._jurisdictions = list(jurisdictions)
        self._custom = dict(custom_fields)

    @staticmethod
    def aliases(custom_fields: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Every mappable field, custom fields by their own name."""
        found = dict(MEMBER_ALIASES)
        for name in custom_fields:
            found.setdefault(name, (normalize_header(name),))
        return found

    @staticmethod
    def skip_defaults(columns: Mapping[str, str]) -> set[str]:
        """A full-name column is only guessed when first and last names have none."""
        return {"name"} if {"given_name", "family_name"} & set(columns) else set()

    def column_of(self, field: str | None) -> str | None:
        """The header a member field (or ``custom.X`` / ``reach``) was read from."""
        if field is None:
            return None
        name = field.removeprefix("custom.")
        if name == "reach":
            return self.columns.get("teachers_supported") or self.columns.get("students_reached")
        if name in ("given_name", "family_name") and name not in self.columns:
            return self.columns.get("name")
        return self.columns.get(name)

    def values(self, number: int, row: Mapping[str, str], errors: list[RowError]) -> dict[str, Any]:
        """Member fields from the non-empty cells of a row (``custom`` and ``reach`` nested)."""
        found: dict[str, Any] = {}
        custom: dict[str, CustomValue] = {}
        reach: dict[str, int] = {}
        for name, header in self.columns.items():
            text = row.get(header, "").strip()
            if not text:
                continue
            try:
                if name == "email":
                    found["email"] = v.normalize_email(text)
                elif name in ("given_name", "family_name"):
                    found[name] = text
                elif name == "name":
                    given, family = split_name(text)
                    found.setdefault("given_name", given)
                    found.setdefault("family_name", family)
                elif name == "roles":
                    found["roles"] = frozenset(
                        choice(Role, part, _ROLE_ALIASES) for part in split_values(text)
                    )
                elif name == "grade_bands":
                    found["grade_bands"] = frozenset(
                        choice(GradeBand, part, _GRADE_ALIASES) for part in split_values(text)
                    )
                elif name == "county":
                    found["county"] = self._county(text)
                elif name == "equity_focus":
                    found["equity_focus"] = choice(EquityFocus, text, {})
                elif name == "consents_to_updates":
                    found["consents_to_updates"] = boolean(text)
                elif name in ("teachers_supported", "students_reached"):
                    reach[name] = whole_number(text)
                else:
                    spec = self._custom[name]
                    value = _custom_value(spec, text)
                    problem = spec.problem(value)
                    if problem:
                        raise ValueError(problem)
                    custom[name] = value
            except ValidationError as exc:
                errors.append(RowError(row=number, column=header, reason=exc.reason))
            except ValueError as exc:
                errors.append(RowError(row=number, column=header, reason=str(exc)))
        # Names given in their own columns win over a split full name.
        for name in ("given_name", "family_name"):
            own = self.columns.get(name)
            if own and row.get(own, "").strip():
                found[name] = row[own].strip()
        if custom:
            found["custom"] = custom
        if reach:
            found["reach"] = reach
        return found

    def checked(self, number: int, member: Member, errors: list[RowError]) -> Member | None:
        """``member`` if its custom fields are valid, else None with the reason in ``errors``."""
        try:
            validate_custom(self._custom, member.custom, member.id)
        except ValidationError as exc:
            errors.append(RowError(row=number, column=self.column_of(exc.field), reason=exc.reason))
            return None
        return member

    def new_member(
        self, number: int, values: Mapping[str, Any], errors: list[RowError]
    ) -> Member | None:
        """A new member from a row's values, or None with the reason in ``errors``."""
        try:
            member = Member(**values)
        except ValidationError as exc:
            errors.append(RowError(row=number, column=self.column_of(exc.field), reason=exc.reason))
            return None
        return self.checked(number, member, errors)

    def _county(self, text: str) -> str:
        if not self._jurisdictions:
            return text
        for key in (text, re.sub(r"\s+county$", "", text, flags=re.IGNORECASE)):
            for jurisdiction in self._jurisdictions:
                county = jurisdiction.county(key)
                if county is not None:
                    return county.code
        raise ValueError(f"{text!r} is not a county the network knows")


# -- a whole form ---------------------------------------------------------------------
#: Options every form importer takes (besides ``map.FIELD`` / ``map_FIELD``).
FORM_OPTIONS = ("mapping", "encoding", "ignore")


@frozen
class Form:
    """A form export read for members: its columns by field, and each row's values."""

    table: Table
    #: Field → header, for the member fields and the importer's own extra fields.
    columns: dict[str, str]
    reader: MemberColumns
    #: ``(row number, cells, member values)`` for rows with an email not seen before.
    rows: tuple[tuple[int, dict[str, str], dict[str, Any]], ...]

    @property
    def unread(self) -> list[str]:
        """Headers no field reads, in file order."""
        used = set(self.columns.values())
        return [h for h in self.table.headers if h not in used]


def read_form(
    network: Network,
    path: Path,
    options: Options,
    errors: list[RowError],
    *,
    extra: Mapping[str, Sequence[str]] | None = None,
) -> Form:
    """Read and map a form export; file-level problems (and ``errors`` so far) raise.

    ``extra`` adds fields of the importer's own (with their header spellings).  Row
    problems, a row without email and an email seen on an earlier row, are added to
    ``errors`` for the caller to raise with its own.
    """
    table = read_table(path, options.get("encoding"), errors)
    mapping = load_mapping(options, path, errors)
    fail_if(errors, path)
    assert table is not None
    ignored = {p.strip() for p in (options.get("ignore") or "").split(";") if p.strip()}
    table = Table(headers=tuple(h for h in table.headers if h not in ignored), rows=table.rows)
    custom_fields = network.member_fields
    aliases = {**MemberColumns.aliases(custom_fields), **(extra or {})}
    columns = resolve_columns(
        table, mapping, aliases, errors, skip_default=MemberColumns.skip_defaults
    )
    if "email" not in columns and not errors:
        shown = ", ".join(repr(h) for h in table.headers)
        reason = f"no email column found among {shown}; name it with map.email="
        errors.append(RowError(row=None, column=None, reason=reason))
    fail_if(errors, path)
    member_columns = {k: h for k, h in columns.items() if k not in (extra or {})}
    reader = MemberColumns(
        member_columns, jurisdictions=network.jurisdictions, custom_fields=custom_fields
    )
    rows = []
    first_row: dict[str, int] = {}
    for number, cells in table.rows:
        values = reader.values(number, cells, errors)
        email = values.get("email")
        if not email:
            errors.append(RowError(row=number, column=columns["email"], reason="no email"))
        elif email in first_row:
            reason = f"{email} is also on row {first_row[email]}"
            errors.append(RowError(row=number, column=columns["email"], reason=reason))
        else:
            first_row[email] = number
            rows.append((number, cells, values))
    return Form(table=table, columns=columns, reader=reader, rows=tuple(rows))


# -- time stamps ----------------------------------------------------------------------
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
            return parsed
        naive = parsed
    if offset is not None:
        return naive.replace(tzinfo=offset)
    return recurrence.localize(naive, zone)
