"""Reports built by hand from the core's models, for the renderer tests.

`fixture_report()` is the fixed report behind the golden files (modelled on the seed report of
pieces-app/support, with a title carrying `|`, `<b>` and backticks to pin the escaping): a headline
written from the tickets, one common issue summarised in four parts, one summarised by a model, and
two tickets left out.
`report_with_text()` puts given text everywhere a report carries GitHub text; `big_report()` makes
a report far too large for one Slack message.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.report.models import (
    Cited,
    DurationStats,
    Exclusion,
    GroupSummary,
    IssueGroup,
    LabelStat,
    Period,
    Recommendation,
    Report,
    ResponseTimes,
    ScoredTicket,
    ScoreItem,
    Ticket,
    Totals,
    ref,
)

REPO = "pieces-app/support"
NOW = datetime(2025, 4, 14, 21, 7, 2, tzinfo=UTC)
PERIOD = Period(
    start=datetime(2025, 4, 14, tzinfo=UTC),
    end=datetime(2025, 4, 15, tzinfo=UTC),
    label="2025-04-14 to 2025-04-14",
    spec="2025-04-14",
)


def make_ticket(
    number: int,
    title: str,
    *,
    repo: str = REPO,
    state: str = "open",
    state_reason: str | None = None,
    labels: tuple[str, ...] = (),
    created_at: datetime = datetime(2025, 4, 14, 8, 0, tzinfo=UTC),
    closed_at: datetime | None = None,
    comments_count: int = 0,
    body: str = "",
    url: str | None = None,
) -> Ticket:
    return Ticket(
        repo=repo,
        number=number,
        title=title,
        body=body,
        url=url if url is not None else f"https://github.com/{repo}/issues/{number}",
        author=f"user{number}",
        author_association="NONE",
        author_is_bot=False,
        state=state,
        state_reason=state_reason,
        labels=labels,
        created_at=created_at,
        updated_at=NOW,
        closed_at=closed_at,
        comments_count=comments_count,
    )


def scored(ticket: Ticket, *items: tuple[str, float, float]) -> ScoredTicket:
    breakdown = tuple(ScoreItem(reason=reason, count=count, points=points) for reason, count, points in items)
    return ScoredTicket(ticket=ticket, score=sum(item.points for item in breakdown), breakdown=breakdown)


def fixture_report() -> Report:
    """The fixed report of the golden tests."""
    t685 = make_ticket(
        685,
        "Stuck at https://authentication.pieces.services/",
        labels=("bug", "auth"),
        created_at=datetime(2025, 4, 14, 8, 0, tzinfo=UTC),
        comments_count=4,
    )
    t686 = make_ticket(
        686,
        "Pieces OS doesn't start because it's unable to open database due to corruption: "
        "LateInitializationError: Field 'database' has not been initialized.",
        state="closed",
        state_reason="completed",
        labels=("bug",),
        created_at=datetime(2025, 4, 12, 14, 30, tzinfo=UTC),
        closed_at=datetime(2025, 4, 14, 18, 30, tzinfo=UTC),
        comments_count=3,
    )
    t687 = make_ticket(
        687,
        "Copilot answers with `undefined` | shows <b>HTML</b> & *stars*",
        labels=("copilot",),
        created_at=datetime(2025, 4, 14, 10, 0, tzinfo=UTC),
        comments_count=1,
    )
    t680 = make_ticket(
        680,
        "Feature request: dark_mode for [everything](https://example.com)",
        state="closed",
        state_reason="not_planned",
        labels=("enhancement",),
        created_at=datetime(2025, 4, 2, 9, 0, tzinfo=UTC),
        closed_at=datetime(2025, 4, 14, 9, 15, tzinfo=UTC),
        comments_count=2,
    )
    s685 = scored(
        t685,
        ("comments from the community", 3, 6.0),
        ("distinct participants", 3, 4.5),
        ("reactions", 5, 1.25),
        ("opened in the period", 1, 2.0),
        ("recency", 0.73, 2.19),
    )
    s686 = scored(
        t686,
        ("comments from the community", 2, 4.0),
        ("comments from the team", 1, 0.5),
        ("distinct participants", 2, 3.0),
        ("recency", 0.58, 1.75),
    )
    s687 = scored(
        t687,
        ("opened in the period", 1, 2.0),
        ("comments from the community", 1, 2.0),
        ("recency", 0.5, 1.5),
    )
    t690 = make_ticket(
        690,
        "Copilot replies `undefined` to every question since 11.3.0",
        labels=("copilot",),
        created_at=datetime(2025, 4, 14, 15, 40, tzinfo=UTC),
    )
    s680 = scored(t680, ("recency", 0.33, 1.0))
    s690 = scored(t690, ("opened in the period", 1, 2.0), ("recency", 0.25, 0.75))
    pinned = make_ticket(12, "Read this before opening an issue", labels=("meta",))
    announcement = make_ticket(40, "Pieces OS 11.3.1 is out", labels=("announcement",))
    return Report(
        generated_at=NOW,
        period=PERIOD,
        previous_period=PERIOD.previous(),
        repos=(REPO,),
        totals=Totals(total=5, resolved=1, not_planned=1, open=3, new=3),
        previous_totals=Totals(total=2, resolved=1, not_planned=0, open=1, new=1),
        headline=Cited(
            "5 tickets this period, 3 more than the period before. #686 and 1 more report Pieces OS failing"
            " to start after updating to 11.3.0; the fix is out in 11.3.1. Copilot answers `undefined`"
            " in #687 and #690, with no team reply yet.",
            tickets=(ref(t686), ref(t685), ref(t687), ref(t690)),
        ),
        labels=(
            LabelStat(label="bug", received=2, resolved=1, pending=1, previous_received=1),
            LabelStat(label="copilot", received=2, resolved=0, pending=2, previous_received=2),
            LabelStat(label="auth", received=1, resolved=0, pending=1),
            LabelStat(label="enhancement", received=1, resolved=1, pending=0),
        ),
        response_times=ResponseTimes(
            first_response=DurationStats(
                count=2, median=timedelta(hours=3, minutes=20), p90=timedelta(hours=9, minutes=45)
            ),
            close=DurationStats(count=2, median=timedelta(days=2, hours=4), p90=timedelta(days=11, hours=22)),
            awaiting_response=(ref(t687), ref(t690)),
        ),
        most_active=(s685, s686, s687, s680),
        common_issues=(
            IssueGroup(
                title="Pieces OS fails to launch after updating to 11.3.0",
                summary=launch_parts(t686, t685).text(),
                tickets=(ref(t686), ref(t685)),
                parts=launch_parts(t686, t685),
            ),
            IssueGroup(
                title="Copilot answers `undefined`",
                summary=(
                    "Since updating to 11.3.0, Copilot replies with the word undefined to every question"
                    " (#687, #690). Nobody from the team has answered yet."
                ),
                tickets=(ref(t687), ref(t690)),
                written_by="model",
            ),
        ),
        recommendations=(
            Recommendation(
                title="Answer tickets waiting for a first response",
                text="2 open tickets have had no team response for up to 11h 7m (target 24h).",
                tickets=(ref(t687), ref(t690)),
                kind="waiting",
                impact=2.5,
            ),
            Recommendation(
                title="Investigate launch failures after 11.3.0",
                text="2 tickets this period report Pieces OS failing to start after updating to 11.3.0.",
                tickets=(ref(t686), ref(t685)),
                kind="fix_fails",
                impact=1.75,
            ),
        ),
        tickets=(s685, s686, s687, s690, s680),
        excluded=(
            Exclusion(reason="pinned", tickets=(ref(pinned),)),
            Exclusion(reason="label announcement", tickets=(ref(announcement),)),
        ),
        model="llama3.1:8b",
    )


def launch_parts(t686: Ticket, t685: Ticket) -> GroupSummary:
    """The four-part summary of the fixture's first common issue (a fix released, said to fail once)."""
    return GroupSummary(
        problem=Cited(
            "LateInitializationError: Field 'database' has not been initialized.", tickets=(ref(t686),)
        ),
        affected=Cited(
            "Pieces OS 11.3.0 on Windows and macOS; 2 people reported it.", (ref(t686), ref(t685))
        ),
        status=Cited("Fixed in 11.3.1, released on 14 Apr (team on #686).", tickets=(ref(t686),)),
        tell_users=Cited(
            '"Update to 11.3.1; if it still fails, delete the database folder and restart"'
            " (team on #686, 14 Apr).",
            tickets=(ref(t686),),
        ),
        status_kind="fix_released",
        fix_fails=Cited("One reporter says 11.3.1 still hangs at sign-in.", tickets=(ref(t685),)),
        product="Pieces OS",
        version="11.3.0",
        error="LateInitializationError: Field 'database' has not been initialized.",
    )


