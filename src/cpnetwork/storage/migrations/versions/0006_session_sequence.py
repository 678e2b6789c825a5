"""Sessions and series count their changes: a ``sequence`` column on each.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

iCalendar's SEQUENCE tells a calendar which of two versions of an event is newer, so a
changed or cancelled session replaces what a subscriber or invitee already holds.
Existing rows start at 0, as a session not yet changed does.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("session_series", "sessions")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("sequence", sa.BigInteger(), nullable=False, server_default="0")
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("sequence")
