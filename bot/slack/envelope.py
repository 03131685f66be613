"""What a signed body to /slack/events must look like before Bolt reads it.

Bolt parses a body and then reads its envelope (who sent it, from where, which listener it is for)
assuming Slack's shapes: a JSON object, `actions` a list of objects with a string `action_id`,
`event` an object with a string `type`, `user` a string or an object, and so on. A body signed with
our secret but shaped otherwise (invalid JSON in `payload`, a JSON array, `"actions": null`, JSON
nested thousands deep) would raise inside Bolt, or inside its WSGI adapter before Bolt's own error
handling, and answer 500 with a traceback in the log. `envelope_problem` says what is wrong with
such a body, so the HTTP surface can answer 400 and run nothing; a body Slack could have sent passes.

Only the fields Bolt and our listeners read are checked, and only their types: everything else in a
payload (blocks, state, metadata) is left to the listener that uses it. The body is parsed with
Bolt's own `parse_body`, so the check sees exactly what Bolt will see.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator
from slack_bolt.request.internals import parse_body

# Slack's payloads nest about a dozen levels (a message's rich-text blocks inside the payload);
# far deeper is no Slack payload, and walking it would only cost time or recursion.
MAX_JSON_DEPTH = 64


class _Part(BaseModel):
    """An object of the envelope: extra fields are kept as they are, named ones must have their type."""

    model_config = ConfigDict(extra="allow", strict=True)


class _Identity(_Part):
    """`team`, `user`, `channel` or `enterprise` given as an object."""

    id: str | None = None
    team_id: str | None = None
    enterprise_id: str | None = None


_Who = str | _Identity | None


class _Authorization(_Part):
    team_id: str | None = None
    enterprise_id: str | None = None
    user_id: str | None = None
    is_enterprise_install: bool | str | None = None


class _Message(_Part):
    """`message`, `previous_message`, `container`, `item` or `assistant_thread`."""

    type: str | None = None
    user: _Who = None
    user_id: str | None = None
    channel: _Who = None
    channel_id: str | None = None
    team: _Who = None
    text: str | None = None
    ts: str | None = None
    thread_ts: str | None = None
    message_ts: str | None = None


def _not_null(value: Any) -> Any:
    # Bolt reads these as `body.get("event", {}).get(...)`: absent is fine, an explicit null is not.
    if value is None:
        raise ValueError("should be an object, not null")
    return value


class _Event(_Message):
    subtype: str | None = None
    user_team: str | None = None
    bot_id: str | None = None
    event_ts: str | None = None
    item: _Message | None = None
    message: _Message | None = None
    previous_message: _Message | None = None
    assistant_thread: _Message | None = None
    function_execution_id: str | None = None
    bot_access_token: str | None = None
    function: _Part | None = None
    tokens: _Part | None = None

    _present = field_validator("function", "tokens", mode="before")(_not_null)


class _Action(_Part):
    type: str | None = None
    action_id: str | None = None
    block_id: str | None = None
    value: str | None = None
    name: str | None = None


class _View(_Part):
    id: str | None = None
    callback_id: str | None = None
    team_id: str | None = None
    app_installed_team_id: str | None = None


class _ResponseUrl(_Part):
    response_url: str | None = None


class _Envelope(_Part):
    type: str | None = None
    token: str | None = None
    challenge: str | None = None
    command: str | None = None
    text: str | None = None
    callback_id: str | None = None
    action_id: str | None = None
    trigger_id: str | None = None
    response_url: str | None = None
    response_urls: list[_ResponseUrl] | None = None
    api_app_id: str | None = None
    team: _Who = None
    team_id: str | None = None
    user: _Who = None
    user_id: str | None = None
    channel: _Who = None
    channel_id: str | None = None
    enterprise: _Who = None
    enterprise_id: str | None = None
    context_team_id: str | None = None
    context_enterprise_id: str | None = None
    is_enterprise_install: bool | str | None = None
    is_ext_shared_channel: bool | None = None
    thread_ts: str | None = None
    function_execution_id: str | None = None
    bot_access_token: str | None = None
    authorizations: list[_Authorization] | None = None
    event: _Event | None = None
    actions: list[_Action] | None = None
    view: _View | None = None
    message: _Message | None = None
    previous_message: _Message | None = None
    container: _Message | None = None
    item: _Message | None = None
    assistant_thread: _Message | None = None
    function_data: _Part | None = None

    _present = field_validator("event", "view", mode="before")(_not_null)

    @model_validator(mode="after")
    def _listener_fields(self) -> _Envelope:
        """Bolt picks a listener by these: each kind of payload must carry its own."""
        actions = self.actions or []
        if self.type == "block_actions" and (not actions or any(a.action_id is None for a in actions)):
            raise ValueError("a block_actions payload needs `actions`, each with an `action_id`")
        if self.type == "event_callback" and (self.event is None or self.event.type is None):
            raise ValueError("an event_callback needs an `event` with a `type`")
        views = ("view_submission", "view_closed")
        if self.type in views and (self.view is None or self.view.callback_id is None):
            raise ValueError(f"a {self.type} payload needs a `view` with a `callback_id`")
        return self


def envelope_problem(body: str, *, content_type: str | None) -> str | None:
    """None when Bolt may read `body` (UTF-8 text); else one line saying what is wrong with it.

    `content_type` is the request's Content-Type header as sent (parameters after `;` are ignored,
    as Bolt ignores them). The line names the field at fault, never the body's content.
    """
    media_type = content_type.split(";")[0] if content_type else None
    try:
        parsed = parse_body(body, media_type)
    except RecursionError:
        return f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels"
    except ValueError:  # json.JSONDecodeError among them
        return "the body (or its `payload` field) is not valid JSON"
    if not isinstance(parsed, dict):
        return f"the body (or its `payload` field) is a JSON {_kind(parsed)}, not an object"
    if _depth(parsed) > MAX_JSON_DEPTH:
        return f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels"
    try:
        _Envelope.model_validate(parsed)
    except ValidationError as exc:
        return _describe(exc)
    return None


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in `value` (an object holding only scalars is 1); iterative."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


# What pydantic's error types expect, in words; a union's members are joined with "or".
_EXPECTED = {
    "string_type": "a string",
    "model_type": "an object",
    "dict_type": "an object",
    "list_type": "a list",
    "bool_type": "true or false",
}
# Parts of an error's location that name a union's member rather than a field.
_UNION_MEMBERS = frozenset({"str", "bool", "int", "none"})


def _describe(exc: ValidationError) -> str:
    """The first wrong field and what it should be, e.g. "`actions` should be a list"."""
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    where = _where(first["loc"])
    if first["type"] == "value_error":
        problem = str(first["msg"]).removeprefix("Value error, ")
        return f"`{where}` {problem}" if where else problem
    expected = [
        _EXPECTED.get(error["type"], "something else") for error in errors if _where(error["loc"]) == where
    ]
    return f"`{where}` should be {' or '.join(dict.fromkeys(expected))}"


def _where(loc: tuple[int | str, ...]) -> str:
    parts = [
        str(part)
        for part in loc
        if isinstance(part, int) or not (part.startswith("_") or part in _UNION_MEMBERS)
    ]
    return ".".join(parts)


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "boolean" if isinstance(value, bool) else "number"
