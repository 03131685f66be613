"""Every word the Slack bot says to a user: help, usage, acknowledgements and error texts.

Kept together so the bot speaks with one voice and a change of wording is one edit. Pure strings and
small functions; anything the user typed or GitHub sent is escaped here before it reaches mrkdwn.
Every error says what happened and what to do next.
"""

from __future__ import annotations

import re
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


# What Slack's answers give as `error`: a code like `not_in_channel`, or the poster's own "HTTP 503" or
# "connection failed (TimeoutError)". Anything else is an SDK's sentence about an answer it could not
# read ("Received a response in a non-JSON format: <html>…") and is not shown to users.
_SLACK_ERROR = re.compile(
    r"[a-z][a-z0-9_]{0,63}|HTTP [1-5][0-9]{2}|connection failed \([A-Za-z]{1,64}\)", re.ASCII
)
UNREADABLE_SLACK_ANSWER = "an answer that was not from Slack's API, likely an outage page"


def slack_reason(error: str) -> str:
    """Slack's error code as a user may see it; an SDK's text about an unreadable answer is summarised."""
    return error if _SLACK_ERROR.fullmatch(error) else UNREADABLE_SLACK_ANSWER


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
            f"• `{COMMAND} subscribe weekdays 09:00 Europe/Berlin` — a digest here every weekday morning "
            f"(`{COMMAND} subscriptions` lists them, `{COMMAND} unsubscribe ID` removes one)",
            f"• `{COMMAND} alerts on` — each new ticket here as it arrives, and a nudge when one waits past "
            f"the response target (`{COMMAND} alerts` lists them, `{COMMAND} alerts off` stops them)",
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
    return with_usage('A quotation mark is not closed; write a label with spaces as `label:"needs triage"`')


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
        "I am building a lot of reports right now and cannot take another one. Please try again in a minute."
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
        f"Slack refused to post the report ({_code(error_code)}). Please try again; if it keeps "
        "happening, tell whoever runs the bot: the details are in its log."
    )


def _code(error: str) -> str:
    reason = slack_reason(error)
    return f"`{_plain(reason)}`" if reason == error else _plain(reason)


def partly_posted() -> str:
    return (
        "Only the first part of the report could be posted; Slack refused the rest. "
        "Please try again, or add `private` to get it just for you."
    )


def report_unconfirmed(*, partly: bool) -> str:
    """A report sent to Slack whose arrival Slack did not confirm (its answer was lost or late)."""
    what = "the rest of the report" if partly else "the report"
    return (
        f"I sent {what}, but Slack did not confirm that it arrived, and I could not find it in the "
        "channel. Look in the channel before asking again: I don't post a report twice."
    )


def internal_error() -> str:
    return (
        "Something went wrong on my side while building the report. It has been logged; please try "
        "again, and tell whoever runs the bot if it keeps happening."
    )


# --- digest subscriptions (issue 5) ---------------------------------------------------------------

SUBSCRIBE_USAGE = (
    f"*Digests:* `{COMMAND} subscribe [daily|weekdays|weekly] [HH:MM] [ZONE] [repo:OWNER/NAME ...] [quiet]` "
    "(by default daily at 09:00 in your Slack timezone, covering the previous day), "
    f"`{COMMAND} subscriptions` to list them, `{COMMAND} unsubscribe [ID|all]` to remove them. "
    f"Example: `{COMMAND} subscribe weekdays 09:00 Europe/Berlin`."
)

_DIGEST_COVERS = {
    "daily": "covering the previous day",
    "weekdays": "covering the previous weekday (Monday's covers Friday to Sunday)",
    "weekly": "on Mondays, covering last week (Monday to Sunday)",
}


def _when(moment: datetime) -> str:
    """A moment in its own zone, as digests show it: `Tue 15 Apr 2025 09:00 CEST`."""
    return f"{moment:%a %d %b %Y %H:%M} {_plain(moment.tzname() or '')}".rstrip()


def _digest_repos(repos: Sequence[str]) -> str:
    return _repo_list(repos) if repos else "this channel's repositories"


def _with_subscribe_usage(text: str) -> str:
    return f"{_sentence(text)}\n{SUBSCRIBE_USAGE}"


def subscription_problem(problem: str) -> str:
    """A ScheduleError's message (our sentence with the user's words in it), plus the digest usage."""
    return _with_subscribe_usage(_plain(problem))


def subscription_unknown_word(word: str) -> str:
    return _with_subscribe_usage(
        f"I don't understand {_quoted(word)} in a digest subscription. A time is HH:MM like `09:00`, "
        "a zone an IANA name like `Europe/Berlin` or `UTC`"
    )


def subscription_given_twice(kind: str, first: str, second: str) -> str:
    return _with_subscribe_usage(f"That gives two {kind}s, {_quoted(first)} and {_quoted(second)}; give one")


