"""The Slack app manifest (manifest.yml beside this module), filled in for one installation.

`python -m bot manifest --url https://HOST` prints it with every request URL (slash command,
interactivity, events) at https://HOST/slack/events; `--socket-mode` prints it with Socket Mode on and
no request URLs, since Slack then sends everything over the app's WebSocket. The file keeps the
comments on why each scope is there; the printed manifest is plain YAML to paste into Slack.
"""

from __future__ import annotations

import re
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

import yaml

from bot.slack.serving import EVENTS_PATH

_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$")
_PATH = re.compile(r"^[A-Za-z0-9._~%/-]*$")
_PLACEHOLDER_HOSTS = {"host", "your-host"}  # copied from the instructions as they stand


class ManifestUrlError(ValueError):
    """A --url the manifest cannot use; the message says what would work."""


def manifest_text() -> str:
    """The manifest file as shipped (with its comments)."""
    return files("bot.slack").joinpath("manifest.yml").read_text(encoding="utf-8")


def public_base_url(text: str) -> str:
    """`https://HOST[:PORT][/PREFIX]` from what the user typed, without a trailing slash; a URL ending
    in /slack/events is taken as the events URL itself. Raises ManifestUrlError."""
    example = "use e.g. --url https://ticket-report.example.org, the public address serving the bot"
    value = text.strip()
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ManifestUrlError(f"--url {text!r} is not a URL; {example}") from None
    if parts.scheme != "https":
        # Slack sends requests only to https URLs; a bare host is the likeliest mistake.
        raise ManifestUrlError(f"--url {text!r} is not an https:// URL (Slack calls only those); {example}")
    host = parts.hostname or ""
    if not _HOST.match(host) or parts.username or parts.password:
        raise ManifestUrlError(f"--url {text!r} has no host name Slack could reach; {example}")
    if host.lower() in _PLACEHOLDER_HOSTS:
        name = host.upper()
        raise ManifestUrlError(f"--url {text!r}: put your server's public host name in place of {name}")
    if parts.query or parts.fragment or not _PATH.match(parts.path):
        raise ManifestUrlError(f"--url {text!r} has a ?query, #fragment or space; {example}")
    path = parts.path.rstrip("/")
    if path.endswith(EVENTS_PATH):
        path = path[: -len(EVENTS_PATH)]
    netloc = host.lower() + (f":{port}" if port is not None else "")
    return f"https://{netloc}{path}"


def filled_manifest(text: str, *, base_url: str | None = None, socket_mode: bool = False) -> str:
    """The manifest `text` for HTTP at `base_url` (from public_base_url) or for Socket Mode, as YAML."""
    if (base_url is None) == (not socket_mode):
        raise ValueError("give base_url or socket_mode, not both or neither")
    manifest: dict[str, Any] = yaml.safe_load(text)
    settings = manifest["settings"]
    commands = manifest["features"]["slash_commands"]
    if socket_mode:
        for command in commands:
            command.pop("url", None)
        settings["event_subscriptions"].pop("request_url", None)
        settings["interactivity"].pop("request_url", None)
        settings["socket_mode_enabled"] = True
        header = "for Socket Mode (then create an app-level token with the connections:write scope)"
    else:
        url = f"{base_url}{EVENTS_PATH}"
        for command in commands:
            command["url"] = url
        settings["event_subscriptions"]["request_url"] = url
        settings["interactivity"]["request_url"] = url
        settings["socket_mode_enabled"] = False
        header = f"for {base_url} (HTTP: every request to {url})"
    body = yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=1000)
    return (
        f"# ticket-report's Slack app manifest {header}.\n"
        '# Paste it at https://api.slack.com/apps -> "Create New App" -> "From an app manifest".\n'
        f"{body}"
    )
