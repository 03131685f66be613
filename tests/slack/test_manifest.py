"""manifest.yml agrees with the code: command name, one request URL for everything, the scopes used."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.slack import messages
from bot.slack.serving import EVENTS_PATH

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


def _manifest() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def test_the_slash_command_is_the_one_the_app_listens_to() -> None:
    (command,) = _manifest()["features"]["slash_commands"]
    assert command["command"] == messages.COMMAND
    assert command["should_escape"] is False
    assert len(command["usage_hint"]) <= 1000 and len(command["description"]) <= 2000


def test_commands_interactivity_and_events_share_the_apps_one_url() -> None:
    manifest = _manifest()
    urls = [
        manifest["features"]["slash_commands"][0]["url"],
        manifest["settings"]["interactivity"]["request_url"],
        manifest["settings"]["event_subscriptions"]["request_url"],
    ]
    assert {url.split("YOUR-HOST", 1)[1] for url in urls} == {EVENTS_PATH}
    assert all(url.startswith("https://") for url in urls)
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is False


def test_scopes_are_the_ones_the_bot_uses_and_no_more() -> None:
    manifest = _manifest()
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert scopes == {
        "commands",
        "chat:write",
        "users:read",
        "app_mentions:read",
        "usergroups:read",
        "files:write",  # the trend chart's upload
    }
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["app_mention"]
    assert manifest["features"]["bot_user"]["display_name"] == messages.BOT_NAME
