"""Create the core tables: one per core kind of record.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

The column types are spelled out here as they were at this revision, so that later
changes to the library's types never change what this migration builds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
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
    op.create_table(
        "network",
        sa.Column("id", _text(), nullable=False),
        sa.Column("name", _text(), nullable=False),
        sa.Column("timezone", _text(), nullable=False),
        sa.Column("year_start_month", sa.BigInteger(), nullable=False),
        sa.Column("year_start_day", sa.BigInteger(), nullable=False),
        sa.Column("priorities", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_network"),
    )
    op.create_table(
        "organizations",
        sa.Column("id", _text(), nullable=False),
        sa.Column("name", _text(), nullable=False),
        sa.Column("kind", _text(), nullable=False),
        sa.Column("parent_id", _text(), nullable=True),
        sa.Column("county", _text(), nullable=True),
        sa.Column("identifiers", _json(), nullable=False),
        sa.Column("status", _text(), nullable=False),
        sa.Column("website", _text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_organizations"),
    )
    op.create_index("ix_organizations_parent_id", "organizations", ["parent_id"])
    op.create_index("ix_organizations_county", "organizations", ["county"])
    op.create_index("ix_organizations_kind", "organizations", ["kind"])
    op.create_table(
        "members",
        sa.Column("id", _text(), nullable=False),
        sa.Column("email", _text(), nullable=False),
        sa.Column("given_name", _text(), nullable=False),
        sa.Column("family_name", _text(), nullable=False),
        sa.Column("roles", _json(), nullable=False),
        sa.Column("grade_bands", _json(), nullable=False),
        sa.Column("affiliations", _json(), nullable=False),
        sa.Column("county", _text(), nullable=True),
        sa.Column("joined", sa.Date(), nullable=True),
        sa.Column("reach", _json(), nullable=False),
        sa.Column("equity_focus", _text(), nullable=False),
        sa.Column("consents_to_updates", sa.Boolean(), nullable=False),
        sa.Column("custom", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_members"),
        sa.UniqueConstraint("email", name="uq_members_email"),
    )
    op.create_index("ix_members_county", "members", ["county"])
    op.create_table(
        "programs",
        sa.Column("id", _text(), nullable=False),
        sa.Column("title", _text(), nullable=False),
        sa.Column("program_year", sa.BigInteger(), nullable=False),
        sa.Column("description", _text(), nullable=False),
        sa.Column("host_ids", _json(), nullable=False),
        sa.Column("partner_ids", _json(), nullable=False),
        sa.Column("audience", _text(), nullable=False),
        sa.Column("format", _text(), nullable=False),
        sa.Column("fee_cents", sa.BigInteger(), nullable=False),
        sa.Column("tags", _json(), nullable=False),
        sa.Column("policy", _json(), nullable=False),
        sa.Column("completion", _json(), nullable=True),
        sa.Column("modules", _json(), nullable=False),
        sa.Column("tracks", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_programs"),
    )
    op.create_index("ix_programs_program_year", "programs", ["program_year"])
    op.create_table(
        "session_series",
        sa.Column("id", _text(), nullable=False),
        sa.Column("program_id", _text(), nullable=False),
        sa.Column("title", _text(), nullable=False),
        sa.Column("kind", _text(), nullable=False),
        sa.Column("rrule", _text(), nullable=False),
        sa.Column("first_start", _moment(), nullable=False),
        sa.Column("duration", sa.Double(), nullable=False),
        sa.Column("timezone", _text(), nullable=False),
        sa.Column("exdates", _json(), nullable=False),
        sa.Column("modality", _text(), nullable=False),
        sa.Column("venue", _text(), nullable=True),
        sa.Column("join_url", _text(), nullable=True),
        sa.Column("capacity", sa.BigInteger(), nullable=True),
        sa.Column("counts_toward_completion", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_session_series"),
    )
    op.create_index("ix_session_series_program_id", "session_series", ["program_id"])
    op.create_table(
        "sessions",
        sa.Column("id", _text(), nullable=False),
        sa.Column("program_id", _text(), nullable=False),
        sa.Column("title", _text(), nullable=False),
        sa.Column("kind", _text(), nullable=False),
        sa.Column("start", _moment(), nullable=False),
        sa.Column("end", _moment(), nullable=False),
        sa.Column("timezone", _text(), nullable=False),
        sa.Column("modality", _text(), nullable=False),
        sa.Column("venue", _text(), nullable=True),
        sa.Column("join_url", _text(), nullable=True),
        sa.Column("capacity", sa.BigInteger(), nullable=True),
        sa.Column("counts_toward_completion", sa.Boolean(), nullable=False),
        sa.Column("facilitator_ids", _json(), nullable=False),
        sa.Column("resource_ids", _json(), nullable=False),
        sa.Column("module", _text(), nullable=True),
        sa.Column("track", _text(), nullable=True),
        sa.Column("series_id", _text(), nullable=True),
        sa.Column("recurrence_id", _moment(), nullable=True),
        sa.Column("detached", sa.Boolean(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
        sa.UniqueConstraint(
            "series_id", "recurrence_id", name="uq_sessions_series_id_recurrence_id"
        ),
    )
    op.create_index("ix_sessions_program_id", "sessions", ["program_id"])
    op.create_index("ix_sessions_start", "sessions", ["start"])
    op.create_table(
        "enrollments",
        sa.Column("id", _text(), nullable=False),
        sa.Column("program_id", _text(), nullable=False),
        sa.Column("member_id", _text(), nullable=False),
        sa.Column("status", _text(), nullable=False),
        sa.Column("created_at", _moment(), nullable=False),
        sa.Column("updated_at", _moment(), nullable=False),
        sa.Column("organization_id", _text(), nullable=True),
        sa.Column("county", _text(), nullable=True),
        sa.Column("region", _text(), nullable=True),
        sa.Column("role", _text(), nullable=True),
        sa.Column("track", _text(), nullable=True),
        sa.Column("waitlisted_at", _moment(), nullable=True),
        sa.Column("queue_number", sa.BigInteger(), nullable=True),
        sa.Column("rank", sa.BigInteger(), nullable=True),
        sa.Column("offer_expires_at", _moment(), nullable=True),
        sa.Column("answers", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_enrollments"),
        sa.UniqueConstraint("program_id", "member_id", name="uq_enrollments_program_id_member_id"),
    )
    op.create_index("ix_enrollments_program_id", "enrollments", ["program_id"])
    op.create_index("ix_enrollments_member_id", "enrollments", ["member_id"])
    op.create_index("ix_enrollments_status", "enrollments", ["status"])
    op.create_table(
        "transitions",
        sa.Column("id", _text(), nullable=False),
        sa.Column("enrollment_id", _text(), nullable=False),
        sa.Column("program_id", _text(), nullable=False),
        sa.Column("member_id", _text(), nullable=False),
        sa.Column("from_status", _text(), nullable=True),
        sa.Column("to_status", _text(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("at", _moment(), nullable=False),
        sa.Column("actor", _text(), nullable=False),
        sa.Column("reason", _text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_transitions"),
        sa.UniqueConstraint(
            "enrollment_id", "sequence", name="uq_transitions_enrollment_id_sequence"
        ),
    )
    op.create_index("ix_transitions_program_id", "transitions", ["program_id"])
    op.create_index("ix_transitions_at", "transitions", ["at"])
    op.create_table(
        "attendance",
        sa.Column("id", _text(), nullable=False),
        sa.Column("session_id", _text(), nullable=False),
        sa.Column("member_id", _text(), nullable=False),
        sa.Column("program_id", _text(), nullable=False),
        sa.Column("status", _text(), nullable=False),
        sa.Column("minutes", sa.BigInteger(), nullable=True),
        sa.Column("source", _text(), nullable=False),
        sa.Column("recorded_at", _moment(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_attendance"),
        sa.UniqueConstraint("session_id", "member_id", name="uq_attendance_session_id_member_id"),
    )
    op.create_index("ix_attendance_program_id", "attendance", ["program_id"])
    op.create_index("ix_attendance_member_id", "attendance", ["member_id"])
    op.create_table(
        "teams",
        sa.Column("id", _text(), nullable=False),
        sa.Column("name", _text(), nullable=False),
        sa.Column("kind", _text(), nullable=False),
        sa.Column("program_id", _text(), nullable=True),
        sa.Column("county", _text(), nullable=True),
        sa.Column("region", _text(), nullable=True),
        sa.Column("member_ids", _json(), nullable=False),
        sa.Column("lead_ids", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_teams"),
    )
    op.create_table(
        "resources",
        sa.Column("id", _text(), nullable=False),
        sa.Column("title", _text(), nullable=False),
        sa.Column("kind", _text(), nullable=False),
        sa.Column("url", _text(), nullable=False),
        sa.Column("access", _text(), nullable=False),
        sa.Column("program_id", _text(), nullable=True),
        sa.Column("session_id", _text(), nullable=True),
        sa.Column("program_year", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_resources"),
    )
    op.create_index("ix_resources_program_id", "resources", ["program_id"])
    op.create_table(
        "surveys",
        sa.Column("id", _text(), nullable=False),
        sa.Column("title", _text(), nullable=False),
        sa.Column("items", _json(), nullable=False),
        sa.Column("program_id", _text(), nullable=True),
        sa.Column("session_id", _text(), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_surveys"),
    )
    op.create_table(
        "survey_responses",
        sa.Column("id", _text(), nullable=False),
        sa.Column("survey_id", _text(), nullable=False),
        sa.Column("member_id", _text(), nullable=True),
        sa.Column("submitted_at", _moment(), nullable=False),
        sa.Column("answers", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_survey_responses"),
    )
    op.create_index("ix_survey_responses_survey_id", "survey_responses", ["survey_id"])
    op.create_table(
        "milestones",
        sa.Column("id", _text(), nullable=False),
        sa.Column("year", sa.BigInteger(), nullable=False),
        sa.Column("title", _text(), nullable=False),
        sa.Column("on", sa.Date(), nullable=True),
        sa.Column("description", _text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_milestones"),
    )
    op.create_table(
        "partnerships",
        sa.Column("id", _text(), nullable=False),
        sa.Column("organization_id", _text(), nullable=False),
        sa.Column("role", _text(), nullable=False),
        sa.Column("scope", _text(), nullable=False),
        sa.Column("start", sa.Date(), nullable=True),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("description", _text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_partnerships"),
    )
    op.create_table(
        "recognitions",
        sa.Column("id", _text(), nullable=False),
        sa.Column("title", _text(), nullable=False),
        sa.Column("year", sa.BigInteger(), nullable=False),
        sa.Column("member_id", _text(), nullable=True),
        sa.Column("organization_id", _text(), nullable=True),
        sa.Column("awarded_by", _text(), nullable=False),
        sa.Column("description", _text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_recognitions"),
    )


def downgrade() -> None:
    op.drop_table("recognitions")
    op.drop_table("partnerships")
    op.drop_table("milestones")
    op.drop_table("survey_responses")
    op.drop_table("surveys")
    op.drop_table("resources")
    op.drop_table("teams")
    op.drop_table("attendance")
    op.drop_table("transitions")
    op.drop_table("enrollments")
    op.drop_table("sessions")
    op.drop_table("session_series")
    op.drop_table("programs")
    op.drop_table("members")
    op.drop_table("organizations")
    op.drop_table("network")
