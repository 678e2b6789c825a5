"""The demo writes only into a new file or an empty database, never into a network."""

from __future__ import annotations

from cpnetwork.errors import ValidationError
from cpnetwork.network import Network
from cpnetwork.storage.sql_url import is_sql_url, masked


class NotEmptyError(ValidationError):
    """The demo was pointed at a database that already holds a network."""


def held_network(url: str) -> tuple[str, int] | None:
    """The name and record count of the network at ``url``; None when there is none.

    Reads without writing anything: a SQLite file that does not exist, or a database
    without cpnetwork's schema, or with a profile and nothing else, holds no network.
    """
    if is_sql_url(url):
        from cpnetwork.storage.sql import schema_status

        if schema_status(url).current is None:
            return None
    elif url.startswith("memory:"):
        return None
    with Network.open(url, read_only=True) as net:
        held = net.count_records()
        return (net.profile.name, held) if held else None


def refuse_a_network(url: str) -> None:
    """NotEmptyError when the database at ``url`` holds a network: the demo never adds to one."""
    held = held_network(url)
    if held is not None:
        name, count = held
        raise NotEmptyError(
            "storage",
            masked(url),
            f"already holds the network {name!r} ({count} records); the demo writes "
            "only into a new file or an empty database",
        )
