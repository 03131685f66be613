"""`python -m bot serve` as a real process: a signed `alerts on`, then a signed webhook delivery of a new
ticket, and the alert in the fake Slack; SIGTERM stops it cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import requests

from tests.alerts.conftest import HOOK_SECRET, REPO, repository, sign
from tests.fakes.github_data import make_issue
from tests.fakes.github_server import FakeGitHub
from tests.fakes.slack_server import FakeSlack
from tests.slack.signing import SECRET, TOKEN, signed_headers, slash_body

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_posts_an_alert_for_a_ticket_delivered_by_webhook(
    fake_slack: FakeSlack, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    port = _free_port()
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "GITHUB_", "TICKET_REPORT_", "DATABASE"))
        },
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake_slack.api_url,
        "GITHUB_API_URL": fake_github.url,
        "GITHUB_WEBHOOK_SECRET": HOOK_SECRET,
        "TICKET_REPORT_REPOS": REPO,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "PORT": str(port),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(url + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
        body = slash_body(
            "alerts on new", user="U1", channel="C1", response_url=fake_slack.response_url("r1")
        )
        ack = requests.post(url + "/slack/events", data=body, headers=signed_headers(body), timeout=30).json()
        assert ack["text"].startswith("Alerts on *new tickets*"), ack
        time.sleep(1.1)  # the ticket is created after the alerts were turned on (times have seconds)
        now = datetime.now(UTC)
        issue = make_issue(77, title="Arrived by webhook", created_at=now, updated_at=now)
        raw = json.dumps({"action": "opened", "issue": issue, "repository": repository(REPO)}).encode()
        headers = {
            "Content-Type": "application/json",
            "X-GitHub-Event": "issues",
            "X-GitHub-Delivery": "serve-1",
            "X-Hub-Signature-256": sign(raw),
        }
        answer = requests.post(url + "/github/webhook", data=raw, headers=headers, timeout=10)
        assert answer.status_code == 200 and answer.text.strip() == "applied"
        alerted = fake_slack.wait_for(
            lambda s: any(p.body.get("text") == "New ticket #77: Arrived by webhook" for p in s.posts()),
            timeout=10,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    log = output.decode()
    assert alerted, log
    assert process.returncode == 0, log
    assert "Traceback" not in log and TOKEN not in log and SECRET not in log and HOOK_SECRET not in log
