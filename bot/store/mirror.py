"""The ticket mirror: each configured repository's issues and comments, kept in the bot's database.

Written by the sync (`bot.mirror.sync`, pages of the REST API) and by GitHub webhooks
(`bot.mirror.webhooks`); read by reports (`bot.mirror.source`). Payloads are GitHub's JSON, untrusted:
anything unreadable is skipped, never stored half.

Rules that make any order of writes safe, from any number of processes at once:
* A row is only replaced by a payload at least as new (`updated_at`), so a late delivery of an older
  edit changes nothing, and the same payload applied twice is one row.
* Deletion leaves a tombstone (`deleted_at`), final whatever arrives later: a create or an edit
  delivered or listed after the delete does not bring the row back (GitHub never restores a deleted
  comment or issue; a transferred issue returns under a new number). Reads skip tombstones.
* The text a report needs (`bot.report.derived`: cleaned lines for grouping, what a comment says for
  summaries) is computed here, when a row is written, and stored with its `TEXT_VERSION`; a row of
  another version is read without it (the core then reads that text itself) until `rederive` brings it
  to the current version.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from bot.report import derived
from bot.report.history import IssueDates
from bot.report.models import TEAM_ASSOCIATIONS, Comment, Ticket, TicketData
from bot.sources.payloads import (
    comment_from_payload,
    is_pull_request,
    parse_datetime,
    ticket_from_issue,
)
from bot.store.schema import (
    mirror_comments,
    mirror_etags,
    mirror_issues,
    mirror_repos,
    webhook_deliveries,
)

_BATCH = 500  # rows per INSERT statement
_READ_BATCH = 5000  # rows fetched at a time by a report's read
# How long webhooks alone keep a mirror current after a sync confirmed them (reports sync after that).
WEBHOOK_TRUST = timedelta(hours=1)


def repo_key(repo: str) -> str:
    """GitHub's repository names are case-insensitive: the mirror keys them lower-cased."""
    return repo.strip().lower()


@dataclass(frozen=True)
class RepoState:
    """How far the mirror of one repository got (a row of `mirror_repos`)."""

    repo: str  # lower-cased key
    name: str  # as configured
    backfill_issues_url: str | None = None
    backfill_comments_url: str | None = None
    backfill_started_at: datetime | None = None
    backfilled_at: datetime | None = None
    issues_since: datetime | None = None
    comments_since: datetime | None = None
    synced_at: datetime | None = None
    reconciled_at: datetime | None = None
    pinned_at: datetime | None = None
    webhook_since: datetime | None = None
    webhook_at: datetime | None = None
    lease_owner: str | None = None
    lease_until: datetime | None = None
    last_error: str | None = None

    @property
    def ready(self) -> bool:
        """The first sync finished: the mirror holds the repository's whole history."""
        return self.backfilled_at is not None and self.synced_at is not None

    @property
    def webhook_fed(self) -> bool:
        """Webhooks have been arriving since before the last sync, and that sync found nothing they had
        missed: every change since is in the mirror as soon as GitHub delivers it."""
        return (
            self.ready
            and self.webhook_since is not None
            and self.synced_at is not None
            and self.webhook_since <= self.synced_at
        )

    def trusts_webhooks(self, *, now: datetime) -> bool:
        """Fed by webhooks, and a sync within WEBHOOK_TRUST confirmed they miss nothing: a hook deleted
        or disabled, or a server down, is found by the next sync (or trusted no longer after that)."""
        return self.webhook_fed and self.synced_at is not None and now - self.synced_at <= WEBHOOK_TRUST

    def fresh(self, *, now: datetime, sync_minutes: float) -> bool:
        """Current enough to report from without asking GitHub: synced within `sync_minutes`, or fed by
        webhooks with no gap since the last sync."""
        if not self.ready or self.synced_at is None:
            return False
        return self.trusts_webhooks(now=now) or now - self.synced_at <= timedelta(minutes=sync_minutes)

    def as_of(self, *, now: datetime) -> datetime | None:
        """The moment the mirror is known to be current: now when webhooks feed it, else its last sync."""
        if self.trusts_webhooks(now=now):
            return now
        return self.synced_at


@dataclass(frozen=True)
class Written:
    """What an upsert did: rows written (new or newer) and payloads skipped (unreadable, or older than
    what the mirror holds)."""

    written: int = 0
    skipped: int = 0

    def __add__(self, other: Written) -> Written:
        return Written(self.written + other.written, self.skipped + other.skipped)


