"""Customers, transactions, roles, cached fits and scores, and the customer access audit log.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("segment", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("referred_by", sa.String(64), sa.ForeignKey("customer.id"), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_customer_referred_by", "customer", ["referred_by"])
    op.create_table(
        "customer_transaction",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ref", sa.String(128), nullable=False, unique=True),
        sa.Column("customer_id", sa.String(64), sa.ForeignKey("customer.id"), nullable=False),
        sa.Column("ts", sa.DateTime(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("gross_margin", sa.Float(), nullable=True),
        sa.Column("cost", sa.Float(), nullable=True),
    )
    op.create_index("ix_customer_transaction_customer_id", "customer_transaction", ["customer_id"])
    op.create_index("ix_customer_transaction_day", "customer_transaction", ["day"])
    op.create_table(
        "bot_user",
        sa.Column("telegram_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("granted_by", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "data_revision",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "value_fit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(), nullable=False),
        sa.Column("params_json", sa.String(), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("transactions", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_value_fit_revision", "value_fit", ["revision"])
    op.create_table(
        "customer_score",
        sa.Column("customer_id", sa.String(64), primary_key=True),
        sa.Column("fit_id", sa.Integer(), nullable=False),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in ("frequency", "r_score", "f_score", "m_score", "referrals")
        ),
        *(
            sa.Column(name, sa.Float(), nullable=False)
            for name in (
                "recency",
                "age",
                "monetary",
                "expected_purchases",
                "p_alive",
                "expected_spend",
                "clv",
                "realized_value",
                "potential_value",
                "influence_value",
                "revenue",
                "margin_rate",
                "trend_change",
            )
        ),
        *(
            sa.Column(name, sa.String(), nullable=False)
            for name in ("segment", "tier", "risk", "trend")
        ),
    )
    op.create_index("ix_customer_score_fit_id", "customer_score", ["fit_id"])
    op.create_index("ix_customer_score_realized_value", "customer_score", ["realized_value"])
    op.create_index("ix_customer_score_segment", "customer_score", ["segment"])
    op.create_table(
        "customer_access",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=True),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_customer_access_user_id", "customer_access", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_customer_access_user_id", table_name="customer_access")
    op.drop_table("customer_access")
    for name in ("segment", "realized_value", "fit_id"):
        op.drop_index(f"ix_customer_score_{name}", table_name="customer_score")
    op.drop_table("customer_score")
    op.drop_index("ix_value_fit_revision", table_name="value_fit")
    op.drop_table("value_fit")
    op.drop_table("data_revision")
    op.drop_table("bot_user")
    op.drop_index("ix_customer_transaction_day", table_name="customer_transaction")
    op.drop_index("ix_customer_transaction_customer_id", table_name="customer_transaction")
    op.drop_table("customer_transaction")
    op.drop_index("ix_customer_referred_by", table_name="customer")
    op.drop_table("customer")
