"""online model: live predictions and prequential metrics

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "live_prediction",
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("interval_s", sa.Integer(), nullable=False),
        sa.Column("based_on", sa.DateTime(timezone=True), nullable=False),
        sa.Column("close", sa.Float(), nullable=False),
        sa.Column("prob_up", sa.Float(), nullable=False),
        sa.Column("model", sa.String(length=120), nullable=False),
        sa.Column("resolved_by", sa.DateTime(timezone=True), nullable=True),
        sa.Column("up", sa.Boolean(), nullable=True),
        sa.Column("correct", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("symbol", "interval_s", "based_on"),
    )
    op.create_table(
        "live_model_metric",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("interval_s", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=120), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("flat", sa.Integer(), nullable=False),
        sa.Column("accuracy", sa.Float(), nullable=True),
        sa.Column("log_loss", sa.Float(), nullable=True),
        sa.Column("recent_accuracy", sa.Float(), nullable=True),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "interval_s"),
    )


def downgrade() -> None:
    op.drop_table("live_model_metric")
    op.drop_table("live_prediction")
