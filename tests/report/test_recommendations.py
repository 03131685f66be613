"""Recommendations fire only on evidence and cite the tickets and figures behind them."""

from dataclasses import replace
from datetime import timedelta

from bot.report.activity import comments_by_ticket
from bot.report.models import (
    SUGGEST_CLOSE_DUPLICATE,
    SUGGEST_LABEL,
    SUGGEST_REPLY,
    Cited,
    GroupSummary,
    IssueGroup,
    LabelStat,
    SuggestedAction,
    ref,
)
from bot.report.options import ReportOptions
from bot.report.recommendations import recommend
from bot.report.relations import ticket_links
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
    t = ticket(1, created="2025-04-14 08:00", comments_count=1, labels=("bug",))
    cs = [comment(t, at_="2025-04-14 09:00", author="staff", association="MEMBER")]
    assert run([t], cs) == ()


def test_tickets_waiting_past_the_target_are_named_with_their_wait():
    late = ticket(1, created="2025-04-12 08:00", comments_count=0, labels=("bug",))
    fresh = ticket(2, created="2025-04-14 20:00", comments_count=0, labels=("bug",))
    (rec,) = run([late, fresh])
    assert rec.kind == "waiting"
    assert [t.number for t in rec.tickets] == [1]
    assert "#1 (2d 16h)" in rec.text and "24-hour response target" in rec.text


def test_new_tickets_without_a_label_are_to_be_triaged_with_correct_grammar():
    one = ticket(1, created="2025-04-14 08:00", comments_count=0)
    (rec,) = run([one])
    assert rec.kind == "triage"
    assert rec.text == "1 new ticket has no label yet (#1); label it so it reaches the right people."
    two = [one, ticket(2, created="2025-04-14 09:00")]
    (rec,) = run(two)
    assert rec.text.startswith("2 new tickets have no label yet (#1, #2); label them so they reach")
    closed = ticket(3, created="2025-04-14 08:00", closed="2025-04-14 09:00")
    assert run([closed]) == ()  # nothing left to triage


def test_two_tickets_sharing_only_a_version_are_no_regression():
    a = ticket(1, created="2025-04-14 08:00", title="Crash on launch after 11.3.0", comments_count=1)
    b = ticket(
        2, created="2025-04-14 09:00", body="Version: 11.3.0\nThe export button is grey", comments_count=1
    )
    a, b = (replace(t, labels=("bug",)) for t in (a, b))
    cs = [comment(t, at_="2025-04-14 10:00", author="staff", association="MEMBER") for t in (a, b)]
    assert run([a, b], cs) == ()  # no shared symptom (no group), so no "check 11.3.0"


def _group(tickets, *, version="11.3.0", kind="no_reply", fails=None, error="DbError: closed"):
    refs = tuple(ref(t) for t in tickets)
    parts = GroupSummary(
        problem=Cited("p", refs),
        affected=Cited("a", refs),
        status=Cited("Fix released in 11.3.1 (mark on #1, 14 Apr 2025)." if kind == "fix_released" else "s"),
        tell_users=Cited("t"),
        status_kind=kind,
        fix_version="11.3.1" if kind == "fix_released" else None,
        fix_fails=fails,
        product="Acme OS",
        version=version,
        error=error,
    )
    return IssueGroup(title="App fails to launch", summary=parts.text(), tickets=refs, parts=parts)


def run_with(active, cs=(), *, groups=(), labels=(), options=OPTIONS):
    grouped = comments_by_ticket(cs)
    response = response_times(
        active, grouped, period=PERIOD, team_logins=frozenset(), comments_since=at("2025-04-13 00:00")
    )
    links = {t.key: ticket_links(t, grouped.get(t.key, ()), team_logins=frozenset()) for t in active}
    return recommend(
        active,
        grouped,
        period=PERIOD,
        labels=labels,
        response=response,
        options=options,
        groups=groups,
        links=links,
    )


def _answered(tickets):
    return [comment(t, at_="2025-04-14 10:00", author="staff", association="MEMBER") for t in tickets]


def test_a_product_version_shared_by_a_group_is_a_regression_naming_the_product():
    tickets = [ticket(i, created="2025-04-14 08:00", labels=("bug",), comments_count=1) for i in (1, 2)]
    closed = replace(tickets[1], state="closed", closed_at=at("2025-04-14 12:00"), state_reason="completed")
    tickets = [tickets[0], closed]
    (rec,) = run_with(tickets, _answered(tickets), groups=[_group(tickets)])
    assert rec.kind == "regression"
    assert rec.title == "Check Acme OS 11.3.0 for a regression"
    assert (
        "2 tickets on Acme OS 11.3.0 report the same problem, “DbError: closed” (#1, #2); 1 is still open"
        in (rec.text)
    )
    assert [t.number for t in rec.tickets] == [1, 2]
    both_closed = [replace(t, state="closed", closed_at=at("2025-04-14 12:00")) for t in tickets]
    (rec,) = run_with(both_closed, _answered(both_closed), groups=[_group(both_closed)])
    assert "still open" not in rec.text  # no "0 of them are still open"


