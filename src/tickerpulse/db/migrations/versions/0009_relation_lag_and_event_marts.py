"""lead-lag and event-study marts

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 23:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mart_relation_lag",
        sa.Column("asset_id", sa.String(length=64), nullable=False),
        sa.Column("source_class", sa.String(length=16), nullable=False),
        sa.Column("signal", sa.String(length=32), nullable=False),
        sa.Column("lag", sa.Integer(), nullable=False),
        sa.Column("r", sa.Float(), nullable=True),
        sa.Column("ci_low", sa.Float(), nullable=True),
        sa.Column("ci_high", sa.Float(), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("p_value", sa.Float(), nullable=True),
        sa.Column("q_value", sa.Float(), nullable=True),
        sa.Column("computed_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("asset_id", "source_class", "signal", "lag"),
    )
    op.create_table(
        "mart_relation_event",
        sa.Column("asset_id", sa.String(length=64), nullable=False),
        sa.Column("source_class", sa.String(length=16), nullable=False),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("tau", sa.Integer(), nullable=False),
        sa.Column("mean_car", sa.Float(), nullable=True),
        sa.Column("ci_low", sa.Float(), nullable=True),
        sa.Column("ci_high", sa.Float(), nullable=True),
        sa.Column("n_events", sa.Integer(), nullable=False),
        sa.Column("p_value", sa.Float(), nullable=True),
        sa.Column("computed_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("asset_id", "source_class", "event_type", "tau"),
    )


def downgrade() -> None:
    op.drop_table("mart_relation_event")
    op.drop_table("mart_relation_lag")
