"""Recommendations fire only on evidence and cite the tickets and figures behind them."""

from datetime import timedelta

from bot.report.activity import comments_by_ticket
from bot.report.models import LabelStat
from bot.report.options import ReportOptions
from bot.report.recommendations import recommend
from bot.report.stats import response_times
from tests.report.factories import at, comment, day, ticket

PERIOD = day("2025-04-14")
OPTIONS = ReportOptions(response_target=timedelta(hours=24), long_open=timedelta(days=30))


def run(active, cs=(), labels=()):
    grouped = comments_by_ticket(cs)
    response = response_times(
        active, grouped, period=PERIOD, team_logins=frozenset(), comments_since=at("2025-04-13 00:00")
    )
    return recommend(active, grouped, period=PERIOD, labels=labels, response=response, options=OPTIONS)


def test_quiet_healthy_data_gives_no_generic_advice():
    t = ticket(1, created="2025-04-14 08:00", comments_count=1)
    cs = [comment(t, at_="2025-04-14 09:00", author="staff", association="MEMBER")]
    assert run([t], cs) == ()


def test_tickets_waiting_past_the_target_are_named_with_their_wait():
    late = ticket(1, created="2025-04-12 08:00", comments_count=0)
    fresh = ticket(2, created="2025-04-14 20:00", comments_count=0)
    (rec,) = run([late, fresh])
    assert [t.number for t in rec.tickets] == [1]
    assert "#1 (2d 16h)" in rec.text and "24-hour response target" in rec.text


def test_a_version_shared_by_several_tickets_is_flagged():
    a = ticket(1, created="2025-04-14 08:00", title="Crash on launch after 11.3.0", comments_count=1)
    b = ticket(2, created="2025-04-14 09:00", body="Version: 11.3.0\nIt fails", comments_count=1)
    c = ticket(3, created="2025-04-14 09:00", body="Version 11.2.9", comments_count=1)
    cs = [comment(t, at_="2025-04-14 10:00", author="staff", association="MEMBER") for t in (a, b, c)]
    (rec,) = run([a, b, c], cs)
    assert "11.3.0" in rec.title
    assert [t.number for t in rec.tickets] == [1, 2]
    assert "2 tickets" in rec.text and "2 of them are still open" in rec.text


def test_reopened_and_long_open_tickets():
    reopened = ticket(1, created="2025-04-14 08:00", state_reason="reopened", comments_count=1)
    old = ticket(2, created="2025-01-01 08:00", comments_count=9)
    cs = [
        comment(reopened, at_="2025-04-14 09:00", author="staff", association="MEMBER"),
        comment(old, at_="2025-04-14 09:00", author="reporter2"),
        comment(old, at_="2025-04-14 10:00", author="reporter3"),
    ]
    recs = {r.title: r for r in run([reopened, old], cs)}
    assert [t.number for t in recs["Review reopened tickets"].tickets] == [1]
    long_open = recs["Revisit long-open tickets that are active again"]
    assert [t.number for t in long_open.tickets] == [2]
    assert "2 new comments" in long_open.text


def test_a_label_that_rose_is_reported_with_both_figures():
    labels = [
        LabelStat(label="bug", received=6, resolved=1, pending=5, previous_received=2),
        LabelStat(label="docs", received=2, resolved=0, pending=2, previous_received=2),
    ]
    t = ticket(1, created="2025-04-14 08:00", comments_count=1, labels=("bug",))
    older = ticket(2, created="2025-04-01 08:00", comments_count=1, labels=("bug",))
    cs = [comment(x, at_="2025-04-14 09:00", author="staff", association="MEMBER") for x in (t, older)]
    (rec,) = run([t, older], cs, labels=labels)
    assert "'bug'" in rec.title and "6 new tickets" in rec.text and "up from 2" in rec.text
    assert [r.number for r in rec.tickets] == [1]  # the label's new tickets, cited


def test_at_most_five_recommendations():
    tickets = [
        ticket(i, created="2025-01-01 08:00", state_reason="reopened", comments_count=0, body="version 2.0.1")
        for i in range(1, 4)
    ]
    cs = [comment(t, at_="2025-04-14 09:00", author="someone") for t in tickets]
    labels = [LabelStat(label="bug", received=5, resolved=0, pending=5, previous_received=0)]
    recs = run(tickets, cs, labels=labels)
    assert 1 <= len(recs) <= 5
