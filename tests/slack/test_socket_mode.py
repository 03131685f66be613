"""`python -m bot serve` over Socket Mode, end to end: apps.connections.open on the fake Slack Web API
gives a local WebSocket, which delivers slash commands and gets their acks; an app token Slack
refuses stops start-up with one line and exit 1; no signing secret is needed."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from bot.app_runner import run_serve
from bot.settings import load_settings
from tests.fakes.github_server import FakeGitHub
from tests.fakes.slack_server import FakeSlack
from tests.fakes.socket_mode_server import TICKET, FakeSocketMode
from tests.slack.signing import TOKEN, slash_body

ROOT = Path(__file__).resolve().parents[2]
APP_TOKEN = "xapp-1-A0FAKE-0000-secret-looking"


@pytest.fixture
def socket_mode() -> Iterator[FakeSocketMode]:
    with FakeSocketMode() as fake:
        yield fake


@pytest.fixture
def slack(socket_mode: FakeSocketMode) -> Iterator[FakeSlack]:
    with FakeSlack(token=TOKEN, app_token=APP_TOKEN) as fake:
        fake.socket_mode_url = socket_mode.url
        yield fake


def _slash_payload(text: str, *, response_url: str) -> dict[str, Any]:
    """A slash command as Socket Mode carries it: the HTTP form's fields, as JSON."""
    return dict(parse_qsl(slash_body(text, response_url=response_url).decode(), keep_blank_values=True))


def _socket_mode_env(slack: FakeSlack, github: FakeGitHub, tmp_path: Path) -> dict[str, str]:
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "GITHUB_", "TICKET_REPORT_")) and k not in ("DATABASE_URL", "PORT")
    }
    return {
        **inherited,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,  # and no SLACK_SIGNING_SECRET: Socket Mode does not need one
        "SLACK_API_URL": slack.api_url,
        "GITHUB_API_URL": github.url,
        "TICKET_REPORT_REPOS": "acme/support",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'socket.db'}",
    }


def test_serve_over_socket_mode_acks_slash_commands_and_posts_the_report(
    slack: FakeSlack, fake_github: FakeGitHub, socket_mode: FakeSocketMode, tmp_path: Path
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--no-scheduler"],
        cwd=ROOT,
        env=_socket_mode_env(slack, fake_github, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        if not socket_mode.wait_connected():
            process.terminate()
            pytest.fail("the bot did not connect: " + process.communicate(timeout=30)[0].decode())
        # the URL apps.connections.open issued for the app token, used as it came
        (opened,) = slack.calls_to("apps.connections.open")
        assert opened.headers["authorization"] == f"Bearer {APP_TOKEN}"
        assert socket_mode.paths == [f"/link/?ticket={TICKET}"]

        help_ack = socket_mode.deliver(_slash_payload("help", response_url=slack.response_url()))
        assert help_ack is not None, "the help command was not acknowledged"
        assert "*Usage:*" in help_ack["payload"]["text"]

        report_ack = socket_mode.deliver(_slash_payload("today", response_url=slack.response_url("r2")))
        assert report_ack is not None, "the report command was not acknowledged"
        assert report_ack["payload"]["text"].startswith("Building the ticket report for *today*")
        assert slack.wait_for(lambda s: any(p.body.get("channel") == "C1" for p in s.posts()), timeout=60)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    log = output.decode()
    assert process.returncode == 0, log
    assert "Traceback" not in log
    assert TOKEN not in log and APP_TOKEN not in log


@pytest.mark.parametrize(
    ("app_token", "error", "says"),
    [
        ("xapp-1-wrong-token", None, "(invalid_auth): create an app-level token with the connections:write"),
        (APP_TOKEN, "token_revoked", "(token_revoked): create an app-level token with the connections:write"),
        (APP_TOKEN, "missing_scope", "(missing_scope): the app-level token needs the connections:write"),
    ],
)
def test_an_app_token_slack_refuses_is_one_line_and_exit_1(
    slack: FakeSlack,
    socket_mode: FakeSocketMode,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    app_token: str,
    error: str | None,
    says: str,
) -> None:
    slack.app_token_error = error
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_APP_TOKEN": app_token,
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'socket.db'}",
        },
        slack=True,
    )
    assert run_serve(settings, scheduler=False) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: Slack did not accept SLACK_APP_TOKEN ") and says in line
    assert app_token not in line and TOKEN not in line
    assert socket_mode.paths == []  # nothing was connected


def test_a_revoked_app_token_stops_the_real_process_without_a_traceback(
    slack: FakeSlack, fake_github: FakeGitHub, socket_mode: FakeSocketMode, tmp_path: Path
) -> None:
    slack.app_token_error = "token_revoked"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        cwd=ROOT,
        env=_socket_mode_env(slack, fake_github, tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "The server responded with" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if "error" in line.lower()]
    assert errors == [done.stderr.strip().splitlines()[-1]]
    assert errors[0].startswith("error: Slack did not accept SLACK_APP_TOKEN (token_revoked)")
    assert APP_TOKEN not in done.stderr
