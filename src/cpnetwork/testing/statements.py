"""Counting the statements a network sends to its SQL database, for tests and benchmarks.

::

    with sent_statements(network) as sent:
        network.enrollment.register(program.id, member.id)
    assert len(sent) <= 8

Statements are seen through SQLAlchemy's ``before_cursor_execute`` event: ``BEGIN``
and savepoints count, the driver's own ``COMMIT`` does not.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from cpnetwork.network import Network
from cpnetwork.storage.sql import SQLStorage


@contextmanager
def sent_statements(network: Network) -> Iterator[list[str]]:
    """The SQL text of every statement the network sends inside the block, in order."""
    storage = network.storage
    if not isinstance(storage, SQLStorage):
        raise TypeError(f"{storage!r} sends no SQL statements")
    sent: list[str] = []

    def spy(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        sent.append(statement)

    engine = storage.engine
    sa.event.listen(engine, "before_cursor_execute", spy)
    try:
        yield sent
    finally:
        sa.event.remove(engine, "before_cursor_execute", spy)
