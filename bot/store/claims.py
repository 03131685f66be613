"""Digest claims: who may post a (subscription, period) digest, until when, and how far it got.

A claim row is inserted once per digest (its primary key is the subscription key and the period's
start); from then on every change is a conditional UPDATE that names the owner and the state it
expects, so of any number of processes exactly one acts on a digest at a time. The states:

    claimed      the owner is building the digest; when its lease runs out (the process died, or hangs)
                 another process takes the claim over and builds it again: nothing was sent yet
    posting      the owner is sending it; when this lease runs out the digest may be in Slack, so whoever
                 takes it over only looks for it there (by its delivery id) and never sends it again
    posted       done; `message_ts` is the first message's ts (None when nothing needed posting)
    failed       nothing was posted; `next_attempt_at` says when it is tried again (None: it is not)
    unconfirmed  it may have been posted and the check could not find it: shown, never sent again

Times come from the caller (the scheduler's clock), never from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.store.schema import digest_claims

State = Literal["claimed", "posting", "posted", "failed", "unconfirmed"]

MAX_ERROR_LENGTH = 500  # a failure is shown in Slack; keep the first part of a long message


@dataclass(frozen=True)
class Claim:
    """One digest's claim row."""

    key: str
    period_start: datetime
    owner: str
    state: State
    attempts: int
    claimed_at: datetime
    lease_until: datetime | None = None
    fire_time: datetime | None = None
    delivery_id: str | None = None
    next_attempt_at: datetime | None = None
    error: str | None = None
    message_ts: str | None = None


@dataclass(frozen=True)
class DigestStatus:
    """How a subscription's latest digest went, for `subscriptions`."""

    last_posted_at: datetime | None = None
    last_error: str | None = None  # the latest digest's failure; None once a later one posted
    last_error_at: datetime | None = None
    state: State | None = None  # the latest digest's state
    next_attempt_at: datetime | None = None  # a failed digest is tried again then


def clip_error(error: str) -> str:
    text = error.strip() or "unknown error"
    return text if len(text) <= MAX_ERROR_LENGTH else text[: MAX_ERROR_LENGTH - 1] + "…"


