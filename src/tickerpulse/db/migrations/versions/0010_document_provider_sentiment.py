"""the provider's own published sentiment beside ours on published documents

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-01 23:30:00

0007–0009 are being written on other branches: whoever merges after them points
``down_revision`` at the newest of those (the column is independent of them).
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("mart_document", sa.Column("provider_sentiment", sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column("mart_document", "provider_sentiment")
