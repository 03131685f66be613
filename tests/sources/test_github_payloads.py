"""GitHub REST JSON -> Ticket/Comment, and the window filter (pure, no server)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.report.models import Comment, Ticket
from bot.sources.payloads import (
    comment_from_payload,
    comments_from_payloads,
    format_datetime,
    issue_number_from_url,
    parse_datetime,
    repo_from_url,
    select_window,
    ticket_from_issue,
    tickets_from_issues,
)
from tests.fakes.github_data import make_comment, make_issue

T0 = datetime(2025, 4, 14, 9, 0, tzinfo=UTC)


def test_an_issue_payload_becomes_a_ticket_with_every_field():
    payload = make_issue(
        686,
        repo="pieces-app/support",
        title="Pieces OS doesn't start",
        body="### Software\n\nDesktop",
        user="sam",
        association="CONTRIBUTOR",
        state="closed",
        state_reason="completed",
        labels=["bug", "os: macOS"],
        created_at=T0,
        updated_at=T0 + timedelta(hours=5),
        closed_at=T0 + timedelta(hours=4),
        comments=7,
        reactions=3,
    )
    ticket = ticket_from_issue(payload)
    assert ticket == Ticket(
        repo="pieces-app/support",
        number=686,
        title="Pieces OS doesn't start",
        body="### Software\n\nDesktop",
        url="https://github.com/pieces-app/support/issues/686",
        author="sam",
        author_association="CONTRIBUTOR",
        author_is_bot=False,
        state="closed",
        state_reason="completed",
        labels=("bug", "os: macOS"),
        created_at=T0,
        updated_at=T0 + timedelta(hours=5),
        closed_at=T0 + timedelta(hours=4),
        comments_count=7,
        reactions=3,
    )


def test_pull_requests_are_not_tickets():
    assert ticket_from_issue(make_issue(5, created_at=T0, pull_request=True)) is None
    issues = [make_issue(5, created_at=T0, pull_request=True), make_issue(6, created_at=T0)]
    assert [t.number for t in tickets_from_issues(issues)] == [6]


def test_missing_and_null_fields_are_tolerated():
    payload = make_issue(9, created_at=T0, title=None, body=None, user=None)
    del payload["labels"], payload["reactions"], payload["author_association"], payload["state"]
    ticket = ticket_from_issue(payload)
    assert ticket is not None
    assert (ticket.title, ticket.body, ticket.author, ticket.author_is_bot) == ("", "", "ghost", False)
    assert (ticket.labels, ticket.reactions, ticket.author_association, ticket.state) == (
        (),
        0,
        "NONE",
        "open",
    )


def test_a_payload_without_number_or_repository_is_skipped():
    payload = make_issue(9, created_at=T0)
    del payload["number"]
    assert ticket_from_issue(payload) is None
    nowhere = make_issue(9, created_at=T0)
    del nowhere["repository_url"], nowhere["url"]
    assert ticket_from_issue(nowhere) is None
    assert ticket_from_issue(nowhere, repo="o/r") is not None


@pytest.mark.parametrize(
    ("login", "user_type", "is_bot"),
    [
        ("github-actions[bot]", "Bot", True),
        ("renovate[bot]", "User", True),
        ("helper", "Bot", True),
        ("amy", "User", False),
    ],
)
def test_bots_are_recognised_by_type_or_login(login: str, user_type: str, is_bot: bool):
    ticket = ticket_from_issue(make_issue(1, created_at=T0, user=login, user_type=user_type))
    comment = comment_from_payload(make_comment(1, 10, created_at=T0, user=login, user_type=user_type))
    assert ticket is not None and comment is not None
    assert ticket.author_is_bot is is_bot
    assert comment.author_is_bot is is_bot


def test_a_comment_takes_repo_and_issue_number_from_its_issue_url():
    payload = make_comment(
        42, 777, repo="octo/help", body=None, user=None, association="MEMBER", created_at=T0, reactions=2
    )
    assert comment_from_payload(payload) == Comment(
        id=777,
        repo="octo/help",
        issue_number=42,
        author="ghost",
        author_association="MEMBER",
        author_is_bot=False,
        body="",
        created_at=T0,
        reactions=2,
    )


def test_github_enterprise_urls_name_the_repository_too():
    payload = make_comment(3, 8, repo="team/desk", created_at=T0, api="https://ghe.example.com/api/v3")
    comment = comment_from_payload(payload)
    assert comment is not None and (comment.repo, comment.issue_number) == ("team/desk", 3)
    assert repo_from_url("https://ghe.example.com/api/v3/repos/team/desk") == "team/desk"
    assert issue_number_from_url("https://api.github.com/repos/o/r/issues/comments/5") is None


def test_pull_request_comments_are_dropped():
    pr_comment = make_comment(4, 11, created_at=T0, pull_request=True)
    assert comment_from_payload(pr_comment) is None
    assert comments_from_payloads([pr_comment, make_comment(5, 12, created_at=T0)])[0].issue_number == 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-04-14T09:00:00Z", T0),
        ("2025-04-14T11:00:00+02:00", T0),
        ("2025-04-14T09:00:00", T0),  # no offset: GitHub means UTC
        ("yesterday", None),
        ("", None),
        (None, None),
        (12345, None),
    ],
)
def test_datetimes_are_parsed_as_aware_utc(text: object, expected: datetime | None):
    parsed = parse_datetime(text)
    assert parsed == expected
    if parsed is not None:
        assert parsed.utcoffset() == timedelta(0)


def test_datetimes_are_formatted_in_utc_and_naive_ones_are_refused():
    berlin_midnight = datetime(2025, 4, 14, 0, 0, tzinfo=timezone(timedelta(hours=2)))
    assert format_datetime(berlin_midnight) == "2025-04-13T22:00:00Z"
    with pytest.raises(ValueError, match="naive"):
        format_datetime(datetime(2025, 4, 14))


def _ticket(number: int, *, created: datetime, closed: datetime | None = None) -> Ticket:
    ticket = ticket_from_issue(
        make_issue(number, created_at=created, closed_at=closed, state="closed" if closed else "open")
    )
    assert ticket is not None
    return ticket


def _comment(number: int, comment_id: int, at: datetime) -> Comment:
    comment = comment_from_payload(make_comment(number, comment_id, created_at=at))
    assert comment is not None
    return comment


def test_the_window_keeps_tickets_created_closed_or_commented_in_it_half_open():
    start, end = T0, T0 + timedelta(days=1)
    tickets = [
        _ticket(1, created=start),  # created at the start: in
        _ticket(2, created=end),  # created at the end: out (half-open)
        _ticket(3, created=start - timedelta(days=9), closed=end - timedelta(seconds=1)),  # closed in it
        _ticket(4, created=start - timedelta(days=9)),  # commented in it
        _ticket(5, created=start - timedelta(days=9)),  # commented only before it
        _ticket(6, created=start - timedelta(days=9), closed=start - timedelta(seconds=1)),  # closed before
    ]
    comments = [
        _comment(4, 40, start + timedelta(hours=1)),
        _comment(5, 50, start - timedelta(seconds=1)),
        _comment(1, 10, end),  # at the end: out
        _comment(99, 990, start + timedelta(hours=2)),  # a ticket we do not have
    ]
    data = select_window(tickets, comments, window_start=start, window_end=end)
    assert [t.number for t in data.tickets] == [1, 3, 4]
    assert [c.id for c in data.comments] == [40]
    assert data.comments_since == start


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)
issue_keys = st.sampled_from(
    ["number", "title", "body", "user", "labels", "state", "state_reason", "created_at", "closed_at",
     "updated_at", "comments", "reactions", "repository_url", "html_url", "author_association", "issue_url",
     "id", "pull_request"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(base=st.booleans(), junk=st.dictionaries(issue_keys, json_values, max_size=8))
def test_hostile_payloads_never_crash_the_parser(base: bool, junk: dict):
    issue = {**make_issue(1, created_at=T0), **junk} if base else junk
    comment = {**make_comment(1, 2, created_at=T0), **junk} if base else junk
    ticket = ticket_from_issue(issue)
    parsed = comment_from_payload(comment)
    if ticket is not None:
        assert isinstance(ticket.title, str) and isinstance(ticket.body, str)
        assert ticket.created_at.tzinfo is not None
    if parsed is not None:
        assert isinstance(parsed.body, str) and parsed.created_at.tzinfo is not None
