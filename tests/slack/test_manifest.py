"""The Slack app manifest agrees with the code (command name, one request URL for everything, the scopes
used), and `python -m bot manifest` prints it filled in for an installation, or says what is wrong."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main
from bot.slack import messages
from bot.slack.manifest import manifest_text
from bot.slack.serving import EVENTS_PATH

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "bot" / "slack" / "manifest.yml"


def _manifest() -> dict[str, Any]:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def _urls(manifest: dict[str, Any]) -> list[str | None]:
    return [
        manifest["features"]["slash_commands"][0].get("url"),
        manifest["settings"]["interactivity"].get("request_url"),
        manifest["settings"]["event_subscriptions"].get("request_url"),
    ]


def test_the_slash_command_is_the_one_the_app_listens_to() -> None:
    (command,) = _manifest()["features"]["slash_commands"]
    assert command["command"] == messages.COMMAND
    assert command["should_escape"] is False
    assert len(command["usage_hint"]) <= 1000 and len(command["description"]) <= 2000


def test_commands_interactivity_and_events_share_the_apps_one_url() -> None:
    manifest = _manifest()
    urls = _urls(manifest)
    assert {url.split("YOUR-HOST", 1)[1] for url in urls if url} == {EVENTS_PATH}
    assert all(url and url.startswith("https://") for url in urls)
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
        # Only to look for a post whose answer Slack lost (bot.slack.poster), never to read people.
        "channels:history",
        "groups:history",
        "channels:read",  # users.conversations: the Home tab's access rule
        "groups:read",
        "im:write",  # conversations.open: "Only me" and Home Details as a DM
        "files:write",  # the trend chart's upload
    }
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["app_mention", "app_home_opened"]
    assert manifest["features"]["bot_user"]["display_name"] == messages.BOT_NAME


def test_the_package_reads_the_same_manifest_it_ships() -> None:
    assert manifest_text() == MANIFEST.read_text(encoding="utf-8")


def _printed(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["manifest", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("given", "base"),
    [
        ("https://bot.example.org", "https://bot.example.org"),
        ("https://Bot.Example.org/", "https://bot.example.org"),
        ("https://bot.example.org:8443/ticket-report/", "https://bot.example.org:8443/ticket-report"),
        ("https://bot.example.org/slack/events", "https://bot.example.org"),  # the events URL itself
    ],
)
def test_manifest_url_prints_the_manifest_with_every_request_url_filled_in(
    capsys: pytest.CaptureFixture[str], given: str, base: str
) -> None:
    code, out, err = _printed(capsys, "--url", given)
    assert code == 0, err
    printed = yaml.safe_load(out)
    assert _urls(printed) == [base + EVENTS_PATH] * 3
    assert "YOUR-HOST" not in out
    assert printed["settings"]["socket_mode_enabled"] is False
    # apart from the URLs, it is the shipped manifest, scopes and all
    shipped = _manifest()
    for key in ("display_information", "oauth_config"):
        assert printed[key] == shipped[key]
    assert printed["features"]["slash_commands"][0]["usage_hint"] == (
        shipped["features"]["slash_commands"][0]["usage_hint"]
    )


def test_manifest_socket_mode_turns_socket_mode_on_and_has_no_request_urls(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = _printed(capsys, "--socket-mode")
    assert code == 0, err
    printed = yaml.safe_load(out)
    assert printed["settings"]["socket_mode_enabled"] is True
    assert _urls(printed) == [None, None, None]
    assert printed["settings"]["interactivity"]["is_enabled"] is True
    assert printed["settings"]["event_subscriptions"]["bot_events"] == ["app_mention", "app_home_opened"]
    assert "YOUR-HOST" not in out


@pytest.mark.parametrize(
    ("given", "needle"),
    [
        ("bot.example.org", "is not an https:// URL"),
        ("http://bot.example.org", "is not an https:// URL"),
        ("https://HOST", "in place of HOST"),
        ("https://YOUR-HOST/", "in place of YOUR-HOST"),
        ("https://", "no host name"),
        ("https://bot example.org", "no host name"),
        ("https://user:pw@bot.example.org", "no host name"),
        ("https://bot.example.org/?x=1", "?query"),
        ("https://bot.example.org/a b", "space"),
        ("https://bot.example.org:99999", "is not a URL"),
    ],
)
def test_a_url_slack_could_not_call_exits_2_with_one_line_saying_what_would_work(
    capsys: pytest.CaptureFixture[str], given: str, needle: str
) -> None:
    code, out, err = _printed(capsys, "--url", given)
    assert code == 2 and out == ""
    assert needle in err and len(err.strip().splitlines()) == 1
    assert "--url https://" in err or "public host name" in err


def test_manifest_without_url_or_socket_mode_says_which_to_give() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "manifest"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and done.stdout == ""
    assert "--url" in done.stderr and "--socket-mode" in done.stderr and "Traceback" not in done.stderr


def test_manifest_needs_no_settings(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TICKET_REPORT_CONFIG", str(tmp_path / "missing.yml"))
    monkeypatch.setenv("PORT", "not-a-port")
    code, out, err = _printed(capsys, "--url", "https://bot.example.org")
    assert code == 0, err
    assert "https://bot.example.org/slack/events" in out


def test_the_home_tab_is_enabled_and_the_messages_tab_carries_the_dms() -> None:
    home = _manifest()["features"]["app_home"]
    assert home["home_tab_enabled"] is True
    assert home["messages_tab_enabled"] is True
