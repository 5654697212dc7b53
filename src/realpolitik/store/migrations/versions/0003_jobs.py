"""Web jobs: every long job of the workbench (run, Monte Carlo, what-if, sensitivity,
timeline) as it ended - done, failed, timed out or cancelled (by the analyst or by a
shutdown) - with the runs it stored.

Revision ID: 0003_jobs
Revises: 0002_ledger
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_jobs"
down_revision = "0002_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("label", sa.String(500), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("elapsed", sa.Float(), nullable=True),
        sa.Column("run_ids", sa.JSON(), nullable=False),
    )
    op.create_index("ix_jobs_created_at", "jobs", ["created_at"])


def downgrade() -> None:
    op.drop_table("jobs")
