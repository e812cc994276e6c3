"""Survey waves: survey_wave, and survey_response keyed by (instrument, wave, respondent)
(issue 25).

Upgrade: each instrument's answers so far become one wave, named by the date of its
first import, asking the instrument's items. Downgrade: the older schema holds one answer
per respondent, so each respondent keeps the answer of their latest wave and the earlier
waves' answers are dropped (`cvm db downgrade` counts them first: downgrade_loss.py).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_COPIED = "instrument, respondent_id, customer_id, segment, outcome, answers_json, imported_at"


def _response_table(name: str, with_wave: bool) -> None:
    key = ["instrument", "wave", "respondent_id"] if with_wave else ["instrument", "respondent_id"]
    columns: list[sa.schema.SchemaItem] = [
        sa.Column("instrument", sa.String(length=32), nullable=False),
        sa.Column("respondent_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("segment", sa.String(length=200), nullable=True),
        sa.Column("outcome", sa.Float(), nullable=True),
        sa.Column("answers_json", sa.String(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
    ]
    if with_wave:
        columns.insert(1, sa.Column("wave", sa.String(length=64), nullable=False))
    op.create_table(name, *columns, sa.PrimaryKeyConstraint(*key, name=f"{name}_pkey"))


def _swap(new: str) -> None:
    """survey_response replaced by `new` (filled already), its index recreated."""
    op.drop_index("ix_survey_response_customer_id", table_name="survey_response")
    op.drop_table("survey_response")
    op.rename_table(new, "survey_response")
    op.create_index("ix_survey_response_customer_id", "survey_response", ["customer_id"])


def upgrade() -> None:
    op.create_table(
        "survey_wave",
        sa.Column("instrument", sa.String(length=32), primary_key=True),
        sa.Column("wave", sa.String(length=64), primary_key=True),
        sa.Column("items_json", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    bind = op.get_bind()
    firsts = bind.execute(
        sa.text(
            "SELECT i.instrument, i.items_json, MIN(r.imported_at) FROM survey_instrument i "
            "JOIN survey_response r ON r.instrument = i.instrument "
            "GROUP BY i.instrument, i.items_json"
        )
    ).all()
    _response_table("survey_response_waves", with_wave=True)
    for instrument, items, first in firsts:
        wave = str(first)[:10]  # the date of the first import: 2026-05-01
        bind.execute(
            sa.text(
                "INSERT INTO survey_wave (instrument, wave, items_json, created_at) "
                "VALUES (:i, :w, :items, :at)"
            ),
            {"i": instrument, "w": wave, "items": items, "at": first},
        )
        bind.execute(
            sa.text(
                f"INSERT INTO survey_response_waves (wave, {_COPIED}) "
                f"SELECT :w, {_COPIED} FROM survey_response WHERE instrument = :i"
            ),
            {"i": instrument, "w": wave},
        )
    _swap("survey_response_waves")


def downgrade() -> None:
    _response_table("survey_response_old", with_wave=False)
    # Each respondent's answer of their latest wave (waves in the order they were made).
    op.get_bind().execute(
        sa.text(
            f"INSERT INTO survey_response_old ({_COPIED}) "
            f"SELECT {', '.join('r.' + c.strip() for c in _COPIED.split(','))} "
            "FROM survey_response r JOIN survey_wave w "
            "ON w.instrument = r.instrument AND w.wave = r.wave "
            "WHERE NOT EXISTS (SELECT 1 FROM survey_response r2 JOIN survey_wave w2 "
            "ON w2.instrument = r2.instrument AND w2.wave = r2.wave "
            "WHERE r2.instrument = r.instrument AND r2.respondent_id = r.respondent_id "
            "AND (w2.created_at > w.created_at "
            "OR (w2.created_at = w.created_at AND w2.wave > w.wave)))"
        )
    )
    _swap("survey_response_old")
    op.drop_table("survey_wave")
