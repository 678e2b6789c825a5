"""Reading the JSON export (``Network.export``) as it streams in, record by record.

The export is one JSON document, ``{"kind": [{record}, ...], ...}``, and can be
bigger than memory.  :func:`read_export` reads it from a text stream a block at a
time: the punctuation of the outer object and arrays by hand, each key and each
record with :meth:`json.JSONDecoder.raw_decode`, so at most one block and one record
are held at once.  Anything that is not JSON, or not of that shape, raises
:class:`ExportFormatError` when it is reached.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

#: Characters read from the stream at a time.
BLOCK = 1 << 16

#: An error this close to the end of the window may be a value cut by the window.
_TAIL = 32

_WHITESPACE = " \t\n\r"
_SHAPE = (
    "not a cpnetwork export (expected an object of record lists by kind, "
    "as `cpnetwork export` writes)"
)

#: One kind of record in the export and its records, read as they are taken.
Section = tuple[str, Iterator[dict[str, Any]]]


class ExportFormatError(ValueError):
    """The text is not JSON, or not a cpnetwork export; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Reader:
    """A window on a text stream, refilled a block at a time."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._text = ""
        self._pos = 0
        self._offset = 0  # characters dropped from the front of the window
        self._decoder = json.JSONDecoder()

    def _fill(self) -> bool:
        block = self._stream.read(BLOCK)
        if not block:
            return False
        if self._pos:
            self._offset += self._pos
            self._text = self._text[self._pos :]
            self._pos = 0
        self._text += block
        return True

    def peek(self) -> str:
        """The next character that is not whitespace ('' at the end), not consumed."""
        while True:
            text, pos = self._text, self._pos
            while pos < len(text) and text[pos] in _WHITESPACE:
                pos += 1
            self._pos = pos
            if pos < len(text):
                return text[pos]
            if not self._fill():
                return ""

    def take(self, expected: str) -> None:
        found = self.peek()
        if found != expected:
            raise self.syntax(f"expected {expected!r}, found {found or 'the end'!r}")
        self._pos += 1

    def value(self) -> Any:
        """The next JSON value, read whole (more blocks are read until it is complete)."""
        self.peek()
        while True:
            try:
                value, end = self._decoder.raw_decode(self._text, self._pos)
            except json.JSONDecodeError as exc:
                if self._incomplete(exc) and self._fill():
                    continue
                raise self.syntax(exc.msg, self._offset + exc.pos) from None
            if end == len(self._text) and self._fill():
                continue  # a number may go on in the next block
            self._pos = end
            return value

    def _incomplete(self, exc: json.JSONDecodeError) -> bool:
        """Whether the error may only mean that the value goes on past the window."""
        if exc.msg.startswith("Unterminated string"):
            return True
        return len(self._text) - exc.pos < _TAIL or not self._text[exc.pos :].strip()

    def syntax(self, message: str, at: int | None = None) -> ExportFormatError:
        where = self._offset + self._pos if at is None else at
        return ExportFormatError(f"not JSON: {message} (at character {where})")

    def end(self) -> None:
        found = self.peek()
        if found:
            raise self.syntax(f"extra data {found!r} after the export")


def read_export(stream: IO[str]) -> Iterator[Section]:
    """The export's kinds in document order, each with an iterator of its records.

    The opening of the document is read at once, so a file that is not an export at
    all fails here; the rest as the sections and records are taken.  Take each
    section's records before the next section.
    """
    reader = _Reader(stream)
    first = reader.peek()
    if first != "{":
        if first and first in '["-0123456789tfn':
            raise ExportFormatError(_SHAPE)
        raise reader.syntax(f"expected an object, found {first or 'the end'!r}")
    reader.take("{")
    opening = reader.peek()
    if opening != "}" and opening != '"':
        raise reader.syntax(f"expected a key, found {opening or 'the end'!r}")
    return _sections(reader)


def _sections(reader: _Reader) -> Iterator[Section]:
    if reader.peek() == "}":
        reader.take("}")
        reader.end()
        return
    while True:
        kind = reader.value()
        if not isinstance(kind, str):  # pragma: no cover - peek saw a string
            raise ExportFormatError(_SHAPE)
        reader.take(":")
        if reader.peek() != "[":
            reader.value()  # a syntax error is reported as one
            raise ExportFormatError(_SHAPE)
        reader.take("[")
        records = _records(reader)
        yield kind, records
        for _ in records:  # records the caller did not take
            pass
        following = reader.peek()
        reader.take("," if following == "," else "}")
        if following != ",":
            reader.end()
            return


def _records(reader: _Reader) -> Iterator[dict[str, Any]]:
    if reader.peek() == "]":
        reader.take("]")
        return
    while True:
        record = reader.value()
        if not isinstance(record, dict):
            raise ExportFormatError(_SHAPE)
        yield record
        following = reader.peek()
        reader.take("," if following == "," else "]")
        if following != ",":
            return
