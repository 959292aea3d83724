"""rfm runs, scores, tag rules

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import engine.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rfm_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_key", sa.String(length=200), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=True),
        sa.Column("scheme", sa.JSON(), nullable=False),
        sa.Column("members_scored", sa.Integer(), nullable=False),
        sa.Column("no_purchase", sa.Integer(), nullable=False),
        sa.Column("mean_r", sa.Float(), nullable=False),
        sa.Column("mean_f", sa.Float(), nullable=False),
        sa.Column("mean_m", sa.Float(), nullable=False),
        sa.Column("segments8", sa.JSON(), nullable=False),
        sa.Column("segments11", sa.JSON(), nullable=False),
        sa.Column("segment_changes", sa.Integer(), nullable=False),
        sa.Column("started_at", engine.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", engine.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_key"),
    )
    op.create_table(
        "tag_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("condition", sa.JSON(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", engine.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tag"),
    )
    op.create_table(
        "rfm_scores",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("recency", sa.Integer(), nullable=False),
        sa.Column("frequency", sa.Integer(), nullable=False),
        sa.Column("monetary", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("r", sa.Integer(), nullable=False),
        sa.Column("f", sa.Integer(), nullable=False),
        sa.Column("m", sa.Integer(), nullable=False),
        sa.Column("segment8", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("segment11", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "member_id"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("rfm_scores")
    op.drop_table("tag_rules")
    op.drop_table("rfm_runs")
