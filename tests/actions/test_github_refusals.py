"""GitHub's refusals become clear messages, and nothing is left half done."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.actions.model import TicketAction
from bot.sources.github_writes import GitHubWriter
from bot.store import Store
from tests.actions.conftest import LEAD, NOW, READ_ONLY, REPO, Bench, make_service, only_record
from tests.fakes.github_server import FakeGitHub

DUPLICATE = TicketAction(kind="close", repo=REPO, number=688, state_reason="duplicate", duplicate_of=686)


def test_a_token_without_write_access_is_told_which_permission_it_lacks(github: FakeGitHub, store: Store):
    writer = GitHubWriter(token=READ_ONLY, base_url=github.url, timeout=5, retries=0)
    service = make_service(writer, store)
    try:
        outcome = service.run(
            TicketAction(kind="reply", repo=REPO, number=691, text="hi"),
            LEAD,
            request_key="k1",
            channel_id="C1",
            now=NOW,
        )
    finally:
        writer.close()

    assert outcome.status == "failed"
    assert outcome.message.startswith(f"GitHub refused to comment on {REPO}#691: GITHUB_TOKEN may not write")
    assert '"Issues: Read and write"' in outcome.message and "`repo` scope" in outcome.message
    assert github.comments_of(REPO, 691) == []
    record = only_record(store)
    assert record is not None and (record.status, record.message) == ("failed", outcome.message)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (404, f"{REPO}#691 was not found: it may have been deleted or moved, or GITHUB_TOKEN cannot see"),
        (410, f"{REPO}#691 was deleted on GitHub"),
        (422, "GitHub would not close acme/support#691: Validation Failed"),
        (503, "GitHub is having trouble (HTTP 503); nothing was changed, try again"),
    ],
)
def test_a_refused_close_says_why(bench: Bench, status: int, expected: str):
    bench.github.fail_next(1, status, method="PATCH")
    outcome = bench.run(TicketAction(kind="close", repo=REPO, number=691))

    assert outcome.status == "failed"
    assert outcome.message.startswith(expected)
    assert bench.github.issue(REPO, 691)["state"] == "open"
    assert [r.method for r in bench.github.requests].count("PATCH") == 1  # never sent again


def test_a_validation_error_names_what_github_rejected(bench: Bench):
    body = {
        "message": "Validation Failed",
        "errors": [{"resource": "Issue", "field": "state_reason", "code": "invalid"}],
        "documentation_url": "https://docs.github.com/rest",
    }
    bench.github.fail_next(1, 422, method="PATCH", body=body)
    outcome = bench.run(TicketAction(kind="close", repo=REPO, number=691))

    assert outcome.message == f"GitHub would not close {REPO}#691: state_reason invalid"


def test_a_deleted_ticket_is_found_out_before_anything_is_written(bench: Bench):
    bench.github.delete_issue(REPO, 691)
    outcome = bench.run(TicketAction(kind="reply", repo=REPO, number=691, text="hello"))

    assert (outcome.status, outcome.message) == ("failed", f"{REPO}#691 was deleted on GitHub")
    assert not [r for r in bench.github.requests if r.method == "POST"]


def test_a_transferred_ticket_says_where_it_went(bench: Bench):
    bench.github.add_repo("acme/other")
    bench.github.transfer_issue(REPO, 691, to="acme/other")
    outcome = bench.run(TicketAction(kind="close", repo=REPO, number=691))

    assert outcome.status == "failed"
    assert outcome.message == f"{REPO}#691 was transferred to acme/other; act on it there"
    assert not [r for r in bench.github.requests if r.method == "PATCH"]


def test_a_rate_limit_says_when_to_try_again(bench: Bench):
    bench.github.fail_with_primary_rate_limit(reset_at=NOW + timedelta(days=400), count=1)
    outcome = bench.run(TicketAction(kind="close", repo=REPO, number=691))

    assert outcome.status == "failed"
    assert outcome.message.startswith("GitHub rate limit reached; it resets at")


def test_a_duplicate_whose_close_fails_loses_its_comment_again(bench: Bench):
    bench.github.fail_next(1, 403, method="PATCH")
    outcome = bench.run(DUPLICATE)

    assert outcome.status == "failed"
    assert outcome.message.startswith(f"Could not close {REPO}#688: GitHub refused to close {REPO}#688")
    assert outcome.message.endswith("The comment “Duplicate of #686” was removed again, so nothing changed")
    assert bench.github.comments_of(REPO, 688) == []
    assert bench.github.issue(REPO, 688)["state"] == "open"
    assert [r.method for r in bench.github.requests if r.method != "GET"] == ["POST", "PATCH", "DELETE"]


def test_a_duplicate_whose_comment_cannot_be_removed_says_exactly_what_went_through(bench: Bench):
    bench.github.fail_next(1, 500, method="PATCH")
    bench.github.fail_next(1, 404, method="DELETE")
    outcome = bench.run(DUPLICATE)

    assert outcome.status == "partial"
    assert outcome.message.startswith(f"Commented “Duplicate of #686” on {REPO}#688 but could not close it")
    assert "could not be removed either" in outcome.message
    assert f"close {REPO}#688 by hand" in outcome.message
    [comment] = bench.github.comments_of(REPO, 688)
    assert outcome.comment_url == comment["html_url"]
    record = bench.store.actions.get("k1")
    assert record is not None and record.status == "partial"


def test_a_duplicate_of_a_ticket_that_does_not_exist_writes_nothing(bench: Bench):
    action = TicketAction(kind="close", repo=REPO, number=688, state_reason="duplicate", duplicate_of=9)
    outcome = bench.run(action)

    assert outcome.status == "failed"
    assert outcome.message.startswith(f"{REPO}#9 was not found")
    assert not [r for r in bench.github.requests if r.method != "GET"]


def test_a_comment_whose_answer_was_lost_is_found_and_not_posted_again(bench: Bench):
    bench.github.lose_next_answer("POST", "/comments", status=502)
    outcome = bench.run(TicketAction(kind="reply", repo=REPO, number=691, text="hello"))

    assert outcome.status == "done", outcome.message
    [comment] = bench.github.comments_of(REPO, 691)
    assert outcome.comment_url == comment["html_url"]
    assert [r.method for r in bench.github.requests].count("POST") == 1


def test_a_comment_whose_answer_timed_out_is_found_by_its_marker(github: FakeGitHub, store: Store):
    writer = GitHubWriter(token="ghp_write", base_url=github.url, timeout=1, retries=0)
    service = make_service(writer, store)
    github.lose_next_answer("POST", "/comments", delay=2.5)
    try:
        outcome = service.run(
            TicketAction(kind="reply", repo=REPO, number=691, text="hello"),
            LEAD,
            request_key="k1",
            channel_id="C1",
            now=NOW,
        )
    finally:
        writer.close()

    assert outcome.status == "done", outcome.message
    assert len(github.comments_of(REPO, 691)) == 1


def test_a_comment_that_may_have_been_posted_is_not_sent_again_and_says_so(bench: Bench):
    bench.github.fail_next(1, 502, method="POST")  # not made, and the check finds nothing
    outcome = bench.run(TicketAction(kind="reply", repo=REPO, number=691, text="hello"))

    assert outcome.status == "partial"
    assert "it may have been posted: check the ticket before trying again" in outcome.message
    assert [r.method for r in bench.github.requests].count("POST") == 1


def test_a_duplicate_whose_comment_is_unconfirmed_is_not_closed_and_says_so(bench: Bench):
    bench.github.fail_next(1, 502, method="POST")
    outcome = bench.run(DUPLICATE)

    assert outcome.status == "partial"
    assert outcome.message.startswith(f"GitHub did not confirm the comment on {REPO}#688")
    assert outcome.message.endswith(f"{REPO}#688 was not closed: close it once the comment is there")
    assert bench.github.issue(REPO, 688)["state"] == "open"
    assert not [r for r in bench.github.requests if r.method == "PATCH"]
