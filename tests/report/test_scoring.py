"""The activity score rewards community activity in the period and explains itself."""

from bot.report.options import ScoreWeights
from bot.report.scoring import rank, score_ticket
from tests.report.factories import comment, day, ticket

PERIOD = day("2025-04-14")
W = ScoreWeights()


def score(t, comments=(), **kw):
    return score_ticket(t, comments, period=PERIOD, weights=kw.pop("weights", W), team_logins=frozenset())


def test_breakdown_sums_to_the_score_and_names_each_term():
    t = ticket(1, created="2025-04-14 08:00", reactions=4)
    cs = [
        comment(t, at_="2025-04-14 09:00", author="alice"),
        comment(t, at_="2025-04-14 10:00", author="bob", reactions=2),
        comment(t, at_="2025-04-14 11:00", author="staff", association="MEMBER"),
    ]
    s = score(t, cs)
    reasons = {item.reason.split(" (")[0]: item for item in s.breakdown}
    assert reasons["comments from the community"].count == 2
    assert reasons["comments from the community"].points == 2 * W.community_comment
    assert reasons["comments from the team"].count == 1
    assert reasons["people taking part"].count == 3
    assert reasons["reactions"].count == 6
    assert reasons["opened in the period"].points == W.new_ticket
    assert round(sum(i.points for i in s.breakdown), 2) == s.score


def test_comments_outside_the_period_and_bot_comments_do_not_count():
    t = ticket(2, created="2025-04-01 08:00")
    cs = [
        comment(t, at_="2025-04-13 23:59", author="alice"),
        comment(t, at_="2025-04-15 00:00", author="bob"),
        comment(t, at_="2025-04-14 12:00", author="stale[bot]", bot=True),
    ]
    assert score(t, cs).score == 0
    assert score(t, cs).breakdown == ()


def test_community_voices_outweigh_the_teams_own_comments():
    t1 = ticket(3, created="2025-04-01 08:00")
    t2 = ticket(4, created="2025-04-01 08:00")
    community = [comment(t1, at_="2025-04-14 12:00", author=f"user{i}") for i in range(3)]
    team = [comment(t2, at_="2025-04-14 12:00", author=f"staff{i}", association="MEMBER") for i in range(3)]
    assert score(t1, community).score > score(t2, team).score


def test_recent_activity_ranks_above_the_same_activity_earlier():
    early = ticket(5, created="2025-04-01")
    late = ticket(6, created="2025-04-01")
    a = score(early, [comment(early, at_="2025-04-14 01:00", author="x")])
    b = score(late, [comment(late, at_="2025-04-14 23:00", author="x")])
    assert b.score > a.score
    assert [s.ticket.number for s in rank([a, b])] == [6, 5]


def test_weights_come_from_options():
    t = ticket(7, created="2025-04-01")
    cs = [comment(t, at_="2025-04-14 12:00", author="x")]
    heavy = ScoreWeights(community_comment=10, participant=0, recency=0)
    assert score(t, cs, weights=heavy).score == 10


def test_ranking_is_deterministic_on_ties():
    a = score(ticket(8, created="2025-04-14 10:00"))
    b = score(ticket(9, created="2025-04-14 10:00"))
    assert [s.ticket.number for s in rank([a, b])] == [9, 8]
    assert [s.ticket.number for s in rank([b, a])] == [9, 8]
