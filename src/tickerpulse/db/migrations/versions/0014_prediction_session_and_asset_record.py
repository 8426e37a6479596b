"""predictions: market open in the predicted window, the asset's own record; spam counts

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 05:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "mart_prediction",
        sa.Column("market_open", sa.Boolean(), server_default=sa.true(), nullable=False),
    )
    op.add_column("mart_prediction", sa.Column("asset_auc", sa.Float(), nullable=True))
    op.add_column("mart_prediction", sa.Column("asset_hit_rate", sa.Float(), nullable=True))
    op.add_column("mart_prediction", sa.Column("asset_n", sa.Integer(), nullable=True))
    op.add_column(
        "mart_asset_window",
        sa.Column("spam_mentions", sa.Integer(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("mart_asset_window", "spam_mentions")
    for column in ("asset_n", "asset_hit_rate", "asset_auc", "market_open"):
        op.drop_column("mart_prediction", column)
