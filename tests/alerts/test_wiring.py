"""How `serve` and `clock` wire alerts: deliveries and syncs start a pass, without the mirror the
command says why alerts are unavailable."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import yaml

from bot.app_runner import attach_alerts, build_bot, open_mirror
from bot.settings import load_settings
from bot.slack.commands import SlashRequest
from bot.store import Store
from tests.alerts.conftest import HOOK_SECRET, REPO, repository, sign
from tests.fakes.github_data import make_issue
from tests.fakes.github_server import FakeGitHub
from tests.fakes.slack_server import FakeSlack
from tests.slack.signing import SECRET, TOKEN


def settings_for(tmp_path: Path, slack: FakeSlack, github: FakeGitHub, **config):
    path = tmp_path / "ticket-report.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return load_settings(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
            "GITHUB_API_URL": github.url,
            "TICKET_REPORT_REPOS": REPO,
            "TICKET_REPORT_CONFIG": str(path),
            "GITHUB_WEBHOOK_SECRET": HOOK_SECRET,
        }
    )


def test_an_applied_delivery_starts_a_pass_and_a_redelivery_does_not(
    tmp_path: Path, fake_slack: FakeSlack, fake_github: FakeGitHub
) -> None:
    settings = settings_for(tmp_path, fake_slack, fake_github)
    store = Store(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        mirror = open_mirror(settings, store)
        assert mirror is not None
        told: list[str] = []
        receiver = mirror.webhook_receiver(settings, after_apply=lambda: told.append("pass"))
        assert receiver is not None
        now = datetime.now(UTC)
        body = json.dumps(
            {"action": "opened", "issue": make_issue(1, created_at=now), "repository": repository()}
        ).encode()
        headers = {
            "X-GitHub-Event": "issues",
            "X-GitHub-Delivery": "abc-1",
            "X-Hub-Signature-256": sign(body),
        }
        assert receiver.handle(headers, body).text == "applied"
        assert receiver.handle(headers, body).text == "already applied"
        assert told == ["pass"]
    finally:
        store.close()


def test_without_the_mirror_the_alerts_command_says_why(
    tmp_path: Path, fake_slack: FakeSlack, fake_github: FakeGitHub
) -> None:
    settings = settings_for(tmp_path, fake_slack, fake_github, mirror=False)
    store = Store(f"sqlite:///{tmp_path / 'w.db'}")
    bot = build_bot(settings, store=store)
    try:
        assert attach_alerts(bot, settings, store=store, mirror=open_mirror(settings, store)) is None
        reply = bot.slack.commands.accept(SlashRequest(text="alerts on", user_id="U1", channel_id="C1"))
        assert reply.text.startswith("Alerts need the ticket mirror")
    finally:
        bot.close()
        store.close()
