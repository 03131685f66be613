"""What a person asks the bot to do to a ticket from Slack, and what came of it.

Plain data shared by the Slack side (buttons, modals, listeners) and the side that writes to GitHub
and records each action (`bot.actions.service`). Nothing here reaches out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ActionKind = Literal["close", "reopen", "label", "assign", "reply"]
CloseReason = Literal["completed", "not_planned", "duplicate"]
OutcomeStatus = Literal[
    "done",  # GitHub did all of it
    "refused",  # the person may not act here (not a triage manager, repository not allowed): nothing written
    "failed",  # GitHub refused or could not be reached before anything was written: nothing written
    "partial",  # one of two writes went through and the other did not: `message` says which
    "repeated",  # the same request (a double click, a Slack retry, another process) already ran or runs
]


@dataclass(frozen=True)
class TicketAction:
    """One action on one ticket.

    close:  `state_reason` says how; "duplicate" needs `duplicate_of` (a ticket number in the same
            repository), and leaves the comment "Duplicate of #N" before closing.
    reopen: nothing else.
    label:  `labels` are added (existing labels stay).
    assign: `assignees` (GitHub logins) are added.
    reply:  `text` is posted as a comment, followed by the attribution line.
    """

    kind: ActionKind
    repo: str  # "owner/name"
    number: int
    state_reason: CloseReason | None = None
    duplicate_of: int | None = None
    labels: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    text: str = ""


@dataclass(frozen=True)
class Actor:
    """Who asked, as Slack knows them; `display_name` goes into the attribution GitHub shows."""

    user_id: str
    display_name: str


@dataclass(frozen=True)
class ActionOutcome:
    """What came of an action, in words a Slack message can show (plain text, not mrkdwn)."""

    status: OutcomeStatus
    message: str  # "Closed #688 as a duplicate of #686." / "GitHub refused: the token cannot write issues."
    action: TicketAction
    actor: Actor
    comment_url: str | None = None  # the comment the action left on GitHub, when it left one

    @property
    def ok(self) -> bool:
        return self.status == "done"