# The rows `issue_times` returns: the weekly history's input, defined with it.
IssueTimes = IssueDates


class Mirror:
    """Reads and writes of the ticket mirror on the store's engine (see the module docstring).

    Safe to share between threads and processes. `transaction()` gives a Mirror whose calls all run in
    one database transaction (a webhook delivery is recorded and applied together, or not at all).
    """

    def __init__(self, engine: Engine, *, connection: Connection | None = None) -> None:
        self._engine = engine
        self._connection = connection

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Mirror]:
        if self._connection is not None:
            yield self
            return
        with self._engine.begin() as conn:
            yield Mirror(self._engine, connection=conn)

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        if self._connection is not None:
            yield self._connection
        else:
            with self._engine.begin() as conn:
                yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        if self._connection is not None:
            yield self._connection
        else:
            with self._engine.connect() as conn:
                yield conn

    # --- repositories and their sync state ----------------------------------------------------------

    def ensure_repo(self, repo: str) -> RepoState:
        """The repository's state, its row created when it is new."""
        self._insert_ignore(mirror_repos, [{"repo": repo_key(repo), "name": repo.strip()}])
        state = self.state(repo)
        assert state is not None
        return state

    def state(self, repo: str) -> RepoState | None:
        with self._read() as conn:
            row = conn.execute(sa.select(mirror_repos).where(mirror_repos.c.repo == repo_key(repo))).first()
        return None if row is None else RepoState(**row._mapping)

    def states(self) -> list[RepoState]:
        with self._read() as conn:
            rows = conn.execute(sa.select(mirror_repos).order_by(mirror_repos.c.repo)).all()
        return [RepoState(**row._mapping) for row in rows]

    def update_state(self, repo: str, **values: Any) -> None:
        """Set columns of the repository's row (names as in RepoState; the row must exist)."""
        unknown = set(values) - set(mirror_repos.c.keys())
        if unknown or "repo" in values:
            raise ValueError(f"not a settable sync-state column: {sorted(unknown or {'repo'})}")
        with self._begin() as conn:
            conn.execute(sa.update(mirror_repos).where(mirror_repos.c.repo == repo_key(repo)).values(values))

    def acquire_lease(self, repo: str, *, owner: str, now: datetime, seconds: float) -> bool:
        """Take (or extend) the right to sync `repo` until now + seconds; False while another owner holds
        an unexpired lease."""
        self.ensure_repo(repo)
        table = mirror_repos
        statement = (
            sa.update(table)
            .where(
                table.c.repo == repo_key(repo),
                sa.or_(
                    table.c.lease_owner.is_(None), table.c.lease_until < now, table.c.lease_owner == owner
                ),
            )
            .values(lease_owner=owner[:200], lease_until=now + timedelta(seconds=seconds))
            .returning(table.c.repo)
        )
        with self._begin() as conn:
            return conn.execute(statement).first() is not None

    def release_lease(self, repo: str, *, owner: str) -> None:
        table = mirror_repos
        with self._begin() as conn:
            conn.execute(
                sa.update(table)
                .where(table.c.repo == repo_key(repo), table.c.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )

    # --- conditional requests -----------------------------------------------------------------------

    def etag(self, repo: str, request: str) -> tuple[str, Any] | None:
        """The ETag saved for this request, and the JSON `items` saved with it (None when none)."""
        query = sa.select(mirror_etags.c.etag, mirror_etags.c.held).where(
            mirror_etags.c.repo == repo_key(repo), mirror_etags.c.request == request[:500]
        )
        with self._read() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return row.etag, (json.loads(row.held) if row.held is not None else None)

    def save_etag(self, repo: str, request: str, etag: str, *, now: datetime, items: Any = None) -> None:
        values = {
            "repo": repo_key(repo),
            "request": request[:500],
            "etag": etag[:200],
            "held": None if items is None else json.dumps(items),
            "saved_at": now,
        }
        statement = self._upsert(mirror_etags, [values], keys=("repo", "request"))
        with self._begin() as conn:
            conn.execute(statement)

    def forget_etags(self, repo: str, *, prefix: str = "") -> None:
        query = sa.delete(mirror_etags).where(mirror_etags.c.repo == repo_key(repo))
        if prefix:
            query = query.where(mirror_etags.c.request.startswith(prefix, autoescape=True))
        with self._begin() as conn:
            conn.execute(query)

    # --- webhook deliveries -------------------------------------------------------------------------

    def record_delivery(self, delivery_id: str, *, event: str, repo: str | None, now: datetime) -> bool:
        """Remember a webhook delivery; False when it was recorded before (a redelivery)."""
        values = {
            "delivery_id": delivery_id[:100],
            "event": event[:64],
            "repo": repo_key(repo) if repo else None,
            "received_at": now,
        }
        return self._insert_ignore(webhook_deliveries, [values]) == 1

    def forget_deliveries(self, *, before: datetime) -> int:
        """Drop delivery records older than `before` (GitHub redelivers within days, not months)."""
        with self._begin() as conn:
            return conn.execute(
                sa.delete(webhook_deliveries).where(webhook_deliveries.c.received_at < before)
            ).rowcount

    # --- writes -------------------------------------------------------------------------------------

    def upsert_issues(self, repo: str, payloads: Iterable[Mapping[str, Any]], *, now: datetime) -> Written:
        """Issue (and pull request) payloads as the REST API or a webhook gives them."""
        rows = [_issue_row(repo, payload, now=now) for payload in payloads]
        return self._write_rows(mirror_issues, rows, keys=("repo", "number"))

    def upsert_comments(self, repo: str, payloads: Iterable[Mapping[str, Any]], *, now: datetime) -> Written:
        """Issue comment payloads (pull request comments are skipped: reports cover issues only)."""
        rows = [_comment_row(repo, payload, now=now) for payload in payloads]
        return self._write_rows(mirror_comments, rows, keys=("repo", "id"))

    def _write_rows(
        self, table: sa.Table, rows: list[dict[str, Any] | None], *, keys: Sequence[str]
    ) -> Written:
        """Upsert the readable rows (None: an unreadable payload, counted as skipped)."""
        readable = [row for row in rows if row is not None]
        return self._upsert_newer(table, readable, keys=keys) + Written(skipped=len(rows) - len(readable))

    def delete_issue(
        self, repo: str, number: int, *, at: datetime, now: datetime, payload: Mapping[str, Any] | None = None
    ) -> bool:
        """Tombstone an issue deleted or transferred at `at` (and its comments). With the payload of a
        `deleted`/`transferred` webhook, an issue the mirror never saw gets a tombstone too, so a late
        create cannot bring it back. True when something changed."""
        row = _issue_row(repo, payload, now=now) if payload is not None else None
        changed = False
        if row is not None and row["number"] == number:
            row.update(deleted_at=at, updated_at=max(at, row["updated_at"]))
            changed = self._upsert_newer(mirror_issues, [row], keys=("repo", "number")).written > 0
        else:
            changed = self._tombstone(mirror_issues, mirror_issues.c.number == number, repo=repo, at=at)
        self._tombstone(mirror_comments, mirror_comments.c.issue_number == number, repo=repo, at=at)
        return changed

    def delete_comment(
        self,
        repo: str,
        comment_id: int,
        *,
        at: datetime,
        now: datetime,
        payload: Mapping[str, Any] | None = None,
    ) -> bool:
        """Tombstone a comment deleted at `at` (see delete_issue)."""
        row = _comment_row(repo, payload, now=now) if payload is not None else None
        if row is not None and row["id"] == comment_id:
            row.update(deleted_at=at, updated_at=max(at, row["updated_at"]))
            return self._upsert_newer(mirror_comments, [row], keys=("repo", "id")).written > 0
        return self._tombstone(mirror_comments, mirror_comments.c.id == comment_id, repo=repo, at=at)

    def set_pinned(self, repo: str, numbers: Collection[int]) -> None:
        """Exactly `numbers` are the repository's pinned issues."""
        table = mirror_issues
        key = repo_key(repo)
        with self._begin() as conn:
            conn.execute(
                sa.update(table)
                .where(table.c.repo == key, table.c.pinned.is_(True), table.c.number.not_in(list(numbers)))
                .values(pinned=False)
            )
            if numbers:
                conn.execute(
                    sa.update(table)
                    .where(table.c.repo == key, table.c.number.in_(list(numbers)))
                    .values(pinned=True)
                )

    def set_issue_pinned(self, repo: str, number: int, *, pinned: bool) -> None:
        with self._begin() as conn:
            conn.execute(
                sa.update(mirror_issues)
                .where(mirror_issues.c.repo == repo_key(repo), mirror_issues.c.number == number)
                .values(pinned=pinned)
            )

    # --- reads --------------------------------------------------------------------------------------

    def window(self, repo: str, *, window_start: datetime, window_end: datetime) -> TicketData:
        """Tickets of `repo` active in [window_start, window_end) (created, closed or commented on in it)
        and the comments made in it on them: what `GitHubSource.fetch` returns for the window, with the
        derived text filled in. `as_of` is left None (the caller knows how fresh the mirror is)."""
        key = repo_key(repo)
        issues, comments = mirror_issues, mirror_comments

        def inside(column: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
            return sa.and_(column >= window_start, column < window_end)

        commented = sa.exists().where(
            comments.c.repo == key,
            comments.c.issue_number == issues.c.number,
            comments.c.deleted_at.is_(None),
            inside(comments.c.created_at),
        )
        ticket_query = (
            sa.select(*_TICKET_COLUMNS)
            .where(
                issues.c.repo == key,
                issues.c.is_pull_request.is_(False),
                issues.c.deleted_at.is_(None),
                sa.or_(inside(issues.c.created_at), inside(issues.c.closed_at), commented),
            )
            .order_by(issues.c.number)
        )
        # By time only: the index on (repo, created_at) gives that order, where a tie broken by id costs
        # SQLite a sort of every row; `_comments` puts the rare comments made in the same instant in
        # order of id.
        comment_query = (
            sa.select(*_COMMENT_COLUMNS)
            .where(comments.c.repo == key, comments.c.deleted_at.is_(None), inside(comments.c.created_at))
            .order_by(comments.c.created_at)
        )
        with self._read() as conn:
            # Rows a few thousand at a time (fetchmany): not one driver call per row, nor all at once.
            batched = {"yield_per": _READ_BATCH}
            labels: dict[str, tuple[str, ...]] = {}  # most tickets share their labels with many others
            tickets = [
                _ticket(repo, row, labels=labels)
                for row in conn.execute(ticket_query, execution_options=batched)
            ]
            numbers = {t.number for t in tickets}
            said = _comments(repo, conn.execute(comment_query, execution_options=batched), numbers=numbers)
        return TicketData(tickets=tuple(tickets), comments=tuple(said), comments_since=window_start)

    def ticket(self, repo: str, number: int) -> tuple[Ticket, tuple[Comment, ...]] | None:
        """One issue and all its comments; None when the mirror does not hold it (or it was deleted).
        A pull request is returned as None too: reports cover issues only."""
        key = repo_key(repo)
        with self._read() as conn:
            row = conn.execute(
                sa.select(*_TICKET_COLUMNS).where(
                    mirror_issues.c.repo == key,
                    mirror_issues.c.number == number,
                    mirror_issues.c.deleted_at.is_(None),
                    mirror_issues.c.is_pull_request.is_(False),
                )
            ).first()
            if row is None:
                return None
            said = conn.execute(
                sa.select(*_COMMENT_COLUMNS)
                .where(
                    mirror_comments.c.repo == key,
                    mirror_comments.c.issue_number == number,
                    mirror_comments.c.deleted_at.is_(None),
                )
                .order_by(mirror_comments.c.created_at, mirror_comments.c.id)
            ).all()
        return _ticket(repo, row), tuple(_comments(repo, said))

    def is_pull_request(self, repo: str, number: int) -> bool:
        with self._read() as conn:
            return bool(
                conn.execute(
                    sa.select(mirror_issues.c.is_pull_request).where(
                        mirror_issues.c.repo == repo_key(repo), mirror_issues.c.number == number
                    )
                ).scalar_one_or_none()
            )

    def issue_times(
        self, repo: str, *, since: datetime, team_logins: Collection[str] = ()
    ) -> list[IssueTimes]:
        """Every issue (not pull request, not pinned) open at `since` or created or closed after it, with
        its first team reply for those created after `since` (a comment by OWNER, MEMBER or COLLABORATOR
        or a `team_logins` login, not by the issue's author, not by a bot)."""
        key = repo_key(repo)
        issues, comments = mirror_issues, mirror_comments
        logins = sorted({login.lower() for login in team_logins})
        team = comments.c.author_association.in_(sorted(TEAM_ASSOCIATIONS))
        if logins:
            team = sa.or_(team, sa.func.lower(comments.c.author).in_(logins))
        first_reply = (
            sa.select(sa.func.min(comments.c.created_at))
            .where(
                comments.c.repo == issues.c.repo,
                comments.c.issue_number == issues.c.number,
                comments.c.deleted_at.is_(None),
                comments.c.author_is_bot.is_(False),
                comments.c.author != issues.c.author,
                team,
            )
            .correlate(issues)
            .scalar_subquery()
        )
        query = sa.select(
            issues.c.number,
            _raw(issues.c.created_at),
            _raw(issues.c.closed_at),
            issues.c.state,
            issues.c.state_reason,
            _raw(sa.case((issues.c.created_at >= since, first_reply), else_=None).label("first_reply")),
        ).where(
            issues.c.repo == key,
            issues.c.is_pull_request.is_(False),
            issues.c.pinned.is_(False),
            issues.c.deleted_at.is_(None),
            sa.or_(issues.c.closed_at.is_(None), issues.c.closed_at >= since, issues.c.state == "open"),
        )
        with self._read() as conn:
            rows = conn.execute(query, execution_options={"yield_per": _READ_BATCH})
            return [  # by position, times parsed by `_utc`: a week's report reads every issue's dates
                IssueDates(
                    number=number,
                    created_at=_utc(created_at),  # type: ignore[arg-type]
                    closed_at=_utc(closed_at) if state == "closed" else None,
                    state_reason=state_reason,
                    first_team_reply_at=_utc(first_reply),
                )
                for number, created_at, closed_at, state, state_reason, first_reply in rows
            ]

    def issue_numbers(self, repo: str, *, created_from: datetime, created_to: datetime) -> set[int]:
        """Numbers of the live issues and pull requests created in [created_from, created_to] (both
        included): what a page of the created-ordered listing should hold."""
        table = mirror_issues
        query = sa.select(table.c.number).where(
            table.c.repo == repo_key(repo),
            table.c.deleted_at.is_(None),
            table.c.created_at >= created_from,
            table.c.created_at <= created_to,
        )
        with self._read() as conn:
            return set(conn.execute(query).scalars())

    def comment_ids(self, repo: str, number: int) -> set[int]:
        query = sa.select(mirror_comments.c.id).where(
            mirror_comments.c.repo == repo_key(repo),
            mirror_comments.c.issue_number == number,
            mirror_comments.c.deleted_at.is_(None),
        )
        with self._read() as conn:
            return set(conn.execute(query).scalars())

    def comment_counts(self, repo: str, numbers: Collection[int]) -> dict[int, int]:
        """Live comments held per issue number (issues without any are left out)."""
        if not numbers:
            return {}
        table = mirror_comments
        query = (
            sa.select(table.c.issue_number, sa.func.count())
            .where(
                table.c.repo == repo_key(repo),
                table.c.deleted_at.is_(None),
                table.c.issue_number.in_(sorted(numbers)),
            )
            .group_by(table.c.issue_number)
        )
        with self._read() as conn:
            return {number: count for number, count in conn.execute(query)}

    def counts(self, repo: str) -> tuple[int, int]:
        """(live issues and pull requests, live comments) held for `repo`."""
        key = repo_key(repo)
        with self._read() as conn:
            issues = conn.execute(
                sa.select(sa.func.count())
                .select_from(mirror_issues)
                .where(mirror_issues.c.repo == key, mirror_issues.c.deleted_at.is_(None))
            ).scalar_one()
            comments = conn.execute(
                sa.select(sa.func.count())
                .select_from(mirror_comments)
                .where(mirror_comments.c.repo == key, mirror_comments.c.deleted_at.is_(None))
            ).scalar_one()
        return issues, comments

    def rederive(self, repo: str, *, limit: int = 5000) -> int:
        """Derive again the text of up to `limit` issues and `limit` comments of `repo` stored with an
        older `TEXT_VERSION` (written before an upgrade); the number of rows brought up to date. Reports
        read such rows' text themselves meanwhile. A row rewritten since it was read here is left as
        its writer left it (the update asks for the version and the write time it read)."""
        key = repo_key(repo)
        issues, comments = mirror_issues, mirror_comments
        with self._read() as conn:
            stale_issues = conn.execute(
                sa.select(
                    issues.c.number,
                    issues.c.title,
                    issues.c.body,
                    issues.c.is_pull_request,
                    issues.c.synced_at,
                )
                .where(issues.c.repo == key, issues.c.text_version < derived.TEXT_VERSION)
                .limit(limit)
            ).all()
            stale_comments = conn.execute(
                sa.select(comments.c.id, comments.c.body, comments.c.synced_at)
                .where(comments.c.repo == key, comments.c.text_version < derived.TEXT_VERSION)
                .limit(limit)
            ).all()
        issue_rows = [
            _prefixed(
                _issue_text(title, body, pull_request=is_pull_request),
                k_number=number,
                k_synced_at=synced_at,
            )
            for number, title, body, is_pull_request, synced_at in stale_issues
        ]
        comment_rows = [
            _prefixed(_comment_text(body), k_id=id_, k_synced_at=synced_at)
            for id_, body, synced_at in stale_comments
        ]
        done = 0
        for table, rows, which in (
            (issues, issue_rows, issues.c.number == sa.bindparam("k_number")),
            (comments, comment_rows, comments.c.id == sa.bindparam("k_id")),
        ):
            if not rows:
                continue
            statement = (
                sa.update(table)
                .where(
                    table.c.repo == key,
                    which,
                    table.c.text_version < derived.TEXT_VERSION,
                    # unless written again since it was read (by an older release still running, say)
                    table.c.synced_at == sa.bindparam("k_synced_at", type_=table.c.synced_at.type),
                )
                .values({name[2:]: sa.bindparam(name) for name in rows[0] if name.startswith("v_")})
            )
            for start in range(0, len(rows), _BATCH):
                with self._begin() as conn:
                    done += conn.execute(statement, rows[start : start + _BATCH]).rowcount
        return done

    # --- helpers ------------------------------------------------------------------------------------

    def _tombstone(self, table: sa.Table, which: sa.ColumnElement[bool], *, repo: str, at: datetime) -> bool:
        with self._begin() as conn:
            result = conn.execute(
                sa.update(table)
                .where(table.c.repo == repo_key(repo), which, table.c.deleted_at.is_(None))
                .values(
                    deleted_at=at, updated_at=sa.case((table.c.updated_at > at, table.c.updated_at), else_=at)
                )
            )
        return result.rowcount > 0

    def _upsert(self, table: sa.Table, rows: list[dict[str, Any]], *, keys: Sequence[str]) -> Any:
        """INSERT ... ON CONFLICT DO UPDATE of every other column."""
        insert: Any = postgresql.insert(table) if self.dialect == "postgresql" else sqlite.insert(table)
        insert = insert.values(rows)
        return insert.on_conflict_do_update(
            index_elements=list(keys), set_={c: getattr(insert.excluded, c) for c in rows[0] if c not in keys}
        )

    def _upsert_newer(self, table: sa.Table, rows: list[dict[str, Any]], *, keys: Sequence[str]) -> Written:
        """Insert rows, or replace those whose stored `updated_at` is not newer and which are not
        tombstones deleted after the payload's `updated_at`."""
        written = skipped = 0
        for start in range(0, len(rows), _BATCH):
            batch = _latest(rows[start : start + _BATCH], keys=keys)
            skipped += min(_BATCH, len(rows) - start) - len(batch)
            statement = _conditional_upsert(self.dialect, table, batch, keys=keys)
            with self._begin() as conn:
                result = conn.execute(statement).all()
            written += len(result)
            skipped += len(batch) - len(result)
        return Written(written=written, skipped=skipped)

    def _insert_ignore(self, table: sa.Table, rows: list[dict[str, Any]]) -> int:
        if not rows:
            return 0
        if self.dialect == "postgresql":
            statement: Any = postgresql.insert(table).values(rows).on_conflict_do_nothing()
        else:
            statement = sqlite.insert(table).values(rows).on_conflict_do_nothing()
        statement = statement.returning(*table.primary_key.columns)
        with self._begin() as conn:
            return len(conn.execute(statement).all())


def _conditional_upsert(
    dialect: str, table: sa.Table, rows: list[dict[str, Any]], *, keys: Sequence[str]
) -> Any:
    insert: Any = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    insert = insert.values(rows)
    excluded = insert.excluded
    return insert.on_conflict_do_update(
        index_elements=list(keys),
        # `pinned` is kept: an edit does not unpin (set_pinned and set_issue_pinned change it).
        set_={c: getattr(excluded, c) for c in rows[0] if c not in keys and c != "pinned"},
        # A live row takes a version at least as new, or a deletion whatever its time (clocks differ:
        # GitHub's updated_at and our deletion time are not comparable to the second). A tombstone is
        # final: GitHub never brings back a deleted comment or issue, and a transferred issue comes back
        # under a new number.
        where=sa.and_(
            table.c.deleted_at.is_(None),
            sa.or_(table.c.updated_at <= excluded.updated_at, excluded.deleted_at.is_not(None)),
        ),
    ).returning(*[table.c[k] for k in keys])


def _latest(rows: list[dict[str, Any]], *, keys: Sequence[str]) -> list[dict[str, Any]]:
    """One row per key, the newest (one INSERT may not touch a row twice)."""
    by_key: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = tuple(row[k] for k in keys)
        known = by_key.get(key)
        if known is None or row["updated_at"] >= known["updated_at"]:
            by_key[key] = row
    return list(by_key.values())


def _aware(value: datetime | None) -> datetime | None:
    # A correlated MIN() comes back without the column's type on SQLite: a naive UTC datetime or a string.
    if value is None:
        return None
    if isinstance(value, str):
        return parse_datetime(value.replace(" ", "T"))
    return parse_datetime(value)


def _storable(text: str) -> str:
    """Text every database takes: no NUL (PostgreSQL refuses it), no lone surrogate (not UTF-8)."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _issue_row(repo: str, payload: Mapping[str, Any] | None, *, now: datetime) -> dict[str, Any] | None:
    if not isinstance(payload, Mapping):
        return None
    pull_request = is_pull_request(payload)
    readable = {k: v for k, v in payload.items() if k != "pull_request"} if pull_request else payload
    ticket = ticket_from_issue(readable, repo=repo)
    if ticket is None:
        return None
    title, body = _storable(ticket.title), _storable(ticket.body)
    text = _issue_text(title, body, pull_request=pull_request)
    return {
        "repo": repo_key(repo),
        "number": ticket.number,
        "title": title,
        "body": body,
        "url": _storable(ticket.url),
        "state": ticket.state,
        "state_reason": (ticket.state_reason or "")[:32] or None,
        "labels": json.dumps([_storable(label) for label in ticket.labels]),
        "author": _storable(ticket.author)[:200],
        "author_association": ticket.author_association[:32],
        "author_is_bot": ticket.author_is_bot,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "closed_at": ticket.closed_at,
        "comments_count": ticket.comments_count,
        "reactions": ticket.reactions,
        "is_pull_request": pull_request,
        "pinned": False,
        "deleted_at": None,
        **text,
        "synced_at": now,
    }


def _comment_row(repo: str, payload: Mapping[str, Any] | None, *, now: datetime) -> dict[str, Any] | None:
    if not isinstance(payload, Mapping):
        return None
    comment = comment_from_payload(payload, repo=repo)
    if comment is None:
        return None
    updated_at = parse_datetime(payload.get("updated_at")) or comment.created_at
    body = _storable(comment.body)
    return {
        "repo": repo_key(repo),
        "id": comment.id,
        "issue_number": comment.issue_number,
        "author": _storable(comment.author)[:200],
        "author_association": comment.author_association[:32],
        "author_is_bot": comment.author_is_bot,
        "body": body,
        "created_at": comment.created_at,
        "updated_at": max(updated_at, comment.created_at),
        "reactions": comment.reactions,
        "deleted_at": None,
        **_comment_text(body),
        "synced_at": now,
    }


def _prefixed(values: dict[str, Any], **keys: Any) -> dict[str, Any]:
    """Parameters of an executemany UPDATE: new values as "v_<column>" (a column's own name is SQLAlchemy's
    in a SET clause), and the row's keys."""
    return {**{f"v_{column}": value for column, value in values.items()}, **keys}


def _issue_text(title: str, body: str, *, pull_request: bool) -> dict[str, Any]:
    """An issue row's derived columns, from its stored title and body (none for a pull request: reports
    never read one)."""
    if pull_request:
        return {"clean_title": None, "clean_body": None, "text_version": derived.TEXT_VERSION}
    return {
        "clean_title": derived.clean_title(title),
        "clean_body": derived.encode_lines(derived.clean_body(body)),
        "text_version": derived.TEXT_VERSION,
    }


def _comment_text(body: str) -> dict[str, Any]:
    """A comment row's derived columns, from its stored body."""
    return {
        "clean_body": derived.encode_lines(derived.clean_comment(body)),
        "words": derived.encode_words(derived.comment_words(body)),
        "text_version": derived.TEXT_VERSION,
    }


def _raw(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """A time column as the driver returns it (a string on SQLite), converted by `_utc` below: reports
    read hundreds of thousands of rows, and the type's own conversion costs more than the read."""
    return sa.type_coerce(column, sa.String).label(column.key)


def _utc(value: Any) -> datetime | None:
    """A time read through `_raw`: SQLite's "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC, as UTCDateTime writes
    it), or the driver's datetime elsewhere; an aware UTC datetime either way."""
    if value is None:
        return None
    if type(value) is str:
        return datetime.fromisoformat(value + "+00:00")
    return _aware(value)


_TICKET_COLUMNS = (
    mirror_issues.c.number,
    mirror_issues.c.title,
    mirror_issues.c.body,
    mirror_issues.c.url,
    mirror_issues.c.state,
    mirror_issues.c.state_reason,
    mirror_issues.c.labels,
    mirror_issues.c.author,
    mirror_issues.c.author_association,
    mirror_issues.c.author_is_bot,
    _raw(mirror_issues.c.created_at),
    _raw(mirror_issues.c.updated_at),
    _raw(mirror_issues.c.closed_at),
    mirror_issues.c.comments_count,
    mirror_issues.c.reactions,
    mirror_issues.c.pinned,
    mirror_issues.c.clean_title,
    mirror_issues.c.clean_body,
    mirror_issues.c.text_version,
)

_COMMENT_COLUMNS = (
    mirror_comments.c.id,
    mirror_comments.c.issue_number,
    mirror_comments.c.author,
    mirror_comments.c.author_association,
    mirror_comments.c.author_is_bot,
    mirror_comments.c.body,
    _raw(mirror_comments.c.created_at),
    mirror_comments.c.reactions,
    mirror_comments.c.clean_body,
    mirror_comments.c.words,
    mirror_comments.c.text_version,
)


def _ticket(repo: str, row: Any, *, labels: dict[str, tuple[str, ...]] | None = None) -> Ticket:
    """A ticket from a row of `_TICKET_COLUMNS` (read by position: a report reads tens of thousands).
    `labels`: the labels read so far by their stored text, shared by the tickets of one read."""
    (
        number, title, body, url, state, state_reason, stored_labels, author, association, is_bot,
        created_at, updated_at, closed_at, comments_count, reactions, pinned, clean_title, clean_body,
        version,
    ) = row  # fmt: skip
    current = version == derived.TEXT_VERSION
    names = labels.get(stored_labels) if labels is not None else None
    if names is None:
        names = tuple(json.loads(stored_labels))
        if labels is not None:
            labels[stored_labels] = names
    return Ticket(
        repo=repo,
        number=number,
        title=title,
        body=body,
        url=url,
        author=author,
        author_association=association,
        author_is_bot=bool(is_bot),
        state=state,
        state_reason=state_reason,
        labels=names,
        created_at=_utc(created_at),  # type: ignore[arg-type]
        updated_at=_utc(updated_at),  # type: ignore[arg-type]
        closed_at=_utc(closed_at),
        comments_count=comments_count,
        reactions=reactions,
        pinned=bool(pinned),
        clean_title=clean_title if current else None,
        clean_body=derived.decode_lines(clean_body) if current and clean_body is not None else None,
    )


def _comments(repo: str, rows: Iterable[Any], *, numbers: Collection[int] | None = None) -> list[Comment]:
    """Comments from rows of `_COMMENT_COLUMNS`, only those on `numbers` when given. Built positionally,
    with the derived text decoded only for rows of the current version: a report reads hundreds of
    thousands of them."""
    current, decode, utc, fromisoformat = (
        derived.TEXT_VERSION,
        derived.decode_lines,
        _utc,
        datetime.fromisoformat,
    )
    out: list[Comment] = []
    append = out.append
    last_at: Any = None
    last_id = 0
    untidy = False  # a comment follows one made in the same instant with a larger id
    for id_, number, author, association, is_bot, body, created_at, reactions, clean, words, version in rows:
        if numbers is not None and number not in numbers:
            continue
        if created_at == last_at and id_ < last_id:
            untidy = True
        last_at, last_id = created_at, id_
        fresh = version == current
        append(
            Comment(  # by position, in the order of Comment's fields: a keyword call costs a third more
                id_,
                repo,
                number,
                author,
                association,
                bool(is_bot),
                body,
                fromisoformat(created_at + "+00:00")  # _utc, written out
                if type(created_at) is str
                else utc(created_at),
                reactions,
                decode(clean) if fresh and clean is not None else None,
                words if fresh else None,
            )
        )
    if untidy:
        _order_ties(out)
    return out


def _order_ties(comments: list[Comment]) -> None:
    """Comments in order of time, then id: each run made in the same instant sorted by id, in place."""
    start = 0
    for end in range(1, len(comments) + 1):
        if end == len(comments) or comments[end].created_at != comments[start].created_at:
            if end - start > 1:
                comments[start:end] = sorted(comments[start:end], key=lambda c: c.id)
            start = end
