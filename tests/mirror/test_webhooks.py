"""GitHub webhooks into the ticket mirror, through the real HTTP server with really signed deliveries, on
SQLite and PostgreSQL: signatures, redeliveries, order, deletions, pins, other repositories and
payloads that try to break it."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
import sqlalchemy as sa
from slack_bolt import App

from bot.mirror.webhooks import WebhookReceiver, verify_signature
from bot.slack.serving import MAX_WEBHOOK_BYTES, create_http_server, make_wsgi_app, run_in_thread
from bot.store import Store
from bot.store.mirror import Mirror, Written
from bot.store.schema import webhook_deliveries
from tests.fakes.github_data import make_comment, make_issue, make_user

SECRET = "webhook-secret-0123456789"
SLACK_SECRET = "slack-signing-secret-0123456789"
REPO = "acme/support"
MIRRORED = ("Acme/Support", "acme/docs")  # configured spellings; GitHub sends "acme/support"
NOW = datetime(2025, 4, 15, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)
PATH = "/github/webhook"


# --- deliveries as GitHub sends them ------------------------------------------------------------------


def sign(body: bytes, *, secret: str = SECRET) -> str:
    """GitHub's X-Hub-Signature-256: "sha256=" + hex HMAC-SHA256 of the raw body with the hook's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def repository(full_name: str = REPO) -> dict[str, Any]:
    owner, name = full_name.split("/")
    return {
        "id": 1296269,
        "node_id": "R_kgDOABCDEF",
        "name": name,
        "full_name": full_name,
        "private": False,
        "owner": make_user(owner, user_type="Organization"),
        "html_url": f"https://github.com/{full_name}",
        "url": f"https://api.github.com/repos/{full_name}",
        "default_branch": "main",
    }


def issue_event(action: str, issue: dict[str, Any], *, repo: str = REPO, **extra: Any) -> dict[str, Any]:
    return {
        "action": action,
        "issue": issue,
        "repository": repository(repo),
        "sender": make_user("alice"),
        **extra,
    }


def comment_event(
    action: str, issue: dict[str, Any], comment: dict[str, Any], *, repo: str = REPO, **extra: Any
) -> dict[str, Any]:
    return {
        "action": action,
        "issue": issue,
        "comment": comment,
        "repository": repository(repo),
        "sender": make_user("bob"),
        **extra,
    }


def ticket_payload(
    number: int, *, hours_ago: float = 3, updated_hours_ago: float | None = None, **fields: Any
) -> dict[str, Any]:
    """An issue as a webhook carries it (the REST shape), created `hours_ago` before NOW."""
    updated = NOW - timedelta(hours=updated_hours_ago if updated_hours_ago is not None else hours_ago)
    return make_issue(number, created_at=NOW - timedelta(hours=hours_ago), updated_at=updated, **fields)


