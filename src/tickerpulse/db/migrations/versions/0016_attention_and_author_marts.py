"""attention (movers) and author marts: per-window attention, author calls and records

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 07:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

UTC_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "mart_attention",
        sa.Column("window_start", UTC_TS, primary_key=True),
        sa.Column("asset_id", sa.String(64), primary_key=True),
        sa.Column("asset_class", sa.String(16), nullable=False),
        sa.Column("mentions", sa.Integer(), nullable=False),
        sa.Column("mention_z", sa.Float(), nullable=True),
        sa.Column("mention_change", sa.Float(), nullable=True),
        sa.Column("sentiment", sa.Float(), nullable=True),
        sa.Column("sentiment_change", sa.Float(), nullable=True),
        sa.Column("sentiment_z", sa.Float(), nullable=True),
        sa.Column("share_of_voice", sa.Float(), nullable=False),
    )
    op.create_table(
        "mart_author_call",
        sa.Column("window_start", UTC_TS, primary_key=True),
        sa.Column("author_hash", sa.String(64), primary_key=True),
        sa.Column("asset_id", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("reach", sa.Integer(), nullable=False),
        sa.Column("sentiment", sa.Float(), nullable=True),
        sa.Column("stance", sa.Integer(), nullable=False),
        sa.Column("flagged_posts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("hit", sa.Boolean(), nullable=True),
    )
    op.create_index("ix_mart_author_call_asset", "mart_author_call", ["asset_id", "window_start"])
    op.create_index(
        "ix_mart_author_call_author", "mart_author_call", ["author_hash", "window_start"]
    )
    op.create_table(
        "mart_author_record",
        sa.Column("author_hash", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("reach", sa.Integer(), nullable=False),
        sa.Column("flagged_posts", sa.Integer(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("hit_rate", sa.Float(), nullable=True),
        sa.Column("ci_low", sa.Float(), nullable=True),
        sa.Column("ci_high", sa.Float(), nullable=True),
        sa.Column("last_window", UTC_TS, nullable=False),
    )
    op.create_index("ix_mart_author_record_rank", "mart_author_record", ["calls", "ci_low"])


def downgrade() -> None:
    op.drop_table("mart_author_record")
    op.drop_table("mart_author_call")
    op.drop_table("mart_attention")
