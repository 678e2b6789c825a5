"""``terminal_safe`` and ``plain``: data printed inert, whatever it holds."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from cpnetwork.cli._output import REPLACEMENT, details, plain, table, terminal_safe


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Ada Lovelace", "Ada Lovelace"),
        ("José Núñez 李", "José Núñez 李"),
        ("\x1b[31mRed", f"{REPLACEMENT}[31mRed"),
        ("\x1b]0;title\x07x", f"{REPLACEMENT}]0;title{REPLACEMENT}x"),
        ("abc\u202edef", f"abc{REPLACEMENT}def"),
        ("a\u2066b\u2069c\u200fd", f"a{REPLACEMENT}b{REPLACEMENT}c{REPLACEMENT}d"),
        ("C1\x9bx\x85y", f"C1{REPLACEMENT}x{REPLACEMENT}y"),
        ("two\nlines\tand\u2028more", "two lines and more"),
        ("\x00nul\x7fdel", f"{REPLACEMENT}nul{REPLACEMENT}del"),
        ("family 👩\u200d👩\u200d👧", "family 👩\u200d👩\u200d👧"),  # joiners are no controls
    ],
)
def test_terminal_safe(text: str, shown: str) -> None:
    assert terminal_safe(text) == shown


def test_messages_keep_their_lines() -> None:
    assert terminal_safe("one\ntwo\x1b", keep_newlines=True) == f"one\ntwo{REPLACEMENT}"


def _rendered(*items: object) -> str:
    out = io.StringIO()
    Console(file=out, width=120, force_terminal=True, color_system=None).print(*items)
    return out.getvalue()


def test_cells_titles_and_details_print_inert() -> None:
    hostile = "[bold]x[/bold]\x1b]0;pwned\x07\u202e"
    shown = table(hostile, "name")
    shown.add_row(plain(hostile))
    text = _rendered(shown, details([("name", hostile)], title=hostile))
    for char in ("\x07", "\u202e", "\x1b]"):
        assert char not in text
    assert text.count("[bold]x[/bold]") == 4  # markup stays text, in every place
    assert plain({"b\x1b", "a"}).plain == f"a, b{REPLACEMENT}"
