"""news outlet catalog

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 00:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "news_outlet",
        sa.Column("outlet", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("coverage", sa.String(length=64), nullable=False),
        sa.Column("feed_url", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("outlet"),
    )
    op.create_index(op.f("ix_news_outlet_region"), "news_outlet", ["region"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_news_outlet_region"), table_name="news_outlet")
    op.drop_table("news_outlet")