def empty_report() -> Report:
    """A period without any ticket activity."""
    return Report(
        generated_at=NOW,
        period=PERIOD,
        previous_period=PERIOD.previous(),
        repos=(REPO,),
        totals=Totals(),
        previous_totals=Totals(),
        labels=(),
        response_times=ResponseTimes(
            first_response=DurationStats(count=0, median=None, p90=None),
            close=DurationStats(count=0, median=None, p90=None),
        ),
        most_active=(),
        common_issues=(),
        recommendations=(),
    )


def report_with_text(
    *,
    title: str,
    summary: str = "",
    label: str = "bug",
    reason: str = "comments",
    url: str | None = None,
    model: str | None = None,
) -> Report:
    """A report carrying the given text in every place GitHub or model text can appear.

    `title`: the titles of tickets (tickets 1 to 3, and 4 and 5, which are left out), groups and
    recommendations. `summary`: the first group's summary, the recommendation text, the headline
    (followed by " #1 and #2", which it cites with #3), every part of the second group's four-part
    summary and the third group's model-written summary. `label`: the label name and the reason
    "label <label>" tickets 4 and 5 are left out. `reason`: a score reason. `url` (default a normal
    GitHub URL): every ticket's URL. `model`: the model's name (the headline and the third group are
    said to be the model's when it is given).
    """
    tickets = [make_ticket(number, title, labels=(label,), url=url) for number in (1, 2, 3)]
    scored_tickets = tuple(scored(ticket, (reason, 2, 4.0), ("recency", 1, 1.5)) for ticket in tickets)
    refs = tuple(ref(ticket) for ticket in tickets)
    left_out = tuple(ref(make_ticket(number, title, url=url)) for number in (4, 5))
    statement = Cited(summary, tickets=refs[:2])
    parts = GroupSummary(
        problem=statement,
        affected=Cited(summary, tickets=refs),
        status=statement,
        tell_users=Cited(summary, tickets=refs[2:]),
        fix_fails=statement,
        product=summary,
        version=summary,
        error=summary,
    )
    by_model = "model" if model is not None else "offline"
    base = fixture_report()
    return Report(
        generated_at=NOW,
        period=PERIOD,
        previous_period=base.previous_period,
        repos=(REPO,),
        totals=base.totals,
        previous_totals=base.previous_totals,
        labels=(LabelStat(label=label, received=3, resolved=0, pending=3),),
        response_times=ResponseTimes(
            first_response=base.response_times.first_response,
            close=base.response_times.close,
            awaiting_response=refs,
        ),
        most_active=scored_tickets,
        common_issues=(
            IssueGroup(title=title, summary=summary, tickets=refs),
            IssueGroup(title=title, summary=summary, tickets=refs, parts=parts),
            IssueGroup(title=title, summary=summary, tickets=refs, written_by=by_model),
        ),
        recommendations=(Recommendation(title=title, text=summary, tickets=refs, kind=reason),),
        tickets=scored_tickets,
        headline=Cited(f"{summary} #1 and #2", tickets=refs),
        headline_written_by=by_model,
        excluded=(Exclusion(reason=f"label {label}", tickets=left_out),),
        model=model,
    )


