"""``read_export``: the JSON export read a block at a time, as ``json.loads`` reads it."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from cpnetwork import export_json
from cpnetwork.export_json import ExportFormatError, read_export

DOCUMENT: dict[str, list[dict[str, Any]]] = {
    "members": [
        {"id": "m1", "email": "ada@example.org", "notes": 'said "hi" \\ then {left}', "n": 12345},
        {"id": "m2", "given_name": "Zoë", "tags": ["a", {"b": [1, 2.5, None, True]}], "x": -0.5},
    ],
    "empty": [],
    "network": [{"id": "network", "name": "Réseau 🌲", "big": 10**20}],
}


def _read(text: str) -> list[tuple[str, list[dict[str, Any]]]]:
    return [(kind, list(records)) for kind, records in read_export(io.StringIO(text))]


@pytest.mark.parametrize("block", [1, 2, 3, 7, 64, 1 << 16])
@pytest.mark.parametrize("indent", [None, 2])
def test_every_block_size_reads_what_json_loads_reads(
    monkeypatch: pytest.MonkeyPatch, block: int, indent: int | None
) -> None:
    monkeypatch.setattr(export_json, "BLOCK", block)
    text = json.dumps(DOCUMENT, indent=indent, ensure_ascii=False)
    assert _read(text) == list(json.loads(text).items())
    assert _read("  {  }  ") == []


def test_records_not_taken_are_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export_json, "BLOCK", 5)
    kinds = [kind for kind, _ in read_export(io.StringIO(json.dumps(DOCUMENT)))]
    assert kinds == list(DOCUMENT)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "not JSON: "),
        ("", "not JSON: "),
        ("<html>", "not JSON: "),
        ('["a list"]', "not a cpnetwork export"),
        ('"text"', "not a cpnetwork export"),
        ('{"members": [1, 2]}', "not a cpnetwork export"),
        ('{"members": 5}', "not a cpnetwork export"),
        ('{"members": [{"id": "m1"}', "not JSON: "),
        ('{"members": [{"id": "m1"} {"id": "m2"}]}', "not JSON: "),
        ('{"members": [{"id": "m1", }]}', "not JSON: "),
        ('{"members": []} trailing', "not JSON: "),
        ('{"members": [], }', "not JSON: "),
    ],
)
@pytest.mark.parametrize("block", [3, 1 << 16])
def test_what_is_not_an_export_says_why(
    monkeypatch: pytest.MonkeyPatch, text: str, reason: str, block: int
) -> None:
    monkeypatch.setattr(export_json, "BLOCK", block)
    with pytest.raises(ExportFormatError) as raised:
        _read(text)
    assert raised.value.reason.startswith(reason)
    with pytest.raises(json.JSONDecodeError if reason.startswith("not JSON") else AssertionError):
        data = json.loads(text)
        assert isinstance(data, dict)
        assert all(
            isinstance(rows, list) and all(isinstance(r, dict) for r in rows)
            for rows in data.values()
        )


def test_the_opening_is_read_when_called() -> None:
    with pytest.raises(ExportFormatError):
        read_export(io.StringIO("[]"))
    with pytest.raises(ExportFormatError):
        read_export(io.StringIO("{oops"))
