"""Reports built by hand from the core's models, for the renderer tests.

`fixture_report()` is the fixed report behind the golden files (modelled on the seed report of
pieces-app/support, with a title carrying `|`, `<b>` and backticks to pin the escaping).
`report_with_text()` puts given text everywhere a report carries GitHub text; `big_report()` makes
a report far too large for one Slack message.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.report.models import (
    DurationStats,
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
    s680 = scored(t680, ("recency", 0.33, 1.0))
    return Report(
        generated_at=NOW,
        period=PERIOD,
        previous_period=PERIOD.previous(),
        repos=(REPO,),
        totals=Totals(total=4, resolved=1, not_planned=1, open=2, new=2),
        previous_totals=Totals(total=2, resolved=1, not_planned=0, open=1, new=1),
        labels=(
            LabelStat(label="bug", received=2, resolved=1, pending=1, previous_received=1),
            LabelStat(label="auth", received=1, resolved=0, pending=1),
            LabelStat(label="copilot", received=1, resolved=0, pending=1, previous_received=2),
            LabelStat(label="enhancement", received=1, resolved=1, pending=0),
        ),
        response_times=ResponseTimes(
            first_response=DurationStats(
                count=2, median=timedelta(hours=3, minutes=20), p90=timedelta(hours=9, minutes=45)
            ),
            close=DurationStats(count=2, median=timedelta(days=2, hours=4), p90=timedelta(days=11, hours=22)),
            awaiting_response=(ref(t687),),
        ),
        most_active=(s685, s686, s687, s680),
        common_issues=(
            IssueGroup(
                title="Pieces OS fails to launch after updating to 11.3.0",
                summary=(
                    "Users report Pieces OS failing to start after updating to 11.3.0, with database "
                    "errors during the first boot. The team suggested deleting the database or waiting "
                    "for 11.3.1."
                ),
                tickets=(ref(t686), ref(t685)),
            ),
        ),
        recommendations=(
            Recommendation(
                title="Answer tickets waiting for a first response",
                text="1 open ticket has had no team response for 11h 7m (target 24h).",
                tickets=(ref(t687),),
            ),
            Recommendation(
                title="Investigate launch failures after 11.3.0",
                text="2 tickets this period report Pieces OS failing to start after updating to 11.3.0.",
                tickets=(ref(t686), ref(t685)),
            ),
        ),
        tickets=(s685, s686, s687, s680),
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
    *, title: str, summary: str = "", label: str = "bug", reason: str = "comments", url: str | None = None
) -> Report:
    """A report carrying the given text in every place GitHub text can appear.

    Titles of tickets, groups and recommendations, the group summary, the recommendation text, the
    label name and a score reason all get it; `url` (default a normal GitHub URL) is every ticket's URL.
    """
    tickets = [make_ticket(number, title, labels=(label,), url=url) for number in (1, 2, 3)]
    scored_tickets = tuple(scored(ticket, (reason, 2, 4.0), ("recency", 1, 1.5)) for ticket in tickets)
    refs = tuple(ref(ticket) for ticket in tickets)
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
        common_issues=(IssueGroup(title=title, summary=summary, tickets=refs),),
        recommendations=(Recommendation(title=title, text=summary, tickets=refs),),
        tickets=scored_tickets,
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
