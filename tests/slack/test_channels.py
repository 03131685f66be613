"""Channel -> repository rules: a private repository's tickets are only posted where config allows."""

from __future__ import annotations

import pytest

from bot.settings import Settings, load_settings
from bot.slack.access import ChannelRules, NoRepos, RepoNotAllowed
from tests.slack.conftest import StartApp

CONFIG = {
    "repos": ["acme/support"],
    "channels": {
        "CPRIVATE": {"repos": ["acme/private", "acme/support"]},
        "CNONE": {"repos": []},
    },
}


def _repos_fetched(paths: list[str]) -> set[str]:
    return {"/".join(path.split("/")[2:4]) for path in paths if path.startswith("/repos/")}


def test_a_listed_channel_reports_on_its_own_repositories(start_app: StartApp) -> None:
    app = start_app(config=CONFIG, env={"TICKET_REPORT_REPOS": ""})
    ack = app.command("today", channel="CPRIVATE")
    assert "`acme/private`, `acme/support`" in ack.json()["text"]
    assert app.slack.wait_for(lambda slack: len(slack.posts()) >= 1)
    assert _repos_fetched([r.path for r in app.github.requests]) == {"acme/private", "acme/support"}
    assert app.slack.posts()[0].body["channel"] == "CPRIVATE"


def test_repo_narrows_a_channels_list_and_matches_names_case_insensitively(start_app: StartApp) -> None:
    app = start_app(config=CONFIG, env={"TICKET_REPORT_REPOS": ""})
    ack = app.command("today repo:ACME/Private", channel="CPRIVATE")
    assert "on `acme/private` for" in ack.json()["text"]  # the configured spelling
    assert app.slack.wait_for(lambda slack: len(slack.posts()) >= 1)
    assert _repos_fetched([r.path for r in app.github.requests]) == {"acme/private"}


def test_other_channels_may_not_name_a_private_repository(start_app: StartApp) -> None:
    app = start_app(config=CONFIG, env={"TICKET_REPORT_REPOS": ""})
    text = app.command("today repo:acme/private", channel="CGENERAL").json()["text"]
    assert "`acme/private` may not be reported in this channel" in text
    assert app.github.requests == []
    assert app.slack.calls_to("chat.postMessage") == []


def test_a_channel_listed_with_no_repositories_gets_none(start_app: StartApp) -> None:
    app = start_app(config=CONFIG, env={"TICKET_REPORT_REPOS": ""})
    text = app.command("today", channel="CNONE").json()["text"]
    assert "No repositories are set up for this channel" in text
    text = app.command("today repo:acme/support", channel="CNONE").json()["text"]
    assert "may not be reported in this channel" in text
    assert app.github.requests == []


def _settings(env: dict[str, str]) -> Settings:
    return load_settings({"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s", **env})


def test_env_default_repositories_apply_to_unlisted_channels() -> None:
    rules = ChannelRules.from_settings(_settings({"TICKET_REPORT_REPOS": "acme/a,acme/b"}))
    assert rules.choose("CANY") == ("acme/a", "acme/b")
    assert rules.choose("CANY", ["ACME/B"]) == ("acme/b",)
    assert rules.choose("CANY", ["acme/b", "acme/B"]) == ("acme/b",)
    with pytest.raises(RepoNotAllowed):
        rules.choose("CANY", ["acme/a", "acme/c"])


def test_no_repositories_anywhere_is_a_clear_error() -> None:
    rules = ChannelRules.from_settings(_settings({}))
    with pytest.raises(NoRepos) as error:
        rules.choose("CANY")
    assert "TICKET_REPORT_REPOS" in error.value.user_message


def test_channels_are_matched_by_id_not_by_name() -> None:
    rules = ChannelRules(default_repos=("acme/public",), channel_repos={"C123": ("acme/private",)})
    assert rules.allowed("C123") == ("acme/private",)
    assert rules.allowed("c123") == ("acme/public",)
    assert rules.allowed("#C123") == ("acme/public",)
