"""Delivery exactly once: digest claims get a lease and a state, subscriptions a uniqueness key, and
signed Slack requests already run are remembered.

- digest_claims: state (claimed, posting, posted, failed, unconfirmed), lease_until, attempts,
  next_attempt_at, fire_time, delivery_id, message_ts. A claim of an earlier release becomes "posted"
  when it has a post, "failed" (not retried) when it has an error, and otherwise "claimed" with a lease
  of ten minutes from its claim, so a digest whose process died is no longer held forever.
- subscriptions: repos_key, a hash of the repositories as a set; identical subscriptions of a channel
  (the same schedule and repositories) are kept once, the oldest, before the unique index is made.
- slack_requests: the signatures of the signed requests run in the last minutes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)

LEGACY_LEASE = timedelta(minutes=10)


def _schema() -> str | None:
    # ALTER TABLE is written by Alembic itself, which ignores the connection's schema_translate_map:
    # name the schema the bot's tables live in (bot.store.migrate hands it over), if any.
    return op.get_context().config.attributes.get("schema")


def _repos_key(repos_json: str) -> str:
    # Frozen copy of bot.store.database.repos_key as of this revision.
    try:
        repos = json.loads(repos_json)
    except ValueError:
        repos = []
    names = sorted({str(name).strip().lower() for name in repos if isinstance(name, str)})
    return hashlib.sha256("\n".join(names).encode("utf-8")).hexdigest()


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def upgrade() -> None:
    schema = _schema()
    conn = op.get_bind()

    # digest_claims ------------------------------------------------------------------------------
    for column in (
        sa.Column("state", sa.String(16), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fire_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivery_id", sa.String(64), nullable=True),
        sa.Column("message_ts", sa.String(32), nullable=True),
    ):
        op.add_column("digest_claims", column, schema=schema)
    claims = sa.table(
        "digest_claims",
        sa.column("subscription_key", sa.String),
        sa.column("period_start", sa.DateTime(timezone=True)),
        sa.column("claimed_at", sa.DateTime(timezone=True)),
        sa.column("posted_at", sa.DateTime(timezone=True)),
        sa.column("error", sa.Text),
        sa.column("state", sa.String),
        sa.column("attempts", sa.Integer),
        sa.column("lease_until", sa.DateTime(timezone=True)),
        schema=schema,
    )
    conn.execute(sa.update(claims).where(claims.c.posted_at.is_not(None)).values(state="posted", attempts=1))
    conn.execute(
        sa.update(claims)
        .where(claims.c.posted_at.is_(None), claims.c.error.is_not(None))
        .values(state="failed", attempts=1)
    )
    pending = conn.execute(
        sa.select(claims.c.subscription_key, claims.c.period_start, claims.c.claimed_at).where(
            claims.c.state.is_(None)
        )
    ).all()
    for key, period_start, claimed_at in pending:
        # Written through the dialect's own datetime handling: SQLite keeps the UTC digits only.
        lease = _aware(claimed_at) + LEGACY_LEASE
        if conn.dialect.name == "sqlite":
            lease = lease.astimezone(UTC).replace(tzinfo=None)
        conn.execute(
            sa.update(claims)
            .where(claims.c.subscription_key == key, claims.c.period_start == period_start)
            .values(state="claimed", attempts=1, lease_until=lease)
        )
    with op.batch_alter_table("digest_claims", schema=schema) as batch:
        batch.alter_column("state", existing_type=sa.String(16), nullable=False)
        batch.alter_column("attempts", existing_type=sa.Integer, nullable=False)
    op.create_index("ix_digest_claims_state", "digest_claims", ["state"], schema=schema)

    # subscriptions ------------------------------------------------------------------------------
    op.add_column(
        "subscriptions",
        sa.Column("repos_key", sa.String(64), nullable=False, server_default=""),
        schema=schema,
    )
    subscriptions = sa.table(
        "subscriptions",
        sa.column("id", sa.Integer),
        sa.column("channel_id", sa.String),
        sa.column("cadence", sa.String),
        sa.column("at_time", sa.String),
        sa.column("timezone", sa.String),
        sa.column("repos", sa.Text),
        sa.column("repos_key", sa.String),
        schema=schema,
    )
    kept: dict[tuple[str, str, str, str, str], int] = {}
    duplicates: list[int] = []
    rows = conn.execute(
        sa.select(
            subscriptions.c.id,
            subscriptions.c.channel_id,
            subscriptions.c.cadence,
            subscriptions.c.at_time,
            subscriptions.c.timezone,
            subscriptions.c.repos,
        ).order_by(subscriptions.c.id)
    ).all()
    for row in rows:
        repos_key = _repos_key(row.repos)
        identity = (row.channel_id, row.cadence, row.at_time, row.timezone, repos_key)
        if identity in kept:
            duplicates.append(row.id)
            continue
        kept[identity] = row.id
        conn.execute(sa.update(subscriptions).where(subscriptions.c.id == row.id).values(repos_key=repos_key))
    if duplicates:
        # Each would have posted the same digest again every time it fired.
        log.warning("removing %d duplicate subscription(s): ids %s", len(duplicates), duplicates)
        conn.execute(sa.delete(subscriptions).where(subscriptions.c.id.in_(duplicates)))
    op.create_index(
        "uq_subscriptions_digest",
        "subscriptions",
        ["channel_id", "cadence", "at_time", "timezone", "repos_key"],
        unique=True,
        schema=schema,
    )

    # slack_requests -----------------------------------------------------------------------------
    op.create_table(
        "slack_requests",
        sa.Column("signature", sa.String(100), nullable=False),
        sa.Column("request_timestamp", sa.BigInteger, nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("signature", name="pk_slack_requests"),
        schema=schema,
    )
    op.create_index("ix_slack_requests_seen_at", "slack_requests", ["seen_at"], schema=schema)


def downgrade() -> None:
    schema = _schema()
    op.drop_index("ix_slack_requests_seen_at", table_name="slack_requests", schema=schema)
    op.drop_table("slack_requests", schema=schema)
    op.drop_index("uq_subscriptions_digest", table_name="subscriptions", schema=schema)
    with op.batch_alter_table("subscriptions", schema=schema) as batch:
        batch.drop_column("repos_key")
    op.drop_index("ix_digest_claims_state", table_name="digest_claims", schema=schema)
    with op.batch_alter_table("digest_claims", schema=schema) as batch:
        for name in (
            "message_ts",
            "delivery_id",
            "fire_time",
            "next_attempt_at",
            "attempts",
            "lease_until",
            "state",
        ):
            batch.drop_column(name)
