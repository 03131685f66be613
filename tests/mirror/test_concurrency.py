"""Two processes syncing while a third receives webhooks, on one database: no row lost, none doubled, no
edit rolled back. SQLite and PostgreSQL; the fake GitHub and the webhook server over real HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from slack_bolt import App

from bot.mirror.webhooks import WebhookReceiver
from bot.slack.serving import create_http_server, make_wsgi_app, run_in_thread
from bot.store import Store
from bot.store.mirror import Mirror
from bot.store.schema import mirror_comments, mirror_issues
from tests.db_fixtures import (  # noqa: F401
    BackendUrl,
    backend_url_fixture,
    pg_target_fixture,
    sqlite_url_fixture,
    store_fixture,
)
from tests.fakes.github_data import make_comment, synthetic_repo
from tests.fakes.github_server import FakeGitHub
from tests.mirror.test_sync import database_url
from tests.mirror.test_webhooks import comment_event, issue_event, sign

ROOT = Path(__file__).resolve().parents[2]
REPO = "acme/support"
SECRET = "concurrency-webhook-secret"
TOKEN = "ghp_CONCURRENCYconcurrency0123456789"


@pytest.fixture(name="webhook_url")
def webhook_url_fixture(store: Store) -> Iterator[str]:
    receiver = WebhookReceiver(Mirror(store.engine), secret=SECRET, repos=[REPO])
    app = App(signing_secret="unused-signing-secret", token="xoxb-unused", token_verification_enabled=False)
    server = create_http_server(
        make_wsgi_app(app, signing_secret="unused", github_webhook=receiver), host="127.0.0.1", port=0
    )
    stop = run_in_thread(server)
    try:
        yield f"http://127.0.0.1:{server.effective_port}/github/webhook"
    finally:
        stop()


def deliver(url: str, event: str, payload: dict, number: int) -> None:
    body = json.dumps(payload).encode()
    answer = requests.post(
        url,
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": f"delivery-{number}",
            "X-Hub-Signature-256": sign(body, secret=SECRET),
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


def test_syncing_in_two_processes_while_webhooks_arrive_loses_and_doubles_nothing(
    backend_url: BackendUrl,
    store: Store,
    webhook_url: str,
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    with FakeGitHub(token=TOKEN) as gh:
        data = synthetic_repo(150, 600, seed=3, repo=REPO, end=now - timedelta(minutes=5), days=20)
        gh.add_repo(REPO, issues=data.issues, comments=data.comments)
        env = {
            **os.environ,
            "GITHUB_API_URL": gh.url,
            "GITHUB_TOKEN": TOKEN,
            "DATABASE_URL": database_url(backend_url),
            "TICKET_REPORT_REPOS": REPO,
        }
        env.pop("TICKET_REPORT_CONFIG", None)
        loop = "for i in 1 2 3 4; do python -m bot sync || exit 1; done"
        syncers = [
            subprocess.Popen(
                ["bash", "-c", loop],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(2)
        ]
        # Meanwhile on GitHub: edits, new comments, edited and deleted comments, each delivered at once.
        next_id = 10_000_000
        delivery = 0
        for round_ in range(12):
            number = 1 + (round_ * 11) % 150
            at = datetime.now(UTC)
            if gh._repos[REPO].issues.get(number, {}).get("pull_request"):
                continue
            issue = gh.edit_issue(REPO, number, at=at, title=f"Edited title {round_} of #{number}")
            delivery += 1
            deliver(webhook_url, "issues", issue_event("edited", issue), delivery)
            next_id += 1
            comment = make_comment(number, next_id, repo=REPO, body=f"New comment {round_}", created_at=at)
            gh.add_comment(REPO, comment)
            delivery += 1
            deliver(webhook_url, "issue_comment", comment_event("created", issue, comment), delivery)
            if round_ % 3 == 0:
                edited = gh.edit_comment(REPO, next_id, body=f"Edited comment {round_}")
                delivery += 1
                deliver(webhook_url, "issue_comment", comment_event("edited", issue, edited), delivery)
            if round_ % 4 == 1:
                gh.delete_comment(REPO, next_id)
                delivery += 1
                deliver(webhook_url, "issue_comment", comment_event("deleted", issue, comment), delivery)
            time.sleep(0.05)
        for process in syncers:
            out, _ = process.communicate(timeout=300)
            assert process.returncode == 0, out
            assert "Traceback" not in out

        repo = gh._repos[REPO]
        with store.engine.connect() as conn:
            issues = conn.execute(
                sa.select(mirror_issues.c.number, mirror_issues.c.title).where(
                    mirror_issues.c.deleted_at.is_(None)
                )
            ).all()
            comments = conn.execute(
                sa.select(mirror_comments.c.id, mirror_comments.c.body).where(
                    mirror_comments.c.deleted_at.is_(None)
                )
            ).all()
        assert sorted(n for n, _ in issues) == sorted(repo.issues)  # none lost, none doubled (primary key)
        assert {n: t for n, t in issues} == {n: i["title"] for n, i in repo.issues.items()}  # no edit undone
        live_comments = {c["id"]: c["body"] for c in repo.comments if "/pull/" not in c["html_url"]}
        assert dict(comments) == live_comments
