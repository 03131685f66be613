"""Baseline: the five tables of the last release made without migrations.

Subscriptions, digest claims, drill-down replies, posted reports and model answers, exactly as that
release's `metadata.create_all` made them. `bot.store.migrate` stamps a database holding all five at
this revision instead of running it. Older releases made only some of them (the first had no
report_posts or llm_answers), so this revision creates only the tables that are missing and leaves the
others, and their rows, as they are.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    present = set(sa.inspect(op.get_bind()).get_table_names(schema=op.get_context().version_table_schema))

    if "subscriptions" not in present:
        op.create_table(
            "subscriptions",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("channel_id", sa.String(64), nullable=False),
            sa.Column("cadence", sa.String(16), nullable=False),
            sa.Column("at_time", sa.String(5), nullable=False),
            sa.Column("timezone", sa.String(64), nullable=False),
            sa.Column("repos", sa.Text, nullable=False),
            sa.Column("quiet", sa.Boolean, nullable=False),
            sa.Column("created_by", sa.String(64), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("source", sa.String(16), nullable=False),
            sqlite_autoincrement=True,
        )
        op.create_index("ix_subscriptions_channel_id", "subscriptions", ["channel_id"])

    if "digest_claims" not in present:
        op.create_table(
            "digest_claims",
            sa.Column("subscription_key", sa.String(200), nullable=False),
            sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
            sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("claimed_by", sa.String(200), nullable=False),
            sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("error", sa.Text, nullable=True),
            sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
            sa.PrimaryKeyConstraint("subscription_key", "period_start", name="pk_digest_claims"),
        )

    if "drilldown_posts" not in present:
        op.create_table(
            "drilldown_posts",
            sa.Column("channel_id", sa.String(64), nullable=False),
            sa.Column("thread_ts", sa.String(32), nullable=False),
            sa.Column("repo", sa.String(200), nullable=False),
            sa.Column("number", sa.Integer, nullable=False),
            sa.Column("message_ts", sa.String(32), nullable=True),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("channel_id", "thread_ts", "repo", "number", name="pk_drilldown_posts"),
        )

    if "report_posts" not in present:
        op.create_table(
            "report_posts",
            sa.Column("channel_id", sa.String(64), nullable=False),
            sa.Column("message_ts", sa.String(32), nullable=False),
            sa.Column("context", sa.Text, nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("channel_id", "message_ts", name="pk_report_posts"),
        )

    if "llm_answers" not in present:
        op.create_table(
            "llm_answers",
            sa.Column("key", sa.String(64), nullable=False),
            sa.Column("model", sa.String(200), nullable=False),
            sa.Column("answer", sa.Text, nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("key", name="pk_llm_answers"),
        )


def downgrade() -> None:
    for table in ("llm_answers", "report_posts", "drilldown_posts", "digest_claims"):
        op.drop_table(table)
    op.drop_index("ix_subscriptions_channel_id", table_name="subscriptions")
    op.drop_table("subscriptions")
