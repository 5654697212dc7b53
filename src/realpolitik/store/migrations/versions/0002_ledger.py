"""The forecast ledger: one append-only table of hash-chained entries.

Every entry (a question added, a forecast sealed, a question resolved) is the canonical
JSON ``body`` whose sha256 is ``hash``; the body holds the previous entry's hash, so an
edit anywhere breaks the chain (``realpolitik ledger verify``).  ``seq`` is assigned by
the writer as the previous entry's plus one: two writers racing for the same ``seq``
collide on the primary key instead of forking the chain.

Revision ID: 0002_ledger
Revises: 0001_runs
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_ledger"
down_revision = "0001_runs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("question_id", sa.String(120), nullable=False),
        sa.Column("model", sa.String(80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("runs.id"), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(80), nullable=False),
        sa.Column("hash", sa.String(80), nullable=False),
        sa.UniqueConstraint("hash", name="uq_ledger_entries_hash"),
    )
    op.create_index("ix_ledger_entries_question_id", "ledger_entries", ["question_id"])
    op.create_index("ix_ledger_entries_model", "ledger_entries", ["model"])


def downgrade() -> None:
    op.drop_table("ledger_entries")