def comment_payload(
    number: int,
    comment_id: int,
    *,
    hours_ago: float = 2,
    updated_hours_ago: float | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A comment as a webhook carries it, made `hours_ago` before NOW."""
    updated = NOW - timedelta(hours=updated_hours_ago if updated_hours_ago is not None else hours_ago)
    return make_comment(
        number, comment_id, created_at=NOW - timedelta(hours=hours_ago), updated_at=updated, **fields
    )


# --- the server under test ----------------------------------------------------------------------------


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Hook:
    """The bot's HTTP server with a webhook receiver, and what the test needs to look inside."""

    url: str
    store: Store
    mirror: Mirror
    clock: Clock
    sent: int = field(default=0)

    def post(
        self,
        event: str,
        payload: Any,
        *,
        delivery: str | None = None,
        secret: str = SECRET,
        body: bytes | None = None,
        headers: Mapping[str, str | None] | None = None,
    ) -> requests.Response:
        """Deliver `payload` (or the raw `body`) signed with `secret`; `headers` override or (None) drop."""
        self.sent += 1
        raw = body if body is not None else json.dumps(payload).encode()
        sent = {
            "Content-Type": "application/json",
            "User-Agent": "GitHub-Hookshot/5a0b7f6",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery or f"72d3162e-cc78-11e3-81ab-{self.sent:012d}",
            "X-GitHub-Hook-ID": "292430182",
            "X-Hub-Signature-256": sign(raw, secret=secret),
        }
        for name, value in (headers or {}).items():
            sent.pop(name, None)
            if value is not None:
                sent[name] = value
        return requests.post(self.url + PATH, data=raw, headers=sent, timeout=10)

    def deliveries(self, delivery: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(webhook_deliveries)
        if delivery is not None:
            query = query.where(webhook_deliveries.c.delivery_id == delivery)
        with self.store.engine.connect() as conn:
            return conn.execute(query).scalar_one()

    def nothing_stored(self) -> bool:
        return self.mirror.counts(REPO) == (0, 0) and self.deliveries() == 0 and self.mirror.states() == []

    def ticket(self, number: int) -> Any:
        found = self.mirror.ticket(REPO, number)
        return found[0] if found else None

    def comment_bodies(self, number: int) -> list[str]:
        found = self.mirror.ticket(REPO, number)
        return [c.body for c in found[1]] if found else []


def bolt_app() -> App:
    """A Bolt app that never calls Slack: these tests only use the webhook route."""
    return App(token="xoxb-test", signing_secret=SLACK_SECRET, token_verification_enabled=False)


StartHook = Callable[..., Hook]


@pytest.fixture
def start_hook(store: Store) -> Iterator[StartHook]:
    stops: list[Callable[[], None]] = []

    def start(
        *,
        mirror: Mirror | None = None,
        repos: Collection[str] | Callable[[], Collection[str]] = MIRRORED,
        webhook: bool = True,
    ) -> Hook:
        mirror = mirror or Mirror(store.engine)
        clock = Clock(NOW)
        receiver = WebhookReceiver(mirror, secret=SECRET, repos=repos, clock=clock) if webhook else None
        wsgi = make_wsgi_app(bolt_app(), signing_secret=SLACK_SECRET, github_webhook=receiver)
        server = create_http_server(wsgi, host="127.0.0.1", port=0, max_request_bytes=MAX_WEBHOOK_BYTES)
        stops.append(run_in_thread(server))
        return Hook(url=f"http://127.0.0.1:{server.effective_port}", store=store, mirror=mirror, clock=clock)

    yield start
    for stop in stops:
        stop()


@pytest.fixture
def hook(start_hook: StartHook) -> Hook:
    return start_hook()


def one_line(response: requests.Response) -> str:
    text = response.text
    assert text.endswith("\n") and text.count("\n") == 1, text[:300]
    assert response.headers["Content-Type"].startswith("text/plain")
    return text.strip()


# --- delivered and applied ----------------------------------------------------------------------------


def test_an_opened_issue_is_answered_and_in_the_mirror_within_a_second(hook: Hook) -> None:
    issue = ticket_payload(
        1, title="Sync fails after 11.3.0", body="Error 500 on every sync.", labels=["bug"]
    )
    started = time.perf_counter()
    response = hook.post("issues", issue_event("opened", issue))
    answered = time.perf_counter() - started
    assert (response.status_code, one_line(response)) == (200, "applied")
    ticket = hook.ticket(1)
    assert time.perf_counter() - started < 1.0 and answered < 1.0
    assert ticket is not None
    assert (ticket.title, ticket.body, ticket.labels, ticket.state) == (
        "Sync fails after 11.3.0",
        "Error 500 on every sync.",
        ("bug",),
        "open",
    )
    assert hook.deliveries() == 1


def test_webhooks_are_noted_as_feeding_the_repository(hook: Hook) -> None:
    assert hook.post("issues", issue_event("opened", ticket_payload(1))).status_code == 200
    state = hook.mirror.state(REPO)
    assert state is not None and state.name == "Acme/Support"  # the configured spelling
    assert (state.webhook_since, state.webhook_at) == (NOW, NOW)
    hook.clock.now = NOW + HOUR
    assert (
        hook.post("issues", issue_event("labeled", ticket_payload(1, updated_hours_ago=0))).status_code == 200
    )
    state = hook.mirror.state(REPO)
    assert state is not None and (state.webhook_since, state.webhook_at) == (NOW, NOW + HOUR)


def test_every_other_issue_action_replaces_the_issue(hook: Hook) -> None:
    hook.post("issues", issue_event("opened", ticket_payload(7, hours_ago=5)))
    closed = ticket_payload(
        7, hours_ago=5, updated_hours_ago=1, state="closed", state_reason="completed", labels=["bug", "fixed"]
    )
    assert hook.post("issues", issue_event("closed", closed)).text.strip() == "applied"
    ticket = hook.ticket(7)
    assert (ticket.state, ticket.state_reason, ticket.labels) == ("closed", "completed", ("bug", "fixed"))
    assert ticket.closed_at == NOW - HOUR


def test_a_comment_is_stored_with_its_issue(hook: Hook) -> None:
    issue = ticket_payload(3, comments=1)
    comment = comment_payload(3, 9001, body="Same on Windows 11.", association="MEMBER", user="maintainer")
    response = hook.post("issue_comment", comment_event("created", issue, comment))
    assert (response.status_code, one_line(response)) == (200, "applied")
    found = hook.mirror.ticket(REPO, 3)
    assert found is not None
    ticket, comments = found
    assert ticket.comments_count == 1
    assert [(c.id, c.author, c.author_association, c.body) for c in comments] == [
        (9001, "maintainer", "MEMBER", "Same on Windows 11.")
    ]


def test_a_form_encoded_delivery_is_read_like_a_json_one(hook: Hook) -> None:
    body = urlencode(
        {"payload": json.dumps(issue_event("opened", ticket_payload(4, title="Form hook")))}
    ).encode()
    response = hook.post(
        "issues", None, body=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert (response.status_code, one_line(response)) == (200, "applied")
    assert hook.ticket(4).title == "Form hook"


# --- signatures -------------------------------------------------------------------------------------


BAD_SIGNATURES: dict[str, Callable[[bytes], dict[str, str | None]]] = {
    "missing": lambda body: {"X-Hub-Signature-256": None},
    "empty": lambda body: {"X-Hub-Signature-256": ""},
    "another secret": lambda body: {"X-Hub-Signature-256": sign(body, secret="not-the-secret")},
    "another body": lambda body: {"X-Hub-Signature-256": sign(body + b" ")},
    "one hex digit off": lambda body: {
        "X-Hub-Signature-256": sign(body)[:-1] + ("0" if sign(body)[-1] != "0" else "1")
    },
    "upper-case prefix": lambda body: {"X-Hub-Signature-256": sign(body).replace("sha256=", "SHA256=")},
    "bare hex": lambda body: {"X-Hub-Signature-256": sign(body).removeprefix("sha256=")},
    "not hex": lambda body: {"X-Hub-Signature-256": "sha256=" + "z" * 64},
    "not ASCII": lambda body: {"X-Hub-Signature-256": "sha256=" + "é" * 64},
    "only the old SHA-1 header": lambda body: {
        "X-Hub-Signature-256": None,
        "X-Hub-Signature": "sha1=" + hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest(),
    },
}


@pytest.mark.parametrize("case", BAD_SIGNATURES)
def test_a_missing_or_wrong_signature_is_refused_and_changes_nothing(hook: Hook, case: str) -> None:
    body = json.dumps(issue_event("opened", ticket_payload(1))).encode()
    response = hook.post("issues", None, body=body, headers=BAD_SIGNATURES[case](body))
    assert (response.status_code, one_line(response)) == (401, "invalid signature")
    assert hook.nothing_stored()


def test_the_signature_is_checked_before_anything_else(hook: Hook) -> None:
    """An unsigned request learns nothing: not whether its headers or body would have been accepted."""
    unsigned = {"X-Hub-Signature-256": None}
    for body, headers in (
        (b"not json", unsigned),
        (b"{}", {**unsigned, "X-GitHub-Delivery": None}),
        (json.dumps(issue_event("opened", ticket_payload(1), repo="other/repo")).encode(), unsigned),
    ):
        assert hook.post("issues", None, body=body, headers=headers).status_code == 401
    assert hook.nothing_stored()


def test_verify_signature_accepts_only_the_exact_digest() -> None:
    body = b'{"zen":"Keep it logically awesome."}'
    assert verify_signature(body, sign(body), secret=SECRET)
    assert verify_signature(body, sign(body), secret=SECRET.encode())
    assert not verify_signature(body, sign(body), secret="")
    assert not verify_signature(body, None, secret=SECRET)
    assert not verify_signature(body, sign(body) + "0", secret=SECRET)


def test_a_receiver_refuses_an_empty_secret(store: Store) -> None:
    with pytest.raises(ValueError, match="GITHUB_WEBHOOK_SECRET"):
        WebhookReceiver(Mirror(store.engine), secret="", repos=MIRRORED)


# --- redeliveries and order -------------------------------------------------------------------------


def test_a_redelivery_is_applied_once(hook: Hook) -> None:
    hook.post("issues", issue_event("opened", ticket_payload(5, title="First", hours_ago=5)))
    edit = issue_event("edited", ticket_payload(5, title="Second", hours_ago=5, updated_hours_ago=3))
    later = issue_event("edited", ticket_payload(5, title="Third", hours_ago=5, updated_hours_ago=1))
    assert hook.post("issues", edit, delivery="edit-1").text.strip() == "applied"
    assert hook.post("issues", later, delivery="edit-2").text.strip() == "applied"
    again = hook.post("issues", edit, delivery="edit-1")  # GitHub's "Redeliver" button
    assert (again.status_code, one_line(again)) == (200, "already applied")
    assert hook.ticket(5).title == "Third"
    assert hook.deliveries("edit-1") == 1
    assert hook.deliveries() == 3


def test_the_same_delivery_arriving_many_times_at_once_is_applied_once(hook: Hook) -> None:
    payload = issue_event("opened", ticket_payload(6, title="Concurrent"))
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: hook.post("issues", payload, delivery="same-id"), range(8)))
    assert [a.status_code for a in answers] == [200] * 8
    texts = sorted(a.text.strip() for a in answers)
    assert texts == ["already applied"] * 7 + ["applied"]
    assert hook.deliveries() == 1
    assert hook.ticket(6).title == "Concurrent"


def test_a_comment_edit_delivered_before_its_creation_keeps_the_edit(hook: Hook) -> None:
    issue = ticket_payload(8, comments=1)
    created = comment_payload(8, 9100, body="It crashes.", hours_ago=2)
    edited = comment_payload(8, 9100, body="It crashes on start (edited).", hours_ago=2, updated_hours_ago=1)
    assert hook.post("issue_comment", comment_event("edited", issue, edited)).status_code == 200
    assert hook.post("issue_comment", comment_event("created", issue, created)).status_code == 200
    assert hook.comment_bodies(8) == ["It crashes on start (edited)."]


def test_a_deleted_comment_stays_deleted_when_a_late_edit_arrives(hook: Hook) -> None:
    issue = ticket_payload(9, comments=1)
    created = comment_payload(9, 9200, body="Spam link", hours_ago=2)
    edited = comment_payload(9, 9200, body="Spam link, edited", hours_ago=2, updated_hours_ago=1)
    hook.post("issue_comment", comment_event("created", issue, created))
    deleted = hook.post("issue_comment", comment_event("deleted", ticket_payload(9, comments=0), edited))
    assert (deleted.status_code, one_line(deleted)) == (200, "applied")
    assert hook.comment_bodies(9) == []
    assert hook.post("issue_comment", comment_event("edited", issue, edited)).status_code == 200
    assert hook.comment_bodies(9) == []
    assert hook.mirror.counts(REPO) == (1, 0)


@pytest.mark.parametrize("action", ["deleted", "transferred"])
def test_a_deleted_or_transferred_issue_leaves_the_mirror_for_good(hook: Hook, action: str) -> None:
    issue = ticket_payload(10, comments=1)
    hook.post("issues", issue_event("opened", issue))
    hook.post("issue_comment", comment_event("created", issue, comment_payload(10, 9300)))
    extra: dict[str, Any] = {}
    if action == "transferred":
        moved = ticket_payload(1, repo="acme/elsewhere")
        extra = {"changes": {"new_issue": moved, "new_repository": repository("acme/elsewhere")}}
    response = hook.post("issues", issue_event(action, issue, **extra))
    assert (response.status_code, one_line(response)) == (200, "applied")
    assert hook.ticket(10) is None
    assert hook.mirror.counts(REPO) == (0, 0)
    late = issue_event("edited", ticket_payload(10, title="Late edit", updated_hours_ago=1))
    assert hook.post("issues", late).status_code == 200
    assert hook.ticket(10) is None


def test_an_issue_deleted_before_the_mirror_saw_it_is_not_brought_back(hook: Hook) -> None:
    issue = ticket_payload(11)
    assert hook.post("issues", issue_event("deleted", issue)).text.strip() == "applied"
    assert hook.post("issues", issue_event("opened", issue)).status_code == 200
    assert hook.ticket(11) is None


def test_pinning_and_unpinning_mark_the_issue(hook: Hook) -> None:
    hook.post("issues", issue_event("opened", ticket_payload(12, title="Maintenance on Friday")))
    assert (
        hook.post("issues", issue_event("pinned", ticket_payload(12, updated_hours_ago=2))).status_code == 200
    )
    assert hook.ticket(12).pinned is True
    assert (
        hook.post("issues", issue_event("unpinned", ticket_payload(12, updated_hours_ago=1))).status_code
        == 200
    )
    assert hook.ticket(12).pinned is False


def test_a_pull_request_comment_stores_the_pull_request_but_not_the_comment(hook: Hook) -> None:
    pull = ticket_payload(13, pull_request=True)
    comment = comment_payload(13, 9400, pull_request=True)
    response = hook.post("issue_comment", comment_event("created", pull, comment))
    assert (response.status_code, one_line(response)) == (200, "applied")
    assert hook.mirror.is_pull_request(REPO, 13)
    assert hook.ticket(13) is None  # reports cover issues only
    assert hook.mirror.counts(REPO) == (1, 0)


# --- what is ignored ----------------------------------------------------------------------------------


def test_another_repository_is_acknowledged_and_not_stored(hook: Hook) -> None:
    payload = issue_event("opened", ticket_payload(1, repo="someone/else"), repo="someone/else")
    response = hook.post("issues", payload)
    assert (response.status_code, one_line(response)) == (202, "ignored: not a mirrored repository")
    assert hook.nothing_stored() and hook.mirror.counts("someone/else") == (0, 0)


def test_the_mirrored_repositories_are_asked_at_each_delivery(start_hook: StartHook) -> None:
    repos: list[str] = []
    hook = start_hook(repos=lambda: repos)
    assert hook.post("issues", issue_event("opened", ticket_payload(1))).status_code == 202
    repos.append("ACME/SUPPORT")
    assert hook.post("issues", issue_event("opened", ticket_payload(1))).status_code == 200


def test_an_unused_event_is_acknowledged_and_ignored(hook: Hook) -> None:
    response = hook.post("push", {"ref": "refs/heads/main", "repository": repository()})
    assert response.status_code == 202 and one_line(response).startswith("ignored")
    response = hook.post("issue_comment", {"action": "pinned", "repository": repository()})
    assert response.status_code == 202 and one_line(response).startswith("ignored")
    assert hook.nothing_stored()


def test_a_ping_is_answered_pong(hook: Hook) -> None:
    ping = {"zen": "Design for failure.", "hook_id": 292430182, "hook": {"type": "Repository"}}
    organization_ping = hook.post("ping", {**ping, "organization": {"login": "acme"}})
    assert (organization_ping.status_code, one_line(organization_ping)) == (200, "pong")
    assert hook.post("ping", {**ping, "repository": repository("someone/else")}).text.strip() == "pong"
    assert hook.deliveries() == 0
    assert hook.post("ping", {**ping, "repository": repository()}, delivery="ping-1").text.strip() == "pong"
    assert hook.post("ping", {**ping, "repository": repository()}, delivery="ping-1").text.strip() == "pong"
    assert hook.deliveries() == 1
    assert hook.mirror.counts(REPO) == (0, 0)


# --- bad and hostile input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "headers", "answer"),
    [
        (b"{not json", {}, "body is not JSON"),
        (b"\xff\xfe\x00garbage", {}, "body is not JSON"),
        (b"[" * 100_000, {}, "body is not JSON"),
        (b'{"n": ' + b"9" * 5000 + b"}", {}, "body is not JSON"),
        (b'["an", "array"]', {}, "body is not a JSON object"),
        (b"null", {}, "body is not a JSON object"),
        (b'{"action": "opened"}', {}, "missing repository.full_name"),
        (b'{"action": "opened", "repository": "acme/support"}', {}, "missing repository.full_name"),
        (b'{"action": "opened", "repository": {"full_name": "acme/support"}}', {}, "missing issue"),
        (b"payload=%7B", {"Content-Type": "application/x-www-form-urlencoded"}, "body is not JSON"),
        (
            b"x=1",
            {"Content-Type": "application/x-www-form-urlencoded"},
            "body is not a form with a payload field",
        ),
        (b"{}", {"X-GitHub-Delivery": None}, "missing or malformed X-GitHub-Delivery header"),
        (b"{}", {"X-GitHub-Delivery": "x" * 101}, "missing or malformed X-GitHub-Delivery header"),
        (b"{}", {"X-GitHub-Event": None}, "missing or malformed X-GitHub-Event header"),
        (b"{}", {"X-GitHub-Event": "Issues; DROP TABLE"}, "missing or malformed X-GitHub-Event header"),
    ],
    ids=[
        "not JSON",
        "not UTF-8",
        "nested past the parser's depth",
        "a number of 5000 digits",
        "an array",
        "null",
        "no repository",
        "repository a string",
        "no issue",
        "form with bad JSON",
        "form without payload",
        "no delivery id",
        "delivery id too long",
        "no event",
        "malformed event",
    ],
)
def test_a_signed_but_unusable_request_gets_400_saying_why(
    hook: Hook, body: bytes, headers: dict[str, str | None], answer: str
) -> None:
    response = hook.post("issues", None, body=body, headers=headers)
    assert (response.status_code, one_line(response)) == (400, answer)
    assert hook.nothing_stored()


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change to a delivery: set the value at a dotted path ("issue.user.login")."""

    def change(payload: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = payload
        for key in parents:
            target = target[key]
        target[last] = value

    return change


def _nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"deeper": [value]}
    return value


HUGE_TITLE = "<!channel> <@U123> " + "a" * 100_000

# (what is wrong, the change, the answer expected, what the mirror then holds for issue 20 or None)
HOSTILE: list[tuple[str, Callable[[dict[str, Any]], None], int, Callable[[Any], bool] | None]] = [
    ("number a digit string", _set("issue.number", "20"), 200, lambda t: t.number == 20),
    ("number a word", _set("issue.number", "twenty"), 400, None),
    ("number a float", _set("issue.number", 20.0), 400, None),
    ("number true", _set("issue.number", True), 400, None),
    ("number negative", _set("issue.number", -20), 400, None),
    ("number past INTEGER", _set("issue.number", 10**12), 400, None),
    ("number past 64 bits", _set("issue.number", 10**30), 400, None),
    ("user null", _set("issue.user", None), 200, lambda t: t.author == "ghost"),
    ("user a list", _set("issue.user", ["x"]), 200, lambda t: t.author == "ghost"),
    ("login a dict", _set("issue.user.login", {"a": 1}), 200, lambda t: t.author == "{'a': 1}"),
    ("labels a string", _set("issue.labels", "bug"), 200, lambda t: t.labels == ()),
    (
        "labels of junk",
        _set("issue.labels", [None, 5, {"name": None}, {"name": "ok"}]),
        200,
        lambda t: t.labels == ("ok",),
    ),
    ("a 100 kB title with <!channel>", _set("issue.title", HUGE_TITLE), 200, lambda t: t.title == HUGE_TITLE),
    ("title a number", _set("issue.title", 12345), 200, lambda t: t.title == "12345"),
    ("NUL characters", _set("issue.body", "before\x00after"), 200, lambda t: t.body == "beforeafter"),
    ("a lone surrogate", _set("issue.title", "bad \ud800 text"), 200, lambda t: t.title == "bad ? text"),
    ("comments past INTEGER", _set("issue.comments", 10**15), 200, lambda t: t.comments_count == 2**31 - 1),
    ("comments NaN", _set("issue.comments", float("nan")), 200, lambda t: t.comments_count == 0),
    (
        "reactions of 5000 digits",
        _set("issue.reactions.total_count", "9" * 5000),
        200,
        lambda t: t.reactions == 0,
    ),
    ("state unknown", _set("issue.state", "exploded"), 200, lambda t: t.state == "open"),
    ("state_reason too long", _set("issue.state_reason", "x" * 500), 200, lambda t: t.state_reason is None),
    ("nesting 200 deep", _set("issue.user", _nested(200)), 200, lambda t: t.author == "ghost"),
    ("issue a list", _set("issue", [1, 2]), 400, None),
    ("issue missing", _set("issue", None), 400, None),
    ("updated_at not a date", _set("issue.updated_at", "yesterday"), 400, None),
    ("updated_at missing", _set("issue.updated_at", None), 400, None),
    ("updated_at past datetime's range", _set("issue.updated_at", "9999-12-31T23:59:59-14:00"), 400, None),
    ("updated_at in the future", _set("issue.updated_at", "2100-01-01T00:00:00Z"), 400, None),
    ("closed_at a number", _set("issue.closed_at", 12), 400, None),
    ("action missing", _set("action", None), 400, None),
    ("action a list", _set("action", ["opened"]), 400, None),
    ("repository.full_name a number", _set("repository.full_name", 5), 400, None),
]


@pytest.mark.parametrize(("case", "change", "status", "holds"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_issue_payload_never_crashes_or_stores_anything_broken(
    hook: Hook,
    case: str,
    change: Callable[[dict[str, Any]], None],
    status: int,
    holds: Callable[[Any], bool] | None,
) -> None:
    payload = issue_event("opened", ticket_payload(20, title="Valid title"))
    change(payload)
    response = hook.post("issues", payload)
    text = one_line(response)
    assert response.status_code == status, text
    assert "Traceback" not in text and len(text) < 200
    if holds is None:
        assert hook.nothing_stored()
    else:
        assert text == "applied"
        assert holds(hook.ticket(20))
    # The receiver is still fine afterwards.
    assert hook.post("issues", issue_event("opened", ticket_payload(21))).text.strip() == "applied"


HOSTILE_COMMENTS: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("comment missing", _set("comment", None), "missing comment"),
    ("comment a string", _set("comment", "hello"), "missing comment"),
    ("id a word", _set("comment.id", "abc"), "comment.id is missing or not a comment id"),
    ("id past 64 bits", _set("comment.id", 2**64), "comment.id is missing or not a comment id"),
    (
        "issue_url of another issue",
        _set("comment.issue_url", "https://api.github.com/repos/acme/support/issues/99"),
        "comment.issue_url is missing or does not name issue 30",
    ),
    (
        "issue_url with a superscript digit",
        _set("comment.issue_url", "https://x/issues/3²"),
        "comment.issue_url is missing or does not name issue 30",
    ),
    ("created_at missing", _set("comment.created_at", None), "comment.created_at is missing or not a date"),
    ("issue number a word", _set("issue.number", "x"), "issue.number is missing or not an issue number"),
]


@pytest.mark.parametrize(("case", "change", "answer"), HOSTILE_COMMENTS, ids=[h[0] for h in HOSTILE_COMMENTS])
def test_a_hostile_comment_payload_gets_400_saying_why(
    hook: Hook, case: str, change: Callable[[dict[str, Any]], None], answer: str
) -> None:
    payload = comment_event("created", ticket_payload(30), comment_payload(30, 9500))
    change(payload)
    response = hook.post("issue_comment", payload)
    assert (response.status_code, one_line(response)) == (400, answer)
    assert hook.nothing_stored()


def test_a_comment_with_junk_fields_is_stored_readably(hook: Hook) -> None:
    comment = comment_payload(31, 9600, user=None, body=None)
    comment["reactions"] = "many"
    comment["author_association"] = ["MEMBER"]
    response = hook.post("issue_comment", comment_event("created", ticket_payload(31), comment))
    assert (response.status_code, one_line(response)) == (200, "applied")
    found = hook.mirror.ticket(REPO, 31)
    assert found is not None
    (stored,) = found[1]
    assert (stored.author, stored.body, stored.reactions) == ("ghost", "", 0)


# --- failures ---------------------------------------------------------------------------------------


class FailingWrites(Mirror):
    """A mirror whose issue writes fail while `failing[0]` is set, as a database that went away would;
    the error carries the SQL parameters, as SQLAlchemy's do."""

    def __init__(
        self, engine: sa.Engine, *, connection: sa.Connection | None = None, failing: list[bool]
    ) -> None:
        super().__init__(engine, connection=connection)
        self.failing = failing

    @contextmanager
    def transaction(self) -> Iterator[Mirror]:
        with self._engine.begin() as conn:
            yield FailingWrites(self._engine, connection=conn, failing=self.failing)

    def upsert_issues(self, repo: str, payloads: Iterable[Mapping[str, Any]], *, now: datetime) -> Written:
        payloads = list(payloads)
        if self.failing[0]:
            title = payloads[0].get("title")
            raise sa.exc.OperationalError("INSERT INTO mirror_issues ...", {"title": title}, OSError("gone"))
        return super().upsert_issues(repo, payloads, now=now)


