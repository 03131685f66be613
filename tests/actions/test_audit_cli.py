"""`python -m bot audit [--days N]`: every action, newest first; clear answers for nothing and bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.actions.model import TicketAction
from bot.cli import main
from bot.store import Store
from tests.actions.conftest import LEAD, REPO, STRANGER, make_service
from tests.fakes.github_server import FakeGitHub


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ("TICKET_REPORT_REPOS", "TICKET_REPORT_CONFIG", "GITHUB_TOKEN", "GITHUB_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'audit.db'}")


def test_the_audit_lists_each_action_newest_first(github: FakeGitHub, writer, tmp_path, capsys):
    store = Store(f"sqlite:///{tmp_path / 'audit.db'}")
    service = make_service(writer, store)
    now = datetime.now(UTC)
    service.run(
        TicketAction(kind="close", repo=REPO, number=688, state_reason="duplicate", duplicate_of=686),
        LEAD,
        request_key="a",
        channel_id="C1",
        now=now - timedelta(hours=2),
    )
    service.run(
        TicketAction(kind="close", repo=REPO, number=691),
        STRANGER,
        request_key="b",
        channel_id="C1",
        now=now - timedelta(hours=1),
    )
    service.run(
        TicketAction(kind="label", repo=REPO, number=691, labels=("question",)),
        LEAD,
        request_key="c",
        channel_id="C1",
        now=now - timedelta(days=9),
    )
    store.close()

    assert main(["audit"]) == 0
    lines = capsys.readouterr().out.splitlines()

    assert len(lines) == 2  # the label of nine days ago is outside the default week
    assert lines[0].startswith(
        f"{now - timedelta(hours=1):%Y-%m-%d %H:%M} UTC  Mallory (USTRANGER)  close as completed"
    )
    assert f"{REPO}#691  refused: Only triage managers may act" in lines[0]
    assert lines[1].endswith(
        f"Ada Lovelace (ULEAD)  close as a duplicate of #686  {REPO}#688  "
        f"done: Closed {REPO}#688 as a duplicate of #686 (asked by Ada Lovelace)"
    )

    assert main(["audit", "--days", "10"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and "label question" in lines[2]


def test_an_empty_audit_says_so(tmp_path, capsys):
    Store(f"sqlite:///{tmp_path / 'audit.db'}").close()
    assert main(["audit", "--days", "1"]) == 0
    assert capsys.readouterr().out == "No actions on tickets from Slack in the last 1 day.\n"


def test_no_database_yet_says_so(capsys):
    assert main(["audit"]) == 0
    assert capsys.readouterr().out.startswith("No actions on tickets from Slack yet: there is no database")


@pytest.mark.parametrize("days", ["0", "-3", "week", "1.5", "99999"])
def test_a_bad_days_is_answered_with_what_would_work(days, capsys):
    assert main(["audit", f"--days={days}"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"error: --days {days!r} is not a number of days; give a whole number from 1 to 3660\n"


def test_names_from_slack_cannot_steer_the_terminal(github: FakeGitHub, writer, tmp_path, capsys):
    from bot.actions.model import Actor

    store = Store(f"sqlite:///{tmp_path / 'audit.db'}")
    service = make_service(writer, store)
    evil = Actor(user_id="UEVIL", display_name="Eve\x1b[2J\x1b]0;pwned\x07")
    service.run(
        TicketAction(kind="reopen", repo=REPO, number=692),
        evil,
        request_key="e",
        channel_id="C1",
        now=datetime.now(UTC),
    )
    store.close()

    assert main(["audit"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "Eve [2J ]0;pwned (UEVIL)  reopen" in out


def test_refusals_the_slack_side_made_are_listed_too(github: FakeGitHub, writer, tmp_path, capsys):
    store = Store(f"sqlite:///{tmp_path / 'audit.db'}")
    service = make_service(writer, store)
    now = datetime.now(UTC)
    asked = TicketAction(kind="reply", repo="acme/private", number=5)
    outcome = service.refuse(
        asked, LEAD, request_key="r", channel_id="C1", now=now, reason="This channel may not use acme/private"
    )
    again = service.refuse(asked, LEAD, request_key="r", channel_id="C1", now=now, reason="the same click")
    store.close()

    assert (outcome.status, again.status) == ("refused", "refused")
    assert github.requests == []  # nothing asked of GitHub
    assert main(["audit"]) == 0
    (line,) = capsys.readouterr().out.splitlines()  # a double click is recorded once
    assert "Ada Lovelace (ULEAD)" in line
    assert line.endswith("acme/private#5  refused: This channel may not use acme/private")
