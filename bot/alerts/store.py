"""The alert tables (`alert_subscriptions`, `alert_records`) and the mirror reads alerts need.

An alert record is inserted once per (channel, repository, ticket, kind): the process whose INSERT
succeeded owns it and posts it; every later change is a conditional UPDATE naming the owner and the
state it expects (as `bot.store.claims` does for digests), so any number of processes alert each ticket
once. States: claimed (building; a lapsed lease means nothing was sent, and the row is dropped so the
ticket is claimed afresh), posting (sending; a lapsed lease is settled by looking for the delivery id in
Slack, never by sending again), posted, failed (nothing was sent; claimed again by a later run, from
its retry time in lease_until when it has one), rejected (Slack refused its content: never sent
again), unconfirmed (it may be in Slack: never sent again), slot (see `claim_slot`), counted (only
counted in a "while paused" line) and skipped (not for this channel: another label, excluded, opened
by the team).

Times come from the caller; nothing here reads the clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.alerts.models import AlertKind, AlertSubscription
from bot.report.models import TEAM_ASSOCIATIONS
from bot.store.claims import clip_error
from bot.store.mirror import repo_key
from bot.store.schema import alert_records, alert_subscriptions, mirror_comments, mirror_issues

MAX_CANDIDATES = 200  # tickets read per repository and pass (more wait for the next pass)
MAX_OPEN_TITLES = 500  # open tickets compared for "looks like"
SLOT_PREFIX = "~"  # no repository name starts so: the synthetic rows of `claim_slot`


@dataclass(frozen=True)
class AlertRecord:
    """One alert's row."""

    channel_id: str
    repo: str
    number: int
    kind: AlertKind
    state: str
    owner: str
    claimed_at: datetime
    lease_until: datetime | None = None
    delivery_id: str | None = None
    message_ts: str | None = None
    bundled: bool = False
    error: str | None = None
    resolved_at: datetime | None = None


