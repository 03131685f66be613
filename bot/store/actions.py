"""Actions on tickets asked for from Slack: the claim that lets one process write each to GitHub once,
and the record of every action kept afterwards for `python -m bot audit`.

A row is inserted once per request key (the primary key): the process whose INSERT succeeds owns the
action and is the only one that writes it; a second click, a Slack retry or another process with the
same key finds the row and writes nothing. The owner's row is "running" until `finish` records the
outcome ("finished", with its status and message); a running row past its lease belongs to a process
that died or hung mid-action -- it is never run again (its writes may have gone through), only shown.

Requests that write nothing are recorded too, so the audit sees every request, but under keys of
their own (`settled_key`) that leave the request key free: a refused person's click does not stop a
triage manager's click of the same button, and an action GitHub refused may be tried again.

Times come from the caller, never from here.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.store.schema import ticket_actions

State = Literal["running", "finished"]
MAX_MESSAGE_LENGTH = 1000
MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class ActionRecord:
    """One action's row: what was asked, by whom, and what came of it (status None while running)."""

    request_key: str
    owner: str
    state: State
    actor_id: str
    actor_name: str
    channel_id: str
    kind: str
    repo: str
    number: int
    details: dict[str, Any]
    created_at: datetime
    lease_until: datetime | None = None
    status: str | None = None
    message: str | None = None
    comment_url: str | None = None
    finished_at: datetime | None = None

    def cut_off(self, *, now: datetime) -> bool:
        """A running action whose owner's lease ran out: it stopped somewhere, and is not run again."""
        return self.state == "running" and self.lease_until is not None and self.lease_until < now


class ActionLog:
    """The ticket_actions table (see the module docstring). `insert_once` is the store's INSERT-or-False."""

    def __init__(self, engine: Engine, insert_once: Callable[[sa.Table, dict[str, Any]], bool]) -> None:
        self._engine = engine
        self._insert_once = insert_once

    def claim(
        self,
        request_key: str,
        *,
        owner: str,
        now: datetime,
        lease: timedelta,
        actor_id: str,
        actor_name: str,
        channel_id: str,
        kind: str,
        repo: str,
        number: int,
        details: dict[str, Any],
    ) -> ActionRecord | None:
        """The new running row when this owner got the key; None when the key was claimed before."""
        values = _values(
            request_key,
            owner=owner,
            now=now,
            actor_id=actor_id,
            actor_name=actor_name,
            channel_id=channel_id,
            kind=kind,
            repo=repo,
            number=number,
            details=details,
        )
        values.update(state="running", lease_until=now + lease)
        if not self._insert_once(ticket_actions, values):
            return None
        return self.get(request_key)

    def record(
        self,
        request_key: str,
        *,
        owner: str,
        now: datetime,
        actor_id: str,
        actor_name: str,
        channel_id: str,
        kind: str,
        repo: str,
        number: int,
        details: dict[str, Any],
        status: str,
        message: str,
    ) -> bool:
        """Record an action that was settled without writing (refused, or bad input); False when the key
        was recorded before (that row is kept)."""
        values = _values(
            request_key,
            owner=owner,
            now=now,
            actor_id=actor_id,
            actor_name=actor_name,
            channel_id=channel_id,
            kind=kind,
            repo=repo,
            number=number,
            details=details,
        )
        values.update(state="finished", status=status, message=_clip(message), finished_at=now)
        return self._insert_once(ticket_actions, values)

    def finish(
        self,
        request_key: str,
        *,
        owner: str,
        now: datetime,
        status: str,
        message: str,
        comment_url: str | None = None,
        release: bool = False,
    ) -> bool:
        """Record the outcome of this owner's running action; False when the row is not its running one.
        With `release` (nothing was written) the row keeps its record under a key of its own and the
        request key is free again: the same request may be tried again."""
        c = ticket_actions.c
        values: dict[str, Any] = dict(
            state="finished",
            status=status,
            message=_clip(message),
            comment_url=comment_url,
            finished_at=now,
            lease_until=None,
        )
        if release:
            values["request_key"] = settled_key(request_key, "released")
        statement = (
            sa.update(ticket_actions)
            .where(c.request_key == request_key, c.owner == owner[:200], c.state == "running")
            .values(**values)
            .returning(c.request_key)
        )
        with self._engine.begin() as conn:
            return conn.execute(statement).first() is not None

    def get(self, request_key: str) -> ActionRecord | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(ticket_actions).where(ticket_actions.c.request_key == request_key[:MAX_KEY_LENGTH])
            ).first()
        return None if row is None else _record(row._mapping)

    def since(self, moment: datetime, *, limit: int = 10_000) -> list[ActionRecord]:
        """Actions asked for at or after `moment`, newest first."""
        c = ticket_actions.c
        query = (
            sa.select(ticket_actions)
            .where(c.created_at >= moment)
            .order_by(c.created_at.desc(), c.request_key)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [_record(row._mapping) for row in conn.execute(query)]


def settled_key(request_key: str, why: str, *, unique: bool = True) -> str:
    """A key for the record of a request that does not hold its request key (refused, invalid, failed
    without writing): the request key, why, and (unless not `unique`) a random tag, within 200
    characters."""
    tail = f"~{why}" + (f"~{secrets.token_hex(6)}" if unique else "")
    return request_key[: MAX_KEY_LENGTH - len(tail)] + tail


def _values(
    request_key: str,
    *,
    owner: str,
    now: datetime,
    actor_id: str,
    actor_name: str,
    channel_id: str,
    kind: str,
    repo: str,
    number: int,
    details: dict[str, Any],
) -> dict[str, Any]:
    return {
        "request_key": request_key[:MAX_KEY_LENGTH],
        "owner": owner[:200],
        "actor_id": actor_id[:64],
        "actor_name": actor_name[:200],
        "channel_id": channel_id[:64],
        "kind": kind[:16],
        "repo": repo[:200],
        "number": number,
        "details": json.dumps(details, ensure_ascii=False, sort_keys=True),
        "created_at": now,
    }


def _clip(message: str) -> str:
    text = message.strip()
    return text if len(text) <= MAX_MESSAGE_LENGTH else text[: MAX_MESSAGE_LENGTH - 1] + "…"


def _record(row: Any) -> ActionRecord:
    try:
        details = json.loads(row["details"] or "{}")
    except ValueError:
        details = {}
    return ActionRecord(
        request_key=row["request_key"],
        owner=row["owner"],
        state=row["state"],
        actor_id=row["actor_id"],
        actor_name=row["actor_name"],
        channel_id=row["channel_id"],
        kind=row["kind"],
        repo=row["repo"],
        number=row["number"],
        details=details if isinstance(details, dict) else {},
        created_at=row["created_at"],
        lease_until=row["lease_until"],
        status=row["status"],
        message=row["message"],
        comment_url=row["comment_url"],
        finished_at=row["finished_at"],
    )