def test_a_fix_that_does_not_work_comes_first():
    tickets = [ticket(i, created="2025-04-14 08:00", labels=("bug",), comments_count=1) for i in (1, 2, 3)]
    fails = Cited("user3 says “11.3.1 still fails” (#3, 14 Apr 2025).", (ref(tickets[2]),))
    late = ticket(9, created="2025-04-12 08:00", labels=("bug",))
    recs = run_with(
        [*tickets, late], _answered(tickets), groups=[_group(tickets, kind="fix_released", fails=fails)]
    )
    assert [r.kind for r in recs] == ["fix_fails", "waiting"]  # with a fix out, no "regression" too
    assert recs[0].title == "Check the fix: 11.3.1 does not work for everyone"
    assert recs[0].text == (
        "user3 says “11.3.1 still fails” (#3, 14 Apr 2025), after the team's fix for “App fails to launch” "
        "(3 tickets: #1, #2, #3)."
    )
    assert [r.impact for r in recs] == sorted((r.impact for r in recs), reverse=True)


def test_open_tickets_the_team_marked_as_duplicates_are_to_be_closed():
    original = ticket(1, created="2025-04-14 08:00", labels=("bug",), comments_count=1)
    dupe = ticket(2, created="2025-04-14 08:00", labels=("bug",), comments_count=1)
    by_user = ticket(3, created="2025-04-14 08:00", labels=("bug",), comments_count=1)
    cs = [
        comment(original, at_="2025-04-14 10:00", author="staff", association="MEMBER"),
        comment(dupe, at_="2025-04-14 10:00", author="staff", association="MEMBER", body="Duplicate of #1"),
        comment(by_user, at_="2025-04-14 10:00", author="staff", association="MEMBER", body="Looking"),
        comment(by_user, at_="2025-04-14 11:00", author="someone", body="dupe of #1 I think"),
    ]
    (rec,) = run_with([original, dupe, by_user], cs)
    assert rec.kind == "duplicates"
    assert rec.text == "1 open ticket was marked as a duplicate by the team but is still open: #2 (of #1)."
    # ...and carries what Slack can do about it: close #2 as a duplicate of #1
    assert rec.actions == (SuggestedAction(SUGGEST_CLOSE_DUPLICATE, dupe.repo, 2, duplicate_of=1),)


def test_waiting_and_unlabelled_tickets_carry_their_action_per_ticket():
    late = ticket(1, created="2025-04-12 08:00", comments_count=0, labels=("bug",))
    (rec,) = run([late])
    assert rec.actions == (SuggestedAction(SUGGEST_REPLY, late.repo, 1),)
    two = [ticket(1, created="2025-04-14 08:00"), ticket(2, created="2025-04-14 09:00")]
    (rec,) = run(two)
    assert [(a.kind, a.number) for a in rec.actions] == [(SUGGEST_LABEL, 1), (SUGGEST_LABEL, 2)]


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
    assert "5 are still open" in rec.text
    assert [r.number for r in rec.tickets] == [1]  # the label's new tickets, cited


def test_workflow_labels_and_small_rises_are_no_news():
    t = ticket(1, created="2025-04-14 08:00", comments_count=1, labels=("status:triaged", "bug"))
    cs = _answered([t])
    labels = [
        LabelStat(label="status:triaged", received=9, resolved=0, pending=9, previous_received=0),
        LabelStat(label="Needs-Info", received=4, resolved=0, pending=4, previous_received=0),
        LabelStat(label="bug", received=2, resolved=0, pending=2, previous_received=0),  # under 3
        LabelStat(label="sync", received=5, resolved=0, pending=5, previous_received=3),  # under 2x
    ]
    assert run([t], cs, labels=labels) == ()
    custom = replace(OPTIONS, workflow_labels=("state/*",), label_rise_min=2)
    recs = run_with([t], cs, labels=labels, options=custom)
    assert [r.title for r in recs] == ["More 'status:triaged' tickets than before"]


def test_at_most_five_recommendations():
    tickets = [
        ticket(i, created="2025-01-01 08:00", state_reason="reopened", comments_count=0, body="version 2.0.1")
        for i in range(1, 4)
    ]
    cs = [comment(t, at_="2025-04-14 09:00", author="someone") for t in tickets]
    labels = [LabelStat(label="bug", received=5, resolved=0, pending=5, previous_received=0)]
    recs = run(tickets, cs, labels=labels)
    assert 1 <= len(recs) <= 5