class AlertStore:
    """Reads and writes of the alert tables on `engine` (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # --- subscriptions ------------------------------------------------------------------------------

    def subscriptions(self, channel_id: str | None = None) -> list[AlertSubscription]:
        query = sa.select(alert_subscriptions).order_by(
            alert_subscriptions.c.channel_id, alert_subscriptions.c.kind
        )
        if channel_id is not None:
            query = query.where(alert_subscriptions.c.channel_id == channel_id)
        with self._engine.connect() as conn:
            return [_subscription(row._mapping) for row in conn.execute(query)]

    def subscribe(
        self,
        *,
        channel_id: str,
        kind: AlertKind,
        repos: Sequence[str],
        labels: Sequence[str],
        created_by: str,
        now: datetime,
    ) -> str:
        """Turn on (or change, or resume) one kind of alerts: "added", "resumed" or "updated".

        A change keeps the creation mark: what arrived before the first `alerts on` is never alerted."""
        values = {
            "channel_id": channel_id,
            "kind": kind,
            "repos": json.dumps(list(repos)),
            "labels": json.dumps(sorted(set(labels))),
            "created_by": created_by[:64],
            "created_at": now,
            "paused_at": None,
            "failures": 0,
        }
        if self._insert_once(alert_subscriptions, values):
            return "added"
        c = alert_subscriptions.c
        with self._engine.begin() as conn:
            row = conn.execute(
                sa.select(c.paused_at).where(c.channel_id == channel_id, c.kind == kind)
            ).first()
            conn.execute(
                sa.update(alert_subscriptions)
                .where(c.channel_id == channel_id, c.kind == kind)
                .values(
                    repos=values["repos"],
                    labels=values["labels"],
                    created_by=values["created_by"],  # who last turned them on is told of a pause
                    paused_at=None,
                    failures=0,
                )
            )
        return "resumed" if row is not None and row.paused_at is not None else "updated"

    def unsubscribe(self, channel_id: str, kinds: Iterable[AlertKind]) -> list[str]:
        """Turn kinds of alerts off; the kinds that were on. Their records stay (an alert is still once)."""
        c = alert_subscriptions.c
        with self._engine.begin() as conn:
            rows = conn.execute(
                sa.delete(alert_subscriptions)
                .where(c.channel_id == channel_id, c.kind.in_(list(kinds)))
                .returning(c.kind)
            ).all()
        return sorted(row.kind for row in rows)

    def posted_ok(self, channel_id: str, kind: AlertKind, *, now: datetime) -> None:
        c = alert_subscriptions.c
        with self._engine.begin() as conn:
            conn.execute(
                sa.update(alert_subscriptions)
                .where(c.channel_id == channel_id, c.kind == kind)
                .values(failures=0, last_posted_at=now)
            )

    def note_error(self, channel_id: str, kind: AlertKind, *, error: str, now: datetime) -> None:
        """Remember a failure that does not count toward the pause (shown by `alerts`)."""
        c = alert_subscriptions.c
        with self._engine.begin() as conn:
            conn.execute(
                sa.update(alert_subscriptions)
                .where(c.channel_id == channel_id, c.kind == kind)
                .values(last_error=clip_error(error), last_error_at=now)
            )

    def post_failed(
        self, channel_id: str, kind: AlertKind, *, error: str, now: datetime, pause_after: int
    ) -> bool:
        """Count a failed post; True when this one paused the channel's alerts of `kind`."""
        c = alert_subscriptions.c
        with self._engine.begin() as conn:
            row = conn.execute(
                sa.update(alert_subscriptions)
                .where(c.channel_id == channel_id, c.kind == kind)
                .values(
                    failures=c.failures + 1,
                    last_error=clip_error(error),
                    last_error_at=now,
                    paused_at=sa.case(
                        (sa.and_(c.paused_at.is_(None), c.failures + 1 >= pause_after), now),
                        else_=c.paused_at,
                    ),
                )
                .returning(c.paused_at)
            ).first()
        return row is not None and row.paused_at == now

    # --- records ------------------------------------------------------------------------------------

    def claim(
        self,
        *,
        channel_id: str,
        repo: str,
        number: int,
        kind: AlertKind,
        owner: str,
        now: datetime,
        lease: timedelta,
        delivery_id: str | None,
        state: str = "claimed",
        bundled: bool = False,
    ) -> bool:
        """Own the alert: a new row, or a failed one taken back; False when another has (or had) it."""
        values = {
            "channel_id": channel_id,
            "repo": repo_key(repo),
            "number": number,
            "kind": kind,
            "state": state,
            "claimed_by": owner[:200],
            "claimed_at": now,
            "lease_until": now + lease if state == "claimed" else None,
            "delivery_id": delivery_id,
            "bundled": bundled,
        }
        if self._insert_once(alert_records, values):
            return True
        c = alert_records.c
        # A failed record is taken back once its retry time (lease_until) has come. Its claimed_at stays
        # the first attempt's: the retry delay grows with the time since (`dispatch.retry_delay`).
        kept = ("channel_id", "repo", "number", "kind", "claimed_at")
        statement = (
            sa.update(alert_records)
            .where(
                _record_is(channel_id, repo, number, kind),
                c.state == "failed",
                sa.or_(c.lease_until.is_(None), c.lease_until <= now),
            )
            .values({k: v for k, v in values.items() if k not in kept})
            .returning(c.number)
        )
        with self._engine.begin() as conn:
            return conn.execute(statement).first() is not None

    def move(self, record: AlertRecord, states: tuple[str, ...], **values: Any) -> bool:
        """A conditional update of this owner's record from one of `states`."""
        c = alert_records.c
        statement = (
            sa.update(alert_records)
            .where(
                _record_is(record.channel_id, record.repo, record.number, record.kind),
                c.claimed_by == record.owner[:200],
                c.state.in_(states),
            )
            .values(**values)
            .returning(c.number)
        )
        with self._engine.begin() as conn:
            return conn.execute(statement).first() is not None

    def get(self, channel_id: str, repo: str, number: int, kind: AlertKind) -> AlertRecord | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(alert_records).where(_record_is(channel_id, repo, number, kind))
            ).first()
        return None if row is None else _record(row._mapping)

    def records(self, channel_id: str | None = None, *, kind: AlertKind | None = None) -> list[AlertRecord]:
        query = (
            sa.select(alert_records)
            .where(alert_records.c.state != "slot")
            .order_by(alert_records.c.claimed_at, alert_records.c.number)
        )
        if channel_id is not None:
            query = query.where(alert_records.c.channel_id == channel_id)
        if kind is not None:
            query = query.where(alert_records.c.kind == kind)
        with self._engine.connect() as conn:
            return [_record(row._mapping) for row in conn.execute(query)]

    def claim_slot(self, channel_id: str, what: str, *, owner: str, now: datetime, window: timedelta) -> bool:
        """Own the channel's one `what` ("bundle" or "count") message of the window holding `now`;
        False when another process has it, or (a bundle) one of the window before still stands.

        A slot is an insert-once row of alert_records under a synthetic repository ("~bundle"), numbered
        by its window, so processes that planned the same burst at once post it as one message."""
        seconds = window.total_seconds()
        bucket = int(now.timestamp() // seconds)
        values = {
            "channel_id": channel_id,
            "repo": f"{SLOT_PREFIX}{what}",
            "number": bucket,
            "kind": "new",
            "state": "slot",
            "claimed_by": owner[:200],
            "claimed_at": now,
            "lease_until": None,
            "delivery_id": None,
            "bundled": what == "bundle",
        }
        if not self._insert_once(alert_records, values):
            return False
        if what != "bundle":
            return True
        c = alert_records.c
        before = sa.select(c.number).where(
            _record_is(channel_id, values["repo"], bucket - 1, "new"), c.claimed_at > now - window
        )
        with self._engine.connect() as conn:
            return conn.execute(before).first() is None

    def alert_at(self, channel_id: str, message_ts: str) -> AlertRecord | None:
        """The alert posted as the message `message_ts` of the channel (a bundle's first), or None."""
        c = alert_records.c
        query = (
            sa.select(alert_records)
            .where(c.channel_id == channel_id, c.message_ts == message_ts, c.state == "posted")
            .limit(1)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _record(row._mapping)

    def troubled(self, channel_id: str, kind: AlertKind) -> list[AlertRecord]:
        """The channel's alerts of `kind` that may not be in Slack (unconfirmed) or that Slack
        rejected for good, oldest first."""
        c = alert_records.c
        query = (
            sa.select(alert_records)
            .where(c.channel_id == channel_id, c.kind == kind, c.state.in_(("unconfirmed", "rejected")))
            .order_by(c.claimed_at, c.number)
        )
        with self._engine.connect() as conn:
            return [_record(row._mapping) for row in conn.execute(query)]

    def recent(self, channel_id: str, kind: AlertKind, *, since: datetime) -> tuple[int, datetime | None]:
        """Alerts of `kind` claimed since `since` (counted and skipped ones not included), and when the
        channel's latest bundle was claimed in that time (None: none)."""
        c = alert_records.c
        where = (
            c.channel_id == channel_id,
            c.kind == kind,
            c.claimed_at >= since,
            c.state.not_in(("counted", "skipped")),
        )
        with self._engine.connect() as conn:
            count = conn.execute(sa.select(sa.func.count()).where(*where, c.state != "slot")).scalar_one()
            bundled = conn.execute(sa.select(sa.func.max(c.claimed_at)).where(*where, c.bundled)).scalar()
        return int(count), _aware(bundled)

    def lapsed(self, *, now: datetime) -> list[AlertRecord]:
        """Records whose owner's lease ran out while claiming or posting."""
        c = alert_records.c
        query = sa.select(alert_records).where(
            c.state.in_(("claimed", "posting")), c.lease_until.is_not(None), c.lease_until < now
        )
        with self._engine.connect() as conn:
            return [_record(row._mapping) for row in conn.execute(query)]

    def drop_lapsed_claim(self, record: AlertRecord, *, now: datetime) -> bool:
        """Forget a claim whose owner never began posting (nothing was sent): claimed afresh next run."""
        c = alert_records.c
        with self._engine.begin() as conn:
            return (
                conn.execute(
                    sa.delete(alert_records)
                    .where(
                        _record_is(record.channel_id, record.repo, record.number, record.kind),
                        c.state == "claimed",
                        c.lease_until < now,
                    )
                    .returning(c.number)
                ).first()
                is not None
            )

    def take_over_posting(self, record: AlertRecord, *, owner: str, now: datetime, lease: timedelta) -> bool:
        c = alert_records.c
        with self._engine.begin() as conn:
            return (
                conn.execute(
                    sa.update(alert_records)
                    .where(
                        _record_is(record.channel_id, record.repo, record.number, record.kind),
                        c.state == "posting",
                        c.lease_until < now,
                    )
                    .values(claimed_by=owner[:200], lease_until=now + lease)
                    .returning(c.number)
                ).first()
                is not None
            )

    def unresolved_waiting(self, *, team_logins: frozenset[str] | None = None) -> list[AlertRecord]:
        """Posted `waiting` alerts whose message does not yet say the team replied. With `team_logins`,
        only those whose ticket has since been answered by the team, closed, or gone from the mirror
        (the ones worth reading: a pass does not reload every ticket still waiting)."""
        c, i = alert_records.c, mirror_issues.c
        query = sa.select(alert_records).where(
            c.kind == "waiting", c.state == "posted", c.resolved_at.is_(None), c.message_ts.is_not(None)
        )
        if team_logins is not None:
            issue = sa.select(i.number).where(i.repo == c.repo, i.number == c.number)
            settled = sa.select(i.number).where(
                i.repo == c.repo,
                i.number == c.number,
                sa.or_(i.deleted_at.is_not(None), i.state != "open", _team_replied(team_logins)),
            )
            query = query.where(sa.or_(~issue.exists(), settled.exists()))
        with self._engine.connect() as conn:
            return [_record(row._mapping) for row in conn.execute(query)]

    def resolve(self, record: AlertRecord, *, now: datetime) -> bool:
        """Mark the waiting alert answered (after its message says so); False when another process did
        first."""
        c = alert_records.c
        with self._engine.begin() as conn:
            return (
                conn.execute(
                    sa.update(alert_records)
                    .where(
                        _record_is(record.channel_id, record.repo, record.number, record.kind),
                        c.resolved_at.is_(None),
                    )
                    .values(resolved_at=now)
                    .returning(c.number)
                ).first()
                is not None
            )

    # --- mirror reads -------------------------------------------------------------------------------

    def candidates(
        self,
        repo: str,
        *,
        channel_id: str,
        kind: AlertKind,
        since: datetime,
        until: datetime | None = None,
        team_logins: frozenset[str] | None = None,
        labels: Sequence[str] = (),
        now: datetime | None = None,
    ) -> list[int]:
        """Issues (no pull requests, no deleted ones) of `repo` created at or after `since` that the
        channel has no record of for `kind` (a failed one excepted), oldest first, at most
        MAX_CANDIDATES. With `until`: only open ones created by then and, with `team_logins`, without
        a comment by the team (an association of the team or one of these lower-case logins); without
        it, newest first (the newest are the ones still alerted alone). `labels` (lower-case) narrows
        them in SQL to tickets that may carry one, so a flood of others cannot crowd them out (the
        caller still checks each ticket). A failed record waiting for its retry time (after `now`)
        counts as a record."""
        c, r = mirror_issues.c, alert_records.c
        waiting_retry = sa.and_(r.lease_until.is_not(None), r.lease_until > now) if now else sa.false()
        recorded = sa.exists().where(
            r.channel_id == channel_id,
            r.kind == kind,
            r.repo == c.repo,
            r.number == c.number,
            sa.or_(r.state != "failed", waiting_retry),
        )
        query = sa.select(c.number).where(
            c.repo == repo_key(repo),
            c.created_at >= since,
            c.is_pull_request.is_(False),
            c.deleted_at.is_(None),
            ~recorded,
        )
        if until is not None:
            query = query.where(c.created_at <= until, c.state == "open")
        if team_logins is not None:
            query = query.where(~_team_replied(team_logins))
        narrowed = _may_carry(labels)
        if narrowed is not None:
            query = query.where(narrowed)
        order = (c.created_at, c.number) if until is not None else (c.created_at.desc(), c.number.desc())
        query = query.order_by(*order).limit(MAX_CANDIDATES)
        with self._engine.connect() as conn:
            return [row.number for row in conn.execute(query)]

    def open_titles(self, repo: str) -> list[tuple[str, int, str, str]]:
        """(repo, number, title, url) of the newest open issues, for "looks like"."""
        c = mirror_issues.c
        query = (
            sa.select(c.number, c.title, c.url)
            .where(
                c.repo == repo_key(repo),
                c.state == "open",
                c.is_pull_request.is_(False),
                c.deleted_at.is_(None),
            )
            .order_by(c.created_at.desc())
            .limit(MAX_OPEN_TITLES)
        )
        with self._engine.connect() as conn:
            return [(repo, row.number, row.title, row.url) for row in conn.execute(query)]

    # --- helpers ------------------------------------------------------------------------------------

    def _insert_once(self, table: sa.Table, values: dict[str, Any]) -> bool:
        if self._engine.dialect.name == "postgresql":
            statement: Any = postgresql.insert(table).values(values).on_conflict_do_nothing()
        else:
            statement = sqlite.insert(table).values(values).on_conflict_do_nothing()
        statement = statement.returning(*table.primary_key.columns)
        try:
            with self._engine.begin() as conn:
                return conn.execute(statement).first() is not None
        except IntegrityError:
            return False


def _team_replied(team_logins: frozenset[str]) -> sa.ColumnElement[bool]:
    """The mirrored issue has a comment by the team (an association of the team or one of these
    lower-case logins) other than its author."""
    c, m = mirror_issues.c, mirror_comments.c
    login = sa.func.lower(m.author)
    by_team = sa.or_(
        m.author_association.in_(sorted(TEAM_ASSOCIATIONS)),
        login.in_(sorted(team_logins)) if team_logins else sa.false(),
    )
    return sa.exists().where(
        m.repo == c.repo,
        m.issue_number == c.number,
        m.deleted_at.is_(None),
        m.author_is_bot.is_(False),
        login != sa.func.lower(c.author),
        by_team,
    )


def _may_carry(labels: Sequence[str]) -> sa.ColumnElement[bool] | None:
    """Tickets whose stored labels (a JSON list) may hold one of `labels`; None: no narrowing.

    Only for ASCII labels: SQLite's lower() folds ASCII alone, and a label outside it would be missed."""
    if not labels or not all(label.isascii() for label in labels):
        return None
    stored = sa.func.lower(mirror_issues.c.labels)
    like = []
    for label in labels:
        quoted = json.dumps(label)  # as the mirror stores it: quotes and backslashes escaped
        pattern = quoted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like.append(stored.like(f"%{pattern}%", escape="\\"))
    return sa.or_(*like)


def _record_is(channel_id: str, repo: str, number: int, kind: str) -> sa.ColumnElement[bool]:
    c = alert_records.c
    return sa.and_(c.channel_id == channel_id, c.repo == repo_key(repo), c.number == number, c.kind == kind)


def _aware(value: Any) -> datetime | None:
    # MAX() comes back without the column's type on SQLite: a naive UTC datetime or a string.
    if value is None:
        return None
    type_ = alert_records.c.claimed_at.type
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return type_.process_result_value(value, sqlite.dialect())  # type: ignore[attr-defined]


def _subscription(row: Any) -> AlertSubscription:
    return AlertSubscription(
        channel_id=row["channel_id"],
        kind=row["kind"],
        repos=tuple(json.loads(row["repos"])),
        labels=tuple(json.loads(row["labels"])),
        created_by=row["created_by"],
        created_at=row["created_at"],
        paused_at=row["paused_at"],
        failures=row["failures"],
        last_error=row["last_error"],
        last_error_at=row["last_error_at"],
        last_posted_at=row["last_posted_at"],
    )


def _record(row: Any) -> AlertRecord:
    return AlertRecord(
        channel_id=row["channel_id"],
        repo=row["repo"],
        number=row["number"],
        kind=row["kind"],
        state=row["state"],
        owner=row["claimed_by"],
        claimed_at=row["claimed_at"],
        lease_until=row["lease_until"],
        delivery_id=row["delivery_id"],
        message_ts=row["message_ts"],
        bundled=bool(row["bundled"]),
        error=row["error"],
        resolved_at=row["resolved_at"],
    )
