"""HTTP client of an OpenAI-compatible chat completions API (OpenAI, vLLM, llama.cpp, Ollama, ...).

One call, one answer: `ChatClient.complete(messages, timeout=...)` POSTs `{base_url}/chat/completions`
with `{"model", "messages", "temperature": 0}` and returns the first choice's text. Every failure
(unreachable, timed out, an HTTP error, a body that is not JSON or has no answer in it) raises
`ModelError` with a short reason fit for a log line; the key is never part of it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import requests

MAX_RESPONSE_BYTES = 1_000_000  # an answer of a few hundred characters; refuse to read a flood
_SHOWN = 200  # characters of an error body kept in the reason


class ModelError(Exception):
    """The model gave no usable answer; the message says why in a few words."""


class ChatClient:
    """Asks one model of one OpenAI-compatible server; safe to share between threads."""

    def __init__(self, *, base_url: str, model: str, key: str | None = None) -> None:
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._model = model
        self._headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if key:
            self._headers["Authorization"] = f"Bearer {key}"

    @property
    def model(self) -> str:
        return self._model

    def complete(self, messages: Sequence[dict[str, str]], *, timeout: float) -> str:
        """The model's answer to `messages`, waiting at most about `timeout` seconds; ModelError if none."""
        body = {"model": self._model, "messages": list(messages), "temperature": 0}
        timeout = max(timeout, 0.01)
        try:
            # No Session: requests does not promise a Session is safe to share between threads.
            with requests.post(
                self._url, json=body, headers=self._headers, timeout=(timeout, timeout), stream=True
            ) as response:
                content = _read(response)
                status = response.status_code
        except requests.Timeout:
            raise ModelError(f"no answer within {timeout:.1f} s") from None
        except requests.ConnectionError as exc:
            raise ModelError(f"cannot connect to the model server ({type(exc).__name__})") from None
        except requests.RequestException as exc:
            raise ModelError(f"request failed ({type(exc).__name__})") from None
        if status != 200:
            raise ModelError(f"HTTP {status}: {_snippet(content)}")
        return _answer(content)


def _read(response: requests.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=65536):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise ModelError(f"answer larger than {MAX_RESPONSE_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _answer(content: bytes) -> str:
    try:
        payload: Any = json.loads(content)
    except ValueError:
        raise ModelError(f"answer is not JSON: {_snippet(content)}") from None
    try:
        text = payload["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise ModelError("answer has no choices[0].message.content") from None
    if not isinstance(text, str):
        raise ModelError("answer's message content is not text")
    return text


def _snippet(content: bytes) -> str:
    text = " ".join(content[: _SHOWN * 4].decode("utf-8", errors="replace").split())
    return repr(text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…")
