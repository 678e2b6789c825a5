"""Which column holds which member field.

Each member field reads one column.  ``map.FIELD=HEADER`` options (or a JSON / TOML
mapping file, ``mapping=PATH``, holding ``{"FIELD": "HEADER"}``) choose the column;
fields left out are found by common header spellings, compared ignoring case and
punctuation: a header that is a spelling, else one that starts with a spelling of two
words or more ("Grade levels you support"), else one that holds such a spelling ("Which
grade bands do you teach?").  Two headers found for one field are an error naming both;
``map.FIELD=`` (empty) turns a field off.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cpnetwork.importers._common import Options
from cpnetwork.importers._tables import Table
from cpnetwork.importers.base import RowError, listing

if TYPE_CHECKING:
    pass


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
            known = listing(sorted(aliases), limit=40, quoted=False)
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
            shown = listing(table.headers)
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
