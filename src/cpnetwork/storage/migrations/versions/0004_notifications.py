"""Notifications: the outbox, the network's channel settings, opt-outs, program reminders.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

Existing networks get no channel set up (nothing is queued until one is), members
no opt-outs, programs the network's reminder schedule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
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
    with op.batch_alter_table("network") as batch:
        batch.add_column(sa.Column("notifications", _json(), nullable=False, server_default="{}"))
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("opted_out", _json(), nullable=False, server_default="[]"))
    with op.batch_alter_table("programs") as batch:
        batch.add_column(sa.Column("reminders", _json(), nullable=True))
    op.create_table(
        "outbox",
        sa.Column("id", _text(), nullable=False),
        sa.Column("key", _text(), nullable=False),
        sa.Column("channel", _text(), nullable=False),
        sa.Column("recipient", _text(), nullable=False),
        sa.Column("topic", _text(), nullable=False),
        sa.Column("category", _text(), nullable=False),
        sa.Column("member_id", _text(), nullable=True),
        sa.Column("program_id", _text(), nullable=True),
        sa.Column("session_id", _text(), nullable=True),
        sa.Column("subject", _text(), nullable=False),
        sa.Column("text", _text(), nullable=False),
        sa.Column("html", _text(), nullable=False),
        sa.Column("calendar", _text(), nullable=False),
        sa.Column("data", _text(), nullable=False),
        sa.Column("headers", _json(), nullable=False),
        sa.Column("status", _text(), nullable=False),
        sa.Column("attempts", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("due_at", _moment(), nullable=False),
        sa.Column("delivered_at", _moment(), nullable=True),
        sa.Column("last_error", _text(), nullable=False),
        sa.Column("created_at_tz", _text(), nullable=True),
        sa.Column("due_at_tz", _text(), nullable=True),
        sa.Column("delivered_at_tz", _text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("key", name="uq_outbox_key"),
    )
    op.create_index("ix_outbox_status", "outbox", ["status"])
    op.create_index("ix_outbox_due_at", "outbox", ["due_at"])
    op.create_index("ix_outbox_member_id", "outbox", ["member_id"])


def downgrade() -> None:
    op.drop_table("outbox")
    with op.batch_alter_table("programs") as batch:
        batch.drop_column("reminders")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("opted_out")
    with op.batch_alter_table("network") as batch:
        batch.drop_column("notifications")
