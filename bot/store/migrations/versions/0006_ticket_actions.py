"""Actions on tickets from Slack: `ticket_actions`, the claim that makes each action's writes happen
once per request key, and the audit record of who asked what and what came of it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
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
        "ticket_actions",
        sa.Column("request_key", sa.String(200), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actor_id", sa.String(64), nullable=False),
        sa.Column("actor_name", sa.String(200), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("repo", sa.String(200), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=True),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("comment_url", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("request_key", name="pk_ticket_actions"),
    )
    op.create_index("ix_ticket_actions_created", "ticket_actions", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_ticket_actions_created", table_name="ticket_actions")
    op.drop_table("ticket_actions")