def big_report(*, active: int = 200, groups: int = 50, per_group: int = 6) -> Report:
    """A report far beyond one Slack message: `active` most-active tickets, `groups` groups.

    Tickets 1..active are the most active; groups use tickets numbered from 10,001 so every number
    a test looks for appears in exactly one place.
    """
    long_title = "Pieces Copilot stops answering after the 11.3.0 update on Windows 11 and macOS " * 2
    most_active = tuple(
        scored(
            make_ticket(number, f"{long_title} ({number})", labels=("bug",)),
            ("comments from the community", 3, 6.0),
            ("distinct participants", 2, 3.0),
            ("recency", 1, 2.5),
        )
        for number in range(1, active + 1)
    )
    issue_groups = []
    for index in range(groups):
        numbers = range(10_001 + index * per_group, 10_001 + (index + 1) * per_group)
        refs = tuple(ref(make_ticket(number, f"{long_title} [{number}]")) for number in numbers)
        issue_groups.append(
            IssueGroup(
                title=f"Group {index + 1}: Copilot stops answering",
                summary="Users report that Copilot stops answering after the update. " * 8,
                tickets=refs,
            )
        )
    base = fixture_report()
    return Report(
        generated_at=NOW,
        period=PERIOD,
        previous_period=base.previous_period,
        repos=(REPO,),
        totals=Totals(total=active, resolved=0, open=active, new=active),
        previous_totals=base.previous_totals,
        labels=base.labels,
        response_times=base.response_times,
        most_active=most_active,
        common_issues=tuple(issue_groups),
        recommendations=base.recommendations,
        tickets=most_active,
    )
