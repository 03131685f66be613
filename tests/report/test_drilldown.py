"""The drill-down's pure half: what is remembered of a report, and one ticket's detail built from it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.report.builder import build_report
from bot.report.drilldown import (
    DESCRIPTION_CHARS,
    ContextTicket,
    ReportContext,
    build_ticket_detail,
    context_from_report,
    similar_titles,
)
from bot.report.models import Period, TicketData
from bot.report.options import ReportOptions
from bot.report.scoring import score_ticket

from .factories import REPO, at, comment, day, ticket

NOW = at("2025-04-14 21:00")
PERIOD = day("2025-04-14")
OPTIONS = ReportOptions()


def _report_fixture():
    db1 = ticket(
        685,
        created="2025-04-14 08:00",
        title="Pieces OS database corruption after update",
        body="LateInitializationError: database corrupt after 11.3.0 on macOS",
        comments_count=2,
    )
    db2 = ticket(
        686,
        created="2025-04-14 09:00",
        title="Database corruption LateInitializationError on start",
        body="Duplicate of #685",
        comments_count=1,
    )
    login = ticket(687, created="2025-04-14 10:00", title="Login stuck at authentication page")
    comments = [
        comment(db1, at_="2025-04-14 10:00", body="Same here on 11.3.0", author="carol"),
        comment(db1, at_="2025-04-14 11:00", author="maint", association="MEMBER", body="Delete the db"),
        comment(db2, at_="2025-04-14 12:00", body="+1", author="dan"),
        comment(login, at_="2025-04-14 12:30", body="me too", author="erin"),
    ]
    data = TicketData(tickets=(db1, db2, login), comments=tuple(comments))
    report = build_report(data, period=PERIOD, now=NOW, repos=[REPO], options=OPTIONS)
    return report, (db1, db2, login), comments


def _own(comments, t):
    return [c for c in comments if c.issue_number == t.number]


# --- ReportContext ------------------------------------------------------------------------------------


def test_a_context_survives_a_json_round_trip() -> None:
    report, _, _ = _report_fixture()
    context = context_from_report(report)
    restored = ReportContext.from_dict(json.loads(json.dumps(context.to_dict())))
    assert restored == context
    assert restored.repos == (REPO,)
    assert restored.ticket_count == 3
    assert [t.number for t in restored.tickets] == [s.ticket.number for s in report.tickets]
    assert restored.groups == tuple(
        tuple((t.repo, t.number) for t in g.tickets) for g in report.common_issues
    )


def test_a_context_remembers_the_period_in_its_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    period = Period(
        start=datetime(2025, 3, 30, tzinfo=berlin), end=datetime(2025, 3, 31, tzinfo=berlin), label="DST day"
    )
    report, _, _ = _report_fixture()
    context = context_from_report(replace(report, period=period))
    restored = ReportContext.from_dict(json.loads(json.dumps(context.to_dict())))
    assert restored.timezone == "Europe/Berlin"
    assert restored.period.start == period.start and restored.period.end == period.end
    assert restored.period.start.tzinfo == berlin
    assert restored.period.length == timedelta(hours=23)


def test_the_context_keeps_the_best_tickets_and_every_group_member_within_its_cap() -> None:
    report, _, _ = _report_fixture()
    grouped = {(t.repo, t.number) for g in report.common_issues for t in g.tickets}
    assert grouped, "the fixture has a group"
    context = context_from_report(report, limit=1)
    kept = {t.key for t in context.tickets}
    assert grouped <= kept
    assert {(s.ticket.repo, s.ticket.number) for s in report.most_active} <= kept
    assert context.ticket_count == len(report.tickets)

    many = [ticket(n, created="2025-04-14 08:00", title=f"Ticket about thing {n}") for n in range(1, 41)]
    big = build_report(
        TicketData(tickets=tuple(many), comments=()),
        period=PERIOD,
        now=NOW,
        repos=[REPO],
        options=replace(OPTIONS, top_n=3, max_groups=0),
    )
    capped = context_from_report(big, limit=10)
    assert len(capped.tickets) == 10
    assert [t.number for t in capped.tickets] == [s.ticket.number for s in big.tickets[:10]]
    assert capped.ticket_count == 40


@pytest.mark.parametrize(
    "data",
    [{}, {"period": {}}, {"period": {"start": "2025-04-14", "end": "2025-04-15"}}, {"period": "x"}],
)
def test_something_that_is_not_a_stored_context_is_refused(data: dict) -> None:
    with pytest.raises(ValueError):
        ReportContext.from_dict(data)


# --- score and rank -----------------------------------------------------------------------------------


def test_in_a_reports_thread_the_score_is_the_one_the_report_showed() -> None:
    report, (db1, _, _), comments = _report_fixture()
    context = context_from_report(report)
    # The drill-down reads comments the report's window never saw: the score must not change.
    later = [*_own(comments, db1), comment(db1, at_="2025-04-15 09:00", body="still broken", author="zed")]
    detail = build_ticket_detail(
        db1, later, now=NOW + timedelta(days=1), period=PERIOD, options=OPTIONS, context=context
    )
    shown = next(s for s in report.tickets if s.ticket.number == db1.number)
    assert detail.score == shown.score
    assert detail.breakdown == shown.breakdown
    assert detail.score_from_report
    assert detail.rank == 1 + [s.ticket.number for s in report.tickets].index(db1.number)
    assert detail.ranked_among == 3
    assert detail.score_period_label == PERIOD.label


def test_without_a_context_the_score_is_computed_over_the_given_period() -> None:
    _, (db1, _, _), comments = _report_fixture()
    own = _own(comments, db1)
    detail = build_ticket_detail(db1, own, now=NOW, period=PERIOD, options=OPTIONS, context=None)
    expected = score_ticket(db1, own, period=PERIOD, weights=OPTIONS.weights, team_logins=frozenset())
    assert (detail.score, detail.breakdown) == (expected.score, expected.breakdown)
    assert not detail.score_from_report and detail.rank is None
    assert detail.related == ()


# --- people and the first response --------------------------------------------------------------------


def test_the_first_team_response_ignores_the_author_bots_and_the_community() -> None:
    t = ticket(1, created="2025-04-14 08:00", author="alice", comments_count=4)
    comments = [
        comment(t, at_="2025-04-14 08:30", author="alice", association="MEMBER", body="self bump"),
        comment(t, at_="2025-04-14 09:00", author="helper-bot", association="MEMBER", bot=True),
        comment(t, at_="2025-04-14 10:00", author="bob"),
        comment(t, at_="2025-04-14 11:15", author="Maint", association="COLLABORATOR"),
    ]
    detail = build_ticket_detail(t, comments, now=NOW, period=PERIOD, options=OPTIONS, context=None)
    response = detail.first_response
    assert (response.kind, response.after, response.by, response.at_most) == (
        "answered",
        timedelta(hours=3, minutes=15),
        "Maint",
        False,
    )
    assert detail.participants == 3  # alice, bob, Maint: the bot is not a person
    assert detail.participants_complete


def test_a_login_listed_as_team_answers_too() -> None:
    t = ticket(1, created="2025-04-14 08:00", comments_count=1)
    said = [comment(t, at_="2025-04-14 09:00", author="Helper")]
    options = replace(OPTIONS, team_logins=frozenset({"helper"}))
    detail = build_ticket_detail(t, said, now=NOW, period=PERIOD, options=options, context=None)
    assert detail.first_response.kind == "answered"
    assert detail.recent_comments[0].role == "team"


def test_an_open_ticket_without_a_team_answer_shows_how_long_it_has_waited() -> None:
    t = ticket(1, created="2025-04-14 08:00", comments_count=1)
    said = [comment(t, at_="2025-04-14 09:00", author="bob")]
    detail = build_ticket_detail(t, said, now=NOW, period=PERIOD, options=OPTIONS, context=None)
    assert detail.first_response.kind == "waiting"
    assert detail.first_response.after == timedelta(hours=13)
    assert detail.age == detail.open_for == timedelta(hours=13)


def test_a_closed_ticket_without_a_team_answer_says_so_and_its_open_time_ends_at_closing() -> None:
    t = ticket(1, created="2025-04-14 08:00", closed="2025-04-14 10:30", reason="not_planned")
    detail = build_ticket_detail(t, [], now=NOW, period=PERIOD, options=OPTIONS, context=None)
    assert detail.first_response.kind == "closed_unanswered"
    assert detail.open_for == timedelta(hours=2, minutes=30)
    assert detail.age == timedelta(hours=13)
    assert (detail.state, detail.state_reason) == ("closed", "not_planned")


def test_when_some_comments_were_not_read_nothing_is_claimed_that_they_could_contradict() -> None:
    t = ticket(1, created="2025-04-14 08:00", comments_count=250)
    unread_gap = [comment(t, at_="2025-04-14 09:00", author=f"user{i}") for i in range(5)]
    detail = build_ticket_detail(t, unread_gap, now=NOW, period=PERIOD, options=OPTIONS, context=None)
    assert detail.first_response.kind == "unknown"
    assert not detail.participants_complete
    assert (detail.comments_count, detail.comments_read) == (250, 5)

    answered = [*unread_gap, comment(t, at_="2025-04-14 20:00", author="maint", association="OWNER")]
    later = build_ticket_detail(t, answered, now=NOW, period=PERIOD, options=OPTIONS, context=None)
    assert later.first_response.kind == "answered" and later.first_response.at_most


# --- text -------------------------------------------------------------------------------------------------


def test_the_description_leaves_out_issue_form_boilerplate_code_and_logs() -> None:
    log = "\n".join(f"2025-04-14 10:00:0{i} ERROR [db] failed to open sqlite file" for i in range(8))
    body = (
        "### Checked for Existing Issues?\n\n- [X] Yes\n\n### Operating System\n\nmacOS 14\n\n"
        "### Describe the bug\n\nPieces OS never starts after the update, the spinner keeps going.\n\n"
        f"### Logs\n\n{log}\n\n```\nStack trace line 1\nStack trace line 2\n```\n"
    )
    t = ticket(1, created="2025-04-14 08:00", body=body)
    detail = build_ticket_detail(t, [], now=NOW, period=PERIOD, options=OPTIONS, context=None)
    assert "Pieces OS never starts after the update" in detail.description
    for noise in ("Checked", "Yes", "macOS 14", "ERROR", "Stack trace", "###", "```"):
        assert noise not in detail.description


def test_the_last_three_comments_are_shown_oldest_first_with_who_wrote_them() -> None:
    t = ticket(1, created="2025-04-14 08:00", author="alice", comments_count=5)
    said = [
        comment(t, at_="2025-04-14 09:00", author="first", body="one"),
        comment(t, at_="2025-04-14 10:00", author="second", body="two"),
        comment(
            t, at_="2025-04-14 13:00", author="maint", association="MEMBER", body="**Try** `reinstalling`"
        ),
        comment(t, at_="2025-04-14 11:00", author="alice", body="Still broken: see ```log```"),
        comment(t, at_="2025-04-14 14:00", author="ci-bot", bot=True, body="Labelled."),
    ]
    detail = build_ticket_detail(t, said, now=NOW, period=PERIOD, options=OPTIONS, context=None)
    shown = detail.recent_comments
    assert [(c.author, c.role) for c in shown] == [
        ("alice", "reporter"),
        ("maint", "team"),
        ("ci-bot", "bot"),
    ]
    assert shown[1].text == "Try reinstalling."
    assert shown[0].url == f"{t.url}#issuecomment-{said[3].id}"


def test_comments_of_other_tickets_are_ignored() -> None:
    t = ticket(1, created="2025-04-14 08:00", comments_count=1)
    other = ticket(2, created="2025-04-14 08:00")
    said = [comment(other, at_="2025-04-14 09:00", author="maint", association="MEMBER")]
    detail = build_ticket_detail(t, said, now=NOW, period=PERIOD, options=OPTIONS, context=None)
    assert detail.recent_comments == () and detail.first_response.kind == "unknown"


def test_dates_are_given_in_the_periods_timezone() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    period = Period(
        start=datetime(2025, 4, 14, tzinfo=tokyo), end=datetime(2025, 4, 15, tzinfo=tokyo), label="d"
    )
    t = ticket(1, created="2025-04-14 08:00")
    detail = build_ticket_detail(t, [], now=NOW, period=period, options=OPTIONS, context=None)
    assert detail.created_at.tzinfo == tokyo and detail.created_at.hour == 17
    assert detail.generated_at == NOW


def test_a_huge_ticket_is_summarised_within_its_budgets() -> None:
    body = ("<!channel> ```code``` <@U123> & " * 3000)[:60_000]
    t = ticket(1, created="2025-04-14 08:00", body=body, title="x" * 5000, author="alice", comments_count=500)
    said = [comment(t, at_="2025-04-14 09:00", author=f"user{i % 40}", body=body) for i in range(500)]
    detail = build_ticket_detail(t, said, now=NOW, period=PERIOD, options=OPTIONS, context=None)
    assert len(detail.description) <= DESCRIPTION_CHARS
    assert len(detail.recent_comments) == 3
    assert detail.participants == 41  # 40 commenters and the author


def test_empty_text_everywhere_is_fine() -> None:
    t = ticket(1, created="2025-04-14 08:00", body="", comments_count=1)
    t = replace(t, title="", author="")
    said = [comment(t, at_="2025-04-14 09:00", body="")]
    detail = build_ticket_detail(t, said, now=NOW, period=PERIOD, options=OPTIONS, context=None)
    assert detail.description == "" and detail.recent_comments[0].text == ""


# --- related tickets ----------------------------------------------------------------------------------


def test_duplicates_named_either_way_are_related_and_denials_are_not() -> None:
    t = ticket(
        10, created="2025-04-14 08:00", body="Duplicate of #3\n\nNot a duplicate of #4", comments_count=2
    )
    said = [
        comment(t, at_="2025-04-14 09:00", body="Looks like a dup of #5"),
        comment(t, at_="2025-04-14 10:00", body="This was duplicated by #12"),
        comment(t, at_="2025-04-14 10:30", body="Also dup'd... no: duplicated by #13."),
    ]
    detail = build_ticket_detail(t, said, now=NOW, period=PERIOD, options=OPTIONS, context=None)
    got = [(r.number, r.relation) for r in detail.related]
    assert got == [(3, "duplicate_of"), (5, "duplicate_of"), (12, "duplicated_by"), (13, "duplicated_by")]
    assert detail.related[0].url == f"https://github.com/{REPO}/issues/3"


def test_a_report_ticket_whose_body_names_this_one_as_its_original_is_related() -> None:
    report, (db1, _, _), comments = _report_fixture()
    detail = build_ticket_detail(
        db1, _own(comments, db1), now=NOW, period=PERIOD, options=OPTIONS, context=context_from_report(report)
    )
    by = [r for r in detail.related if r.number == 686]
    assert len(by) == 1 and by[0].relation == "duplicated_by"
    assert by[0].title == "Database corruption LateInitializationError on start"


def test_the_same_common_issue_is_related_with_its_group_title() -> None:
    group = [
        ContextTicket(repo=REPO, number=n, title=f"Crash {n}", score=1.0, url=f"https://x.test/{n}")
        for n in (1, 2, 3)
    ]
    context = ReportContext(
        period_start=PERIOD.start,
        period_end=PERIOD.end,
        period_label=PERIOD.label,
        repos=(REPO,),
        groups=(tuple(t.key for t in group),),
        group_titles=("App crashes on launch",),
        tickets=tuple(group),
        ticket_count=3,
    )
    t = ticket(2, created="2025-04-14 08:00", title="zzz")
    detail = build_ticket_detail(t, [], now=NOW, period=PERIOD, options=OPTIONS, context=context)
    assert [(r.number, r.relation, r.title, r.url) for r in detail.related] == [
        (1, "same_group", "Crash 1", "https://x.test/1"),
        (3, "same_group", "Crash 3", "https://x.test/3"),
    ]
    assert detail.group_title == "App crashes on launch"


def _context_of(titles: dict[int, str]) -> ReportContext:
    return ReportContext(
        period_start=PERIOD.start,
        period_end=PERIOD.end,
        period_label=PERIOD.label,
        repos=(REPO,),
        tickets=tuple(
            ContextTicket(repo=REPO, number=n, title=title, score=10.0 - i)
            for i, (n, title) in enumerate(titles.items())
        ),
        ticket_count=len(titles),
    )


def test_the_most_similar_titles_of_the_report_are_related_at_most_three_and_only_if_alike() -> None:
    context = _context_of(
        {
            1: "Database corruption on start",
            2: "LateInitializationError database not initialized",
            3: "Database corrupted after update",
            4: "Cannot open database: corruption",
            5: "Login page spins forever",
            6: "Dark mode colours are wrong",
            7: "Pieces OS database corruption after update",  # the ticket itself
        }
    )
    t = ticket(7, created="2025-04-14 08:00", title="Pieces OS database corruption after update")
    similar = similar_titles(t, context)
    assert len(similar) == 3
    numbers = [s.number for s, _ in similar]
    assert 7 not in numbers and 5 not in numbers and 6 not in numbers
    assert numbers[0] in (1, 3)
    assert all(score > 0.2 for _, score in similar)
    assert [score for _, score in similar] == sorted((score for _, score in similar), reverse=True)

    detail = build_ticket_detail(t, [], now=NOW, period=PERIOD, options=OPTIONS, context=context)
    assert [r.number for r in detail.related if r.relation == "similar"] == numbers


def test_nothing_is_similar_to_a_title_of_stop_words_or_to_unrelated_titles() -> None:
    context = _context_of(
        {1: "Login page spins forever", 2: "Dark mode colours are wrong", 3: "App crashes on update"}
    )
    assert similar_titles(ticket(9, created="2025-04-14 08:00", title="the and of"), context) == []
    one_word = ticket(9, created="2025-04-14 08:00", title="Pieces OS database corruption after update")
    assert similar_titles(one_word, context) == []  # "update" alone does not make two tickets alike
    assert similar_titles(ticket(9, created="2025-04-14 08:00", title="Database corruption"), context) == []
    assert similar_titles(ticket(9, created="2025-04-14 08:00", title=""), context) == []


def test_a_ticket_is_related_once_and_never_to_itself() -> None:
    report, (_, db2, _), comments = _report_fixture()
    said = [*_own(comments, db2), comment(db2, at_="2025-04-14 13:00", body="duplicate of #686 and of #685")]
    detail = build_ticket_detail(
        db2, said, now=NOW, period=PERIOD, options=OPTIONS, context=context_from_report(report)
    )
    numbers = [r.number for r in detail.related]
    assert 686 not in numbers
    assert len(numbers) == len(set(numbers))
    assert numbers[0] == 685 and detail.related[0].relation == "duplicate_of"


def test_utc_is_used_when_the_period_has_no_zone_name() -> None:
    assert PERIOD.start.tzinfo is UTC
    report, _, _ = _report_fixture()
    assert context_from_report(report).timezone == ""


def test_a_groups_known_workaround_is_kept_with_the_report_for_the_reply_modal() -> None:
    context = ReportContext(
        period_start=PERIOD.start,
        period_end=PERIOD.end,
        period_label=PERIOD.label,
        repos=(REPO,),
        groups=(((REPO, 1), (REPO, 2)), ((REPO, 3),)),
        group_titles=("Crash on launch", "Slow sync"),
        group_workarounds=("“Clear the cache and retry” (#1, maintainer, 14 Apr).", ""),
    )
    back = ReportContext.from_dict(json.loads(json.dumps(context.to_dict())))
    assert back.workaround_for(REPO.upper(), 2) == "“Clear the cache and retry” (#1, maintainer, 14 Apr)."
    assert back.workaround_for(REPO, 3) == ""  # its group has none
    assert back.workaround_for(REPO, 9) == ""  # in no group
    old = context.to_dict()
    for group in old["groups"]:
        group.pop("workaround", None)
    assert ReportContext.from_dict(old).workaround_for(REPO, 1) == ""  # stored by an earlier release
