"""The demo's calendar: Pacific time, and a clock that jumps to each moment of the story."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

#: The zone every seed network works in.
PACIFIC = ZoneInfo("America/Los_Angeles")


def pacific(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time in California."""
    return datetime(year, month, day, hour, minute, tzinfo=PACIFIC)


class DemoClock:
    """The network's clock (``Network.open(clock=...)``): the story sets ``now``."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now
