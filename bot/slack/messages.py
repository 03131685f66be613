"""Every word the Slack bot says to a user: help, usage, acknowledgements and error texts.

Kept together so the bot speaks with one voice and a change of wording is one edit. Pure strings and
small functions; anything the user typed or GitHub sent is escaped here before it reaches mrkdwn.
Every error says what happened and what to do next.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from bot.render.escape import clip_slack, escape_slack

COMMAND = "/ticket-report"
BOT_NAME = "ticket-report"

USAGE = (
    f"*Usage:* `{COMMAND} [PERIOD] [repo:OWNER/NAME ...] [label:NAME] [-label:NAME] [top:N] [private]`\n"
    "*PERIOD* is `today` (the default), `yesterday`, `week`, `last week`, `this month`, `14d`, "
    "`2025-04-14`, `2025-04-01..2025-04-14` or `since 2025-04-01`. "
    f"`{COMMAND} help` explains everything."
)


def _quoted(text: str, limit: int = 60) -> str:
    """Something the user typed, shown back safely inside an error."""
    return "“" + clip_slack(escape_slack(text), limit) + "”"


def _plain(text: str) -> str:
    """Our own sentence that may embed a user fragment: only Slack's control characters are defused."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def _repo_list(repos: Sequence[str]) -> str:
    return ", ".join(f"`{escape_slack(repo)}`" for repo in repos)


def help_text(*, repos: Sequence[str], timezone_name: str) -> str:
    """The answer to `/ticket-report help` in a given channel."""
    where = (
        f"In this channel I report on {_repo_list(repos)}."
        if repos
        else "No repositories are set up for this channel yet (see the last line)."
    )
    return "\n".join(
        (
            "*ticket-report* turns the support repository's GitHub issues into a support-ticket report "
            "and posts it here, for everyone in the channel.",
            "",
            USAGE,
            "",
            "*Examples*",
            f"• `{COMMAND}` — today's tickets",
            f"• `{COMMAND} last week top:10` — last week, with the ten most active tickets",
            f"• `{COMMAND} 2025-04-01..2025-04-14 label:bug` — only tickets labelled bug",
            f"• `{COMMAND} yesterday -label:question` — leave out tickets labelled question",
            f"• `{COMMAND} today private` — only you see the report",
            "",
            f"{where} `repo:OWNER/NAME` picks some of them.",
            "`today`, `yesterday` and weeks follow your Slack timezone "
            f"(if Slack does not tell me, {escape_slack(timezone_name)}).",
            f"If I am not in this channel yet, invite me with `/invite @{BOT_NAME}`.",
            "The bot's config file sets which repositories each channel may use (`repos:`, `channels:`).",
        )
    )


def building(*, period: str, repos: Sequence[str], private: bool) -> str:
    """The ephemeral acknowledgement sent at once, before any GitHub work."""
    who = "just for you" if private else "for this channel"
    return f"Building the ticket report for *{_plain(period)}* on {_repo_list(repos)} {who}…"


# --- bad input (answered in the acknowledgement itself) -------------------------------------------


def with_usage(problem: str) -> str:
    return f"{_sentence(problem)}\n{USAGE}"


def bad_period(problem: str) -> str:
    """A PeriodError's message (our sentence with the user's words in it), plus the usage."""
    return with_usage(_plain(problem))


def unknown_option(token: str) -> str:
    return with_usage(
        f"I don't know the option {_quoted(token)}. "
        "Options are `repo:`, `label:`, `-label:`, `top:` and `private`"
    )


def empty_option(key: str) -> str:
    examples = {
        "repo": "repo:octo-org/support",
        "label": "label:bug",
        "-label": "-label:question",
        "top": "top:10",
    }
    return with_usage(f"`{key}:` needs a value, like `{examples.get(key, key + ':VALUE')}`")


def bad_top(value: str) -> str:
    return with_usage(f"{_quoted('top:' + value)} is not a number from 1 to 50; try `top:10`")


def bad_repo_name(value: str) -> str:
    return with_usage(
        f"{_quoted(value)} is not a repository name; use `repo:OWNER/NAME`, like `repo:octo-org/support`"
    )


def unclosed_quote() -> str:
    return with_usage("A quotation mark is not closed; write a label with spaces as `label:\"needs triage\"`")


def text_too_long(limit: int) -> str:
    return with_usage(f"That is more than {limit} characters; a report command is much shorter")


def repo_not_allowed(repos: Sequence[str], *, allowed: Sequence[str]) -> str:
    names = _repo_list(repos)
    if not allowed:
        return f"{names} may not be reported in this channel, and no repositories are set up for it."
    return (
        f"{names} may not be reported in this channel. Repositories allowed here: {_repo_list(allowed)}. "
        "An admin can change this under `channels:` in the bot's config file."
    )


def no_repos_configured() -> str:
    return (
        "No repositories are set up for this channel. Whoever runs the bot can set `TICKET_REPORT_REPOS`, "
        "or list this channel's ID under `channels:` in the config file."
    )


def not_available_yet(what: str) -> str:
    return f"{_plain(what)} is not available yet.\n{USAGE}"


def busy() -> str:
    return (
        "I am building a lot of reports right now and cannot take another one. "
        "Please try again in a minute."
    )


# --- failures after the acknowledgement (answered ephemerally) ------------------------------------


def upstream_failure(user_message: str) -> str:
    """A GitHub failure with a message from bot.errors (already meant for users)."""
    return f"I couldn't build the ticket report: {_sentence(_plain(user_message))}"


def rate_limited(reset_at: datetime, *, tz: tzinfo) -> str:
    local = reset_at.astimezone(tz)
    zone = local.tzname() or "UTC"
    return (
        f"I couldn't build the ticket report: GitHub's rate limit for the bot is used up until "
        f"{local:%H:%M} {_plain(zone)}. Please try again after that."
    )


def not_in_channel() -> str:
    return (
        "I can't post the report in this channel because I am not a member of it. "
        f"Invite me with `/invite @{BOT_NAME}` and run the command again, "
        f"or add `private` (`{COMMAND} today private`) to get the report just for you."
    )


def channel_archived() -> str:
    return "I can't post the report here because this channel is archived."


def slack_refused(error_code: str) -> str:
    return (
        f"Slack refused to post the report (`{_plain(error_code)}`). Please try again; if it keeps "
        "happening, tell whoever runs the bot: the details are in its log."
    )


def partly_posted() -> str:
    return (
        "Only the first part of the report could be posted; Slack refused the rest. "
        "Please try again, or add `private` to get it just for you."
    )


def internal_error() -> str:
    return (
        "Something went wrong on my side while building the report. It has been logged; please try "
        "again, and tell whoever runs the bot if it keeps happening."
    )
