"""What the bot says about acting on tickets from Slack: refusals, outcomes, who did what.

Every text here is mrkdwn for Slack; each piece that came from outside (a display name, a repository,
an outcome's message, a label) goes through `escape_slack`, so nothing in it pings or formats.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.actions.model import ActionOutcome
from bot.render.escape import clip_slack, escape_slack, safe_url, slack_link
from bot.slack.messages import COMMAND

_MAX_NAME = 80


def _plain(text: str, limit: int = 600) -> str:
    return clip_slack(escape_slack(text), limit)


def not_a_manager() -> str:
    return (
        "Only the triage managers may act on tickets from Slack, and you are not one of them. "
        "Ask a workspace admin to add your Slack user ID (or a group of yours) to `triage_managers` in the "
        "bot's config."
    )


def out_of_date() -> str:
    return (
        "This button is out of date: I can't tell which ticket it is for, or what it asks. "
        f"Ask for the ticket again with `{COMMAND} #686` and use the buttons under the new answer."
    )


def no_labels_chosen() -> str:
    return "Nothing to add: choose a label from the menu."


def outcome_line(outcome: ActionOutcome) -> str:
    """One line saying what was done and by whom, for the updated message or the thread: the service's
    own words (they name who asked), with a link to the comment it left, when it left one."""
    text = _plain(outcome.message)
    if outcome.status == "partial":
        text = f"Partly done: {text}"
    if "(asked by " not in outcome.message:  # the service names the asker; this is for words that do not
        who = clip_slack(escape_slack(outcome.actor.display_name or outcome.actor.user_id), _MAX_NAME)
        text = f"{text} (asked by {who})"
    if safe_url(outcome.comment_url):
        return f"{text} · {slack_link(outcome.comment_url, 'comment')} · from Slack"
    return f"{text} · from Slack"


def outcome_for_requester(outcome: ActionOutcome) -> str:
    """The ephemeral answer to the person who asked, when the action did not simply go through."""
    text = _plain(outcome.message)
    if outcome.status == "repeated":
        return f"Already asked for: {text}"
    if outcome.status == "partial":
        return f"Only part of it went through: {text}"
    if outcome.status == "refused":
        return f"Not done: {text}"
    return f"GitHub did not take it: {text}" if outcome.status == "failed" else text


def could_not_run(label: str) -> str:
    return (
        f"Something went wrong acting on {_plain(label, 200)}; nothing more will be tried. Try again later."
    )


def lookup_failed(what: str) -> str:
    return f"I couldn't look up {_plain(what, 200)} on GitHub just now. Try again in a minute."


def not_sent(errors: Iterable[str]) -> str:
    """A submission checked after its acknowledgement (the modal had closed) that could not be sent."""
    return "Not sent: " + " ".join(_plain(error, 300) for error in errors)


def common_labels(repos: Sequence[str]) -> str:
    shown = _plain(", ".join(repos), 400)
    return f"The labels all of {shown} have; each ticket gets them in its own repository."


def no_common_labels(repos: Sequence[str]) -> str:
    return (
        f"{_plain(', '.join(repos), 400)} have no label in common, so one pick cannot label them all. "
        "Label the tickets one at a time with their own buttons."
    )
