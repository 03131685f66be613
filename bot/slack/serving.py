"""How the Bolt app is reached: an HTTP (WSGI) surface served by waitress, or Socket Mode.

HTTP routes: POST /slack/events (slash commands, interactivity and events on one URL) goes to Bolt;
POST /github/webhook goes to the ticket mirror's webhook receiver (`bot.mirror.webhooks`) when one is
given; GET /healthz answers "ok" for load balancers; anything else is 404. Every request to /slack/events
must carry a valid Slack signature made in the last five minutes: it is checked here, before Bolt
parses anything, and a request that fails gets 401 and runs nothing (Bolt checks again; a malformed
body or timestamp would otherwise reach Bolt's parser, or raise inside its check, before rejection).
A signed request is run once: with `seen` (the store's `first_sight`, shared by every process on the
database), a request whose signature was recorded before (a captured request replayed within the five
minutes) gets 409 and runs nothing. Should the record itself fail, the request is served and the
failure logged: the signature check still holds.

A signed body that is not UTF-8 or not shaped as Slack's payloads are (`bot.slack.envelope`) gets 400
and one line saying what is wrong, and runs nothing.
A webhook delivery is read whole (up to GitHub's 25 MB) and handed to the receiver, which checks its
GitHub signature before anything else and answers a status and one line of plain text.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.slack.envelope import envelope_problem

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

    from bot.mirror.webhooks import WebhookReceiver

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
WEBHOOK_PATH = "/github/webhook"
HTTP_THREADS = 16  # waitress threads; each holds a request only until its listener acks
MAX_REQUEST_BYTES = 1024 * 1024  # Slack's payloads are a few kB; refuse anything absurd unread
MAX_WEBHOOK_BYTES = 5 * 1024 * 1024  # issue and comment payloads are far smaller (65,536-character bodies)
MAX_SIGNATURE_AGE_SECONDS = 5 * 60  # Slack's advice against replayed requests
# How long a request waits for the record of seen requests before it is served unrecorded: the record
# is made before Slack's three seconds start to run out, and a stalled database must not spend them.
RECORD_DEADLINE_SECONDS = 0.5
RECORD_WORKERS = 4  # records being made at once; past that (a stalled database) requests go unrecorded

WSGIApp = Callable[["WSGIEnvironment", "StartResponse"], Iterable[bytes]]


# Records a signed request (signature, timestamp); False when it was recorded before.
SeenRequests = Callable[[str, int], bool]


def make_wsgi_app(
    app: App,
    *,
    signing_secret: str,
    github_webhook: WebhookReceiver | None = None,
    seen: SeenRequests | None = None,
) -> WSGIApp:
    """The HTTP surface described in the module docstring (POST /github/webhook only with a receiver)."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)
    secret = signing_secret.encode()
    record = _BoundedRecord(seen) if seen is not None else None

    def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            return _plain(start_response, "200 OK", body=b"ok\n")
        if path == WEBHOOK_PATH and github_webhook is not None:
            return _github_webhook(environ, start_response, github_webhook)
        if path != EVENTS_PATH:
            return _plain(start_response, "404 Not Found", body=b"not found\n")
        if method != "POST":
            allow = [("Allow", "POST")]
            return _plain(start_response, "405 Method Not Allowed", body=b"POST only\n", headers=allow)
        body = _read_body(environ)
        if body is None:
            return _plain(start_response, "413 Content Too Large", body=b"too large\n")
        if not _signed(environ, body, secret=secret, now=time.time()):
            # Only the fact is logged: the body may hold a response_url, and Bolt's own line prints it.
            log.warning("rejected a request to %s: missing, wrong or stale Slack signature", EVENTS_PATH)
            return _plain(start_response, "401 Unauthorized", body=b"invalid request\n")
        if record is not None and not record.first_sight(environ):
            log.warning("rejected a request to %s: the same signed request was received before", EVENTS_PATH)
            return _plain(start_response, "409 Conflict", body=b"request already received\n")
        try:
            text = body.decode("utf-8")  # Bolt decodes without a guard; Slack always sends UTF-8
        except UnicodeDecodeError:
            return _plain(start_response, "400 Bad Request", body=b"not UTF-8\n")
        problem = envelope_problem(text, content_type=environ.get("CONTENT_TYPE"))
        if problem is not None:
            log.warning("refused a signed request to %s: %s", EVENTS_PATH, problem)
            answer = f"malformed Slack request: {problem}\n".encode()
            return _plain(start_response, "400 Bad Request", body=answer)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return slack(environ, start_response)

    return wsgi


def _github_webhook(
    environ: WSGIEnvironment, start_response: StartResponse, receiver: WebhookReceiver
) -> list[bytes]:
    if environ.get("REQUEST_METHOD", "GET") != "POST":
        allow = [("Allow", "POST")]
        return _plain(start_response, "405 Method Not Allowed", body=b"POST only\n", headers=allow)
    body = _read_body(environ, limit=MAX_WEBHOOK_BYTES)
    if body is None:
        return _plain(start_response, "413 Content Too Large", body=b"too large\n")
    headers = {
        name[5:].replace("_", "-").title(): value
        for name, value in environ.items()
        if name.startswith("HTTP_") and isinstance(value, str)
    }
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    answer = receiver.handle(headers, body)
    status = f"{answer.status} {HTTPStatus(answer.status).phrase}"
    return _plain(start_response, status, body=answer.text.encode("utf-8") + b"\n")


