"""Each Slack user's timezone, from `users.info`, cached; the configured zone when Slack does not say.

"today" and "last week" mean the requesting user's days. A lookup is one Web API call, so answers are
cached for `ttl_seconds` (people rarely move); a failed lookup falls back to the default zone and is
remembered for a shorter while so a Slack outage does not cost one extra call per command.
`cached()` never calls Slack: the acknowledgement path uses it and must not wait on the network.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import tzinfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

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
        self._ttl = ttl_seconds
        self._failure_ttl = failure_ttl_seconds
        self._max_entries = max_entries
        self._monotonic = monotonic
        self._entries: OrderedDict[str, tuple[tzinfo, float]] = OrderedDict()  # user -> (zone, expires)
        self._lock = threading.Lock()

    def cached(self, user_id: str) -> tzinfo | None:
        """The user's zone if a fresh lookup is cached, else None. Never calls Slack."""
        with self._lock:
            entry = self._entries.get(user_id)
            if entry is None or entry[1] <= self._monotonic():
                return None
            return entry[0]

    def get(self, user_id: str) -> tzinfo:
        """The user's zone: cached, else looked up with users.info, else the default zone."""
        zone = self.cached(user_id)
        if zone is not None:
            return zone
        zone, ttl = self._lookup(user_id)
        with self._lock:
            self._entries[user_id] = (zone, self._monotonic() + ttl)
            self._entries.move_to_end(user_id)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return zone

    def _lookup(self, user_id: str) -> tuple[tzinfo, float]:
        try:
            response = self._client.users_info(user=user_id)
        except SlackApiError as exc:
            error = exc.response.get("error")
            log.warning("users.info for %s failed (%s); using the default zone", user_id, error)
            return self.default, self._failure_ttl
        except (SlackClientError, OSError) as exc:
            log.warning("users.info for %s failed (%s); using the default zone", user_id, type(exc).__name__)
            return self.default, self._failure_ttl
        user = response.get("user") or {}
        name = user.get("tz") if isinstance(user, dict) else None
        if not isinstance(name, str) or not name:
            return self.default, self._ttl
        try:
            return parse_timezone(name), self._ttl
        except PeriodError:
            log.warning("users.info gave %s an unknown timezone %r; using the default", user_id, name[:64])
            return self.default, self._ttl
