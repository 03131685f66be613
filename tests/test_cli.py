"""`python -m bot report`: the report from a snapshot and from (fake) GitHub, and clear failures."""

from __future__ import annotations

import gc
import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.render import validate_message
from tests.fakes.github_data import make_comment, make_issue
from tests.fakes.github_server import FakeGitHub

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = str(ROOT / "config" / "snapshot-example.json")
CONFIG = str(ROOT / "config" / "ticket-report.example.yml")
EXAMPLE = ["report", "2025-04-14", "--source", SNAPSHOT, "--config", CONFIG, "--now", "2025-04-14T21:00:00Z"]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ("TICKET_REPORT_REPOS", "TICKET_REPORT_CONFIG", "GITHUB_TOKEN", "GITHUB_API_URL"):
        monkeypatch.delenv(name, raising=False)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_readme_example_prints_the_report_of_the_bundled_snapshot(capsys):
    code, out, err = run(capsys, *EXAMPLE)
    assert code == 0, err
    assert out.startswith("# Support Ticket Report")
    assert "- Period: 2025-04-14 to 2025-04-14" in out
    assert "- **Total tickets:** 8 (+6 vs previous period)" in out
    # the announcement (excluded label) and the pull request are not tickets: only the footer names
    # the announcement, as left out
    body, footer = out.split("\n---\n")
    assert "/issues/210" not in body and "/issues/211" not in out
    assert "Left out: 1 ticket — 1 labelled announcement" in footer
    # the database crash tickets form one group, and the version behind them is recommended for a look
    group = out.split("## Common Issues")[1].split("## Recommendations")[0]
    for number in (201, 202, 203, 209):
        assert f"/issues/{number})" in group
    assert "/issues/204)" not in group
    # the team announced the fix and gave a workaround: the group says so, with no "regression" advice
    assert "**Status:** A fix is coming in 3.2.1" in group
    assert "**Tell users:** “Try the workaround there: rename notes.db" in group
    assert "regression" not in out.split("## Recommendations")[1]


def test_json_and_blocks_formats(capsys):
    code, out, _ = run(capsys, *EXAMPLE, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["totals"]["total"] == 8 and data["repos"] == ["acme-notes/support"]
    top = data["most_active"][0]
    assert top["number"] == 201 and top["score"] == pytest.approx(
        sum(i["points"] for i in top["score_breakdown"])
    )
    code, out, _ = run(capsys, *EXAMPLE, "--format", "blocks", "--top", "3")
    messages = json.loads(out)
    assert code == 0 and messages
    for message in messages:
        validate_message(message)
    text = json.dumps(messages)
    assert "<!channel>" not in text and "<@U123>" not in text  # ticket 206's body never pings


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["report", "tomorow", "--repo", "a/b"], "I don't understand the period 'tomorow'"),
        (["report", "today", "--repo", "not-a-repo"], "use OWNER/NAME"),
        (["report", "today", "--repo", "a/b", "--tz", "Mars/Base"], "Unknown timezone 'Mars/Base'"),
        (["report", "today", "--repo", "a/b", "--top", "0"], "use a number from 1 to 50"),
        (["report", "today", "--repo", "a/b", "--format", "pdf"], "invalid choice"),
        (["report", "today", "--repo", "a/b", "--now", "noon"], "is not ISO 8601"),
        (["report", "today"], "pass --repo OWNER/NAME"),
    ],
)
def test_bad_input_exits_2_with_one_line_saying_what_would_work(capsys, argv, needle):
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's own errors exit directly, with the same status
        code = exit_.code
    err = capsys.readouterr().err
    assert code == 2
    assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


NOW = datetime(2025, 4, 15, 12, 0, tzinfo=UTC)


def _fake_repo(gh: FakeGitHub) -> None:
    issue = make_issue(1, title="Login <!here> broken", created_at=NOW - timedelta(hours=3), comments=1)
    comment = make_comment(1, 9001, created_at=NOW - timedelta(hours=1), body="same")
    gh.add_repo("acme/support", issues=[issue], comments=[comment])


def test_report_from_github_api_url(capsys, monkeypatch):
    with FakeGitHub() as gh:
        _fake_repo(gh)
        monkeypatch.setenv("GITHUB_API_URL", gh.url)
        code, out, err = run(capsys, "report", "today", "--repo", "acme/support", "--now", NOW.isoformat())
        assert code == 0, err
        assert "Login &lt;!here&gt; broken" in out
        assert all(
            r.query.get("per_page") == "100" for r in gh.requests if r.path.endswith(("issues", "comments"))
        )


def test_upstream_failures_exit_1_with_one_line(capsys, monkeypatch):
    with FakeGitHub() as gh:
        _fake_repo(gh)
        monkeypatch.setenv("GITHUB_API_URL", gh.url)
        code, _, err = run(capsys, "report", "today", "--repo", "acme/missing", "--now", NOW.isoformat())
        assert code == 1 and "acme/missing" in err and len(err.strip().splitlines()) == 1
        reset = (datetime.now(UTC) + timedelta(minutes=45)).replace(second=0, microsecond=0)
        gh.fail_with_primary_rate_limit(reset_at=reset, count=5)
        code, _, err = run(capsys, "report", "today", "--repo", "acme/support", "--now", NOW.isoformat())
        assert code == 1 and f"{reset:%H:%M}" in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1


