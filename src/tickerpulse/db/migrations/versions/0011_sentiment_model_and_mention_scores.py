"""the sentiment model version per window and document; each mention's own sentiment

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 04:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("mart_asset_window", sa.Column("sentiment_model", sa.String(64), nullable=True))
    op.add_column("mart_document", sa.Column("sentiment_model", sa.String(64), nullable=True))
    op.add_column("mart_document", sa.Column("sentiment_flags", sa.String(64), nullable=True))
    op.add_column("mart_document_asset", sa.Column("sentiment_score", sa.Float(), nullable=True))
    op.add_column("mart_document_asset", sa.Column("sentiment_label", sa.String(24), nullable=True))


def downgrade() -> None:
    op.drop_column("mart_document_asset", "sentiment_label")
    op.drop_column("mart_document_asset", "sentiment_score")
    op.drop_column("mart_document", "sentiment_flags")
    op.drop_column("mart_document", "sentiment_model")
    op.drop_column("mart_asset_window", "sentiment_model")
