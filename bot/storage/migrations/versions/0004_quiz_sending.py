"""quiz_session.sending: the position whose poll is being sent and not yet recorded.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("quiz_session") as batch:
        batch.add_column(sa.Column("sending", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("quiz_session") as batch:
        batch.drop_column("sending")
