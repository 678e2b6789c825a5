"""What every stored record shares: an id."""

from __future__ import annotations

import sys

if sys.version_info >= (3, 14):
    from uuid import uuid7
else:  # pragma: no cover - the stdlib has uuid7 from Python 3.14
    from uuid6 import uuid7


def new_id() -> str:
    """A URL-safe record id: a UUID version 7 in hex, so ids sort by creation time.

    Ids made one after another in a process sort in that order, even within one
    millisecond; across processes they sort by their millisecond.
    """
    return uuid7().hex
