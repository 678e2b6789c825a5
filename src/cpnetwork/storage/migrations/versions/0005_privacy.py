"""Privacy: when a member was erased, and how long personal details are kept.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

Existing members are not erased; existing networks keep everything, as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _text() -> sa.types.TypeEngine[str]:
    """Text compared by code point on every dialect."""
    return sa.Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")


def _moment() -> sa.types.TypeEngine[Any]:
    """A UTC instant: timestamptz on PostgreSQL, fixed-width UTC ISO 8601 text elsewhere."""
    return sa.String(32).with_variant(postgresql.TIMESTAMP(timezone=True), "postgresql")


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("erased_at", _moment(), nullable=True))
        batch.add_column(sa.Column("erased_at_tz", _text(), nullable=True))
    with op.batch_alter_table("network") as batch:
        batch.add_column(sa.Column("retention", _json(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("network") as batch:
        batch.drop_column("retention")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("erased_at_tz")
        batch.drop_column("erased_at")
