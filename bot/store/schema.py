"""Every table the bot keeps, in one SQLAlchemy `MetaData`: the schema Alembic migrates.

Today's tables (subscriptions, digest claims, drill-down replies, posted reports, Slack requests seen,
model answers, actions on tickets) and the ticket mirror (issues, comments, each repository's sync
state, conditional-request ETags and the webhook deliveries already applied). Changing a table here
needs a migration in `bot/store/migrations/versions` (`tests/store/test_migrations.py` fails when the
two disagree).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend.

    SQLite has no zone-aware type: SQLAlchemy writes the wall-clock digits and drops the offset, so
    two spellings of one instant would be two different keys. Converting to UTC first makes the
    unique claim key compare instants.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given to the store; pass an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = sa.MetaData()

subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("channel_id", sa.String(64), nullable=False, index=True),
    sa.Column("cadence", sa.String(16), nullable=False),
    sa.Column("at_time", sa.String(5), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("repos", sa.Text, nullable=False),  # JSON list of "owner/name"; empty = channel default
    sa.Column("quiet", sa.Boolean, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    # A hash of the repositories as a set (database.repos_key): with the schedule, what makes two
    # subscriptions of a channel the same digest, so two identical `subscribe` at once store one row.
    sa.Column("repos_key", sa.String(64), nullable=False, server_default=""),
    sa.Index(
        "uq_subscriptions_digest", "channel_id", "cadence", "at_time", "timezone", "repos_key", unique=True
    ),
    # Never reuse a deleted id on SQLite: "db:<id>" keys the claims, and a new subscription must not
    # inherit an old one's.
    sqlite_autoincrement=True,
)

# One row per (subscription, period) digest: who may post it, and how far it got (bot.store.claims).
digest_claims = sa.Table(
    "digest_claims",
    metadata,
    sa.Column("subscription_key", sa.String(200), nullable=False),
    sa.Column("period_start", UTCDateTime, nullable=False),
    sa.Column("claimed_at", UTCDateTime, nullable=False),  # by the current owner
    sa.Column("claimed_by", sa.String(200), nullable=False),  # the owner: host, pid and a random tag
    sa.Column("posted_at", UTCDateTime, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("failed_at", UTCDateTime, nullable=True),
    # claimed | posting | posted | failed | unconfirmed (revision 0004)
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("lease_until", UTCDateTime, nullable=True),  # the owner's right lapses after this
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=True),  # a failure retried at this time
    sa.Column("fire_time", UTCDateTime, nullable=True),  # None for claims made before revision 0004
    sa.Column("delivery_id", sa.String(64), nullable=True),  # in the posted message's metadata
    sa.Column("message_ts", sa.String(32), nullable=True),
    sa.PrimaryKeyConstraint("subscription_key", "period_start", name="pk_digest_claims"),
    sa.Index("ix_digest_claims_state", "state"),
)

drilldown_posts = sa.Table(
    "drilldown_posts",
    metadata,
    sa.Column("channel_id", sa.String(64), nullable=False),
    sa.Column("thread_ts", sa.String(32), nullable=False),
    sa.Column("repo", sa.String(200), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("message_ts", sa.String(32), nullable=True),  # None while the reply is being posted
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("channel_id", "thread_ts", "repo", "number", name="pk_drilldown_posts"),
)

# What a posted report knew (bot.report.drilldown.ReportContext as JSON), so a Details click in its
# thread can show the report's score, group and neighbours without rebuilding the report.
report_posts = sa.Table(
    "report_posts",
    metadata,
    sa.Column("channel_id", sa.String(64), nullable=False),
    sa.Column("message_ts", sa.String(32), nullable=False),
    sa.Column("context", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("channel_id", "message_ts", name="pk_report_posts"),
)


# Signed Slack requests already run, by signature (an HMAC of the timestamp and body, so one per
# request), so a captured request replayed within Slack's five-minute window runs once. Rows older than
# the window are deleted as new ones come.
slack_requests = sa.Table(
    "slack_requests",
    metadata,
    sa.Column("signature", sa.String(100), nullable=False),
    sa.Column("request_timestamp", sa.BigInteger, nullable=False),
    sa.Column("seen_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("signature", name="pk_slack_requests"),
    sa.Index("ix_slack_requests_seen_at", "seen_at"),
)


# Language-model answers accepted by the guard, keyed by a hash of the model and the messages asked,
# so a repeated report, its digest and its drill-down ask the model once.
llm_answers = sa.Table(
    "llm_answers",
    metadata,
    sa.Column("key", sa.String(64), nullable=False),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("answer", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("key", name="pk_llm_answers"),
)


# Actions on tickets asked for from Slack (bot.store.actions): each row is the claim that lets one
# process make the action's writes, once per request key, and then the audit record of who asked what
# and what came of it. Refused and failed actions are recorded too.
ticket_actions = sa.Table(
    "ticket_actions",
    metadata,
    sa.Column("request_key", sa.String(200), nullable=False),
    sa.Column("owner", sa.String(200), nullable=False),  # the process making the writes
    sa.Column("state", sa.String(16), nullable=False),  # running | finished
    sa.Column("lease_until", UTCDateTime, nullable=True),  # a running action older than this was cut off
    sa.Column("actor_id", sa.String(64), nullable=False),
    sa.Column("actor_name", sa.String(200), nullable=False),
    sa.Column("channel_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("repo", sa.String(200), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("details", sa.Text, nullable=False),  # JSON: state_reason, duplicate_of, labels, ...
    sa.Column("status", sa.String(16), nullable=True),  # done | refused | failed | partial (None: running)
    sa.Column("message", sa.Text, nullable=True),
    sa.Column("comment_url", sa.Text, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime, nullable=True),
    sa.PrimaryKeyConstraint("request_key", name="pk_ticket_actions"),
    sa.Index("ix_ticket_actions_created", "created_at"),
)

# --- the ticket mirror -------------------------------------------------------------------------------
# Repositories are keyed by their lower-cased "owner/name" (GitHub's names are case-insensitive). Rows are
# never deleted by a webhook or a sync: a deleted or transferred issue or comment gets `deleted_at`, so a
# late, out-of-order delivery of an older edit cannot bring it back. Every upsert keeps the row with the
# newest `updated_at`.

mirror_issues = sa.Table(
    "mirror_issues",
    metadata,
    sa.Column("repo", sa.String(200), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("state_reason", sa.String(32), nullable=True),
    sa.Column("labels", sa.Text, nullable=False),  # JSON list of names
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("author_association", sa.String(32), nullable=False),
    sa.Column("author_is_bot", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("closed_at", UTCDateTime, nullable=True),
    sa.Column("comments_count", sa.Integer, nullable=False),
    sa.Column("reactions", sa.Integer, nullable=False),
    sa.Column("is_pull_request", sa.Boolean, nullable=False),
    sa.Column("pinned", sa.Boolean, nullable=False),
    sa.Column("deleted_at", UTCDateTime, nullable=True),  # deleted or transferred away
    # What the text pipeline derived when the issue last changed (bot.report.derived), and its version.
    sa.Column("clean_title", sa.Text, nullable=True),
    sa.Column("clean_body", sa.Text, nullable=True),  # derived.encode_lines (a JSON list before version 2)
    sa.Column("text_version", sa.Integer, nullable=False),
    sa.Column("synced_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("repo", "number", name="pk_mirror_issues"),
    sa.Index("ix_mirror_issues_created", "repo", "created_at"),
    sa.Index("ix_mirror_issues_closed", "repo", "closed_at"),
    sa.Index("ix_mirror_issues_text_version", "repo", "text_version"),
)

mirror_comments = sa.Table(
    "mirror_comments",
    metadata,
    sa.Column("repo", sa.String(200), nullable=False),
    sa.Column("id", sa.BigInteger, nullable=False),
    sa.Column("issue_number", sa.Integer, nullable=False),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("author_association", sa.String(32), nullable=False),
    sa.Column("author_is_bot", sa.Boolean, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("reactions", sa.Integer, nullable=False),
    sa.Column("deleted_at", UTCDateTime, nullable=True),
    sa.Column("clean_body", sa.Text, nullable=True),  # derived.encode_lines (a JSON list before version 2)
    sa.Column("text_version", sa.Integer, nullable=False),
    sa.Column("synced_at", UTCDateTime, nullable=False),
    sa.Column("words", sa.Text, nullable=True),  # derived.encode_words, from text version 2 (revision 0003)
    sa.PrimaryKeyConstraint("repo", "id", name="pk_mirror_comments"),
    sa.Index("ix_mirror_comments_issue", "repo", "issue_number", "created_at"),
    sa.Index("ix_mirror_comments_created", "repo", "created_at"),
    # Rows whose derived text is of an older version, found without a scan (`Mirror.rederive`).
    sa.Index("ix_mirror_comments_text_version", "repo", "text_version"),
)

# One row per mirrored repository: how far the sync got, and who may sync it now.
mirror_repos = sa.Table(
    "mirror_repos",
    metadata,
    sa.Column("repo", sa.String(200), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),  # as configured, for messages
    # First sync: the next page of each listing (None before it starts and once it is done).
    sa.Column("backfill_issues_url", sa.Text, nullable=True),
    sa.Column("backfill_comments_url", sa.Text, nullable=True),
    sa.Column("backfill_started_at", UTCDateTime, nullable=True),
    sa.Column("backfilled_at", UTCDateTime, nullable=True),  # the first sync finished
    # Incremental sync: the newest updated_at seen in each listing (asked again minus an overlap).
    sa.Column("issues_since", UTCDateTime, nullable=True),
    sa.Column("comments_since", UTCDateTime, nullable=True),
    sa.Column("synced_at", UTCDateTime, nullable=True),  # the last sync that finished
    sa.Column("reconciled_at", UTCDateTime, nullable=True),  # the last deletion check that finished
    sa.Column("pinned_at", UTCDateTime, nullable=True),  # pinned issues last read
    # Webhooks: when the current unbroken run of deliveries began, and the latest delivery.
    sa.Column("webhook_since", UTCDateTime, nullable=True),
    sa.Column("webhook_at", UTCDateTime, nullable=True),
    # The sync lease: only its holder syncs until it expires.
    sa.Column("lease_owner", sa.String(200), nullable=True),
    sa.Column("lease_until", UTCDateTime, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.PrimaryKeyConstraint("repo", name="pk_mirror_repos"),
)

# ETags of conditional requests, by repository and request (path and query), so an unchanged answer
# costs a 304.
mirror_etags = sa.Table(
    "mirror_etags",
    metadata,
    sa.Column("repo", sa.String(200), nullable=False),
    sa.Column("request", sa.String(500), nullable=False),
    sa.Column("etag", sa.String(200), nullable=False),
    sa.Column("held", sa.Text, nullable=True),  # what a reconcile page held: JSON list of numbers or ids
    sa.Column("saved_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("repo", "request", name="pk_mirror_etags"),
)

# GitHub webhook deliveries applied (X-GitHub-Delivery), so a redelivery is applied once.
webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("delivery_id", sa.String(100), nullable=False),
    sa.Column("event", sa.String(64), nullable=False),
    sa.Column("repo", sa.String(200), nullable=True),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("delivery_id", name="pk_webhook_deliveries"),
)


# --- real-time alerts ----------------------------------------------------------------------------------
# What a channel is alerted about: one row per (channel, kind), kind "new" or "waiting". `created_at` is
# the mark no older ticket is ever alerted for; failed posts are counted, and the channel's alerts of that
# kind pause (`paused_at`) after repeated ones until `alerts on` again.
alert_subscriptions = sa.Table(
    "alert_subscriptions",
    metadata,
    sa.Column("channel_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("repos", sa.Text, nullable=False),  # JSON list of "owner/name"; empty = the channel's
    sa.Column("labels", sa.Text, nullable=False),  # JSON list of lower-case names; empty = any
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("paused_at", UTCDateTime, nullable=True),
    sa.Column("failures", sa.Integer, nullable=False),  # failed posts in a row
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("last_error_at", UTCDateTime, nullable=True),
    sa.Column("last_posted_at", UTCDateTime, nullable=True),
    sa.PrimaryKeyConstraint("channel_id", "kind", name="pk_alert_subscriptions"),
)

# One row per alert (channel, ticket, kind), inserted once: whoever inserts it posts it (bot.alerts.store).
# States as for digest claims (claimed, posting, posted, failed, unconfirmed), plus "counted": a ticket
# only counted in a "N tickets arrived while alerts were paused" line. A bundled alert shares its
# `message_ts` and `delivery_id` with the other tickets of its bundle (`bundled` true).
alert_records = sa.Table(
    "alert_records",
    metadata,
    sa.Column("channel_id", sa.String(64), nullable=False),
    sa.Column("repo", sa.String(200), nullable=False),  # lower-cased
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("claimed_by", sa.String(200), nullable=False),
    sa.Column("claimed_at", UTCDateTime, nullable=False),
    sa.Column("lease_until", UTCDateTime, nullable=True),
    sa.Column("delivery_id", sa.String(64), nullable=True),
    sa.Column("message_ts", sa.String(32), nullable=True),
    sa.Column("bundled", sa.Boolean, nullable=False),
    sa.Column("posted_at", UTCDateTime, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    # A `waiting` alert's message says who replied once the team has (chat.update); set once.
    sa.Column("resolved_at", UTCDateTime, nullable=True),
    sa.PrimaryKeyConstraint("channel_id", "repo", "number", "kind", name="pk_alert_records"),
    sa.Index("ix_alert_records_recent", "channel_id", "kind", "claimed_at"),
    sa.Index("ix_alert_records_state", "state"),
)
