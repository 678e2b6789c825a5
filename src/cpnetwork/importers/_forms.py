"""A form-tool export read as members: the table, its columns, and each row's member.

See :mod:`cpnetwork.importers._tables` for how files are read and
:mod:`cpnetwork.importers._columns` for how columns are chosen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import frozen

from cpnetwork.errors import ValidationError
from cpnetwork.fields import CustomField, validate_custom
from cpnetwork.importers._cells import (
    GRADE_ALIASES,
    ROLE_ALIASES,
    boolean,
    choice,
    custom_value,
    split_name,
    split_values,
    whole_number,
)
from cpnetwork.importers._columns import (
    MEMBER_ALIASES,
    load_mapping,
    normalize_header,
    resolve_columns,
)
from cpnetwork.importers._common import Options, fail_if
from cpnetwork.importers._tables import Table, read_table
from cpnetwork.importers.base import RowError, listing
from cpnetwork.model import CustomValue, EquityFocus, GradeBand, Jurisdiction, Member, Role
from cpnetwork.model import _validators as v

if TYPE_CHECKING:
    from cpnetwork.network import Network


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
                        choice(Role, part, ROLE_ALIASES) for part in split_values(text)
                    )
                elif name == "grade_bands":
                    found["grade_bands"] = frozenset(
                        choice(GradeBand, part, GRADE_ALIASES) for part in split_values(text)
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
                    value = custom_value(spec, text)
                    problem = spec.problem(value)
                    if problem:
                        raise ValueError(problem)
                    custom[name] = value
            except ValidationError as exc:
                errors.append(RowError(row=number, column=header, reason=exc.reason))
            except ValueError as exc:
                errors.append(RowError(row=number, column=header, reason=str(exc)))
            except Exception as exc:  # a surprise: still named by its row and column
                reason = f"cannot read it: {type(exc).__name__}: {exc}"
                errors.append(RowError(row=number, column=header, reason=reason))
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
        reason = f"no email column found among {listing(table.headers)}; name it with map.email="
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
            if not cells.get(columns["email"], "").strip():  # else refused above
                errors.append(RowError(row=number, column=columns["email"], reason="no email"))
        elif email in first_row:
            reason = f"{email} is also on row {first_row[email]}"
            errors.append(RowError(row=number, column=columns["email"], reason=reason))
        else:
            first_row[email] = number
            rows.append((number, cells, values))
    return Form(table=table, columns=columns, reader=reader, rows=tuple(rows))


# -- time stamps ----------------------------------------------------------------------
