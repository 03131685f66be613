"""Each action end to end: the real writer (PyGithub over HTTP) against the fake GitHub, the claim and
the record in a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

from bot.actions.model import Actor, TicketAction
from bot.actions.service import TriageManagers
from bot.sources.github_writes import GitHubWriter
from bot.store import Store
from tests.actions.conftest import LEAD, NOW, REPO, STRANGER, Bench, make_service, only_record
from tests.fakes.github_server import FakeGitHub


def writes(bench: Bench) -> list:
    return [r for r in bench.github.requests if r.method in ("POST", "PATCH", "DELETE")]


def test_a_reply_is_posted_with_its_attribution_and_recorded(bench: Bench):
    outcome = bench.run(
        TicketAction(kind="reply", repo=REPO, number=691, text="Settings → Export.\r\nThanks!")
    )

    assert outcome.status == "done", outcome.message
    assert outcome.message == f"Replied on {REPO}#691 (asked by Ada Lovelace)"
    [comment] = bench.github.comments_of(REPO, 691)
    body = comment["body"]
    assert body.startswith(
        "Settings → Export.\nThanks!\n\n— sent from Slack by Ada Lovelace\n<!-- ticket-report"
    )
    assert outcome.comment_url == comment["html_url"]
    record = bench.store.actions.get("k1")
    assert record is not None
    assert (record.status, record.actor_id, record.actor_name, record.kind, record.number) == (
        "done",
        LEAD.user_id,
        "Ada Lovelace",
        "reply",
        691,
    )
    assert record.details == {"text": "Settings → Export.\r\nThanks!"}
    assert record.comment_url == comment["html_url"]


def test_closing_sends_the_state_reason_and_the_ticket_is_closed(bench: Bench):
    outcome = bench.run(TicketAction(kind="close", repo=REPO, number=691, state_reason="not_planned"))

    assert outcome.status == "done", outcome.message
    assert outcome.message == f"Closed {REPO}#691 as not planned (asked by Ada Lovelace)"
    [patch] = [r for r in bench.github.requests if r.method == "PATCH"]
    assert patch.path == f"/repos/{REPO}/issues/691"
    assert patch.body == {"state": "closed", "state_reason": "not_planned"}
    issue = bench.github.issue(REPO, 691)
    assert (issue["state"], issue["state_reason"]) == ("closed", "not_planned")


def test_closing_as_a_duplicate_comments_duplicate_of_then_closes(bench: Bench):
    outcome = bench.run(
        TicketAction(kind="close", repo=REPO, number=688, state_reason="duplicate", duplicate_of=686)
    )

    assert outcome.status == "done", outcome.message
    assert outcome.message == f"Closed {REPO}#688 as a duplicate of #686 (asked by Ada Lovelace)"
    [comment] = bench.github.comments_of(REPO, 688)
    assert comment["body"].startswith("Duplicate of #686\n\n— sent from Slack by Ada Lovelace\n")
    issue = bench.github.issue(REPO, 688)
    assert (issue["state"], issue["state_reason"]) == ("closed", "duplicate")
    assert [r.method for r in writes(bench)] == ["POST", "PATCH"]  # the comment first, then the close


def test_reopening_a_closed_ticket(bench: Bench):
    outcome = bench.run(TicketAction(kind="reopen", repo=REPO, number=692))

    assert outcome.status == "done", outcome.message
    assert outcome.message == f"Reopened {REPO}#692 (asked by Ada Lovelace)"
    issue = bench.github.issue(REPO, 692)
    assert (issue["state"], issue["state_reason"], issue["closed_at"]) == ("open", "reopened", None)


def test_a_non_manager_is_refused_nothing_is_written_and_the_refusal_is_recorded(bench: Bench):
    outcome = bench.run(TicketAction(kind="close", repo=REPO, number=691), actor=STRANGER)

    assert outcome.status == "refused"
    assert "triage_managers" in outcome.message
    assert bench.github.requests == []  # not even a read
    record = only_record(bench.store)
    assert record is not None
    assert (record.status, record.actor_id, record.actor_name) == ("refused", "USTRANGER", "Mallory")


def test_the_same_request_key_twice_writes_once(bench: Bench):
    action = TicketAction(kind="reply", repo=REPO, number=691, text="Hello")
    first = bench.run(action, key="C1:1712.0001:reply:691")
    second = bench.run(action, key="C1:1712.0001:reply:691")

    assert first.status == "done"
    assert second.status == "repeated"
    assert second.message == f"Already done: Replied on {REPO}#691 (asked by Ada Lovelace)"
    assert second.comment_url == first.comment_url
    assert len(bench.github.comments_of(REPO, 691)) == 1
    assert len(writes(bench)) == 1


def test_the_details_are_recorded_as_json(bench: Bench):
    bench.run(TicketAction(kind="close", repo=REPO, number=688, state_reason="duplicate", duplicate_of=686))
    record = bench.store.actions.get("k1")
    assert record is not None
    assert record.details == {"state_reason": "duplicate", "duplicate_of": 686}
    assert json.loads(json.dumps(record.details)) == record.details


def test_a_second_manager_closing_the_same_duplicate_writes_nothing_more(
    github: FakeGitHub, writer: GitHubWriter, store: Store
):
    grace = Actor(user_id="UGRACE", display_name="Grace Hopper")
    service = make_service(writer, store, managers=TriageManagers(users=(LEAD.user_id, grace.user_id)))
    action = TicketAction(kind="close", repo=REPO, number=688, state_reason="duplicate", duplicate_of=686)

    first = service.run(action, LEAD, request_key="from-ada", channel_id="C1", now=NOW)
    second = service.run(action, grace, request_key="from-grace", channel_id="C1", now=NOW)

    assert first.status == "done", first.message
    assert (second.status, second.message) == ("done", f"{REPO}#688 was already closed as a duplicate")
    assert len(github.comments_of(REPO, 688)) == 1  # one "Duplicate of #686", not two
    assert [r.method for r in github.requests if r.method != "GET"] == ["POST", "PATCH"]
