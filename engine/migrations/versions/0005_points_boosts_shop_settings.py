"""points: origin of ledger entries, boosts for the next order, shop settings edited in the app

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import engine.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shop_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", engine.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "points_boosts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("multiplier", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("starts_at", engine.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", engine.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("journey_id", sa.Integer(), nullable=True),
        sa.Column("block_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("used_order_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("points_boosts", schema=None) as batch_op:
        batch_op.create_index("ix_points_boosts_member", ["member_id"], unique=False)

    with op.batch_alter_table("points_ledger", schema=None) as batch_op:
        batch_op.add_column(sa.Column("journey_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("block_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column("order_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("points_ledger", schema=None) as batch_op:
        batch_op.drop_column("order_id")
        batch_op.drop_column("block_id")
        batch_op.drop_column("journey_id")

    with op.batch_alter_table("points_boosts", schema=None) as batch_op:
        batch_op.drop_index("ix_points_boosts_member")

    op.drop_table("points_boosts")
    op.drop_table("shop_settings")
