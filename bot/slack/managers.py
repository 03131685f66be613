"""Who may change a channel's digest subscriptions: everyone, or the users and user groups in config.

`subscription_managers:` in the config file lists Slack user IDs (`U…`, `W…`) and user group IDs
(`S…`); empty means everyone may. A group's members come from `usergroups.users.list` (scope
`usergroups:read`) and are cached for `ttl_seconds`; a failed lookup counts as "no members" for a
minute and is logged. `cached_decision` never calls Slack, so the acknowledgement of a command can
use it and leave a cold cache to the worker pool (`allows`), and `refresh` warms it at start-up. A
command that needs a group while its members are being fetched (by `refresh` or another command)
waits for that answer rather than asking Slack again.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.cache import Fallback, LoadingCache
from bot.settings import SettingsError

log = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 10 * 60  # membership changes rarely; a removed manager keeps rights this long at most
FAILURE_TTL_SECONDS = 60

_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}", re.ASCII)
_GROUP_ID = re.compile(r"S[A-Z0-9]{2,30}", re.ASCII)


def parse_managers(entries: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(user IDs, user group IDs) from the config list; SettingsError naming every bad entry."""
    users: list[str] = []
    groups: list[str] = []
    bad: list[str] = []
    for entry in entries:
        value = entry.strip()
        if _USER_ID.fullmatch(value):
            users.append(value)
        elif _GROUP_ID.fullmatch(value):
            groups.append(value)
        else:
            bad.append(repr(entry[:40]))
    if bad:
        raise SettingsError(
            [
                f"config subscription_managers: {', '.join(bad)} is not a Slack user ID (U0123ABCD) or "
                "user group ID (S0123ABCD); find them in a profile's or group's menu under 'Copy member ID'"
            ]
        )
    return tuple(dict.fromkeys(users)), tuple(dict.fromkeys(groups))


class SubscriptionManagers:
    """Thread-safe permission check for changing subscriptions (see the module docstring)."""

    def __init__(
        self,
        client: WebClient,
        *,
        users: Iterable[str] = (),
        groups: Iterable[str] = (),
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        failure_ttl_seconds: float = FAILURE_TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self.users: tuple[str, ...] = tuple(users)
        self.groups: tuple[str, ...] = tuple(groups)
        self._members: LoadingCache[str, frozenset[str]] = LoadingCache(
            ttl=ttl_seconds, failure_ttl=failure_ttl_seconds, timer=monotonic
        )

    @classmethod
    def from_config(cls, client: WebClient, entries: Iterable[str]) -> SubscriptionManagers:
        users, groups = parse_managers(entries)
        return cls(client, users=users, groups=groups)

    @property
    def restricted(self) -> bool:
        return bool(self.users or self.groups)

    def cached_decision(self, user_id: str) -> bool | None:
        """True / False when known without asking Slack; None when a group's members must be fetched."""
        if not self.restricted or user_id in self.users:
            return True
        unknown = False
        for group in self.groups:
            members = self._members.peek(group)
            if members is None:
                unknown = True
            elif user_id in members:
                return True
        return None if unknown else False

    def allows(self, user_id: str) -> bool:
        """Whether `user_id` may change subscriptions; fetches stale group memberships (a Slack call each)."""
        decision = self.cached_decision(user_id)
        if decision is not None:
            return decision
        return any(user_id in self._members_of(group) for group in self.groups)

    def refresh(self) -> None:
        """Fetch every group's members now (start-up), so commands rarely wait for Slack."""
        for group in self.groups:
            self._members_of(group)

    def _members_of(self, group: str) -> frozenset[str]:
        return self._members.get_or_load(group, lambda: self._fetch(group))

    def _fetch(self, group: str) -> frozenset[str] | Fallback[frozenset[str]]:
        try:
            response = self._client.usergroups_users_list(usergroup=group)
        except SlackApiError as exc:
            error = exc.response.get("error")
            hint = " (the app needs the usergroups:read scope)" if error == "missing_scope" else ""
            log.warning("usergroups.users.list for %s failed: %s%s", group, error, hint)
            return Fallback(frozenset())
        except (SlackClientError, OSError) as exc:
            log.warning("usergroups.users.list for %s failed: %s", group, type(exc).__name__)
            return Fallback(frozenset())
        users = response.get("users")
        if not isinstance(users, list):
            return Fallback(frozenset())
        return frozenset(str(user) for user in users)
