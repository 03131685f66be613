"""Real-time alerts: what each channel is alerted about, and each alert sent (once per channel, ticket
and kind).

- alert_subscriptions: per (channel, kind) the repositories, labels, creation mark, pause and failures.
- alert_records: one row per alert, inserted once, with its claim, state and message.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _schema() -> str | None:
    # The schema the bot's tables live in (bot.store.migrate hands it over), if any.
    return op.get_context().config.attributes.get("schema")


def upgrade() -> None:
    schema = _schema()
    op.create_table(
        "alert_subscriptions",
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("repos", sa.Text, nullable=False),
        sa.Column("labels", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("channel_id", "kind", name="pk_alert_subscriptions"),
        schema=schema,
    )
    op.create_table(
        "alert_records",
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("repo", sa.String(200), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.String(200), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivery_id", sa.String(64), nullable=True),
        sa.Column("message_ts", sa.String(32), nullable=True),
        sa.Column("bundled", sa.Boolean, nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("channel_id", "repo", "number", "kind", name="pk_alert_records"),
        schema=schema,
    )
    op.create_index(
        "ix_alert_records_recent", "alert_records", ["channel_id", "kind", "claimed_at"], schema=schema
    )
    op.create_index("ix_alert_records_state", "alert_records", ["state"], schema=schema)


def downgrade() -> None:
    schema = _schema()
    op.drop_index("ix_alert_records_state", table_name="alert_records", schema=schema)
    op.drop_index("ix_alert_records_recent", table_name="alert_records", schema=schema)
    op.drop_table("alert_records", schema=schema)
    op.drop_table("alert_subscriptions", schema=schema)
