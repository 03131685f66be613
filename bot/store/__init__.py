"""The bot's database: subscriptions, claims, drill-down replies, model answers and the ticket mirror.

`database.Store` is the one entry point (it upgrades the schema when it opens); `schema` holds every
table, `migrations` the Alembic revisions that create and change them, `claims` the digests' claims,
`mirror` the ticket mirror's reads and writes, `actions` the actions on tickets and their record.
"""

from bot.store.database import (
    DEFAULT_DATABASE_URL,
    DigestStatus,
    Store,
    Subscription,
    SubscriptionExists,
    normalize_database_url,
    normalize_repos,
)
from bot.store.schema import llm_answers, metadata, subscriptions

__all__ = [
    "DEFAULT_DATABASE_URL",
    "DigestStatus",
    "Store",
    "Subscription",
    "SubscriptionExists",
    "llm_answers",
    "metadata",
    "normalize_database_url",
    "normalize_repos",
    "subscriptions",
]
