"""The ticket mirror: issues, comments, each repository's sync state, ETags and webhook deliveries.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mirror_issues",
        sa.Column("repo", sa.String(200), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("state_reason", sa.String(32), nullable=True),
        sa.Column("labels", sa.Text, nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("author_association", sa.String(32), nullable=False),
        sa.Column("author_is_bot", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("comments_count", sa.Integer, nullable=False),
        sa.Column("reactions", sa.Integer, nullable=False),
        sa.Column("is_pull_request", sa.Boolean, nullable=False),
        sa.Column("pinned", sa.Boolean, nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("clean_title", sa.Text, nullable=True),
        sa.Column("clean_body", sa.Text, nullable=True),
        sa.Column("text_version", sa.Integer, nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("repo", "number", name="pk_mirror_issues"),
    )
    op.create_index("ix_mirror_issues_created", "mirror_issues", ["repo", "created_at"])
    op.create_index("ix_mirror_issues_closed", "mirror_issues", ["repo", "closed_at"])

    op.create_table(
        "mirror_comments",
        sa.Column("repo", sa.String(200), nullable=False),
        sa.Column("id", sa.BigInteger, nullable=False),
        sa.Column("issue_number", sa.Integer, nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("author_association", sa.String(32), nullable=False),
        sa.Column("author_is_bot", sa.Boolean, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reactions", sa.Integer, nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("clean_body", sa.Text, nullable=True),
        sa.Column("text_version", sa.Integer, nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("repo", "id", name="pk_mirror_comments"),
    )
    op.create_index("ix_mirror_comments_issue", "mirror_comments", ["repo", "issue_number", "created_at"])
    op.create_index("ix_mirror_comments_created", "mirror_comments", ["repo", "created_at"])

    op.create_table(
        "mirror_repos",
        sa.Column("repo", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("backfill_issues_url", sa.Text, nullable=True),
        sa.Column("backfill_comments_url", sa.Text, nullable=True),
        sa.Column("backfill_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("backfilled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("issues_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("comments_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reconciled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pinned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("webhook_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("webhook_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(200), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("repo", name="pk_mirror_repos"),
    )

    op.create_table(
        "mirror_etags",
        sa.Column("repo", sa.String(200), nullable=False),
        sa.Column("request", sa.String(500), nullable=False),
        sa.Column("etag", sa.String(200), nullable=False),
        sa.Column("held", sa.Text, nullable=True),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("repo", "request", name="pk_mirror_etags"),
    )

    op.create_table(
        "webhook_deliveries",
        sa.Column("delivery_id", sa.String(100), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("repo", sa.String(200), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("delivery_id", name="pk_webhook_deliveries"),
    )


def downgrade() -> None:
    for table in ("webhook_deliveries", "mirror_etags", "mirror_repos"):
        op.drop_table(table)
    op.drop_index("ix_mirror_comments_created", table_name="mirror_comments")
    op.drop_index("ix_mirror_comments_issue", table_name="mirror_comments")
    op.drop_table("mirror_comments")
    op.drop_index("ix_mirror_issues_closed", table_name="mirror_issues")
    op.drop_index("ix_mirror_issues_created", table_name="mirror_issues")
    op.drop_table("mirror_issues")