def subscription_bad_repo(name: str) -> str:
    return _with_subscribe_usage(
        f"{_quoted(name)} is not a repository name; use `repo:OWNER/NAME`, like `repo:octo-org/support`"
    )


def subscriptions_takes_no_words(text: str) -> str:
    return _with_subscribe_usage(
        f"`subscriptions` lists this channel's digests and takes no words, not {_quoted(text)}"
    )


def unsubscribe_usage_error(text: str) -> str:
    return _with_subscribe_usage(
        f"I can't tell which digest {_quoted(text)} is. Give its ID from `{COMMAND} subscriptions` "
        "(like `7`), or `all`"
    )


def subscribed(
    *,
    ident: str,
    cadence: str,
    at_time: str,
    timezone: str,
    repos: Sequence[str],
    quiet: bool,
    next_fire: datetime,
) -> str:
    """The confirmation of `subscribe`: what was stored and when the first digest comes."""
    covers = _DIGEST_COVERS.get(cadence, "")
    empty = (
        "A period without ticket activity posts nothing (quiet)."
        if quiet
        else "A period without ticket activity gets one short line."
    )
    return "\n".join(
        (
            f"Subscribed this channel to a *{_plain(cadence)}* ticket digest at *{_plain(at_time)} "
            f"{_plain(timezone)}*, {covers}, on {_digest_repos(repos)}. {empty}",
            f"Next digest: *{_when(next_fire)}*. Its ID is `{_plain(ident)}`: "
            f"`{COMMAND} unsubscribe {_plain(ident)}` removes it.",
            f"I can only post in channels I am a member of; if I am not in this one, `/invite @{BOT_NAME}`.",
        )
    )


def already_subscribed(ident: str) -> str:
    return (
        f"This channel already has that digest (`{_plain(ident)}`); nothing was changed. "
        f"`{COMMAND} subscriptions` lists them."
    )


def too_many_subscriptions(limit: int) -> str:
    return (
        f"This channel already has {limit} digest subscriptions, the most it can have. "
        f"Remove one first with `{COMMAND} unsubscribe ID`."
    )


def subscription_pending() -> str:
    """The acknowledgement when the user's timezone or group membership must first be asked of Slack."""
    return "Setting up the digest for this channel…"


def unsubscribe_pending() -> str:
    return "Checking that you may change this channel's digests…"


def not_a_subscription_manager(*, users: Sequence[str], groups: Sequence[str]) -> str:
    who = ", ".join([f"<@{_plain(user)}>" for user in users] + [f"<!subteam^{_plain(g)}>" for g in groups])
    return (
        f"Only {who} may change this channel's digest subscriptions; please ask one of them. "
        f"`{COMMAND} subscriptions` shows what is set up."
    )


def subscription_entry(
    *,
    ident: str,
    cadence: str,
    at_time: str,
    timezone: str,
    repos: Sequence[str],
    quiet: bool,
    from_config: bool,
    next_fire: datetime,
    last_posted: datetime | None = None,
    error: str | None = None,
    error_at: datetime | None = None,
    state: str | None = None,
    retry_at: datetime | None = None,
) -> str:
    """One line (or three) of `subscriptions`: the schedule, the next run, and how the latest digest
    went when it was not simply posted (failed and why, retrying when, unconfirmed, being posted)."""
    notes = [n for n, on in (("quiet", quiet), ("declared in the config file", from_config)) if on]
    head = (
        f"• `{_plain(ident)}` *{_plain(cadence)}* at {_plain(at_time)} {_plain(timezone)} "
        f"on {_digest_repos(repos)}" + (f" ({', '.join(notes)})" if notes else "")
    )
    status = f"    next: {_when(next_fire)}"
    if last_posted is not None:
        status += f" · last posted: {_when(last_posted)}"
    lines = [head, status]
    when = f" {_when(error_at)}" if error_at is not None else ""
    reason = _sentence(clip_slack(_plain(error or "unknown error"), 600))
    if state == "unconfirmed":
        lines.append(f"    :grey_question: the last digest{when} could not be confirmed: {reason}")
    elif state in ("claimed", "posting"):
        lines.append("    :hourglass_flowing_sand: the latest digest is being posted")
    elif error and retry_at is not None:
        again = f"Trying again at {_when(retry_at)}."
        lines.append(f"    :warning: the last digest{when} failed: {reason} {again}")
    elif error:
        lines.append(f"    :warning: the last digest{when} failed: {reason}")
    return "\n".join(lines)


def subscription_list_head(count: int) -> str:
    return f"*Digest subscriptions in this channel* ({count}):"


