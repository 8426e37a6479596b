"""sessions remember when they were last used; account requests (sign-up, reset, resend) are logged

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 04:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "user_session", sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute("UPDATE user_session SET last_seen_at = created_at")
    op.alter_column("user_session", "last_seen_at", nullable=False)
    op.create_table(
        "account_request",
        sa.Column("request_id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("address_digest", sa.String(length=64), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("request_id"),
    )
    op.create_index("ix_account_request_at", "account_request", ["at"])
    op.create_index("ix_account_request_address_digest", "account_request", ["address_digest"])
    op.create_index("ix_account_request_ip", "account_request", ["ip"])


def downgrade() -> None:
    op.drop_table("account_request")
    op.drop_column("user_session", "last_seen_at")
