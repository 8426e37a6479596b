"""price source per asset-window and price gap report

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "mart_price_window",
        sa.Column("source", sa.String(length=32), server_default="unknown", nullable=False),
    )
    op.add_column(
        "mart_price_window",
        sa.Column("sources", sa.Integer(), server_default="1", nullable=False),
    )
    op.create_table(
        "mart_price_gap",
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("asset_id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=True),
        sa.Column("expected_bars", sa.Integer(), nullable=False),
        sa.Column("bars", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("window_start", "asset_id"),
    )


def downgrade() -> None:
    op.drop_table("mart_price_gap")
    op.drop_column("mart_price_window", "sources")
    op.drop_column("mart_price_window", "source")