def test_python_dash_m_bot_runs_as_a_program():
    done = subprocess.run(
        [sys.executable, "-m", "bot", *EXAMPLE, "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["period"]["label"] == "2025-04-14 to 2025-04-14"


def test_snapshot_command_writes_a_file_that_reports_offline(capsys, monkeypatch, tmp_path):
    output = tmp_path / "snap.json"
    with FakeGitHub() as gh:
        _fake_repo(gh)
        monkeypatch.setenv("GITHUB_API_URL", gh.url)
        code, _, err = run(
            capsys, "snapshot", "--repo", "acme/support", "--since", "2025-04-10", "--output", str(output)
        )
        assert code == 0, err
        assert "GitHub requests" in err
    data = json.loads(output.read_text())
    assert [i["number"] for i in data["issues"]] == [1]
    code, out, err = run(capsys, "report", "today", "--source", str(output), "--now", NOW.isoformat())
    assert code == 0, err
    assert "Login &lt;!here&gt; broken" in out


def test_an_unreachable_github_ends_in_one_line_on_stderr_with_no_retry_noise():
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "GITHUB_API_URL": f"http://127.0.0.1:{port}"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "report", "today", "--repo", "acme/support"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: Could not reach GitHub at 127.0.0.1:{port}; try again later"
    ]


@pytest.fixture
def no_deployment_env(monkeypatch, tmp_path):
    """No Slack, database or port variables, and a working directory of the test's own."""
    for name in list(os.environ):
        if name.startswith("SLACK_") or name in ("DATABASE_URL", "PORT"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["clock"], {"SLACK_BOT_TOKEN": "xoxb-1"}),
        (["serve", "--no-scheduler"], {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}),
    ],
)
def test_split_processes_on_the_default_sqlite_file_refuse_to_start_and_say_why(
    capsys, monkeypatch, no_deployment_env, argv, env
):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")  # were it not refused: no real Slack
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    (line,) = err.strip().splitlines()
    assert line.startswith("error: DATABASE_URL is the default SQLite file") and "database of its own" in line
    assert not (no_deployment_env / "ticket-report.db").exists()  # refused before anything was opened


def test_clock_ignores_port_and_starts_on_a_database_it_can_share(capsys, monkeypatch, no_deployment_env):
    monkeypatch.setenv("PORT", "not-a-port")  # what some platforms leave set for every process
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")  # nothing listens: start-up stops there
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{no_deployment_env / 'shared.db'}")
    code, _, err = run(capsys, "clock")
    assert code == 1
    (line,) = err.strip().splitlines()
    assert line.startswith("error: cannot reach Slack at http://127.0.0.1:9/api/")
    assert "PORT" not in err and "DATABASE_URL" not in err


def test_a_period_longer_than_the_bound_is_refused_before_any_request(capsys, monkeypatch, tmp_path):
    with FakeGitHub() as gh:
        _fake_repo(gh)
        monkeypatch.setenv("GITHUB_API_URL", gh.url)
        code, _, err = run(
            capsys, "report", "10000", "days", "--repo", "acme/support", "--now", NOW.isoformat()
        )
        assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert "covers 10,000 days" in err and "at most 400" in err and "max_period_days" in err
        assert "Try 400d, since 2024-03-12" in err
        assert gh.requests == []

        config = tmp_path / "ticket-report.yml"
        config.write_text("max_period_days: 30\n", encoding="utf-8")
        code, _, err = run(
            capsys, "report", "last", "60", "days", "--repo", "acme/support", "--config", str(config),
            "--now", NOW.isoformat(),
        )
        assert code == 2 and "at most 30" in err and "Try 30d" in err
        assert gh.requests == []
        code, _, err = run(
            capsys, "report", "month", "--repo", "acme/support", "--config", str(config),
            "--now", NOW.isoformat(),
        )
        assert code == 0, err


def test_no_collection_runs_while_a_report_is_built_rendered_and_dropped(capsys):
    # A pass of the cycle collector between building and rendering walks every object of a big report
    # (bot.gc_pause): with a threshold of 1 one would start at the first allocation it was allowed to.
    during: list[int] = []

    def watch(phase: str, info: dict) -> None:
        frame = sys._getframe(1)
        while phase == "start" and frame is not None:
            if frame.f_code.co_name == "_built_and_rendered":
                during.append(info["generation"])
                return
            frame = frame.f_back

    threshold = gc.get_threshold()
    gc.set_threshold(1)
    gc.callbacks.append(watch)
    try:
        code, out, err = run(capsys, *EXAMPLE, "--format", "json")
    finally:
        gc.callbacks.remove(watch)
        gc.set_threshold(*threshold)
    assert code == 0, err
    assert json.loads(out)["totals"]["total"] == 8
    assert during == []
