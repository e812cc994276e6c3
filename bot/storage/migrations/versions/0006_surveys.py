"""Customer surveys: survey_instrument and survey_response (issue 12).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey_instrument",
        sa.Column("instrument", sa.String(length=32), primary_key=True),
        sa.Column("scale_high", sa.Integer(), nullable=False),
        sa.Column("items_json", sa.String(), nullable=False),
        sa.Column("competitor", sa.String(length=200), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "survey_response",
        sa.Column("instrument", sa.String(length=32), primary_key=True),
        sa.Column("respondent_id", sa.String(length=64), primary_key=True),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("segment", sa.String(length=200), nullable=True),
        sa.Column("outcome", sa.Float(), nullable=True),
        sa.Column("answers_json", sa.String(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_survey_response_customer_id", "survey_response", ["customer_id"])


def downgrade() -> None:
    op.drop_index("ix_survey_response_customer_id", table_name="survey_response")
    op.drop_table("survey_response")
    op.drop_table("survey_instrument")
