"""The real Slack app served by waitress on 127.0.0.1, talking to a fake Slack and a fake GitHub.

`start_app(...)` builds the bot exactly as `python -m bot serve` does (settings from an environment
mapping, the real GitHubSource, WebClient and Bolt app) and serves it over HTTP on a free port;
`AppUnderTest.command(...)` sends a correctly signed slash command to it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from bot.app_runner import RunningBot, build_bot, seen_requests
from bot.settings import Settings, load_settings
from bot.slack.serving import create_http_server, make_wsgi_app, run_in_thread
from bot.store import Store
from tests.fakes.github_data import make_comment, make_issue
from tests.fakes.github_server import FakeGitHub
from tests.fakes.slack_server import FakeSlack
from tests.slack.signing import SECRET, TOKEN, signed_headers, slash_body

# The seed report's moment: a Monday evening in UTC.
NOW = datetime(2025, 4, 14, 21, 7, 2, tzinfo=UTC)
HOUR = timedelta(hours=1)
HOSTILE_TITLE = "<!channel> fix <@U123> & <script> *bold* @here"


def support_issues(repo: str = "acme/support") -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A few tickets active on NOW's day, one with a title and comment that try to ping everyone."""
    issues = [
        make_issue(
            685, repo=repo, title="Stuck at https://authentication.pieces.services/",
            body="Login spins forever after updating to 11.3.0 on macOS.",
            labels=["bug"], created_at=NOW - timedelta(hours=5), comments=2,
        ),
        make_issue(
            686, repo=repo, title="Pieces OS doesn't start: LateInitializationError database",
            body="Database corruption after 11.3.0 on Windows.", state="closed", state_reason="completed",
            labels=["bug"], created_at=NOW - 9 * HOUR, closed_at=NOW - HOUR, comments=1,
        ),
        make_issue(
            687, repo=repo, title=HOSTILE_TITLE, body="<!everyone> <@U999> please look",
            labels=["question"], created_at=NOW - timedelta(hours=3), comments=1,
        ),
    ]
    comments = [
        make_comment(685, 9001, repo=repo, body="Same on 11.3.0", user="carol", created_at=NOW - 4 * HOUR),
        make_comment(
            685, 9002, repo=repo, body="Clear the cache and retry.", user="maintainer", association="MEMBER",
            created_at=NOW - timedelta(hours=2),
        ),
        make_comment(
            686, 9003, repo=repo, body="Fixed in 11.3.1", user="maintainer", association="MEMBER",
            created_at=NOW - timedelta(hours=1, minutes=30),
        ),
        make_comment(687, 9004, repo=repo, body="<!here> ping <@U42>", user="dan", created_at=NOW - 2 * HOUR),
    ]
    return issues, comments


@dataclass
class AppUnderTest:
    url: str
    bot: RunningBot
    settings: Settings
    slack: FakeSlack
    github: FakeGitHub

    def command(
        self,
        text: str = "",
        *,
        user: str = "U1",
        channel: str = "C1",
        response_url: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """POST a signed `/ticket-report text` as Slack would."""
        response_url = response_url or self.slack.response_url()
        body = slash_body(text, user=user, channel=channel, response_url=response_url)
        return self.post(body, headers=headers if headers is not None else signed_headers(body))

    def post(self, body: bytes, *, headers: dict[str, str], path: str = "/slack/events") -> requests.Response:
        return requests.post(self.url + path, data=body, headers=headers, timeout=30)


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack(token=TOKEN) as slack:
        yield slack


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as github:
        issues, comments = support_issues()
        github.add_repo("acme/support", issues=issues, comments=comments)
        private_issues, private_comments = support_issues("acme/private")
        github.add_repo("acme/private", issues=private_issues, comments=private_comments)
        yield github


StartApp = Callable[..., AppUnderTest]


@pytest.fixture
def start_app(fake_slack: FakeSlack, fake_github: FakeGitHub, tmp_path: Path) -> Iterator[StartApp]:
    """Start the app; keyword arguments: config (dict for the YAML file), env (extra variables), workers,
    store (a bot.store.Store: subscriptions and the drill-down are attached)."""
    running: list[tuple[Callable[[], None], RunningBot]] = []

    def start(
        *,
        config: dict[str, Any] | None = None,
        env: dict[str, str] | None = None,
        workers: int = 8,
        store: Store | None = None,
    ) -> AppUnderTest:
        environ = {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake_slack.api_url,
            "GITHUB_API_URL": fake_github.url,
            "TICKET_REPORT_REPOS": "acme/support",
            **(env or {}),
        }
        if config is not None:
            path = tmp_path / "ticket-report.yml"
            path.write_text(yaml.safe_dump(config), encoding="utf-8")
            environ["TICKET_REPORT_CONFIG"] = str(path)
        settings = load_settings(environ)
        bot = build_bot(settings, workers=workers, clock=lambda: NOW, store=store)
        seen = seen_requests(store) if store is not None else None
        wsgi = make_wsgi_app(bot.slack.app, signing_secret=SECRET, seen=seen)
        server = create_http_server(wsgi, host="127.0.0.1", port=0, threads=16)
        running.append((run_in_thread(server), bot))
        return AppUnderTest(
            url=f"http://127.0.0.1:{server.effective_port}",
            bot=bot,
            settings=settings,
            slack=fake_slack,
            github=fake_github,
        )

    yield start
    for stop, bot in running:
        stop()
        bot.executor.shutdown(wait=True, cancel_futures=True)
        bot.close()
