"""The pure decisions of alerts: which tickets, alone or bundled or counted, how long waited, answered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.alerts.engine import answered, group_of, looks_like, plan_new, waiting_for, wanted
from bot.alerts.models import AlertSubscription
from bot.report.models import Comment, Ticket
from bot.report.options import ReportOptions

NOW = datetime(2025, 4, 14, 21, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
OPTIONS = ReportOptions(response_target=timedelta(hours=24), team_logins=frozenset({"helper"}))


def ticket(number: int, *, ago: timedelta = MINUTE, **fields) -> Ticket:
    values = {
        "repo": "acme/support",
        "number": number,
        "title": f"Ticket {number}",
        "body": "",
        "url": f"https://github.com/acme/support/issues/{number}",
        "author": "alice",
        "author_association": "NONE",
        "author_is_bot": False,
        "state": "open",
        "state_reason": None,
        "labels": (),
        "created_at": NOW - ago,
        "updated_at": NOW - ago,
        "closed_at": None,
        "comments_count": 0,
    }
    values.update(fields)
    return Ticket(**values)


def comment(number: int, *, author: str, association: str = "NONE", at: datetime) -> Comment:
    return Comment(
        id=number * 100, repo="acme/support", issue_number=number, author=author,
        author_association=association, author_is_bot=False, body="hi", created_at=at,
    )  # fmt: skip


def subscription(**fields) -> AlertSubscription:
    values = {
        "channel_id": "C1",
        "kind": "new",
        "repos": (),
        "labels": (),
        "created_by": "U1",
        "created_at": NOW - timedelta(days=1),
    }
    values.update(fields)
    return AlertSubscription(**values)


def test_tickets_older_than_the_subscription_are_never_wanted():
    sub = subscription(created_at=NOW - timedelta(minutes=10))
    assert wanted(ticket(1, ago=timedelta(minutes=5)), sub, OPTIONS)
    assert not wanted(ticket(2, ago=timedelta(minutes=11)), sub, OPTIONS)


def test_excluded_and_unlabelled_tickets_are_not_wanted():
    assert not wanted(ticket(1, labels=("Announcement",)), subscription(), OPTIONS)
    assert not wanted(ticket(2, pinned=True), subscription(), OPTIONS)
    excluding = ReportOptions(exclude_issues=frozenset({("acme/support", 3)}))
    assert not wanted(ticket(3), subscription(), excluding)
    only_bugs = subscription(labels=("bug",))
    assert wanted(ticket(4, labels=("Bug",)), only_bugs, OPTIONS)
    assert not wanted(ticket(5, labels=("question",)), only_bugs, OPTIONS)


def test_up_to_the_burst_each_fresh_ticket_is_posted_alone():
    plan = plan_new([ticket(n) for n in (3, 1, 2)], now=NOW, recent=2, last_bundle_at=None, burst=5)
    assert [t.number for t in plan.single] == [1, 2, 3]  # oldest first; equal times by number
    assert plan.bundle == () and plan.counted == ()


def test_more_than_the_burst_seen_at_once_is_bundled():
    tickets = [ticket(n, ago=timedelta(seconds=n)) for n in range(1, 7)]
    plan = plan_new(tickets, now=NOW, recent=0, last_bundle_at=None, burst=5)
    assert plan.single == () and [t.number for t in plan.bundle] == [6, 5, 4, 3, 2, 1]


def test_past_the_burst_the_overflow_waits_for_the_window_then_goes_out_as_one_bundle():
    tickets = [ticket(n, ago=timedelta(seconds=n)) for n in range(1, 5)]
    plan = plan_new(tickets, now=NOW, recent=2, last_bundle_at=None, burst=5)  # 2 already + 4 > 5
    assert [t.number for t in plan.single] == [4, 3, 2] and [t.number for t in plan.deferred] == [1]
    assert plan.bundle == ()
    # One at a time, as webhooks bring them: never a bundle of one.
    one = plan_new([ticket(9, ago=timedelta(seconds=1))], now=NOW, recent=5, last_bundle_at=None, burst=5)
    assert one.deferred == (ticket(9, ago=timedelta(seconds=1)),) and one.bundle == ()
    # The window closed: what was collected goes out together; a lone one alone.
    later = NOW + MINUTE
    collected = [ticket(n, ago=timedelta(seconds=n)) for n in (7, 8, 9)]
    closed = plan_new(collected, now=later, recent=5, last_bundle_at=None, burst=5)
    assert [t.number for t in closed.bundle] == [9, 8, 7] and closed.single == closed.deferred == ()
    lone = plan_new(collected[:1], now=later, recent=5, last_bundle_at=None, burst=5)
    assert [t.number for t in lone.single] == [7] and lone.bundle == ()


def test_while_a_bundle_stands_new_tickets_wait_for_the_next_one():
    tickets = [ticket(7)]
    standing = plan_new(tickets, now=NOW, recent=9, last_bundle_at=NOW - timedelta(seconds=20), burst=5)
    assert standing.deferred == tuple(tickets) and standing.single == standing.bundle == ()
    later = plan_new(tickets, now=NOW, recent=0, last_bundle_at=NOW - timedelta(seconds=61), burst=5)
    assert later.single == tuple(tickets)


def test_tickets_over_an_hour_old_when_first_seen_are_only_counted():
    plan = plan_new(
        [ticket(1, ago=timedelta(minutes=59)), ticket(2, ago=timedelta(minutes=61))],
        now=NOW, recent=0, last_bundle_at=None, burst=5,
    )  # fmt: skip
    assert [t.number for t in plan.single] == [1] and [t.number for t in plan.counted] == [2]


def test_a_ticket_waits_once_past_the_target_without_a_team_reply():
    old = ticket(1, ago=timedelta(hours=25))
    assert waiting_for(old, [], now=NOW, options=OPTIONS) == timedelta(hours=25)
    assert waiting_for(ticket(2, ago=timedelta(hours=23)), [], now=NOW, options=OPTIONS) is None
    reporter = comment(1, author="alice", at=NOW - timedelta(hours=1))
    assert waiting_for(old, [reporter], now=NOW, options=OPTIONS) == timedelta(hours=25)
    team = comment(1, author="helper", at=NOW - timedelta(hours=1))  # a listed team login
    assert waiting_for(old, [team], now=NOW, options=OPTIONS) is None
    by_team = ticket(3, ago=timedelta(hours=25), author_association="MEMBER")
    assert waiting_for(by_team, [], now=NOW, options=OPTIONS) is None
    closed = ticket(4, ago=timedelta(hours=25), state="closed")
    assert waiting_for(closed, [], now=NOW, options=OPTIONS) is None


def test_answered_tells_the_first_team_reply_or_a_close():
    open_ticket = ticket(1, ago=timedelta(hours=25))
    assert answered(open_ticket, [comment(1, author="bob", at=NOW)], options=OPTIONS) is None
    reply = comment(1, author="maintainer", association="MEMBER", at=NOW)
    assert answered(open_ticket, [reply], options=OPTIONS) == (reply, False)
    assert answered(ticket(2, state="closed"), [], options=OPTIONS) == (None, True)
    assert answered(None, [], options=OPTIONS) == (None, True)


def test_looks_like_finds_open_tickets_with_similar_titles():
    new = ticket(9, title="Pieces OS doesn't start after update LateInitializationError")
    found = looks_like(
        new,
        [
            ("acme/support", 686, "Pieces OS doesn't start: LateInitializationError database", "u686"),
            ("acme/support", 700, "Dark mode colours are wrong", "u700"),
            ("acme/support", 9, "Pieces OS doesn't start after update LateInitializationError", "self"),
        ],
    )
    assert [s.number for s in found] == [686]


def test_group_of_finds_the_common_issue_a_new_ticket_falls_in():
    body = "After updating to 11.3.0 the desktop app crashes on startup with LateInitializationError database"
    older = [
        ticket(
            n, ago=timedelta(days=1), title=f"App crashes on startup LateInitializationError {n}", body=body
        )
        for n in (10, 11, 12)
    ]
    unrelated = ticket(
        13, ago=timedelta(days=1), title="Dark mode colours wrong in settings", body="Colours."
    )
    closed = ticket(14, ago=timedelta(days=1), title="App crashes on startup", body=body, state="closed")
    new = ticket(20, title="Crashes on startup: LateInitializationError after 11.3.0", body=body)
    found = group_of(new, [*older, unrelated, closed], [], team_logins=frozenset())
    assert found is not None and found[1] == 4  # the three open ones and the new one, not the closed one
    assert group_of(unrelated, [*older], [], team_logins=frozenset()) is None
