"""Quiz sessions, their rounds (one poll each) and answers.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quiz_session",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_type", sa.String(), nullable=False),
        sa.Column("trainer_id", sa.BigInteger(), nullable=False),
        sa.Column("lang", sa.String(), nullable=False),
        sa.Column("topic", sa.String(), nullable=True),
        sa.Column("difficulty", sa.Integer(), nullable=True),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("show_board", sa.Boolean(), nullable=False),
        sa.Column("question_ids_json", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("current", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_quiz_session_chat_id", "quiz_session", ["chat_id"])
    op.create_index("ix_quiz_session_state", "quiz_session", ["state"])
    op.create_table(
        "quiz_round",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("quiz_session.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(), nullable=False),
        sa.Column("poll_id", sa.String(64), nullable=False, unique=True),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("correct_option", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("closes_at", sa.DateTime(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("session_id", "position"),
    )
    op.create_index("ix_quiz_round_session_id", "quiz_round", ["session_id"])
    op.create_table(
        "quiz_answer",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("round_id", sa.Integer(), sa.ForeignKey("quiz_round.id"), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("user_name", sa.String(), nullable=False),
        sa.Column("option", sa.Integer(), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("round_id", "user_id"),
    )
    op.create_index("ix_quiz_answer_round_id", "quiz_answer", ["round_id"])
    op.create_index("ix_quiz_answer_user_id", "quiz_answer", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_quiz_answer_user_id", table_name="quiz_answer")
    op.drop_index("ix_quiz_answer_round_id", table_name="quiz_answer")
    op.drop_table("quiz_answer")
    op.drop_index("ix_quiz_round_session_id", table_name="quiz_round")
    op.drop_table("quiz_round")
    op.drop_index("ix_quiz_session_state", table_name="quiz_session")
    op.drop_index("ix_quiz_session_chat_id", table_name="quiz_session")
    op.drop_table("quiz_session")
