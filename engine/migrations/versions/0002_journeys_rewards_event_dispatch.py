"""journeys, rewards, event dispatch

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import engine.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journeys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("draft", sa.JSON(), nullable=False),
        sa.Column("live_version", sa.Integer(), nullable=True),
        sa.Column("live_since", engine.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", engine.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "coupons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("template", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("issued_at", engine.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", engine.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("redeemed_at", engine.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.create_index("ix_coupons_member", ["member_id"], unique=False)

    op.create_table(
        "journey_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("journey_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("entry_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("workflow_id", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("run_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("exit_reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("entered_at", engine.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", engine.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["journey_id"], ["journeys.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("journey_id", "member_id", "entry_key", name="uq_journey_entries_entry"),
    )
    with op.batch_alter_table("journey_entries", schema=None) as batch_op:
        batch_op.create_index("ix_journey_entries_journey_status", ["journey_id", "status"], unique=False)
        batch_op.create_index("ix_journey_entries_member_status", ["member_id", "status"], unique=False)

    op.create_table(
        "journey_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("journey_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("published_at", engine.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["journey_id"], ["journeys.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("journey_id", "version", name="uq_journey_versions_version"),
    )
    op.create_table(
        "points_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("expires_at", engine.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", engine.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("points_ledger", schema=None) as batch_op:
        batch_op.create_index("ix_points_member", ["member_id"], unique=False)

    op.create_table(
        "conversions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("journey_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("revenue", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("converted_at", engine.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["journey_entries.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entry_id"),
    )
    op.create_table(
        "journey_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=300), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("block_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("done_at", engine.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["journey_entries.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_table(
        "journey_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("journey_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("block_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("branch", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("entered_at", engine.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("left_at", engine.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["entry_id"], ["journey_entries.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entry_id", "block_id", name="uq_journey_steps_block"),
    )
    with op.batch_alter_table("journey_steps", schema=None) as batch_op:
        batch_op.create_index("ix_journey_steps_journey_block", ["journey_id", "block_id"], unique=False)

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dispatched_at", engine.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_events_dispatched_at"), ["dispatched_at"], unique=False)
    # Events recorded before journeys existed have nobody to notify.
    op.execute("UPDATE events SET dispatched_at = recorded_at")


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_dispatched_at"))
        batch_op.drop_column("dispatched_at")

    with op.batch_alter_table("journey_steps", schema=None) as batch_op:
        batch_op.drop_index("ix_journey_steps_journey_block")

    op.drop_table("journey_steps")
    op.drop_table("journey_actions")
    op.drop_table("conversions")
    with op.batch_alter_table("points_ledger", schema=None) as batch_op:
        batch_op.drop_index("ix_points_member")

    op.drop_table("points_ledger")
    op.drop_table("journey_versions")
    with op.batch_alter_table("journey_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_journey_entries_member_status")
        batch_op.drop_index("ix_journey_entries_journey_status")

    op.drop_table("journey_entries")
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.drop_index("ix_coupons_member")

    op.drop_table("coupons")
    op.drop_table("journeys")
