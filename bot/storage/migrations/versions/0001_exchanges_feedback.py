"""Answered questions and feedback on them (the foundation issue's tables).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exchange",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("question", sa.String(), nullable=False),
        sa.Column("answer", sa.String(), nullable=False),
        sa.Column("lang", sa.String(), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.Column("sources_json", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_exchange_chat_id", "exchange", ["chat_id"])
    op.create_index("ix_exchange_created_at", "exchange", ["created_at"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("exchange_id", sa.Integer(), sa.ForeignKey("exchange.id"), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("exchange_id", "user_id"),
    )
    op.create_index("ix_feedback_exchange_id", "feedback", ["exchange_id"])


def downgrade() -> None:
    op.drop_index("ix_feedback_exchange_id", table_name="feedback")
    op.drop_table("feedback")
    op.drop_index("ix_exchange_created_at", table_name="exchange")
    op.drop_index("ix_exchange_chat_id", table_name="exchange")
    op.drop_table("exchange")
