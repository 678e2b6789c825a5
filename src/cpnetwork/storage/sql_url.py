"""Which URLs the SQL store serves, told without importing SQLAlchemy.

The plugin that opens stores asks this for every URL, including ``memory://``, so it
must stay free of heavy imports.
"""

from __future__ import annotations

SQLITE_DRIVERS = frozenset({"sqlite", "sqlite+pysqlite"})
POSTGRES_DRIVERS = frozenset({"postgresql", "postgres", "postgresql+psycopg"})


def scheme_of(url: str) -> str:
    """``postgresql+psycopg://u@h/db`` → ``postgresql+psycopg``."""
    return url.partition(":")[0].lower()


def is_sql_url(url: str) -> bool:
    """Whether the SQL store serves this URL (a SQLite file or PostgreSQL)."""
    return scheme_of(url) in SQLITE_DRIVERS | POSTGRES_DRIVERS
