"""Which repositories a channel may report on: the channel's own list from config, else the defaults.

A channel listed under `channels:` in the config may use exactly its `repos` (an empty list means
none); any other channel may use the default repositories (`TICKET_REPORT_REPOS`, else `repos:`).
Channels are matched by ID only: names can be changed by anyone in the channel, so a name would let
a renamed channel see another channel's private repositories.

`repo:` in a command may only narrow that list; GitHub treats names case-insensitively, so do we,
and the configured spelling is what is used afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.errors import BadInput
from bot.settings import Settings
from bot.slack import messages


class RepoNotAllowed(BadInput):
    """A repository named in a command that this channel may not report on."""


class NoRepos(BadInput):
    """The channel has no repositories at all (none configured by default, or an empty channel list)."""


@dataclass(frozen=True)
class ChannelRules:
    default_repos: tuple[str, ...]
    channel_repos: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> ChannelRules:
        return cls(
            default_repos=tuple(settings.repos),
            channel_repos={channel: tuple(cfg.repos) for channel, cfg in settings.config.channels.items()},
        )

    def allowed(self, channel_id: str) -> tuple[str, ...]:
        """The repositories `channel_id` may report on."""
        if channel_id in self.channel_repos:
            return self.channel_repos[channel_id]
        return self.default_repos

    def choose(self, channel_id: str, requested: Sequence[str] = ()) -> tuple[str, ...]:
        """The repositories a command in `channel_id` reports on; RepoNotAllowed / NoRepos otherwise."""
        allowed = self.allowed(channel_id)
        if not requested:
            if not allowed:
                raise NoRepos(messages.no_repos_configured())
            return allowed
        by_name = {repo.lower(): repo for repo in allowed}
        refused = [repo for repo in requested if repo.lower() not in by_name]
        if refused:
            raise RepoNotAllowed(messages.repo_not_allowed(refused, allowed=allowed))
        return tuple(dict.fromkeys(by_name[repo.lower()] for repo in requested))