def subscription_list_foot(*, has_config: bool) -> str:
    text = f"`{COMMAND} unsubscribe ID` removes one, `{COMMAND} unsubscribe all` every one made by command."
    if has_config:
        text += " Those declared in the config file (`c1`, …) can only be changed there."
    return text


def no_subscriptions() -> str:
    return f"This channel has no digest subscriptions yet.\n{SUBSCRIBE_USAGE}"


def unsubscribed(ident: str) -> str:
    return f"Removed the digest `{_plain(ident)}`; no more will be posted for it."


def unsubscribed_all(count: int, *, config_left: int) -> str:
    text = f"Removed {count} digest subscription{'' if count == 1 else 's'} from this channel."
    if config_left:
        verb = "stays" if config_left == 1 else "stay"
        text += f" {config_left} declared in the bot's config file {verb}: they can only be removed there."
    return text


def no_such_subscription(ident: str, *, known: Sequence[str]) -> str:
    listed = ", ".join(f"`{_plain(k)}`" for k in known) if known else "none"
    return f"This channel has no digest `{_plain(ident)}` (its digests: {listed}); nothing was removed."


def config_subscription_fixed(ident: str) -> str:
    return (
        f"The digest `{_plain(ident)}` is declared in the bot's config file (`subscriptions:`), so a command "
        "cannot remove it; ask whoever runs the bot. Nothing was removed."
    )


def which_subscription(known: Sequence[str]) -> str:
    listed = ", ".join(f"`{_plain(k)}`" for k in known)
    return (
        f"This channel has several digests ({listed}); say which: `{COMMAND} unsubscribe ID`, "
        f"or `{COMMAND} unsubscribe all`. Nothing was removed."
    )


def nothing_to_unsubscribe(*, config_count: int) -> str:
    text = "This channel has no digest subscriptions made by command to remove."
    if config_count:
        text += " The ones declared in the bot's config file can only be removed there."
    return text


def subscriptions_unavailable() -> str:
    return (
        "I couldn't reach my database to read or change digest subscriptions; nothing was changed. "
        "Please try again, and tell whoever runs the bot if it keeps happening."
    )


# Why a digest was not posted: stored with the digest and shown by `subscriptions`. Plain sentences
# without secrets or stack traces; the details go to the bot's log.


def digest_not_in_channel(error_code: str) -> str:
    return (
        f"I am not a member of this channel ({slack_reason(error_code)}); "
        f"invite me with `/invite @{BOT_NAME}`"
    )


def digest_channel_archived() -> str:
    return "the channel is archived (is_archived)"


def digest_partly_posted(error_code: str) -> str:
    return f"only the first message was posted; Slack refused the rest ({slack_reason(error_code)})"


def digest_slack_refused(error_code: str) -> str:
    return f"Slack refused the post ({slack_reason(error_code)})"


def digest_unconfirmed(reason: str) -> str:
    return (
        f"it was sent, but Slack did not confirm it ({_plain(reason)}); look in the channel. It is not "
        "posted again automatically"
    )


def digest_left_by_an_earlier_release() -> str:
    return (
        "an earlier version of the bot began posting it and stopped before recording how it ended; look "
        "in the channel. It is not posted again automatically"
    )


def digest_stopped_unconfirmed(reason: str) -> str:
    return (
        f"the process posting it stopped in the middle, and {_plain(reason)}; look in the channel. It is "
        "not posted again automatically"
    )


def digest_too_late(hours: float) -> str:
    return (
        f"the process building it stopped, and by the time another could take over it was more than "
        f"{hours:g} hours late (`digest_grace_hours`), so it was skipped"
    )


def digest_retries_ran_out(error: str) -> str:
    return f"{_plain(error.rstrip('.'))}; tried until the `digest_grace_hours` window closed"


def digest_github_failed(user_message: str) -> str:
    # "GitHub rejected the token" needs no "GitHub: " in front of it.
    return user_message if user_message.startswith("GitHub") else f"GitHub: {user_message}"


def digest_internal_error() -> str:
    return "something went wrong on my side; the details are in the bot's log"


# --- the drill-down (issue 4) -------------------------------------------------------------------


def looking_up(label: str) -> str:
    return f"Looking up {_plain(label)}…"


def actions_not_set_up() -> str:
    return (
        "Acting on tickets from Slack is not set up in this workspace: the bot's config names no "
        "`triage_managers`."
    )


def button_out_of_date() -> str:
    return (
        "This button is out of date: I can't tell which ticket it is for. "
        f"Run `{COMMAND}` for a fresh report, or ask for the ticket with `{COMMAND} #686`."
    )


def drilldown_failed(label: str, user_message: str) -> str:
    """A GitHub failure (a message from bot.errors) while fetching one ticket's details."""
    return f"I couldn't show the details of {_plain(label)}: {_sentence(_plain(user_message))}"


