"""Alembic environment for cpnetwork's core tables.

cpnetwork runs migrations on a connection it hands over in
``config.attributes["connection"]``, inside its own transaction (see
:mod:`cpnetwork.storage.sql_migrate`).  Without one (Alembic's command line) they open
the configured URL; in offline mode they print SQL.  ``target_metadata`` is the core
tables as the current model generates them, which autogenerate compares against.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from cpnetwork.storage.sql_engine import create_engine
from cpnetwork.storage.sql_schema import core_metadata


def _run(connection: sa.Connection) -> None:
    context.configure(connection=connection, target_metadata=core_metadata(), compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    config = context.config
    url = config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=core_metadata(), literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    if url is None:
        raise SystemExit("set sqlalchemy.url to the database to migrate")
    engine = create_engine(url)
    try:
        with engine.begin() as own:
            _run(own)
    finally:
        engine.dispose()


_main()
