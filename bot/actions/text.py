"""The words of actions on tickets: what the bot writes to GitHub on someone's behalf, and what it tells
them in Slack about the outcome (plain text; the Slack side escapes it once when it renders).

A display name comes from Slack and is untrusted: before it reaches GitHub it loses control characters
and line breaks, its Markdown is escaped, and an `@` or `#` in it gets a zero-width joiner after it, so
it can neither mention a GitHub user or team nor link an issue.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

from bot.actions.model import TicketAction

MAX_NAME_LENGTH = 80
MAX_COMMENT_LENGTH = 65_536  # GitHub refuses a longer comment body
ZWJ = "\u200d"
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~])")
_MENTION = re.compile(r"([@#])")
_SPACES = re.compile(r"\s+")

# --- to GitHub ---------------------------------------------------------------------------------------


def safe_name(display_name: str) -> str:
    """A Slack display name fit to print on GitHub (see the module docstring); "someone" when empty."""
    text = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in display_name or "")
    text = _SPACES.sub(" ", text).strip()[:MAX_NAME_LENGTH].strip()
    if not text:
        return "someone"
    return _MENTION.sub(lambda m: m[1] + ZWJ, _MARKDOWN.sub(r"\\\1", text))


def clean_text(text: str) -> str:
    """A reply as typed, without control characters other than line breaks and tabs."""
    kept = (ch for ch in text.replace("\r\n", "\n") if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    return "".join(kept).strip()


def marker(request_key: str) -> str:
    """A hidden tag (an HTML comment, which GitHub does not show) that finds the comment of a request."""
    digest = hashlib.sha256(request_key.encode("utf-8")).hexdigest()[:20]
    return f"<!-- ticket-report action {digest} -->"


def attribution(display_name: str) -> str:
    return f"— sent from Slack by {safe_name(display_name)}"


def reply_body(text: str, *, display_name: str, tag: str) -> str:
    return f"{clean_text(text)}\n\n{attribution(display_name)}\n{tag}"


def duplicate_body(original: int, *, display_name: str, tag: str) -> str:
    # "Duplicate of #N" on a line of its own is what GitHub links (and shows) as the duplicate mark.
    return f"Duplicate of #{original}\n\n{attribution(display_name)}\n{tag}"


# --- to Slack ----------------------------------------------------------------------------------------

CLOSE_REASONS = {"completed": "as completed", "not_planned": "as not planned", "duplicate": "as a duplicate"}


def ticket(action: TicketAction, number: int | None = None) -> str:
    return f"{action.repo}#{number or action.number}"


def what(action: TicketAction) -> str:
    """The action in a few words, for the audit listing and messages: "close #688 as a duplicate of #686"."""
    match action.kind:
        case "close" if action.state_reason == "duplicate":
            return f"close as a duplicate of #{action.duplicate_of}"
        case "close":
            return f"close {CLOSE_REASONS.get(action.state_reason or 'completed', '')}".strip()
        case "reopen":
            return "reopen"
        case "label":
            return "label " + ", ".join(action.labels)
        case "assign":
            return "assign " + ", ".join(action.assignees)
        case _:
            preview = _SPACES.sub(" ", action.text).strip()
            return f"reply “{preview[:60]}{'…' if len(preview) > 60 else ''}”"


def not_a_manager() -> str:
    return (
        "Only triage managers may act on tickets from Slack, and you are not one; ask an admin to add your "
        "Slack user ID (or a user group of yours) to triage_managers in the bot's config"
    )


def no_managers() -> str:
    return "Nobody may act on tickets from Slack yet: the bot's config lists no triage_managers"


def repeated(
    action: TicketAction,
    *,
    done: str | None,
    running_by: str | None,
    cut_off: bool,
    status: str | None = None,
) -> str:
    """The answer to a request already received: what came of it, or that it is under way."""
    if done is not None:
        return f"Already done: {done}" if status in (None, "done") else f"Already answered: {done}"
    if cut_off:
        where = ticket(action)
        return f"An earlier attempt at this stopped partway; check {where} on GitHub before trying again"
    return f"This is already being done (asked by {running_by or 'someone'}); it runs once"


def done(action: TicketAction, *, by: str, already: bool = False) -> str:
    where = ticket(action)
    match action.kind:
        case "close" if already:
            return f"{where} was already closed {CLOSE_REASONS[action.state_reason or 'completed']}"
        case "close" if action.state_reason == "duplicate":
            return f"Closed {where} as a duplicate of #{action.duplicate_of} (asked by {by})"
        case "close":
            return f"Closed {where} {CLOSE_REASONS[action.state_reason or 'completed']} (asked by {by})"
        case "reopen" if already:
            return f"{where} is already open"
        case "reopen":
            return f"Reopened {where} (asked by {by})"
        case "label":
            return f"Labelled {where} {', '.join(action.labels)} (asked by {by})"
        case "assign":
            return f"Assigned {where} to {', '.join(action.assignees)} (asked by {by})"
        case _:
            return f"Replied on {where} (asked by {by})"


def bad_request(action: TicketAction) -> str | None:
    """What is wrong with the action as asked (before GitHub is asked anything); None when nothing."""
    if action.number <= 0:
        return f"#{action.number} is not a ticket number"
    match action.kind:
        case "close":
            if action.state_reason not in (None, *CLOSE_REASONS):
                reason = action.state_reason
                return f"{reason!r} is not a way to close a ticket (completed, not planned, duplicate)"
            if action.state_reason == "duplicate":
                if action.duplicate_of is None or action.duplicate_of <= 0:
                    return f"Closing {ticket(action)} as a duplicate needs the number of the original ticket"
                if action.duplicate_of == action.number:
                    return f"#{action.number} cannot be a duplicate of itself"
        case "label":
            if not [label for label in action.labels if label.strip()]:
                return "Pick at least one label"
        case "assign":
            if not [login for login in action.assignees if login.strip()]:
                return "Pick at least one person to assign"
        case "reply":
            if not clean_text(action.text):
                return "The reply is empty; write something to send"
        case "reopen":
            pass
        case _:
            return f"{action.kind!r} is not an action the bot knows"
    return None


def comment_too_long(length: int) -> str:
    return (
        f"The reply is {length:,} characters long; GitHub takes at most {MAX_COMMENT_LENGTH:,} in a comment"
    )


def unknown_labels(repo: str, unknown: list[str], known: list[str]) -> str:
    offer = ", ".join(known[:15]) + ("…" if len(known) > 15 else "")
    there = f"; its labels are {offer}" if known else "; it has no labels"
    return f"{repo} has no label {', '.join(unknown)}{there}"


def not_assignable(repo: str, logins: list[str]) -> str:
    return f"{', '.join(logins)} cannot be assigned to issues in {repo} (not a collaborator there)"


def partly_assigned(action: TicketAction, assigned: list[str], left: list[str], *, by: str) -> str:
    return (
        f"Assigned {ticket(action)} to {', '.join(assigned)} (asked by {by}); GitHub did not assign "
        f"{', '.join(left)}: they cannot be assigned in {action.repo}"
    )


def duplicate_undone(action: TicketAction, problem: str) -> str:
    return (
        f"Could not close {ticket(action)}: {problem}. The comment “Duplicate of #{action.duplicate_of}” "
        "was removed again, so nothing changed"
    )


def duplicate_half_done(action: TicketAction, problem: str, *, removal: str | None) -> str:
    tail = (
        f" The comment could not be removed either ({removal}): close {ticket(action)} by hand, or delete "
        "the comment"
        if removal
        else f" Check {ticket(action)} on GitHub: the close may have gone through"
    )
    return (
        f"Commented “Duplicate of #{action.duplicate_of}” on {ticket(action)} but could not close it: "
        f"{problem}.{tail}"
    )


def duplicate_comment_unconfirmed(action: TicketAction, problem: str) -> str:
    return f"{problem}. {ticket(action)} was not closed: close it once the comment is there"


def unexpected() -> str:
    return "Something went wrong on our side; the bot's log has the details. Check the ticket on GitHub"
