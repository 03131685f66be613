"""The action service built from the settings, for the composition root (`bot.app_runner`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from bot.actions.service import ActionService, TriageManagers
from bot.render import render_messages
from bot.render.slack_parts import SlackMessage
from bot.report.models import Report
from bot.settings import Settings
from bot.store import Store
from bot.store.mirror import Mirror


def actions_enabled(settings: Settings) -> bool:
    """Whether anyone may act on tickets from Slack: reports show their recommendations' buttons, and
    drill-downs their action row, only then."""
    return bool(settings.config.triage_managers)


def report_renderer(settings: Settings) -> Callable[[Report], list[SlackMessage]]:
    """`render_messages` as every Slack report path (commands, digests) uses it for these settings."""
    return partial(render_messages, actions=actions_enabled(settings))


def open_action_service(
    settings: Settings,
    store: Store,
    *,
    in_groups: Callable[[str], bool] | None = None,
    in_groups_cached: Callable[[str], bool | None] | None = None,
    repo_refusal: Callable[[str, str], str | None] | None = None,
) -> ActionService:
    """An ActionService writing with GITHUB_TOKEN, recording in `store`, and keeping the mirror current
    when it is on. `in_groups(user_id)` answers for the user groups in triage_managers (pass the
    `allows` of a `SubscriptionManagers` built from those groups, and its `cached_decision` as
    `in_groups_cached`); `repo_refusal` applies the channel's
    repository rules (see ActionService)."""
    from bot.sources.github_writes import GitHubWriter

    writer = GitHubWriter(token=settings.github_token, base_url=settings.github_api_url)
    return ActionService(
        writer=writer,
        log=store.actions,
        managers=TriageManagers.from_config(
            settings.config.triage_managers, in_groups=in_groups, in_groups_cached=in_groups_cached
        ),
        mirror=Mirror(store.engine) if settings.config.mirror else None,
        repo_refusal=repo_refusal,
    )
