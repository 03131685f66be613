"""What each mirrored comment says (text version 2): a `words` column, and indexes that find rows of an
older text version.

Rows written before this revision keep text version 1: reports read their text again until the sync
derives it anew (`Mirror.rederive`), a batch at a time.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _schema() -> str | None:
    # ALTER TABLE is written by Alembic itself, which ignores the connection's schema_translate_map:
    # name the schema the bot's tables live in (bot.store.migrate hands it over), if any.
    return op.get_context().config.attributes.get("schema")


def upgrade() -> None:
    schema = _schema()
    op.add_column("mirror_comments", sa.Column("words", sa.Text, nullable=True), schema=schema)
    op.create_index(
        "ix_mirror_comments_text_version", "mirror_comments", ["repo", "text_version"], schema=schema
    )
    op.create_index("ix_mirror_issues_text_version", "mirror_issues", ["repo", "text_version"], schema=schema)


def downgrade() -> None:
    schema = _schema()
    op.drop_index("ix_mirror_issues_text_version", table_name="mirror_issues", schema=schema)
    op.drop_index("ix_mirror_comments_text_version", table_name="mirror_comments", schema=schema)
    with op.batch_alter_table("mirror_comments", schema=schema) as batch:
        batch.drop_column("words")
