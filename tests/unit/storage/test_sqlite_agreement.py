"""The SQLite store agrees with the memory store (the model) on random enrollment work.

Each state-machine run gets a SQLite file of its own.  The default profile runs a
quarter of its examples here (SQL runs are slower); ``HYPOTHESIS_PROFILE=soak`` scales
up with it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import settings

from cpnetwork.network import Network
from cpnetwork.testing.lifecycle import EnrollmentMachine
from cpnetwork.testing.pytest_plugin import FrozenClock


class SQLiteAgrees(EnrollmentMachine):
    urls = ("memory://", "sqlite://")

    def open_network(self, url: str, clock: FrozenClock) -> Network:
        if url.startswith("sqlite"):
            folder = self.resources.enter_context(tempfile.TemporaryDirectory())
            url = f"sqlite:///{Path(folder) / 'network.db'}"
        return super().open_network(url, clock)


TestSQLiteAgrees = SQLiteAgrees.TestCase
TestSQLiteAgrees.settings = settings(
    max_examples=max(settings().max_examples // 4, 5), stateful_step_count=40
)
