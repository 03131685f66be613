"""A cited ticket's `#N` becomes a link only where it stands alone and names exactly one cited ticket."""

from __future__ import annotations

from bot.render.citations import link_mentions
from bot.render.escape import clip_slack, escape_slack
from bot.report.models import TicketRef


def _ref(number: int, repo: str = "o/r") -> TicketRef:
    return TicketRef(
        repo=repo, number=number, title=f"t{number}", url=f"https://github.com/{repo}/issues/{number}"
    )


def _link(ticket: TicketRef, label: str) -> str:
    return f"<{ticket.repo}|{label}>"


def test_the_first_mention_of_each_cited_ticket_is_linked_and_the_others_are_returned() -> None:
    text, rest = link_mentions("#1 and #2, again #1", (_ref(1), _ref(2), _ref(3)), link=_link)
    assert text == "<o/r|#1> and <o/r|#2>, again #1"
    assert rest == (_ref(3),)


def test_numbers_that_are_not_cited_or_do_not_stand_alone_stay_text() -> None:
    cited = tuple(_ref(number) for number in (1, 2, 3, 4, 5, 6))
    text, rest = link_mentions("#9 a#1 x/#2 \\#3 !#4 #5x #6", cited, link=_link)
    assert text == "#9 a#1 x/#2 \\#3 !#4 #5x <o/r|#6>"
    assert [ticket.number for ticket in rest] == [1, 2, 3, 4, 5]


def test_a_number_two_cited_tickets_share_is_not_linked_in_place() -> None:
    cited = (_ref(7), _ref(7, repo="o/b"))
    text, rest = link_mentions("see #7", cited, link=_link)
    assert text == "see #7"
    assert rest == cited


def test_a_mention_cut_short_by_clipping_is_not_linked() -> None:
    full = escape_slack("x" * 20 + " #686 and more")
    shown = clip_slack(full, 25)  # "xxx… #68…"
    assert shown.endswith("#68…")
    text, rest = link_mentions(full, (_ref(68), _ref(686)), link=_link, shown=shown)
    assert text == shown
    assert [ticket.number for ticket in rest] == [68, 686]


def test_a_mention_wholly_inside_the_clipped_text_is_linked() -> None:
    full = escape_slack("#686 " + "x" * 50)
    text, rest = link_mentions(full, (_ref(686),), link=_link, shown=clip_slack(full, 20))
    assert text.startswith("<o/r|#686> xxx")
    assert text.endswith("…")
    assert rest == ()
