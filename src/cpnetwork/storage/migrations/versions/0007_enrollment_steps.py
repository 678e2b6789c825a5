"""Enrollments count the steps of their history: a ``steps`` column.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

Each step of an enrollment is numbered (``Transition.sequence``: 1, 2, 3...).  Kept on
the enrollment, the count of its steps numbers the next one without counting its
history again on every move.  Existing rows are given the count of their history.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("enrollments") as batch:
        batch.add_column(sa.Column("steps", sa.BigInteger(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE enrollments SET steps = "
        "(SELECT count(*) FROM transitions WHERE transitions.enrollment_id = enrollments.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("enrollments") as batch:
        batch.drop_column("steps")
