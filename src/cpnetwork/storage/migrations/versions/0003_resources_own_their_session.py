"""A resource names its session; sessions no longer keep a list of resource ids.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

The link between a session and its materials had two owners (``Resource.session_id``
and ``Session.resource_ids``) that could drift apart.  The resource's side stays; a
session's resources are found by query.  A resource a session listed that names no
session of its own is linked to that session before the list goes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    connection = op.get_bind()
    sessions = sa.table("sessions", sa.column("id", sa.Text), sa.column("resource_ids", sa.JSON))
    resources = sa.table("resources", sa.column("id", sa.Text), sa.column("session_id", sa.Text))
    for session_id, listed in connection.execute(sa.select(sessions.c.id, sessions.c.resource_ids)):
        ids = json.loads(listed) if isinstance(listed, str) else (listed or [])
        if ids:
            connection.execute(
                resources.update()
                .where(resources.c.id.in_(ids), resources.c.session_id.is_(None))
                .values(session_id=session_id)
            )
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("resource_ids")


def downgrade() -> None:
    json_type = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("resource_ids", json_type, nullable=False, server_default="[]"))
