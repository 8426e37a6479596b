"""the provider's own published sentiment beside ours on published documents

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 23:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("mart_document", sa.Column("provider_sentiment", sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column("mart_document", "provider_sentiment")
