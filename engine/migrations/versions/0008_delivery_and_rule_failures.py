"""Isolating failures: events journeys could not be given (retried, then set aside) and tag rules that raised

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

import engine.models

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_delivery_failures",
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False,
                  nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("failed_at", engine.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retry_at", engine.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("set_aside_at", engine.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("event_id"),
    )  # fmt: skip
    op.create_index("ix_event_delivery_failures_retry_at", "event_delivery_failures", ["retry_at"])
    op.create_table(
        "tag_rule_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("failed_at", engine.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_tag_rule_failures_tag_member", "tag_rule_failures", ["tag", "member_id"])


def downgrade() -> None:
    op.drop_index("ix_tag_rule_failures_tag_member", table_name="tag_rule_failures")
    op.drop_table("tag_rule_failures")
    op.drop_index("ix_event_delivery_failures_retry_at", table_name="event_delivery_failures")
    op.drop_table("event_delivery_failures")
