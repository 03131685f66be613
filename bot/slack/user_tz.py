"""Each Slack user's timezone, from `users.info`, cached; the configured zone when Slack does not say.

"today" and "last week" mean the requesting user's days. A lookup is one Web API call, so answers are
cached for `ttl_seconds` (people rarely move), and concurrent commands of one user share one lookup; a
failed lookup falls back to the default zone and is remembered for a shorter while so a Slack outage
does not cost one extra call per command. `cached()` never calls Slack: the acknowledgement path uses
it and must not wait on the network.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import tzinfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.cache import Fallback, LoadingCache
from bot.report.periods import PeriodError, parse_timezone

log = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 6 * 3600
FAILURE_TTL_SECONDS = 60
MAX_ENTRIES = 10_000


class UserTimezones:
    """Timezone per Slack user ID, thread-safe."""

    def __init__(
        self,
        client: WebClient,
        *,
        default: tzinfo,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        failure_ttl_seconds: float = FAILURE_TTL_SECONDS,
        max_entries: int = MAX_ENTRIES,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self.default = default
        self._zones: LoadingCache[str, tzinfo] = LoadingCache(
            ttl=ttl_seconds, failure_ttl=failure_ttl_seconds, maxsize=max_entries, timer=monotonic
        )

    def cached(self, user_id: str) -> tzinfo | None:
        """The user's zone if a fresh lookup is cached, else None. Never calls Slack."""
        return self._zones.peek(user_id)

    def get(self, user_id: str) -> tzinfo:
        """The user's zone: cached, else looked up with users.info, else the default zone."""
        return self._zones.get_or_load(user_id, lambda: self._lookup(user_id))

    def _lookup(self, user_id: str) -> tzinfo | Fallback[tzinfo]:
        try:
            response = self._client.users_info(user=user_id)
        except SlackApiError as exc:
            error = exc.response.get("error")
            log.warning("users.info for %s failed (%s); using the default zone", user_id, error)
            return Fallback(self.default)
        except (SlackClientError, OSError) as exc:
            log.warning("users.info for %s failed (%s); using the default zone", user_id, type(exc).__name__)
            return Fallback(self.default)
        user = response.get("user") or {}
        name = user.get("tz") if isinstance(user, dict) else None
        if not isinstance(name, str) or not name:
            return self.default
        try:
            return parse_timezone(name)
        except PeriodError:
            log.warning("users.info gave %s an unknown timezone %r; using the default", user_id, name[:64])
            return self.default
