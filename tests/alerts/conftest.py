"""Alerts end to end: the real app over HTTP (signed slash commands and interactions), GitHub's signed
webhook deliveries to the same server, the mirror and the alert tables on a real database, and the fake
Slack recording posts and updates.

The app's clock is a `Clock` the test moves; webhooks carry tickets created at chosen moments of it.
Passes are triggered by deliveries, as in production; a test that needs one pass at a known moment turns
the trigger off (`AlertApp.manual()`) and calls `run()`.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from bot.alerts.dispatch import AlertDispatcher, PassResult
from bot.alerts.store import AlertStore
from bot.app_runner import MirrorParts, RunningBot, attach_alerts, build_bot, open_mirror, seen_requests
from bot.mirror.webhooks import WebhookReceiver
from bot.settings import Settings, load_settings
from bot.slack.serving import MAX_WEBHOOK_BYTES, create_http_server, make_wsgi_app, run_in_thread
from bot.store import Store
from tests.db_fixtures import BackendUrl
from tests.fakes.github_data import make_comment, make_issue, make_user
from tests.fakes.github_server import FakeGitHub
from tests.fakes.slack_server import FakeSlack, SlackCall
from tests.slack.signing import SECRET, TOKEN, signed_headers, slash_body

HOOK_SECRET = "webhook-secret-0123456789"
REPO = "acme/support"
T0 = datetime(2025, 4, 14, 9, 0, tzinfo=UTC)
WAIT = 20  # seconds: an upper bound for work done in milliseconds, never a timing assertion


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now


def sign(body: bytes, secret: str = HOOK_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def repository(full_name: str = REPO) -> dict[str, Any]:
    owner, name = full_name.split("/")
    return {
        "id": 1,
        "name": name,
        "full_name": full_name,
        "owner": make_user(owner, user_type="Organization"),
    }


@dataclass
class AlertApp:
    url: str
    bot: RunningBot
    store: Store
    mirror: MirrorParts
    dispatcher: AlertDispatcher
    receiver: WebhookReceiver
    slack: FakeSlack
    github: FakeGitHub
    clock: Clock
    settings: Settings
    _deliveries: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def alerts(self) -> AlertStore:
        return AlertStore(self.store.engine)

    # Slack -------------------------------------------------------------------------------------

    def say(self, text: str, *, user: str = "U1", channel: str = "C1") -> str:
        """A signed `/ticket-report text`; what the user reads (the acknowledgement, or its follow-up)."""
        name = f"r{next(self._names)}"
        body = slash_body(text, user=user, channel=channel, response_url=self.slack.response_url(name))
        response = requests.post(
            self.url + "/slack/events", data=body, headers=signed_headers(body), timeout=30
        )
        assert response.status_code == 200
        ack = "\n".join(block["text"]["text"] for block in response.json()["blocks"])
        if ack.startswith("Checking that you may"):
            path = f"/response/{name}"
            assert self.slack.wait_for(
                lambda s: any(c.path == path for c in s.calls_to("response_url")), WAIT
            )
            [answer] = [c for c in self.slack.calls_to("response_url") if c.path == path]
            return str(answer.body["text"])
        return ack

    def posts(self, channel: str = "C1") -> list[SlackCall]:
        return [p for p in self.slack.posts() if p.body["channel"] == channel and "thread_ts" not in p.body]

    # GitHub ------------------------------------------------------------------------------------

    def deliver(
        self, event: str, payload: dict[str, Any], *, delivery: str | None = None
    ) -> requests.Response:
        raw = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery or f"d-{next(self._deliveries):08d}",
            "X-Hub-Signature-256": sign(raw),
        }
        response = requests.post(self.url + "/github/webhook", data=raw, headers=headers, timeout=10)
        assert response.status_code == 200, response.text
        return response

    def open_ticket(
        self, number: int, *, ago: timedelta = timedelta(0), repo: str = REPO, **fields: Any
    ) -> dict:
        """A ticket opened `ago` before the clock, in the fake GitHub and delivered by webhook."""
        created = self.clock.now - ago
        issue = make_issue(number, repo=repo, created_at=created, updated_at=created, **fields)
        self.github.add_repo(repo, issues=[issue])
        self.deliver("issues", {"action": "opened", "issue": issue, "repository": repository(repo)})
        return issue

    def comment(self, issue: dict, comment_id: int, *, user: str, association: str = "NONE") -> None:
        comment = make_comment(
            int(issue["number"]), comment_id, user=user, association=association, created_at=self.clock.now
        )
        issue = {
            **issue,
            "comments": int(issue.get("comments") or 0) + 1,
            "updated_at": comment["created_at"],
        }
        self.github.add_comment(REPO, comment)
        self.deliver(
            "issue_comment",
            {"action": "created", "issue": issue, "comment": comment, "repository": repository()},
        )

    # passes ------------------------------------------------------------------------------------

    def manual(self) -> None:
        """Deliveries no longer start a pass: the test runs them with `run()`."""
        self.receiver.on_applied = None

    def run(self) -> PassResult:
        return self.dispatcher.run()


StartAlertApp = Callable[..., AlertApp]


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack(token=TOKEN) as slack:
        yield slack


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as github:
        github.add_repo(REPO)
        github.add_repo("acme/private")
        yield github


@pytest.fixture
def start_alert_app(
    fake_slack: FakeSlack, fake_github: FakeGitHub, tmp_path: Path
) -> Iterator[StartAlertApp]:
    """Start the app; keywords: config (the YAML file's dict), database (a BackendUrl), now, env (more
    environment variables)."""
    running: list[tuple[Callable[[], None], RunningBot, Store]] = []

    def start(
        *,
        config: dict[str, Any] | None = None,
        database: BackendUrl | None = None,
        now: datetime = T0,
        env: dict[str, str] | None = None,
    ) -> AlertApp:
        database = database or BackendUrl(name="sqlite", url=f"sqlite:///{tmp_path / 'alerts.db'}")
        path = tmp_path / "ticket-report.yml"
        path.write_text(yaml.safe_dump({"sync_minutes": 0, **(config or {})}), encoding="utf-8")
        environ = {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake_slack.api_url,
            "GITHUB_API_URL": fake_github.url,
            "TICKET_REPORT_REPOS": REPO,
            "TICKET_REPORT_CONFIG": str(path),
            "GITHUB_WEBHOOK_SECRET": HOOK_SECRET,
            **(env or {}),
        }
        settings = load_settings(environ)
        clock = Clock(now)
        store = database.store()
        bot = build_bot(settings, clock=clock, store=store)
        mirror = open_mirror(settings, store, clock=clock)
        assert mirror is not None
        dispatcher = attach_alerts(bot, settings, store=store, mirror=mirror, clock=clock)
        assert dispatcher is not None
        receiver = WebhookReceiver(
            mirror.mirror,
            secret=HOOK_SECRET,
            repos=lambda: settings.mirrored_repos,
            clock=clock,
            on_applied=lambda event, repo: dispatcher.trigger(),
        )
        wsgi = make_wsgi_app(
            bot.slack.app, signing_secret=SECRET, github_webhook=receiver, seen=seen_requests(store)
        )
        server = create_http_server(
            wsgi, host="127.0.0.1", port=0, threads=16, max_request_bytes=MAX_WEBHOOK_BYTES
        )
        running.append((run_in_thread(server), bot, store))
        return AlertApp(
            url=f"http://127.0.0.1:{server.effective_port}",
            bot=bot,
            store=store,
            mirror=mirror,
            dispatcher=dispatcher,
            receiver=receiver,
            slack=fake_slack,
            github=fake_github,
            clock=clock,
            settings=settings,
        )

    yield start
    for stop, bot, store in running:
        stop()
        bot.close()
        bot.executor.shutdown(wait=True, cancel_futures=True)
        store.close()
