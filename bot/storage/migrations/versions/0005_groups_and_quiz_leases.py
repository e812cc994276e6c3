"""allowed_chat (groups an admin let the bot into) and quiz leases for several processes.

quiz_session.owner / lease_until: the one process that runs a session's timer, until
its lease runs out (then another process adopts the session). quiz_session.skip: a
/quiz skip or stop that another process received, so the owner sees it.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "allowed_chat",
        sa.Column("chat_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.Column("allowed_by", sa.BigInteger(), nullable=False),
        sa.Column("allowed_at", sa.DateTime(), nullable=False),
    )
    with op.batch_alter_table("quiz_session") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("skip", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("quiz_session") as batch:
        batch.drop_column("skip")
        batch.drop_column("lease_until")
        batch.drop_column("owner")
    op.drop_table("allowed_chat")