def drilldown_not_in_channel(label: str) -> str:
    return (
        f"I can't post the details of {_plain(label)} here because I am not a member of this channel. "
        f"Invite me with `/invite @{BOT_NAME}`, or ask with `{COMMAND} {_plain(label)} private` "
        "to see them just for you."
    )


def drilldown_channel_archived(label: str) -> str:
    return f"I can't post the details of {_plain(label)} here because this channel is archived."


def drilldown_slack_refused(label: str, error_code: str) -> str:
    return (
        f"Slack refused to post the details of {_plain(label)} ({_code(error_code)}). Please try again; "
        "if it keeps happening, tell whoever runs the bot: the details are in its log."
    )


def drilldown_unconfirmed(label: str) -> str:
    """A drill-down sent whose answer Slack lost, and not found in the thread: it is not sent again."""
    return (
        f"I sent the details of {_plain(label)}, but Slack did not confirm that they arrived, and I could "
        "not find them in this thread. Look in the thread before asking again: I don't post them twice. "
        f"`{COMMAND} {_plain(label)} private` shows them just to you."
    )


def drilldown_internal_error(label: str) -> str:
    return (
        f"Something went wrong on my side while looking up {_plain(label)}. It has been logged; please "
        "try again, and tell whoever runs the bot if it keeps happening."
    )


def drilldown_exists(label: str, *, link: str | None) -> str:
    where = f"<{link}|in this thread>" if link else "in this thread"
    return f"The details of {_plain(label)} are already posted {where}."


def drilldown_in_progress(label: str) -> str:
    return f"The details of {_plain(label)} are being posted in this thread; give it a moment."


def which_repo_for_ticket(number: int, *, allowed: Sequence[str]) -> str:
    return (
        f"This channel reports on several repositories ({_repo_list(allowed)}): name the one you mean, "
        f"e.g. `{COMMAND} {escape_slack(allowed[0])}#{number}`."
    )


def mention_usage() -> str:
    return (
        f"Mention me with a ticket number to see its details, e.g. `@{BOT_NAME} 686` or "
        f"`@{BOT_NAME} owner/repo#686`."
    )


# --- the period picker, the Home tab and the "Build a report" modal -------------------------------


def picker_unreadable() -> str:
    return (
        "I could not read that choice. Pick a period from the menu again, "
        f"or type `{COMMAND} last week` to get the report another way."
    )


def picker_stale() -> str:
    return (
        "This channel's repositories have changed since the report was posted, so that choice no "
        f"longer names one of them. Type `{COMMAND} help` to see the ones it has now."
    )


def home_lookup_failed(error_code: str) -> str:
    return (
        f"I could not look up which channels you are in (Slack said `{_plain(error_code)}`), so I "
        "show no tickets. Try again in a minute; if it keeps failing, whoever runs the bot should "
        "check that the app has the channels:read and groups:read scopes."
    )


def home_figures_failed(user_message: str) -> str:
    reason = _sentence(_plain(user_message))
    return f"I could not read the tickets just now: {reason} Open this tab again later."


def home_repo_not_yours(repo: str) -> str:
    return (
        f"`{escape_slack(repo)}` is not reported in any channel you are in, so I cannot show its "
        "tickets to you. Join a channel that reports on it and try again."
    )


def modal_no_repos() -> str:
    return (
        "None of your channels may report on a repository, so there is no report to build. Join a "
        f"channel that uses `{COMMAND}`, or ask whoever runs the bot to set one up."
    )


def modal_unreadable() -> str:
    return "I could not read this field. Close the form, open it again from the Home tab and choose again."


def modal_busy() -> str:
    return "I am shutting down or restarting. Please submit again in a minute."


def modal_period_too_long(limit: int) -> str:
    return f"A period is at most {limit} characters, like 2025-04-01..2025-04-14 or since 2025-04-01."


def modal_repo_not_yours(repo: str) -> str:
    return (
        f"{repo} is not reported in any channel you are in. Choose one of the listed repositories, "
        "or All repositories."
    )


def modal_channel_refused() -> str:
    return (
        "I can post only in a channel you and I are both in, which may report on a repository. "
        "Choose one from the list, or Only me."
    )


def modal_repo_not_in_channel(repo: str, channel_name: str, allowed: Sequence[str]) -> str:
    names = ", ".join(allowed) if allowed else "none"
    return (
        f"#{channel_name} may not report on {repo}; it may report on: {names}. Choose one of those, "
        "All repositories, or post to Only me."
    )


def modal_too_many_labels(limit: int) -> str:
    return f"At most {limit} labels, separated by commas, like: bug, -question"


def modal_empty_label() -> str:
    return "A label is missing between commas or after a -; write labels like: bug, -question"


def modal_label_too_long(limit: int) -> str:
    return f"A label is at most {limit} characters; write labels like: bug, -question"
