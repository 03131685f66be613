"""`/ticket-report alerts ...`: the words it takes and the words it answers with. Pure: no Slack, no store.

    alerts on [new] [waiting] [repo:OWNER/NAME ...] [label:NAME ...]
    alerts off [new|waiting|all]
    alerts

`on` without a kind turns both on; `off` without one turns all off. Repositories are checked against
the channel's rules by the caller; labels are compared case-insensitively. Errors are CommandErrors
whose message names the word to fix and shows the usage.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.alerts.models import KINDS, AlertKind, AlertSubscription
from bot.render.escape import clip_slack, escape_slack
from bot.render.formatting import format_duration, plural
from bot.settings import valid_repo
from bot.slack.command_text import CommandError
from bot.slack.messages import COMMAND

if TYPE_CHECKING:
    from bot.alerts.store import AlertRecord

MAX_LABELS = 10
MAX_LABEL_CHARS = 50  # GitHub's limit for a label name
_OPTION = re.compile(r"([A-Za-z]+):(.*)", re.DOTALL)

USAGE = (
    f"*Usage:* `{COMMAND} alerts on [new] [waiting] [repo:OWNER/NAME ...] [label:NAME ...]`, "
    f"`{COMMAND} alerts off [new|waiting|all]`, `{COMMAND} alerts` (what this channel gets).\n"
    "`new`: each new ticket as it arrives. `waiting`: a ticket that passes the response target "
    "without a team reply."
)


@dataclass(frozen=True)
class AlertsOn:
    kinds: tuple[AlertKind, ...]
    repos: tuple[str, ...] = ()  # as typed; empty: the channel's repositories
    labels: tuple[str, ...] = ()  # lower-case


@dataclass(frozen=True)
class AlertsOff:
    kinds: tuple[AlertKind, ...]


@dataclass(frozen=True)
class AlertsList:
    pass


AlertsArgs = AlertsOn | AlertsOff | AlertsList


def _quoted(text: str) -> str:
    return "“" + clip_slack(escape_slack(text), 60) + "”"


def _error(text: str) -> CommandError:
    return CommandError(f"{text}\n{USAGE}")


def parse_alerts(words: Sequence[str]) -> AlertsArgs:
    """What the words after `alerts` ask for; CommandError naming the word to fix."""
    if not words:
        return AlertsList()
    verb, rest = words[0].lower(), list(words[1:])
    if verb == "on":
        return _on(rest)
    if verb == "off":
        return _off(rest)
    if verb in ("list", "status"):
        if rest:
            raise _error(f"`alerts {verb}` takes nothing after it; {_quoted(rest[0])} is extra.")
        return AlertsList()
    raise _error(f"{_quoted(words[0])} is not `on` or `off`.")


def _on(words: list[str]) -> AlertsOn:
    kinds: list[AlertKind] = []
    repos: list[str] = []
    labels: list[str] = []
    for word in words:
        lower = word.lower()
        option = _OPTION.fullmatch(word)
        if lower in KINDS:
            kinds.append(lower)  # type: ignore[arg-type]
        elif option is not None and option.group(1).lower() in ("repo", "repos"):
            names = [n.strip() for n in option.group(2).split(",") if n.strip()]
            if not names:
                raise _error("`repo:` needs a repository, like `repo:acme/support`.")
            for name in names:
                if not valid_repo(name):
                    raise _error(f"{_quoted(name)} is not a repository name (OWNER/NAME).")
            repos.extend(names)
        elif option is not None and option.group(1).lower() == "label":
            label = option.group(2).strip().lower()
            if not label:
                raise _error('`label:` needs a label, like `label:bug` or `label:"needs triage"`.')
            if len(label) > MAX_LABEL_CHARS:
                raise _error(f"the label {_quoted(label)} is longer than GitHub allows ({MAX_LABEL_CHARS}).")
            labels.append(label)
        else:
            raise _error(f"{_quoted(word)} is not `new`, `waiting`, `repo:OWNER/NAME` or `label:NAME`.")
    if len(set(labels)) > MAX_LABELS:
        raise _error(f"at most {MAX_LABELS} labels, please.")
    return AlertsOn(
        kinds=tuple(dict.fromkeys(kinds)) or KINDS,
        repos=tuple(dict.fromkeys(repos)),
        labels=tuple(dict.fromkeys(labels)),
    )


def _off(words: list[str]) -> AlertsOff:
    if not words:
        return AlertsOff(kinds=KINDS)
    kinds: list[AlertKind] = []
    for word in words:
        lower = word.lower()
        if lower == "all":
            return AlertsOff(kinds=KINDS)
        if lower not in KINDS:
            raise _error(f"{_quoted(word)} is not `new`, `waiting` or `all`.")
        kinds.append(lower)  # type: ignore[arg-type]
    return AlertsOff(kinds=tuple(dict.fromkeys(kinds)))


# --- answers ----------------------------------------------------------------------------------------

_KIND_WORDS = {
    "new": "new tickets",
    "waiting": "tickets waiting past the response target",
}


def _what(kind: AlertKind, *, repos: Sequence[str], labels: Sequence[str]) -> str:
    where = ", ".join(f"`{escape_slack(r)}`" for r in repos) if repos else "this channel's repositories"
    only = f", labelled {', '.join(f'`{escape_slack(label)}`' for label in labels)}" if labels else ""
    return f"*{_KIND_WORDS[kind]}* on {where}{only}"


def turned_on(
    changes: Sequence[tuple[AlertKind, str]], *, repos: Sequence[str], labels: Sequence[str]
) -> str:
    lines = []
    for kind, how in changes:
        verb = {"added": "Alerts on", "resumed": "Alerts resumed for", "updated": "Alerts changed:"}[how]
        lines.append(f"{verb} {_what(kind, repos=repos, labels=labels)}.")
    lines.append(
        f"Only tickets from now on are alerted; earlier ones never are. `{COMMAND} alerts off` stops them."
    )
    return "\n".join(lines)


def turned_off(removed: Sequence[str], asked: Sequence[str]) -> str:
    if not removed:
        return (
            f"This channel had no alerts for {' or '.join(_KIND_WORDS[k] for k in asked)}; nothing changed."
        )
    return f"Alerts off for {' and '.join(f'*{_KIND_WORDS[k]}*' for k in removed)}."


def no_alerts() -> str:
    return f"This channel gets no alerts. `{COMMAND} alerts on` posts each new ticket here as it arrives."


def alert_entry(
    subscription: AlertSubscription,
    *,
    repos: Sequence[str],
    now: datetime,
    troubled: Sequence[AlertRecord] = (),
) -> str:
    """One line of `alerts`: what, since when, how posting went, and the alerts that may be missing
    (`troubled`: records left unconfirmed or rejected)."""
    line = f"• {_what(subscription.kind, repos=repos, labels=subscription.labels)}"
    line += f", since {subscription.created_at:%Y-%m-%d %H:%M} UTC"
    error, failures = subscription.last_error, subscription.failures
    since_post = subscription.last_posted_at is None or (
        subscription.last_error_at is not None and subscription.last_error_at >= subscription.last_posted_at
    )
    if subscription.paused_at is not None:
        line += (
            f"\n    :warning: *Paused* {format_duration(now - subscription.paused_at)} ago after "
            f"{plural(failures, 'failed post')} (last: {_reason(error)}). "
            f"`{COMMAND} alerts on` resumes them."
        )
    elif error and failures:
        posts = "post" if failures == 1 else f"{failures} posts"
        line += f"\n    :warning: the last {posts} failed ({_reason(error)}); alerts pause after a few more."
    elif error and since_post and not error.startswith("unconfirmed: "):
        line += f"\n    :warning: the last post failed ({_reason(error)}); it is tried again later."
    elif subscription.last_posted_at is not None:
        line += f"; last alert {format_duration(now - subscription.last_posted_at)} ago"
    unconfirmed = [r for r in troubled if r.state == "unconfirmed"]
    rejected = [r for r in troubled if r.state == "rejected"]
    if unconfirmed:
        line += (
            f"\n    :grey_question: {_numbers(unconfirmed)}: Slack's answer was lost and the channel does "
            f"not show {'it' if len(unconfirmed) == 1 else 'them'}; not posted again "
            f"(last: {_reason(unconfirmed[-1].error)})."
        )
    if rejected:
        line += (
            f"\n    :no_entry: {_numbers(rejected)}: Slack refused the message "
            f"({_reason(rejected[-1].error)}); not tried again."
        )
    return line


def _numbers(records: Sequence[AlertRecord], *, shown: int = 5) -> str:
    names = [f"`{escape_slack(r.repo)}#{r.number}`" for r in records[-shown:]]
    more = f" and {len(records) - shown} more" if len(records) > shown else ""
    return f"{plural(len(records), 'alert')} ({', '.join(names)}{more})"


def _reason(error: str | None) -> str:
    hints = {
        "not_in_channel": "I am not in this channel: invite me with `/invite @ticket-report`",
        "channel_not_found": "I cannot see this channel: invite me with `/invite @ticket-report`",
        "is_archived": "the channel is archived",
        "channel_archived": "the channel is archived",
        "restricted_action": "the channel does not let me post",
        "ratelimited": "Slack asked me to slow down",
        "invalid_auth": "Slack did not accept my token; whoever runs the bot should check it",
        "token_revoked": "my token was revoked; whoever runs the bot should install me again",
        "account_inactive": "my token was revoked; whoever runs the bot should install me again",
        "msg_too_long": "the message was too long for Slack",
        "invalid_blocks": "Slack did not accept the message's layout",
        "the alert was not a valid Slack message": "I built a message Slack would not take; it is logged",
    }
    text = error or "unknown error"
    if text.startswith("unconfirmed: "):
        text = text.removeprefix("unconfirmed: ")
    if text.startswith("restricted_action"):
        return hints["restricted_action"]
    if text.startswith("connection failed"):
        return "I could not reach Slack"
    return hints.get(text, f"`{clip_slack(escape_slack(text), 120)}`")


def alert_list(entries: Sequence[str]) -> str:
    return "\n".join(["*Alerts in this channel*", *entries])


def not_an_alert_manager(*, users: Sequence[str], groups: Sequence[str]) -> str:
    who = ", ".join(
        [f"<@{escape_slack(u)}>" for u in users] + [f"<!subteam^{escape_slack(g)}>" for g in groups]
    )
    return (
        f"Only {who} may turn this channel's alerts on or off; please ask one of them. "
        f"`{COMMAND} alerts` shows what is set up."
    )


def alerts_pending() -> str:
    return "Checking that you may change this channel's alerts…"


def alerts_list_pending() -> str:
    return "Reading this channel's alerts…"


def alerts_unavailable() -> str:
    return (
        "I couldn't reach my database to read or change alerts; nothing was changed. "
        "Please try again, and tell whoever runs the bot if it keeps happening."
    )


def needs_mirror() -> str:
    return (
        "Alerts need the ticket mirror, which is turned off in the bot's config (`mirror: false`). "
        "Ask whoever runs the bot to turn it on."
    )
