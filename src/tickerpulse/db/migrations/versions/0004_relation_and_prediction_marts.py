"""relation and prediction marts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 04:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mart_relation",
        sa.Column("asset_id", sa.String(length=64), nullable=False),
        sa.Column("source_class", sa.String(length=16), nullable=False),
        sa.Column("signal", sa.String(length=32), nullable=False),
        sa.Column("horizon", sa.Integer(), nullable=False),
        sa.Column("r", sa.Float(), nullable=True),
        sa.Column("ci_low", sa.Float(), nullable=True),
        sa.Column("ci_high", sa.Float(), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("p_value", sa.Float(), nullable=True),
        sa.Column("q_value", sa.Float(), nullable=True),
        sa.Column("granger_q", sa.Float(), nullable=True),
        sa.Column("verdict", sa.Text(), nullable=False),
        sa.Column("computed_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("asset_id", "source_class", "signal", "horizon"),
    )
    op.create_table(
        "mart_prediction",
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("asset_id", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=32), nullable=False),
        sa.Column("model_key", sa.String(length=128), nullable=False),
        sa.Column("prob_up", sa.Float(), nullable=False),
        sa.Column("auc", sa.Float(), nullable=True),
        sa.Column("auc_ci_low", sa.Float(), nullable=True),
        sa.Column("auc_ci_high", sa.Float(), nullable=True),
        sa.Column("hit_rate", sa.Float(), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("window_start", "asset_id"),
    )


def downgrade() -> None:
    op.drop_table("mart_prediction")
    op.drop_table("mart_relation")
