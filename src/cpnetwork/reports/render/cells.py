"""Cell values as text, made safe for where the text goes.

Every renderer shows data the network's members typed (names, titles), so each one
cleans it for its own medium: control and bidirectional-override characters never
reach a terminal or page (they can hide or reorder what is shown), a spreadsheet never
runs a cell as a formula, Markdown and HTML never read a cell as markup.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from cpnetwork.reports.report import Cell

#: Shown for a value that is not known.
NOTHING = "-"

#: Bidirectional embeddings, overrides, isolates and marks (Trojan Source, CVE-2021-42574).
BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

#: First characters a spreadsheet reads as the start of a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_SPACES = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """``text`` without control or bidi characters; line breaks and tabs become spaces."""
    kept = []
    for char in text:
        if char in BIDI:
            continue
        if unicodedata.category(char) == "Cc":
            kept.append(" " if char in "\t\n\r\v\f" else "")
            continue
        kept.append(char)
    return _SPACES.sub(" ", "".join(kept)).strip()


def cell_text(value: Cell, *, nothing: str = NOTHING) -> str:
    """A cell as shown to people: dates ISO, times with their zone, 96.5, yes/no."""
    if value is None:
        return nothing
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M %Z").strip()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.1f}" if value != int(value) else str(int(value))
    if isinstance(value, int):
        return str(value)
    return clean_text(str(value))


def json_value(value: Cell) -> str | int | float | bool | None:
    """A cell as JSON: dates and datetimes ISO 8601, the rest as is."""
    if isinstance(value, date):  # datetimes too, with their offset
        return value.isoformat()
    return value


def spreadsheet_safe(value: Cell) -> str:
    """A CSV cell no spreadsheet runs: text starting like a formula gets a ``'`` first.

    Numbers stay numbers (a negative count is not a formula); text is cleaned first.
    """
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return cell_text(value)
    text = cell_text(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


#: What makes inline Markdown (emphasis, code, links, strike-through) or ends a table cell.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def markdown_text(value: Cell) -> str:
    """A Markdown table cell: specials backslash-escaped, ``<`` ``>`` ``&`` as entities."""
    text = cell_text(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
