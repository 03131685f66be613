"""A fake OpenAI-compatible chat completions server on 127.0.0.1, scriptable per request.

Real HTTP, so tests drive the real `ChatClient` (requests) through it. It records every request
(path, headers, JSON body) and answers `POST /chat/completions` with whatever `respond(request)`
returns: a good answer by default (citing the first ticket of the data it was sent), or a scripted
`Reply` — slow, an HTTP error, a body that is not JSON, a body without choices, or any text.

    with FakeLLM() as llm:
        llm.respond = lambda request: Reply.slow(20) if request.kind == "headline" else Reply.text("...")
        client = ChatClient(base_url=llm.url, model="fake-model")
        ...
        assert llm.count == 3
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DATA_START, DATA_END = "<data>\n", "\n</data>"


@dataclass(frozen=True)
class Reply:
    """What the fake answers one request with."""

    status: int = 200
    body: bytes = b""
    delay: float = 0.0  # seconds to wait before answering (cut short when the fake stops)

    @classmethod
    def text(cls, content: str, *, delay: float = 0.0) -> Reply:
        """A well-formed chat completion whose first choice says `content`."""
        payload = {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "model": "fake-model",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        return cls(body=json.dumps(payload).encode(), delay=delay)

    @classmethod
    def slow(cls, seconds: float, content: str = "Too late to matter.") -> Reply:
        return cls.text(content, delay=seconds)

    @classmethod
    def error(cls, status: int = 500) -> Reply:
        return cls(status=status, body=json.dumps({"error": {"message": "internal error"}}).encode())

    @classmethod
    def malformed(cls) -> Reply:
        return cls(body=b'{"choices": [{"message": {"content": "cut of')

    @classmethod
    def no_choices(cls) -> Reply:
        return cls(
            body=json.dumps({"id": "chatcmpl-fake", "object": "chat.completion", "choices": []}).encode()
        )


@dataclass(frozen=True)
class ChatRequest:
    """One request the fake received."""

    path: str
    headers: dict[str, str]  # names lower-cased
    body: dict[str, Any] = field(default_factory=dict)  # {} when the body was not a JSON object

    @property
    def messages(self) -> list[dict[str, str]]:
        return list(self.body.get("messages") or [])

    @property
    def system(self) -> str:
        return next((m["content"] for m in self.messages if m.get("role") == "system"), "")

    @property
    def user(self) -> str:
        return next((m["content"] for m in self.messages if m.get("role") == "user"), "")

    @property
    def kind(self) -> str:
        """ "headline" or "group": which part of the report this asks for."""
        return "headline" if "headline" in self.system else "group"

    @property
    def data(self) -> dict[str, Any]:
        """The JSON object between <data> and </data> of the user message."""
        text = self.user
        start, end = text.index(DATA_START) + len(DATA_START), text.rindex(DATA_END)
        return json.loads(text[start:end])

    def refs(self) -> list[str]:
        """Every ticket the data cites ("#12"), in order of first appearance."""
        found: dict[str, None] = {}

        def walk(value: Any, key: str = "") -> None:
            if isinstance(value, dict):
                for k, v in value.items():
                    walk(v, k)
            elif isinstance(value, list):
                for item in value:
                    walk(item, key)
            elif isinstance(value, str) and key in ("ticket", "tickets", "draft_cites", "more_tickets"):
                found.setdefault(value, None)

        walk(self.data)
        return list(found)


def good_answer(request: ChatRequest) -> Reply:
    """A plain, guard-passing answer citing the first ticket the request's data names."""
    first = (request.refs() or ["#1"])[0]
    if request.kind == "headline":
        return Reply.text(f"The model's headline: one problem stands out this period, see {first}.")
    return Reply.text(
        f"Problem: the model's summary of a problem, see {first}. Affected: a few users. "
        "Status: the team is looking into it. Tell users: no workaround yet."
    )


class FakeLLM:
    """OpenAI-compatible chat completions served over HTTP in a background thread."""

    def __init__(self, *, key: str | None = None) -> None:
        """key: when set, a request without `Authorization: Bearer <key>` gets 401."""
        self.key = key
        self.respond: Callable[[ChatRequest], Reply] = good_answer
        self._requests: list[ChatRequest] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> FakeLLM:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-llm", daemon=True
        )
        thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()  # wakes slow answers
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL to configure (like https://api.openai.com/v1, without a trailing slash)."""
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def requests(self) -> list[ChatRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def count(self) -> int:
        with self._lock:
            return len(self._requests)

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()

    def _record(self, request: ChatRequest) -> None:
        with self._lock:
            self._requests.append(request)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeLLM
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        fake = self.fake
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw)
        except ValueError:
            body = {}
        request = ChatRequest(
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body if isinstance(body, dict) else {},
        )
        fake._record(request)
        if self.path != "/v1/chat/completions":
            return self._send(Reply(status=404, body=b'{"error": {"message": "not found"}}'))
        if fake.key is not None and request.headers.get("authorization") != f"Bearer {fake.key}":
            return self._send(Reply(status=401, body=b'{"error": {"message": "invalid api key"}}'))
        reply = fake.respond(request)
        if reply.delay and fake._stopped.wait(reply.delay):
            self.close_connection = True
            return
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        self.close_connection = True  # one request per connection, as the client makes them
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test): fine
            pass