def test_a_failed_write_answers_500_keeps_nothing_and_a_redelivery_applies_it(
    start_hook: StartHook, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    failing = [True]
    hook = start_hook(mirror=FailingWrites(store.engine, failing=failing))
    payload = issue_event("opened", ticket_payload(40, title="Private customer words"))
    with caplog.at_level(logging.INFO, logger="bot.mirror.webhooks"):
        response = hook.post("issues", payload, delivery="d-40")
    assert (response.status_code, one_line(response)) == (500, "could not apply; redeliver")
    assert hook.nothing_stored()  # the delivery record was rolled back with the write
    assert "d-40" in caplog.text and "OperationalError" in caplog.text
    assert "Private customer words" not in caplog.text
    failing[0] = False
    response = hook.post("issues", payload, delivery="d-40")
    assert (response.status_code, one_line(response)) == (200, "applied")
    assert hook.ticket(40).title == "Private customer words"


class CountingForgets(Mirror):
    def __init__(self, engine: sa.Engine) -> None:
        super().__init__(engine)
        self.forgets: list[datetime] = []

    def forget_deliveries(self, *, before: datetime) -> int:
        self.forgets.append(before)
        return super().forget_deliveries(before=before)


def test_old_delivery_records_are_dropped_at_most_hourly(start_hook: StartHook, store: Store) -> None:
    mirror = CountingForgets(store.engine)
    hook = start_hook(mirror=mirror)
    hook.post("issues", issue_event("opened", ticket_payload(50)), delivery="old-1")
    hook.clock.now = NOW + timedelta(minutes=30)
    hook.post("issues", issue_event("edited", ticket_payload(50, updated_hours_ago=0)), delivery="old-2")
    assert len(mirror.forgets) == 1 and hook.deliveries() == 2
    hook.clock.now = NOW + timedelta(days=8)
    hook.post("ping", {"zen": "Practicality beats purity.", "repository": repository()}, delivery="new-1")
    assert mirror.forgets == [NOW - timedelta(days=7), NOW + timedelta(days=1)]
    assert hook.deliveries() == 1 and hook.deliveries("new-1") == 1


# --- the route ----------------------------------------------------------------------------------------


def test_the_route_takes_only_posts_and_leaves_the_rest_as_it_was(hook: Hook) -> None:
    get = requests.get(hook.url + PATH, timeout=10)
    assert (get.status_code, get.headers["Allow"]) == (405, "POST")
    assert requests.get(hook.url + "/healthz", timeout=10).text == "ok\n"
    assert requests.post(hook.url + "/slack/events", data=b"x", timeout=10).status_code == 401  # unsigned
    assert requests.post(hook.url + "/github/other", data=b"{}", timeout=10).status_code == 404


def test_without_a_receiver_the_path_is_not_found(start_hook: StartHook) -> None:
    hook = start_hook(webhook=False)
    assert hook.post("issues", issue_event("opened", ticket_payload(1))).status_code == 404
    assert hook.nothing_stored()


def test_a_body_past_githubs_limit_is_refused_unread(hook: Hook) -> None:
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"X-GitHub-Event: issues\r\nX-GitHub-Delivery: big\r\nX-Hub-Signature-256: sha256=00\r\n"
        f"Content-Length: {MAX_WEBHOOK_BYTES + 1}\r\nConnection: close\r\n\r\n"
    )
    port = int(hook.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(head.encode())
        answer = conn.recv(200)
    assert answer.startswith(b"HTTP/1.1 413")
    assert hook.nothing_stored()


def test_the_wsgi_route_refuses_a_body_past_the_limit_itself(store: Store) -> None:
    """Behind a server configured with a larger limit, the route still refuses before reading."""
    receiver = WebhookReceiver(Mirror(store.engine), secret=SECRET, repos=MIRRORED)
    wsgi = make_wsgi_app(bolt_app(), signing_secret=SLACK_SECRET, github_webhook=receiver)
    statuses: list[str] = []

    class Unreadable:
        def read(self, size: int = -1) -> bytes:
            raise AssertionError("the body was read")

    environ = {
        "PATH_INFO": PATH,
        "REQUEST_METHOD": "POST",
        "CONTENT_LENGTH": str(MAX_WEBHOOK_BYTES + 1),
        "wsgi.input": Unreadable(),
    }
    body = b"".join(wsgi(environ, lambda status, headers: statuses.append(status)))
    assert statuses == ["413 Content Too Large"] and body == b"too large\n"