class Claims:
    """The claims table (see the module docstring). `insert_once` is the store's INSERT-or-False."""

    def __init__(self, engine: Engine, insert_once: Callable[[sa.Table, dict[str, Any]], bool]) -> None:
        self._engine = engine
        self._insert_once = insert_once

    def claim(
        self,
        key: str,
        *,
        period_start: datetime,
        owner: str,
        now: datetime,
        lease: timedelta,
        fire_time: datetime | None = None,
        delivery_id: str | None = None,
    ) -> Claim | None:
        """The claim, if this owner got it: a new one, or one taken over (see `take_over`); else None."""
        values = {
            "subscription_key": key,
            "period_start": period_start,
            "claimed_at": now,
            "claimed_by": owner[:200],
            "state": "claimed",
            "lease_until": now + lease,
            "attempts": 1,
            "fire_time": fire_time,
            "delivery_id": delivery_id,
        }
        if self._insert_once(digest_claims, values):
            return self.get(key, period_start)
        return self.take_over(key, period_start, owner=owner, now=now, lease=lease)

    def take_over(
        self, key: str, period_start: datetime, *, owner: str, now: datetime, lease: timedelta
    ) -> Claim | None:
        """Take a claim whose lease ran out, or a failed one whose retry is due; None if not (yet) so.

        A "claimed" or "failed" claim comes back "claimed", to be built again (one attempt more); a
        "posting" one stays "posting", to be looked for in Slack, with its first claim time kept as the
        earliest moment its messages can have been posted.
        """
        c = digest_claims.c
        takeable = sa.or_(
            sa.and_(c.state.in_(("claimed", "posting")), c.lease_until.is_not(None), c.lease_until < now),
            sa.and_(c.state == "failed", c.next_attempt_at.is_not(None), c.next_attempt_at <= now),
        )
        posting = c.state == "posting"
        statement = (
            sa.update(digest_claims)
            .where(_claim_is(key, period_start), takeable)
            .values(
                claimed_by=owner[:200],
                lease_until=now + lease,
                state=sa.case((posting, "posting"), else_="claimed"),
                attempts=sa.case((posting, c.attempts), else_=c.attempts + 1),
                claimed_at=sa.case((posting, c.claimed_at), else_=now),
                next_attempt_at=None,
            )
            .returning(*digest_claims.columns)
        )
        with self._engine.begin() as conn:
            row = conn.execute(statement).first()
        return None if row is None else _claim(row._mapping)

    def begin_posting(self, claim: Claim, *, now: datetime, lease: timedelta) -> bool:
        """Move this owner's claim from building to sending; False if it lost the claim meanwhile."""
        return self._move(claim, ("claimed",), state="posting", lease_until=now + lease)

    def posted(self, claim: Claim, *, now: datetime, ts: str | None) -> bool:
        """Record the post (also over "unconfirmed": a late answer is the truth)."""
        return self._move(
            claim,
            ("claimed", "posting", "unconfirmed"),
            state="posted",
            posted_at=now,
            message_ts=ts,
            error=None,
            failed_at=None,
            lease_until=None,
            next_attempt_at=None,
        )

    def failed(self, claim: Claim, *, now: datetime, error: str, retry_at: datetime | None) -> bool:
        """Nothing was posted: why, and when it is tried again (None: never)."""
        return self._move(
            claim,
            ("claimed", "posting"),
            state="failed",
            error=clip_error(error),
            failed_at=now,
            next_attempt_at=retry_at,
            lease_until=None,
        )

    def unconfirmed(self, claim: Claim, *, now: datetime, error: str) -> bool:
        """It may have been posted and could not be found: recorded and shown, never sent again."""
        return self._move(
            claim,
            ("posting",),
            state="unconfirmed",
            error=clip_error(error),
            failed_at=now,
            lease_until=None,
            next_attempt_at=None,
        )

    def get(self, key: str, period_start: datetime) -> Claim | None:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(digest_claims).where(_claim_is(key, period_start))).first()
        return None if row is None else _claim(row._mapping)

    def due(self, *, now: datetime) -> list[Claim]:
        """Claims another process may act on now: leases run out, and retries due (oldest first)."""
        c = digest_claims.c
        query = (
            sa.select(digest_claims)
            .where(
                sa.or_(
                    sa.and_(c.state.in_(("claimed", "posting")), c.lease_until < now),
                    sa.and_(c.state == "failed", c.next_attempt_at <= now),
                )
            )
            .order_by(c.period_start)
        )
        with self._engine.connect() as conn:
            return [_claim(row._mapping) for row in conn.execute(query)]

    def status(self, keys: Iterable[str]) -> dict[str, DigestStatus]:
        """Last post and the latest digest's state of each subscription key ever claimed."""
        keys = sorted(set(keys))
        if not keys:
            return {}
        c = digest_claims.c
        latest = (
            sa.select(
                c.subscription_key,
                sa.func.max(c.period_start).label("period_start"),
                sa.func.max(c.posted_at).label("last_posted_at"),
            )
            .where(c.subscription_key.in_(keys))
            .group_by(c.subscription_key)
            .subquery()
        )
        query = sa.select(
            latest.c.subscription_key,
            latest.c.last_posted_at,
            c.error,
            c.failed_at,
            c.state,
            c.next_attempt_at,
        ).join(
            digest_claims,
            sa.and_(c.subscription_key == latest.c.subscription_key, c.period_start == latest.c.period_start),
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return {
            row.subscription_key: DigestStatus(
                last_posted_at=row.last_posted_at,
                last_error=row.error,
                last_error_at=row.failed_at,
                state=row.state,
                next_attempt_at=row.next_attempt_at,
            )
            for row in rows
        }

    def _move(self, claim: Claim, states: tuple[str, ...], **values: Any) -> bool:
        c = digest_claims.c
        statement = (
            sa.update(digest_claims)
            .where(
                _claim_is(claim.key, claim.period_start),
                c.claimed_by == claim.owner[:200],
                c.state.in_(states),
            )
            .values(**values)
            .returning(c.subscription_key)
        )
        with self._engine.begin() as conn:
            return conn.execute(statement).first() is not None


def _claim_is(key: str, period_start: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(digest_claims.c.subscription_key == key, digest_claims.c.period_start == period_start)


def _claim(row: Any) -> Claim:
    return Claim(
        key=row["subscription_key"],
        period_start=row["period_start"],
        owner=row["claimed_by"],
        state=row["state"],
        attempts=row["attempts"],
        claimed_at=row["claimed_at"],
        lease_until=row["lease_until"],
        fire_time=row["fire_time"],
        delivery_id=row["delivery_id"],
        next_attempt_at=row["next_attempt_at"],
        error=row["error"],
        message_ts=row["message_ts"],
    )
