"""The run history of realpolitik 0.1: scenarios, runs and the web library.

A history written before migrations existed (``create_all`` of realpolitik 0.1) already
has these tables: they are created only where missing, so that database is simply
marked as being at this revision and upgraded from here, nothing rewritten.

Revision ID: 0001_runs
Revises:
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_runs"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    have = set(sa.inspect(op.get_bind()).get_table_names())
    if "scenarios" not in have:
        op.create_table(
            "scenarios",
            sa.Column("hash", sa.String(80), primary_key=True),
            sa.Column("title", sa.String(500), nullable=False),
            sa.Column("data", sa.JSON(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        )
    if "runs" not in have:
        op.create_table(
            "runs",
            sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("source", sa.String(20), nullable=False),
            sa.Column("model", sa.String(80), nullable=False),
            sa.Column("options", sa.JSON(), nullable=False),
            sa.Column("seed", sa.String(40), nullable=True),
            sa.Column("version", sa.String(40), nullable=False),
            sa.Column("elapsed", sa.Float(), nullable=True),
            sa.Column("scenario_hash", sa.String(80), sa.ForeignKey("scenarios.hash"), nullable=False),
            sa.Column("scenario_title", sa.String(500), nullable=False),
            sa.Column("forecast", sa.JSON(), nullable=False),
            sa.Column("result", sa.JSON(), nullable=False),
            sa.Column("note", sa.Text(), nullable=True),
        )
        op.create_index("ix_runs_created_at", "runs", ["created_at"])
        op.create_index("ix_runs_model", "runs", ["model"])
        op.create_index("ix_runs_scenario_hash", "runs", ["scenario_hash"])
    if "library" not in have:
        op.create_table(
            "library",
            sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
            sa.Column("name", sa.String(200), nullable=False),
            sa.Column("origin", sa.String(20), nullable=False),
            sa.Column("scenario_hash", sa.String(80), sa.ForeignKey("scenarios.hash"), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        )
        op.create_index("ix_library_scenario_hash", "library", ["scenario_hash"])


def downgrade() -> None:
    op.drop_table("library")
    op.drop_table("runs")
    op.drop_table("scenarios")
