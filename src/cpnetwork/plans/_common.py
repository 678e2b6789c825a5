"""What the parts of a plan share: its errors and the changes it reports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from cpnetwork.errors import ValidationError


def problem(source: str, reason: str) -> ValidationError:
    """The error of a plan: ``Plan 'year.toml': program 2 ('Academy'): <reason>``."""
    return ValidationError("Plan", source, reason)


def check_keys(source: str, where: str, table: Mapping[str, Any], allowed: frozenset[str]) -> None:
    """Refuse keys the plan does not know (a typo would otherwise be ignored)."""
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise problem(
            source,
            f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(allowed))}",
        )


def text_list(value: Any, what: str) -> tuple[str, ...]:
    """A list of non-empty strings (emails, names, codes), or ValueError."""
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ValueError(f"{what} must be a list of strings")
    if not all(isinstance(item, str) and item.strip() for item in value):
        raise ValueError(f"{what} must be a list of non-empty strings")
    return tuple(item.strip() for item in value)


@frozen(kw_only=True)
class Change:
    """One change a plan makes (or would make): ``action`` is create, update or unchanged."""

    action: str
    kind: str
    name: str
    detail: str = ""

    def __str__(self) -> str:
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.action} {self.kind} {self.name}{detail}"
