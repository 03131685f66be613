"""Who is looking, as Slack knows it: the channels a user is in, what they may report on, their DM.

The App Home and the "Build a report" modal show a user only repositories they could report on in
a channel they are a member of: `users.conversations` (user=the viewer; scopes channels:read and
groups:read) lists the viewer's channels, and the channel rules (`access.ChannelRules`) say which
repositories each may report on. With a bot token Slack lists a private channel only when the bot
is in it too, so a private channel's repositories show only where the bot could post them anyway.
The bot's own channels (the same method without `user`) are where the modal may post.

Answers are cached for `ttl` seconds per user (`bot.cache.LoadingCache`: concurrent misses ask
once), so opening the Home tab, the modal and its submission within a minute ask Slack once. The
last answer is also kept (`last`) for building a modal within Slack's three seconds; everything that
posts checks a fresh answer first.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from cachetools import LRUCache
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.cache import LoadingCache
from bot.slack.access import ChannelRules
from bot.slack.poster import SlackPoster, SlackPostError

log = logging.getLogger(__name__)

MAX_PAGES = 10  # 10 pages of 200: a viewer in more than 2,000 channels sees the first 2,000's repositories
PAGE_SIZE = 200
CHANNEL_TYPES = "public_channel,private_channel"
DEFAULT_TTL = 60.0
MAX_USERS = 10_000
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{1,40}")


class SlackLookupError(Exception):
    """Slack did not say which channels someone is in; `error` is Slack's code or a short reason."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass(frozen=True)
class Channel:
    id: str
    name: str


@dataclass(frozen=True)
class ViewerAccess:
    """A user's channels and the repositories each of them may report on (only channels with some)."""

    user_id: str
    channels: tuple[Channel, ...] = ()
    by_channel: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    bot_channels: frozenset[str] = frozenset()

    @property
    def repos(self) -> tuple[str, ...]:
        """Every repository the user may report on somewhere, in the config's order, once each."""
        seen: dict[str, str] = {}
        for channel in self.channels:
            for repo in self.by_channel.get(channel.id, ()):
                seen.setdefault(repo.lower(), repo)
        return tuple(seen.values())

    @property
    def postable(self) -> tuple[Channel, ...]:
        """The user's channels the bot is in too and that may report on something: where to post."""
        return tuple(c for c in self.channels if c.id in self.bot_channels and self.by_channel.get(c.id))

    def allows(self, repo: str) -> bool:
        return repo.lower() in {r.lower() for r in self.repos}

    def channel(self, channel_id: str) -> Channel | None:
        return next((c for c in self.channels if c.id == channel_id), None)


class Viewers:
    """Looks up ViewerAccess through the Web API, cached per user (see the module docstring)."""

    def __init__(
        self,
        client: WebClient,
        rules: ChannelRules,
        *,
        ttl: float = DEFAULT_TTL,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._rules = rules
        self._fresh: LoadingCache[str, ViewerAccess] = LoadingCache(
            ttl=ttl, maxsize=MAX_USERS, timer=monotonic
        )
        self._last: LRUCache[str, ViewerAccess] = LRUCache(maxsize=MAX_USERS)
        self._bot: LoadingCache[str, frozenset[str]] = LoadingCache(ttl=ttl, maxsize=1, timer=monotonic)
        self._lock = threading.Lock()  # for `_last`

    def last(self, user_id: str) -> ViewerAccess | None:
        """The last answer for `user_id`, however old (no Slack call): for building a view at once."""
        with self._lock:
            return self._last.get(user_id)

    def access(self, user_id: str) -> ViewerAccess:
        """The user's channels and repositories, at most `ttl` seconds old; SlackLookupError on failure."""
        return self._fresh.get_or_load(user_id, lambda: self._look_up(user_id))

    def _look_up(self, user_id: str) -> ViewerAccess:
        channels = self._channels(user_id)
        access = ViewerAccess(
            user_id=user_id,
            channels=channels,
            by_channel={c.id: self._rules.allowed(c.id) for c in channels if self._rules.allowed(c.id)},
            bot_channels=self._bot.get_or_load("bot", lambda: frozenset(c.id for c in self._channels(None))),
        )
        with self._lock:
            self._last[user_id] = access
        return access

    def open_dm(self, user_id: str) -> str:
        """The ID of the bot's direct-message channel with `user_id` (conversations.open; im:write)."""
        data = self._call("conversations.open", users=user_id)
        channel = str((data.get("channel") or {}).get("id") or "")
        if not channel:
            raise SlackLookupError("no channel in the answer")
        return channel

    def _channels(self, user_id: str | None) -> tuple[Channel, ...]:
        found: dict[str, Channel] = {}
        cursor = ""
        for _ in range(MAX_PAGES):
            params = {"types": CHANNEL_TYPES, "exclude_archived": "true", "limit": PAGE_SIZE}
            if user_id:
                params["user"] = user_id
            if cursor:
                params["cursor"] = cursor
            data = self._call("users.conversations", **params)
            for item in data.get("channels") or []:
                if not isinstance(item, Mapping):
                    continue
                cid, name = str(item.get("id") or ""), str(item.get("name") or "")
                if _CHANNEL_ID.fullmatch(cid) and not item.get("is_archived"):
                    found.setdefault(cid, Channel(id=cid, name=name or cid))
            cursor = str((data.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                break
        else:
            log.warning(
                "%s is in more than %d channels; the rest are not looked at", user_id, MAX_PAGES * PAGE_SIZE
            )
        return tuple(found.values())

    def _call(self, method: str, **params: object) -> dict[str, object]:
        try:
            response = self._client.api_call(
                method, http_verb="GET" if method == "users.conversations" else "POST", params=params
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
            log.warning("%s failed: %s", method, error)
            raise SlackLookupError(error) from None
        except (SlackClientError, OSError) as exc:
            log.warning("%s failed: %s", method, type(exc).__name__)
            raise SlackLookupError(f"connection failed ({type(exc).__name__})") from None
        return dict(response.data) if isinstance(response.data, dict) else {}


def tell_in_dm(viewers: Viewers, poster: SlackPoster, user_id: str, text: str) -> None:
    """One short line (our own mrkdwn) in the user's DM with the bot, for clicks that come from no
    channel (the Home tab, a modal); failures are logged, never raised."""
    message = {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}
    try:
        poster.post_report(viewers.open_dm(user_id), [message])
    except SlackLookupError as exc:
        log.warning("could not open a DM with %s: %s", user_id, exc.error)
    except SlackPostError as exc:
        log.warning("could not answer %s in their DM: %s", user_id, exc.error)
