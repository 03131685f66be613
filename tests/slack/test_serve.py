"""`python -m bot serve` as a real process, and start-up failures that must name what to fix."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from bot.app_runner import build_bot, run_serve
from bot.settings import SettingsError, load_settings
from tests.fakes.github_server import FakeGitHub
from tests.fakes.slack_server import FakeSlack
from tests.slack.signing import SECRET, TOKEN, signed_headers, slash_body

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_runs_the_app_over_http_with_a_health_check(
    fake_slack: FakeSlack, fake_github: FakeGitHub, tmp_path
) -> None:
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "GITHUB_", "TICKET_REPORT_"))},
        "PORT": str(port),
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake_slack.api_url,
        "GITHUB_API_URL": fake_github.url,
        "TICKET_REPORT_REPOS": "acme/support",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--no-scheduler"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                health = requests.get(url + "/healthz", timeout=5)
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        assert health.status_code == 200 and health.text.strip() == "ok"
        body = slash_body("help", response_url=fake_slack.response_url())
        ack = requests.post(url + "/slack/events", data=body, headers=signed_headers(body), timeout=10)
        assert ack.status_code == 200 and "*Usage:*" in ack.json()["text"]
        forged = requests.post(
            url + "/slack/events", data=body, headers=signed_headers(body, secret="x"), timeout=10
        )
        assert forged.status_code == 401
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    log = output.decode()
    assert TOKEN not in log and SECRET not in log
    assert "rejected a request to /slack/events" in log
    assert "deprecated-verification-token" not in log  # request bodies never reach the log


def test_missing_slack_settings_are_all_named_at_once() -> None:
    settings = load_settings({"TICKET_REPORT_REPOS": "acme/support"})
    with pytest.raises(SettingsError) as error:
        build_bot(settings)
    assert "SLACK_BOT_TOKEN" in str(error.value) and "SLACK_SIGNING_SECRET" in str(error.value)


def test_a_token_slack_rejects_stops_start_up_without_printing_it(
    fake_slack: FakeSlack, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    wrong = "xoxb-wrong-but-secret-looking"
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": wrong,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake_slack.api_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        }
    )
    assert run_serve(settings, scheduler=False) == 1
    err = capsys.readouterr().err
    assert "SLACK_BOT_TOKEN" in err and "invalid_auth" in err
    assert wrong not in err


def test_slack_unreachable_at_start_up_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": "http://127.0.0.1:9/api/",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        }
    )
    assert run_serve(settings, scheduler=False) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot reach Slack at http://127.0.0.1:9/api/")
    assert TOKEN not in err
