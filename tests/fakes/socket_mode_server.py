"""A fake of Slack's Socket Mode WebSocket endpoint on 127.0.0.1, for the bot's real SocketModeHandler.

Slack's side of Socket Mode: the app calls `apps.connections.open` (FakeSlack answers it with this
fake's `url`), opens a WebSocket there and gets a `hello`; Slack then sends envelopes
(`{"envelope_id", "type": "slash_commands", "payload", "accepts_response_payload"}`), each of which
the app acknowledges by sending back `{"envelope_id", "payload"?}` within 3 seconds. Everything the
app sends is recorded.

    with FakeSocketMode() as socket_mode:
        slack.socket_mode_url = socket_mode.url
        ...                                   # start the bot
        assert socket_mode.wait_connected()
        ack = socket_mode.deliver(envelope)   # sends it, then waits for its ack (None if none came)
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

TICKET = "fake-ticket"


class FakeSocketMode:
    """Socket Mode's WebSocket server, serving in a background thread (see the module docstring)."""

    def __init__(self) -> None:
        self._server: Server | None = None
        self._connections: list[ServerConnection] = []
        self._paths: list[str] = []
        self._received: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._changed = threading.Condition()

    def start(self) -> FakeSocketMode:
        # No pings of our own and no compression: Slack's endpoint negotiates none with the SDK's client.
        self._server = serve(self._handle, "127.0.0.1", 0, ping_interval=None, compression=None)
        threading.Thread(target=self._server.serve_forever, name="fake-socket-mode", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server = None

    def __enter__(self) -> FakeSocketMode:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """What apps.connections.open answers: a one-time URL, as Slack's wss://.../link/?ticket=..."""
        assert self._server is not None, "start() the fake first"
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket={TICKET}"

    @property
    def paths(self) -> list[str]:
        """The request path (and query) of every connection made."""
        with self._changed:
            return list(self._paths)

    @property
    def received(self) -> list[dict[str, Any]]:
        with self._changed:
            return list(self._received)

    def wait_connected(self, timeout: float = 60.0) -> bool:
        return self._wait(lambda: bool(self._connections), timeout)

    def deliver(
        self, payload: dict[str, Any], *, kind: str = "slash_commands", timeout: float = 20.0
    ) -> dict[str, Any] | None:
        """Send an envelope of `kind` carrying `payload` on the newest connection; its ack, or None."""
        envelope_id = f"envelope-{next(self._ids)}"
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        with self._changed:
            connection = self._connections[-1]
        connection.send(json.dumps(envelope))
        acks: list[dict[str, Any]] = []

        def acked() -> bool:
            acks[:] = [m for m in self._received if m.get("envelope_id") == envelope_id]
            return bool(acks)

        return acks[0] if self._wait(acked, timeout) else None

    def _wait(self, condition: Any, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
        return True

    def _handle(self, connection: ServerConnection) -> None:
        with self._changed:
            self._connections.append(connection)
            self._paths.append(connection.request.path if connection.request else "")
            self._changed.notify_all()
        hello = {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0FAKE"}}
        try:
            connection.send(json.dumps(hello))
            for message in connection:
                try:
                    data = json.loads(message)
                except ValueError:
                    data = {"_raw": message}
                with self._changed:
                    self._received.append(data if isinstance(data, dict) else {"_json": data})
                    self._changed.notify_all()
        except ConnectionClosed:
            pass
        finally:
            with self._changed:
                self._connections.remove(connection)
                self._changed.notify_all()
