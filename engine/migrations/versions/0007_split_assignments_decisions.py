"""A/B splits: each member's arm per split block, and the decision of a "test, then send the winner" split

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import engine.models

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "split_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("journey_id", sa.Integer(), nullable=False),
        sa.Column("block_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("group", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("arm", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("assigned_at", engine.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("released_at", engine.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["journey_id"], ["journeys.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("journey_id", "block_id", "member_id", name="uq_split_assignments_member"),
    )
    op.create_index("ix_split_assignments_block", "split_assignments", ["journey_id", "block_id", "assigned_at"])
    op.create_table(
        "split_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("journey_id", sa.Integer(), nullable=False),
        sa.Column("block_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("winner", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("analysis", sa.JSON(), nullable=False),
        sa.Column("decided_at", engine.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["journey_id"], ["journeys.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("journey_id", "block_id", name="uq_split_decisions_block"),
    )


def downgrade() -> None:
    op.drop_table("split_decisions")
    op.drop_index("ix_split_assignments_block", table_name="split_assignments")
    op.drop_table("split_assignments")
