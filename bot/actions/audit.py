"""`python -m bot audit`: the record of actions on tickets as lines for a terminal, newest first.

Pure: takes the records, returns lines. Names and messages come from Slack and GitHub and are printed
without their control characters, so no record can move the cursor or recolour the terminal.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from bot.actions import text
from bot.actions.model import TicketAction
from bot.errors import BadInput
from bot.store.actions import ActionRecord

MAX_DAYS = 3660


def parse_days(value: str) -> int:
    """--days: a whole number of days from 1 to MAX_DAYS; BadInput saying so otherwise."""
    raw = str(value).strip()
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DAYS:
        raise BadInput(f"--days {value!r} is not a number of days; give a whole number from 1 to {MAX_DAYS}")
    return int(raw)


def audit_lines(records: Iterable[ActionRecord], *, days: int) -> list[str]:
    """One line per action (when in UTC, who, what, ticket, result), in the order given (newest first)."""
    lines = [_line(record) for record in records]
    if not lines:
        return [f"No actions on tickets from Slack in the last {days} day{'s' if days != 1 else ''}."]
    return lines


def _line(record: ActionRecord) -> str:
    when = f"{record.created_at:%Y-%m-%d %H:%M} UTC"
    who = f"{_plain(record.actor_name)} ({_plain(record.actor_id)})"
    what = _plain(text.what(_action(record)))
    ticket = f"{_plain(record.repo)}#{record.number}"
    if record.status is None:
        result = "running (or cut off)"
    else:
        result = f"{record.status}: {_plain(record.message or '')}".rstrip(": ")
    return "  ".join((when, who, what, ticket, result))


def _action(record: ActionRecord) -> TicketAction:
    details = record.details
    kind = record.kind if record.kind in ("close", "reopen", "label", "assign", "reply") else "reply"
    duplicate_of = details.get("duplicate_of")
    return TicketAction(
        kind=kind,  # type: ignore[arg-type]
        repo=record.repo,
        number=record.number,
        state_reason=details.get("state_reason"),
        duplicate_of=duplicate_of if isinstance(duplicate_of, int) else None,
        labels=tuple(str(label) for label in details.get("labels") or ()),
        assignees=tuple(str(login) for login in details.get("assignees") or ()),
        text=str(details.get("text") or ""),
    )


def _plain(value: str) -> str:
    return "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in value).strip()