def _read_body(environ: WSGIEnvironment, *, limit: int = MAX_REQUEST_BYTES) -> bytes | None:
    text = environ.get("CONTENT_LENGTH") or "0"
    length = int(text) if text.isdigit() else 0
    if length > limit:
        return None
    return environ["wsgi.input"].read(length) if length else b""


def _signed(environ: WSGIEnvironment, body: bytes, *, secret: bytes, now: float) -> bool:
    """Slack's v0 scheme: `v0=` + hex HMAC-SHA256(secret, "v0:{timestamp}:{body}"), at most 5 minutes off.

    Written out rather than slack_sdk's SignatureVerifier, which raises instead of answering False on
    a timestamp that is no number or a body that is not UTF-8 (slack_sdk 3.48).
    """
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
    signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12) or not signature.isascii():
        return False
    if abs(now - int(timestamp)) > MAX_SIGNATURE_AGE_SECONDS:
        return False
    expected = "v0=" + hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


class _BoundedRecord:
    """The record of seen requests, each answer awaited at most RECORD_DEADLINE_SECONDS.

    A record that cannot be made in time (a stalled or locked database) lets the request through, logged:
    the signature check still holds, and an acknowledgement is worth more than replay protection for
    the seconds the database is away. A record still being made finishes on its own thread (the
    database's own timeouts bound it); at most RECORD_WORKERS run, so a stall cannot pile up threads.
    """

    def __init__(self, seen: SeenRequests) -> None:
        self._seen = seen
        self._pool = ThreadPoolExecutor(max_workers=RECORD_WORKERS, thread_name_prefix="seen-requests")
        self._slots = threading.BoundedSemaphore(RECORD_WORKERS)

    def first_sight(self, environ: WSGIEnvironment) -> bool:
        """Whether this (already verified) request is new; True when the record cannot be made in time."""
        try:
            signature = environ["HTTP_X_SLACK_SIGNATURE"]
            timestamp = int(environ["HTTP_X_SLACK_REQUEST_TIMESTAMP"])
        except (KeyError, ValueError):
            return True
        if not self._slots.acquire(blocking=False):
            log.warning("the record of signed requests is not answering; serving a request unrecorded")
            return True
        try:
            future = self._pool.submit(self._record, signature, timestamp)
        except RuntimeError:  # shutting down
            self._slots.release()
            return True
        try:
            return future.result(timeout=RECORD_DEADLINE_SECONDS)
        except TimeoutError:
            log.warning("recording a signed request took over %.1f s; serving it", RECORD_DEADLINE_SECONDS)
            return True
        except Exception as exc:
            log.warning("could not record a signed request (%s); serving it", type(exc).__name__)
            return True

    def _record(self, signature: str, timestamp: int) -> bool:
        try:
            return self._seen(signature, timestamp)
        finally:
            self._slots.release()


def _plain(
    start_response: StartResponse, status: str, *, body: bytes, headers: list[tuple[str, str]] | None = None
) -> list[bytes]:
    base = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    start_response(status, base + (headers or []))
    return [body]


def create_http_server(
    wsgi: WSGIApp,
    *,
    host: str,
    port: int,
    threads: int = HTTP_THREADS,
    max_request_bytes: int = MAX_REQUEST_BYTES,
) -> Any:
    """A waitress server, not yet running: `.run()` serves, `.close()` stops, `.effective_port` tells.

    Waitress refuses bodies of `max_request_bytes` or more before any route sees them: serving GitHub
    webhooks needs MAX_WEBHOOK_BYTES (Slack's route keeps its own 1 MB limit either way)."""
    from waitress.server import create_server

    return create_server(
        wsgi,
        host=host,
        port=port,
        threads=threads,
        max_request_body_size=max_request_bytes,
        ident="ticket-report",
    )


def run_in_thread(server: Any) -> Callable[[], None]:
    """Serve `server` (from create_http_server) on a background thread; returns a function that stops it.

    For tests and the benchmark. Waitress has no stop(): closing its sockets from another thread breaks
    the select() it is sleeping in, so the closing is done on its own loop thread through its trigger.
    """
    thread = threading.Thread(target=server.run, name="http", daemon=True)
    thread.start()

    def close_all() -> None:
        for dispatcher in list(server._map.values()):
            dispatcher.close()

    def stop() -> None:
        try:
            server.trigger.pull_trigger(close_all)
        except OSError:  # the server's trigger is already closed: it is stopping anyway
            close_all()
        thread.join(timeout=10)
        server.task_dispatcher.shutdown()

    return stop


def serve_socket_mode(app: App, *, app_token: str, url: str | None = None) -> None:
    """Serve over Socket Mode (no public URL needed). Blocks.

    `url`: a WebSocket URL already issued for `app_token` (bot.slack.app.open_socket_mode_url), used for
    the first connection; later ones (Slack asks apps to reconnect now and then) are issued by the SDK.
    """
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    handler = SocketModeHandler(app, app_token=app_token)
    if url is not None:
        handler.client.wss_uri = url
    try:
        handler.start()
    finally:  # stopped by a signal (KeyboardInterrupt): close the connection and the SDK's threads
        handler.close()


def quiet_bolt_logs() -> None:
    """Bolt logs the whole body of a request with a bad signature at INFO; bodies stay out of our logs."""
    logging.getLogger("slack_bolt.RequestVerification").setLevel(logging.WARNING)
