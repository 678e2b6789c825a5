"""Keep the zone of every datetime: a ``<field>_tz`` text column beside each instant.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02

Existing rows get NULL, which means UTC: they read back as they did before.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The datetime columns of the core tables at this revision.
DATETIMES: dict[str, tuple[str, ...]] = {
    "session_series": ("first_start",),
    "sessions": ("start", "end", "recurrence_id"),
    "enrollments": ("created_at", "updated_at", "waitlisted_at", "offer_expires_at"),
    "transitions": ("at",),
    "attendance": ("recorded_at",),
    "survey_responses": ("submitted_at",),
}


def _text() -> sa.types.TypeEngine[str]:
    """Text compared by code point on every dialect."""
    return sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")


def upgrade() -> None:
    for table, columns in DATETIMES.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.add_column(sa.Column(f"{column}_tz", _text(), nullable=True))


def downgrade() -> None:
    for table, columns in DATETIMES.items():
        with op.batch_alter_table(table) as batch:
            for column in reversed(columns):
                batch.drop_column(f"{column}_tz")
