"""Each Slack user's display name, from `users.info`, cached; the user ID when Slack does not say.

The name goes into what the bot writes to GitHub ("— sent from Slack by Ana") and into the line saying
who did what. A lookup is one Web API call, so names are cached for an hour (a renamed person shows the
old name that long at most) and a failed lookup falls back to the ID for a minute.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.cache import Fallback, LoadingCache

log = logging.getLogger(__name__)

TTL_SECONDS = 3600
FAILURE_TTL_SECONDS = 60
MAX_NAME = 80  # Slack allows 80 characters in a display name


class DisplayNames:
    """Display name per Slack user ID, thread-safe."""

    def __init__(self, client: WebClient, *, ttl_seconds: float = TTL_SECONDS) -> None:
        self._client = client
        self._names: LoadingCache[str, str] = LoadingCache(ttl=ttl_seconds, failure_ttl=FAILURE_TTL_SECONDS)

    def get(self, user_id: str) -> str:
        return self._names.get_or_load(user_id, lambda: self._lookup(user_id))

    def _lookup(self, user_id: str) -> str | Fallback[str]:
        try:
            response = self._client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning(
                "users.info for %s failed (%s); naming them by ID", user_id, exc.response.get("error")
            )
            return Fallback(user_id)
        except (SlackClientError, OSError) as exc:
            log.warning("users.info for %s failed (%s); naming them by ID", user_id, type(exc).__name__)
            return Fallback(user_id)
        return _name_of(response.get("user")) or user_id


def _name_of(user: Any) -> str:
    if not isinstance(user, Mapping):
        return ""
    profile = user.get("profile") if isinstance(user.get("profile"), Mapping) else {}
    for value in (
        profile.get("display_name"),
        profile.get("real_name"),
        user.get("real_name"),
        user.get("name"),
    ):
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())[:MAX_NAME]
    return ""
