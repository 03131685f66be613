"""A fake Slack Web API on 127.0.0.1 that records every call, for tests and the ack benchmark.

Real HTTP, so the bot's real WebClient (with its retry handlers) talks to it. It answers
`auth.test`, `chat.postMessage` (with a `ts` and the channel), `chat.postEphemeral`, `users.info`
(a timezone per user), `conversations.history` and `conversations.replies` (the messages posted, with
their metadata when `include_all_metadata` is set; `oldest` honoured) and, under /response/NAME, a slash
command's `response_url`. Every call is recorded with its method, parsed body (form, JSON or query) and
headers. A `ts` is the current Unix time with a counter after the dot, so it orders like Slack's.
A file upload goes as `files_upload_v2` makes it: `files.getUploadURLExternal` (an upload URL on
this fake), the POST of the bytes to it (recorded as method "file.upload"; `uploaded(file_id)` gives
them back) and `files.completeUploadExternal` (which shares the uploaded files in a channel or thread).

Knobs: `rate_limit_next(n, retry_after=0, method=None)` answers the next n Web API calls (to that
method) with HTTP 429 and Retry-After; `fail_channel(channel, "not_in_channel")` makes posts to a
channel fail with that error; `fail_thread_replies(error)` does so for replies in threads;
`fail_response_urls(status)`; `answer_with_page(method, status=502)` answers that method with an
HTML error page instead of JSON; `set_user_timezone(user, zone)`; `set_usergroup(group, users)` (for
`usergroups.users.list`); `hold(method)` keeps calls to a method waiting until released (to line up
concurrent callers); `token` (calls with another bearer token get `invalid_auth`);
`lose_answers(n, status=500)` takes the next n posts and then answers 500 with an HTML page (as a proxy
in front of Slack would), or with `hold=SECONDS` answers only after that long (the client has timed
out); `fail_history(error)` answers conversations.history and .replies with that error (`missing_scope`);
`fail_files(method, error)` makes a files.* method answer ok=false (e.g. `missing_scope` without
files:write); `fail_file_uploads(status)` answers the bytes' POST with that HTTP status.

Socket Mode: `apps.connections.open` with `app_token` answers `socket_mode_url` (set it to a
FakeSocketMode's url); another token gets `invalid_auth`, and `app_token_error` (e.g. "token_revoked")
is answered to every call when set.

`chat.update` replaces a posted message's text (`updates()` lists the successful ones; an unknown ts
answers `message_not_found`, a channel set with `fail_channel` its error).

Views and conversations: `views.publish`, `views.open` (a view id per call) and `views.update` are
recorded and answered ok; `users.conversations` lists, for `user=`, the channels set with
`set_member_channels(user, [...])` (without `user`, the bot's own, `set_member_channels("UBOT", ...)`),
a page of `limit` at a time with a cursor; `conversations.open` gives each user a DM channel
`D<user>`; `fail_method(method, error)` makes every call to a method answer ok=false.

    with FakeSlack(token="xoxb-test") as slack:
        client = WebClient(token="xoxb-test", base_url=slack.api_url)
        ...
        assert slack.calls_to("chat.postMessage")[0].body["channel"] == "C1"
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class SlackCall:
    method: str  # "chat.postMessage", or "response_url" for a call to a response URL
    body: dict[str, Any]  # JSON body, or form/query fields (last value of each)
    headers: dict[str, str]  # names lower-cased
    path: str
    status: int  # what the fake answered

    @property
    def blocks(self) -> list[dict[str, Any]]:
        """The blocks sent, whether as a JSON list or as a JSON string in a form field."""
        blocks = self.body.get("blocks") or []
        return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


class FakeSlack:
    """In-memory Slack Web API served over HTTP in a background thread (see the module docstring)."""

    def __init__(
        self, *, token: str = "xoxb-test", default_timezone: str = "UTC", app_token: str = "xapp-test"
    ) -> None:
        self.token = token
        self.app_token = app_token
        self.app_token_error: str | None = None
        self.socket_mode_url: str | None = None
        self.default_timezone = default_timezone
        self.bot_user_id = "UBOT"
        self._user_timezones: dict[str, str | None] = {}
        self._display_names: dict[str, str] = {}
        self._usergroups: dict[str, list[str]] = {}
        self._channel_errors: dict[str, str] = {}
        self._rate_limits: list[tuple[int, str | None]] = []  # (Retry-After, method or any) of coming 429s
        self._response_url_status = 200
        self._holds: dict[str, threading.Event] = {}  # method -> set when its held calls may be answered
        self._held: dict[str, int] = {}  # method -> calls that arrived while it was held
        self._reply_error: str | None = None
        # (status, hold seconds, posted) of the coming posts whose answers are lost
        self._lost_answers: list[tuple[int, float | None, bool]] = []
        self._history_error: str | None = None
        self._messages: dict[str, list[dict[str, Any]]] = {}  # channel -> messages posted, oldest first
        self._updated: list[dict[str, Any]] = []  # chat.update calls that succeeded
        self._pages: dict[str, int] = {}  # Web API method -> status of the HTML page it answers
        self._member_channels: dict[str, list[dict[str, Any]]] = {}
        self._method_errors: dict[str, str] = {}
        self._views = itertools.count(1)
        self._file_errors: dict[str, str] = {}  # files.* method -> the error it answers
        self._upload_status = 200
        self._pending_files: dict[str, dict[str, Any]] = {}  # file id -> what getUploadURLExternal got
        self._uploaded: dict[str, bytes] = {}
        self._file_ids = itertools.count(1)
        self._calls: list[SlackCall] = []
        self._ts = itertools.count(1)
        self._lock = threading.RLock()  # re-entrant: wait_for's condition reads `calls`
        self._changed = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-slack", daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        """SLACK_API_URL for the bot: the Web API's base, ending in a slash like https://slack.com/api/."""
        return f"{self.base_url}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.base_url}/response/{name}"

    # --- knobs ----------------------------------------------------------------------------------------

    def set_user_timezone(self, user_id: str, zone: str | None) -> None:
        """users.info gives `zone` as the user's tz (None: a user without a tz field)."""
        with self._lock:
            self._user_timezones[user_id] = zone

    def set_display_name(self, user_id: str, name: str) -> None:
        """users.info gives `name` as the user's profile display_name."""
        with self._lock:
            self._display_names[user_id] = name

    def set_usergroup(self, group_id: str, users: list[str]) -> None:
        """usergroups.users.list for `group_id` answers these members (unknown groups: no_such_subteam)."""
        with self._lock:
            self._usergroups[group_id] = list(users)

    def set_member_channels(self, user_id: str, channels: list[tuple[str, str]]) -> None:
        """users.conversations for `user_id` lists these (id, name) channels; an id starting G is private."""
        with self._lock:
            self._member_channels[user_id] = [
                {"id": cid, "name": name, "is_private": cid.startswith("G"), "is_archived": False}
                for cid, name in channels
            ]

    def fail_method(self, method: str, error: str) -> None:
        """Every call to `method` answers ok=false with `error`."""
        with self._lock:
            self._method_errors[method] = error

    def fail_channel(self, channel: str, error: str = "not_in_channel") -> None:
        """chat.postMessage and chat.postEphemeral to `channel` answer ok=false with `error`."""
        with self._lock:
            self._channel_errors[channel] = error

    def delete_message(self, channel: str, ts: str) -> None:
        """Someone deleted the message: chat.update of it answers `message_not_found` from now on."""
        with self._lock:
            self._messages[channel] = [m for m in self._messages.get(channel, []) if m["ts"] != ts]

    def fail_thread_replies(self, error: str = "msg_too_long") -> None:
        """chat.postMessage with a thread_ts answers ok=false with `error` (top-level posts still work)."""
        with self._lock:
            self._reply_error = error

    def rate_limit_next(self, count: int = 1, *, retry_after: int = 0, method: str | None = None) -> None:
        """The next `count` Web API calls (to `method`, if given) get HTTP 429 with this Retry-After."""
        with self._lock:
            self._rate_limits.extend([(retry_after, method)] * count)

    def hold(self, method: str) -> threading.Event:
        """Calls to `method` wait, unanswered, until the returned event is set (each at most 30 s);
        `held(method)` counts the calls that arrived meanwhile."""
        release = threading.Event()
        with self._lock:
            self._holds[method] = release
            self._held[method] = 0
        return release

    def held(self, method: str) -> int:
        with self._lock:
            return self._held.get(method, 0)

    def lose_answers(
        self, count: int = 1, *, status: int = 500, hold: float | None = None, posted: bool = True
    ) -> None:
        """The next `count` chat.postMessage calls are posted, and their answer lost: HTTP `status` with an
        HTML body, or (with `hold`) the real answer only after `hold` seconds. With `posted=False` the
        message is not stored either (a plain server error)."""
        with self._lock:
            self._lost_answers.extend([(status, hold, posted)] * count)

    def fail_history(self, error: str | None = "missing_scope") -> None:
        """conversations.history and conversations.replies answer ok=false with `error` (None: work)."""
        with self._lock:
            self._history_error = error

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """The messages in `channel`, top-level and replies, oldest first, as posted."""
        with self._lock:
            return [dict(message) for message in self._messages.get(channel, [])]

    def answer_with_page(self, method: str, *, status: int = 502) -> None:
        """Calls to `method` get an HTML error page with `status` instead of the API's JSON, as when a
        proxy or an outage page stands in front of Slack; nothing is posted."""
        with self._lock:
            self._pages[method] = status

    def fail_files(self, method: str, error: str = "missing_scope") -> None:
        """`method` (files.getUploadURLExternal or files.completeUploadExternal) answers ok=false."""
        with self._lock:
            self._file_errors[method] = error

    def fail_file_uploads(self, status: int = 500) -> None:
        """The POST of a file's bytes to its upload URL answers this HTTP status."""
        with self._lock:
            self._upload_status = status

    def uploaded(self, file_id: str) -> bytes | None:
        """The bytes uploaded for `file_id`, or None when none arrived."""
        with self._lock:
            return self._uploaded.get(file_id)

    def fail_response_urls(self, status: int = 404) -> None:
        """Calls to response URLs get this status (Slack answers 404 once a response_url expired)."""
        with self._lock:
            self._response_url_status = status

    # --- what was asked -------------------------------------------------------------------------------

    @property
    def calls(self) -> list[SlackCall]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[SlackCall]:
        return [call for call in self.calls if call.method == method]

    def posts(self) -> list[SlackCall]:
        """Successful chat.postMessage calls."""
        return [c for c in self.calls_to("chat.postMessage") if c.status == 200 and "ts" in c.body]

    def wait_for(self, condition: Callable[[FakeSlack], bool], timeout: float = 20.0) -> bool:
        """Wait until `condition(self)` holds (re-checked at every call); False if it never did."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition(self):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(min(remaining, 0.2))
        return True

    # --- internals used by the handler ----------------------------------------------------------------

    def _record(self, call: SlackCall) -> None:
        with self._changed:
            self._calls.append(call)
            self._changed.notify_all()

    def _wait_if_held(self, method: str) -> None:
        with self._changed:
            release = self._holds.get(method)
            if release is None:
                return
            self._held[method] += 1
            self._changed.notify_all()
        release.wait(30)

    def _take_lost_answer(self, method: str) -> tuple[int, float | None, bool] | None:
        if method != "chat.postMessage":
            return None
        with self._lock:
            return self._lost_answers.pop(0) if self._lost_answers else None

    def _take_rate_limit(self, method: str) -> int | None:
        with self._lock:
            for index, (retry_after, only) in enumerate(self._rate_limits):
                if only is None or only == method:
                    del self._rate_limits[index]
                    return retry_after
            return None

    def _answer(self, method: str, *, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        if method == "apps.connections.open":
            if headers.get("authorization") != f"Bearer {self.app_token}":
                return {"ok": False, "error": "invalid_auth"}
            if self.app_token_error:
                return {"ok": False, "error": self.app_token_error}
            if self.socket_mode_url is None:
                return {"ok": False, "error": "socket_mode_not_set_up_in_the_fake"}
            return {"ok": True, "url": self.socket_mode_url}
        if headers.get("authorization") != f"Bearer {self.token}" and body.get("token") != self.token:
            return {"ok": False, "error": "not_authed" if "authorization" not in headers else "invalid_auth"}
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack.test/",
                "team": "Fake Team",
                "user": "ticket-report",
                "team_id": "T0FAKE",
                "user_id": self.bot_user_id,
                "bot_id": "B0FAKE",
                "is_enterprise_install": False,
            }
        with self._lock:
            method_error = self._method_errors.get(method)
        if method_error:
            return {"ok": False, "error": method_error}
        if method in ("views.publish", "views.open", "views.update"):
            view = body.get("view")
            if isinstance(view, str):
                view = json.loads(view)
            if not isinstance(view, dict) or not view.get("type"):
                return {"ok": False, "error": "invalid_arguments"}
            if method == "views.open" and not body.get("trigger_id"):
                return {"ok": False, "error": "invalid_trigger_id"}
            view_id = str(body.get("view_id") or f"V{next(self._views):06d}")
            return {"ok": True, "view": {**view, "id": view_id}}
        if method == "users.conversations":
            return self._users_conversations(body)
        if method == "conversations.open":
            users = str(body.get("users") or "")
            if not users or "," in users:
                return {"ok": False, "error": "users_list_not_supplied" if not users else "not_allowed"}
            return {"ok": True, "channel": {"id": f"D{users}"}}
        if method == "users.info":
            return self._users_info(str(body.get("user", "")))
        if method == "usergroups.users.list":
            with self._lock:
                members = self._usergroups.get(str(body.get("usergroup", "")))
            if members is None:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": members}
        if method in ("chat.postMessage", "chat.postEphemeral"):
            channel = str(body.get("channel", ""))
            with self._lock:
                error = self._channel_errors.get(channel)
                if body.get("thread_ts") and method == "chat.postMessage":
                    error = error or self._reply_error
            if error:
                return {"ok": False, "error": error}
            if not channel:
                return {"ok": False, "error": "channel_not_found"}
            if not body.get("text") and not body.get("blocks"):
                return {"ok": False, "error": "no_text"}
            ts = f"{int(time.time())}.{next(self._ts):06d}"
            if method == "chat.postEphemeral":
                return {"ok": True, "message_ts": ts}
            message = {"type": "message", "user": self.bot_user_id, "ts": ts, "text": body.get("text")}
            if body.get("thread_ts"):
                message["thread_ts"] = str(body["thread_ts"])
            if isinstance(body.get("blocks"), list):
                message["blocks"] = body["blocks"]
            if isinstance(body.get("metadata"), dict):
                message["metadata"] = body["metadata"]
            elif isinstance(body.get("metadata"), str):
                message["metadata"] = json.loads(body["metadata"])
            with self._lock:
                self._messages.setdefault(channel, []).append(message)
            return {"ok": True, "channel": channel, "ts": ts, "message": {"text": body.get("text"), "ts": ts}}
        if method == "chat.update":
            return self._update(body)
        if method in ("conversations.history", "conversations.replies"):
            return self._history(method, body)
        if method in ("files.getUploadURLExternal", "files.completeUploadExternal"):
            with self._lock:
                error = self._file_errors.get(method)
            if error:
                return {"ok": False, "error": error, "needed": "files:write"}
            if method == "files.getUploadURLExternal":
                return self._upload_url(body)
            return self._complete_upload(body)
        if method == "chat.getPermalink":
            channel, ts = str(body.get("channel", "")), str(body.get("message_ts", ""))
            return {
                "ok": True,
                "channel": channel,
                "permalink": f"https://fake.slack.test/archives/{channel}/p{ts.replace('.', '')}",
            }
        return {"ok": False, "error": "unknown_method"}

    def _update(self, body: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(body.get("channel", "")), str(body.get("ts", ""))
        with self._lock:
            error = self._channel_errors.get(channel)
            if error:
                return {"ok": False, "error": error}
            found = next((m for m in self._messages.get(channel, []) if m["ts"] == ts), None)
            if found is None:
                return {"ok": False, "error": "message_not_found"}
            if not body.get("text") and not body.get("blocks"):
                return {"ok": False, "error": "no_text"}
            found["text"] = body.get("text")
            found["edited"] = True
            blocks = body.get("blocks") or []
            found["blocks"] = blocks
            self._updated.append({"channel": channel, "ts": ts, "text": body.get("text"), "blocks": blocks})
        return {"ok": True, "channel": channel, "ts": ts, "text": body.get("text")}

    def updates(self) -> list[dict[str, Any]]:
        """The successful chat.update calls: channel, ts, text and blocks of each."""
        with self._lock:
            return [dict(u) for u in self._updated]

    def _history(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            error = self._history_error
            messages = [dict(m) for m in self._messages.get(str(body.get("channel", "")), [])]
        if error:
            return {"ok": False, "error": error}
        if not body.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        oldest = float(body.get("oldest") or 0)
        if method == "conversations.history":
            # Top-level messages only, newest first, as Slack lists them.
            found = [m for m in messages if "thread_ts" not in m][::-1]
        else:
            parent = str(body.get("ts", ""))
            found = [m for m in messages if m["ts"] == parent or m.get("thread_ts") == parent]
            if not found:
                return {"ok": False, "error": "thread_not_found"}
        found = [m for m in found if float(m["ts"]) >= oldest]
        if str(body.get("include_all_metadata", "")).lower() not in ("true", "1"):
            for m in found:
                m.pop("metadata", None)
        return {"ok": True, "messages": found, "has_more": False, "response_metadata": {"next_cursor": ""}}

    def _users_conversations(self, body: dict[str, Any]) -> dict[str, Any]:
        user = str(body.get("user") or self.bot_user_id)
        limit = max(1, min(int(body.get("limit") or 100), 1000))
        start = int(body.get("cursor") or 0)
        with self._lock:
            channels = list(self._member_channels.get(user, []))
        page = channels[start : start + limit]
        cursor = str(start + limit) if start + limit < len(channels) else ""
        return {"ok": True, "channels": page, "response_metadata": {"next_cursor": cursor}}

    def _upload_url(self, body: dict[str, Any]) -> dict[str, Any]:
        filename, length = str(body.get("filename") or ""), str(body.get("length") or "")
        if not filename or not length.isdigit() or int(length) == 0:
            return {"ok": False, "error": "missing_argument"}
        if len(str(body.get("alt_txt") or "")) > 1000:  # Slack's documented limit
            return {"ok": False, "error": "alt_txt_too_large"}
        with self._lock:
            file_id = f"F{next(self._file_ids):08d}"
            self._pending_files[file_id] = {"filename": filename, "length": int(length)}
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _receive_upload(self, file_id: str, data: bytes) -> int:
        """The POST to an upload URL: 200 when the file id is known and the length is as announced."""
        with self._lock:
            pending = self._pending_files.get(file_id)
            if self._upload_status != 200:
                return self._upload_status
            if pending is None or len(data) != pending["length"]:
                return 400
            self._uploaded[file_id] = data
            return 200

    def _complete_upload(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            files = (
                json.loads(body.get("files") or "[]") if isinstance(body.get("files"), str) else body["files"]
            )
        except (ValueError, KeyError):
            return {"ok": False, "error": "invalid_arguments"}
        channel = str(body.get("channel_id") or "")
        with self._lock:
            if channel and channel in self._channel_errors:
                return {"ok": False, "error": self._channel_errors[channel]}
            if not files or any(self._uploaded.get(str(f.get("id"))) is None for f in files):
                return {"ok": False, "error": "file_not_found"}
            shared = [
                {"id": f["id"], "title": f.get("title"), "name": self._pending_files[f["id"]]["filename"]}
                for f in files
            ]
        return {"ok": True, "files": shared}

    def _users_info(self, user: str) -> dict[str, Any]:
        with self._lock:
            known = user in self._user_timezones
            zone = self._user_timezones.get(user, self.default_timezone)
            display = self._display_names.get(user)
        if not user.startswith("U") and not known:
            return {"ok": False, "error": "user_not_found"}
        profile: dict[str, Any] = {"id": user, "name": user.lower(), "is_bot": False}
        if display is not None:
            profile["profile"] = {"display_name": display, "real_name": display}
        if zone is not None:
            profile.update({"tz": zone, "tz_label": zone, "tz_offset": 0})
        return {"ok": True, "user": profile}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSlack
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        fake = self.fake
        split = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        length = int(headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = _parse_body(raw, headers.get("content-type", ""))
        body.update({k: v[-1] for k, v in parse_qs(split.query).items() if k not in body})
        if split.path.startswith("/upload/"):  # a pre-signed upload URL: no token, the raw bytes
            file_id = split.path[len("/upload/") :]
            status = fake._receive_upload(file_id, raw)
            fake._record(
                SlackCall(
                    "file.upload", {"file_id": file_id, "length": len(raw)}, headers, split.path, status
                )
            )
            return self._send(status, f"OK - {len(raw)}".encode(), content_type="text/plain")
        if split.path.startswith("/response/"):
            with fake._lock:
                status = fake._response_url_status
            fake._record(SlackCall("response_url", body, headers, split.path, status))
            return self._send(status, b"ok" if status == 200 else b"expired_url", content_type="text/plain")
        if not split.path.startswith("/api/"):
            return self._send(404, b"not found", content_type="text/plain")
        method = split.path[len("/api/") :]
        fake._wait_if_held(method)
        retry_after = fake._take_rate_limit(method)
        if retry_after is not None:
            fake._record(SlackCall(method, body, headers, split.path, 429))
            payload = json.dumps({"ok": False, "error": "ratelimited"}).encode()
            retry = {"Retry-After": str(retry_after)}
            return self._send(429, payload, content_type="application/json", headers=retry)
        lost = fake._take_lost_answer(method)
        if lost is not None and not lost[2]:
            fake._record(SlackCall(method, dict(body), headers, split.path, lost[0]))
            return self._send(lost[0], b"<html><body>Server Error</body></html>", content_type="text/html")
        with fake._lock:
            page_status = fake._pages.get(method)
        if page_status is not None:
            fake._record(SlackCall(method, body, headers, split.path, page_status))
            page = b"<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>"
            return self._send(page_status, page, content_type="text/html")
        answer = fake._answer(method, body=body, headers=headers)
        recorded = dict(body)
        if answer.get("ok") and "ts" in answer:
            recorded["ts"] = answer["ts"]
        if lost is not None:
            status, hold, _ = lost
            if hold is None:
                fake._record(SlackCall(method, recorded, headers, split.path, status))
                page = f"<html><body><h1>{status} Server Error</h1></body></html>".encode()
                return self._send(status, page, content_type="text/html")
            fake._record(SlackCall(method, recorded, headers, split.path, 200))
            time.sleep(hold)  # the client gave up long ago; the message is in the channel all the same
            try:
                return self._send(200, json.dumps(answer).encode(), content_type="application/json")
            except OSError:
                return None
        fake._record(SlackCall(method, recorded, headers, split.path, 200))
        self._send(200, json.dumps(answer).encode(), content_type="application/json")

    def _send(
        self, status: int, payload: bytes, *, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


def _parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type:
        try:
            data = json.loads(text)
        except ValueError:
            return {"_raw": text}
        return data if isinstance(data, dict) else {"_json": data}
    return {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}
