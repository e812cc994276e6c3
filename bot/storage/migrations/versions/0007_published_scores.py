"""customer_period: served customers' quarterly history published from a warehouse (issue 13).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer_period",
        sa.Column("customer_id", sa.String(length=64), primary_key=True),
        sa.Column("quarter", sa.Integer(), primary_key=True),
        sa.Column("fit_id", sa.Integer(), nullable=False),
        sa.Column("revenue", sa.Float(), nullable=False),
        sa.Column("profit", sa.Float(), nullable=False),
    )
    op.create_index("ix_customer_period_fit_id", "customer_period", ["fit_id"])


def downgrade() -> None:
    op.drop_index("ix_customer_period_fit_id", table_name="customer_period")
    op.drop_table("customer_period")
