"""What the bot writes on someone's behalf cannot ping anyone; who may act; the config's triage_managers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.actions import text
from bot.actions.model import Actor, TicketAction
from bot.actions.service import TriageManagers
from bot.settings import SettingsError, load_settings
from tests.actions.conftest import LEAD, NOW, REPO, STRANGER, Bench, make_service, only_record


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ada Lovelace", "Ada Lovelace"),
        ("@octo-org/everyone", "@\u200docto\\-org/everyone"),
        ("fixes #12", "fixes \\#\u200d12"),
        ("[click](https://evil.example)", "\\[click\\]\\(https://evil\\.example\\)"),
        ("<!-- hidden -->x", "\\<\\!\\-\\- hidden \\-\\-\\>x"),
        ("two\nlines\x00\u202e", "two lines"),
        ("   ", "someone"),
        ("x" * 200, "x" * 80),
    ],
)
def test_a_display_name_is_made_safe_for_github(name: str, expected: str):
    assert text.safe_name(name) == expected


def test_a_name_that_mentions_people_mentions_nobody_on_github(bench: Bench):
    pinger = Actor(user_id=LEAD.user_id, display_name="@channel @octocat")
    bench.run(TicketAction(kind="reply", repo=REPO, number=691, text="hi"), actor=pinger)
    [comment] = bench.github.comments_of(REPO, 691)
    attribution = comment["body"].splitlines()[-2]
    assert attribution == "— sent from Slack by @\u200dchannel @\u200doctocat"
    assert "@octocat" not in comment["body"] and "@channel" not in comment["body"]


def test_a_reply_keeps_its_lines_and_loses_control_characters():
    assert text.clean_text("  one\r\ntwo\x1b[31m\tthree\x00  ") == "one\ntwo[31m\tthree"


@pytest.mark.parametrize(
    ("action", "problem"),
    [
        (TicketAction(kind="close", repo=REPO, number=688, state_reason="duplicate"), "needs the number"),
        (
            TicketAction(kind="close", repo=REPO, number=688, state_reason="duplicate", duplicate_of=688),
            "#688 cannot be a duplicate of itself",
        ),
        (TicketAction(kind="reply", repo=REPO, number=688, text=" \n "), "The reply is empty"),
        (TicketAction(kind="label", repo=REPO, number=688), "Pick at least one label"),
        (TicketAction(kind="assign", repo=REPO, number=688, assignees=(" ",)), "Pick at least one person"),
    ],
)
def test_an_action_that_cannot_be_right_fails_before_github_is_asked(bench: Bench, action, problem):
    outcome = bench.run(action)
    assert outcome.status == "failed"
    assert problem in outcome.message
    assert bench.github.requests == []
    record = only_record(bench.store)
    assert record is not None and record.status == "failed"


def test_nobody_may_act_when_triage_managers_is_empty(bench: Bench):
    service = make_service(bench.writer, bench.store, managers=TriageManagers())
    outcome = service.run(
        TicketAction(kind="reopen", repo=REPO, number=692), LEAD, request_key="k", channel_id="C1", now=NOW
    )
    assert outcome.status == "refused"
    assert (
        outcome.message
        == "Nobody may act on tickets from Slack yet: the bot's config lists no triage_managers"
    )
    assert service.may_act(LEAD.user_id) is False


def test_members_of_a_listed_user_group_may_act():
    asked: list[str] = []

    def in_groups(user_id: str) -> bool:
        asked.append(user_id)
        return user_id == "UMEMBER"

    managers = TriageManagers.from_config(["ULEAD", "S0TRIAGE"], in_groups=in_groups)
    assert (managers.users, managers.groups) == (("ULEAD",), ("S0TRIAGE",))
    assert managers.allows("ULEAD") and asked == []  # a listed user needs no group lookup
    assert managers.allows("UMEMBER")
    assert not managers.allows(STRANGER.user_id)
    assert not TriageManagers.from_config(["ULEAD"], in_groups=lambda _: True).allows("UOTHER")


def test_the_channels_repository_rules_refuse_before_anything_is_written(bench: Bench):
    service = make_service(
        bench.writer,
        bench.store,
        repo_refusal=lambda channel, repo: f"This channel reports on acme/other only, not {repo}",
    )
    outcome = service.run(
        TicketAction(kind="reopen", repo=REPO, number=692), LEAD, request_key="k", channel_id="C1", now=NOW
    )
    assert (outcome.status, outcome.message) == (
        "refused",
        f"This channel reports on acme/other only, not {REPO}",
    )
    assert bench.github.requests == []


def test_triage_managers_in_the_config_must_be_slack_ids(tmp_path):
    config = tmp_path / "config.yml"
    config.write_text("triage_managers: [ULEAD, S0TRIAGE, '@ada']\n", encoding="utf-8")
    with pytest.raises(SettingsError) as raised:
        load_settings({}, config_path=str(config))
    assert "triage_managers" in str(raised.value) and "'@ada' is not a Slack user ID" in str(raised.value)

    config.write_text("triage_managers: [ULEAD, ' S0TRIAGE ']\n", encoding="utf-8")
    assert load_settings({}, config_path=str(config)).config.triage_managers == ["ULEAD", "S0TRIAGE"]
    assert load_settings({}).config.triage_managers == []


def test_a_refusal_leaves_the_request_free_for_a_triage_manager(bench: Bench):
    """Someone else's click on the button does not use it up: the manager's click of it runs."""
    action = TicketAction(kind="close", repo=REPO, number=691)
    assert bench.run(action, actor=STRANGER).status == "refused"
    assert bench.run(action, actor=STRANGER).status == "refused"  # a double click: recorded once
    assert bench.github.requests == []
    assert bench.run(action).status == "done"
    assert bench.github.issue(REPO, 691)["state"] == "closed"
    statuses = sorted(r.status for r in bench.store.actions.since(NOW - timedelta(days=1)))
    assert statuses == ["done", "refused"]


def test_the_same_refused_click_later_is_recorded_again_a_double_click_once(bench: Bench):
    """The same control on the same unchanged message gives the same request key: clicked twice within
    a second it is one refusal in the audit; clicked again the next day, a second one."""
    action = TicketAction(kind="close", repo=REPO, number=691)
    assert bench.run(action, actor=STRANGER, now=NOW).status == "refused"
    assert bench.run(action, actor=STRANGER, now=NOW + timedelta(milliseconds=300)).status == "refused"
    assert len(bench.store.actions.since(NOW - timedelta(days=1))) == 1
    assert bench.run(action, actor=STRANGER, now=NOW + timedelta(days=1)).status == "refused"
    records = bench.store.actions.since(NOW - timedelta(days=1))
    assert [r.status for r in records] == ["refused", "refused"]
    assert bench.github.requests == []


def test_an_action_github_refused_may_be_tried_again_with_the_same_request(bench: Bench):
    action = TicketAction(kind="close", repo=REPO, number=691)
    bench.github.fail_next(1, 503, method="PATCH")
    assert bench.run(action).status == "failed"
    assert bench.run(action).status == "done"  # the same click again, once GitHub is back
    assert [r.method for r in bench.github.requests].count("PATCH") == 2
    assert bench.run(action).status == "repeated"
    statuses = sorted(r.status for r in bench.store.actions.since(NOW - timedelta(days=1)))
    assert statuses == ["done", "failed"]
