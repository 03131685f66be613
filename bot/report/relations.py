"""Links between tickets in people's own words: "duplicate of #N", and the team's "same as #N".

Two kinds of link:
- *duplicate*: "Duplicate of #12", "dup of #12", "duplicated by #7" or a duplicate phrase with an issue URL
  of the same repository, in the ticket's body or any comment. A duplicate joins #N's group.
- *team link*: a team member's comment that points at another ticket of the same repository: "same as
  #12", "same issue as #12", "similar (issue) to #12", "related to #12", "see #12", "tracked in #12",
  or an issue URL of the repository. A team link joins the group only when the two texts are similar
  too (grouping decides); otherwise the tickets are shown as related in the drill-down.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeGuard

from bot.report.activity import is_team
from bot.report.models import Comment, Ticket
from bot.report.text import duplicate_refs

LinkKind = Literal["duplicate", "team_link"]

_SCAN = 20_000
_PHRASE_LINK = re.compile(
    r"\b(?:same(?: [a-z]{1,12})? as|similar(?: [a-z]{1,12})? (?:to|as)|related to|see(?: also)?"
    r"|tracked (?:in|by|at)|tracking (?:in|it in)|follow(?:ing)?(?: it)? (?:up )?in|covered (?:in|by))"
    r"[ \t]{0,3}:?[ \t]{0,3}(?:issue[ \t]{0,3})?(?:#(?P<num>\d{1,9})\b"
    r"|https?://[^\s/]{1,253}/(?P<repo>[\w.-]{1,100}/[\w.-]{1,100})/issues/(?P<urlnum>\d{1,9})\b)",
    re.IGNORECASE,
)
_ISSUE_URL = re.compile(
    r"https?://[^\s/]{1,253}/(?P<repo>[\w.-]{1,100}/[\w.-]{1,100})/issues/(?P<num>\d{1,9})\b", re.IGNORECASE
)
_DUPLICATED_BY = re.compile(r"\bdup(?:e|licate)?d?\s+by\b", re.IGNORECASE)
_DUPLICATE_LABELS = frozenset({"duplicate", "dupe", "type:duplicate", "status:duplicate"})


@dataclass(frozen=True)
class TicketLink:
    """`number` (in `repo`) is linked to `target` (same repository) by `kind`."""

    repo: str
    number: int
    target: int
    kind: LinkKind
    by_team: bool  # said by a team member (a team comment, not the reporter's body)
    said_by: str = ""
    said_at: datetime | None = None
    reverse: bool = False  # "duplicated by #N": N is the duplicate of this ticket
    by_author: bool = False  # said by the ticket's own author (its body or their comment)

    @property
    def joins(self) -> bool:
        """A duplicate said by the team or the ticket's author joins groups; a bystander's guess does not."""
        return self.kind == "duplicate" and (self.by_team or self.by_author)


def ticket_links(
    ticket: Ticket, comments: Sequence[Comment], *, team_logins: frozenset[str]
) -> list[TicketLink]:
    """Every link the ticket's body and comments make to other tickets of its repository, in order."""
    if not _may_link(ticket.body) and not any(
        # _may_link, written out: this runs for every comment of every ticket, and most link nothing
        not comment.author_is_bot and comment.body and ("#" in comment.body or "://" in comment.body)
        for comment in comments
    ):
        return []
    links: dict[tuple[int, str], TicketLink] = {}

    def add(
        target: int, kind: LinkKind, *, by_team: bool, who: str, when: datetime | None, reverse: bool = False
    ) -> None:
        if target == ticket.number:
            return
        key = (target, kind)
        known = links.get(key)
        by_author = who.lower() == ticket.author.lower()
        stronger = known is not None and (by_team or by_author) and not (known.by_team or known.by_author)
        if known is None or stronger:
            links[key] = TicketLink(
                repo=ticket.repo,
                number=ticket.number,
                target=target,
                kind=kind,
                by_team=by_team,
                said_by=who,
                said_at=when,
                reverse=reverse,
                by_author=by_author,
            )

    def duplicates(text: str | None, *, by_team: bool, who: str, when: datetime | None) -> None:
        if not _may_link(text) or "dup" not in text[:_SCAN].lower():
            return
        for line in text[:_SCAN].splitlines():
            for target in duplicate_refs(line, repo=ticket.repo):
                reverse = bool(_DUPLICATED_BY.search(line))
                add(target, "duplicate", by_team=by_team, who=who, when=when, reverse=reverse)

    duplicates(ticket.body, by_team=False, who=ticket.author, when=ticket.created_at)
    for comment in comments:
        body = comment.body
        if comment.author_is_bot or not body or ("#" not in body and "://" not in body):
            continue  # _may_link, written out: this runs for every comment of every ticket
        team = is_team(comment, ticket, team_logins)
        duplicates(comment.body, by_team=team, who=comment.author, when=comment.created_at)
        if team:
            for target in team_link_refs(comment.body, repo=ticket.repo):
                add(target, "team_link", by_team=True, who=comment.author, when=comment.created_at)
    # A ticket called a duplicate is not also "linked": the stronger relation wins.
    duplicates = {link.target for link in links.values() if link.kind == "duplicate"}
    return [link for link in links.values() if link.kind == "duplicate" or link.target not in duplicates]


def _may_link(text: str | None) -> TypeGuard[str]:
    """Whether `text` can name another ticket at all: every link gives it as "#N" or in an issue URL.

    Most comments name none, and these two substring tests spare them the patterns.
    """
    return text is not None and ("#" in text or "://" in text)


def team_link_refs(text: str | None, *, repo: str) -> list[int]:
    """Ticket numbers a (team) comment points at: "same as #12", "similar issue to <URL>", bare URLs."""
    if not text:
        return []
    text = text[:_SCAN]
    found: dict[int, None] = {}
    for match in _PHRASE_LINK.finditer(text):
        if match.group("num"):
            found.setdefault(int(match.group("num")), None)
        elif match.group("repo").lower() == repo.lower():
            found.setdefault(int(match.group("urlnum")), None)
    if "/issues/" in text:
        for match in _ISSUE_URL.finditer(text):
            if match.group("repo").lower() == repo.lower():
                found.setdefault(int(match.group("num")), None)
    return list(found)


def marked_duplicates(
    tickets: Iterable[Ticket],
    links: dict[tuple[str, int], list[TicketLink]],
) -> list[tuple[Ticket, int | None]]:
    """Tickets the team marked as duplicates (a team comment or a duplicate label), with the original."""
    found: list[tuple[Ticket, int | None]] = []
    for ticket in tickets:
        said = links.get(ticket.key)
        if not said and not ticket.labels:
            continue  # neither a link nor a label can mark it
        own = [link for link in said or () if link.kind == "duplicate" and not link.reverse]
        by_team = [link for link in own if link.by_team]
        if by_team:
            found.append((ticket, by_team[0].target))
        elif any(label.lower() in _DUPLICATE_LABELS for label in ticket.labels):
            found.append((ticket, own[0].target if own else None))
    return found
