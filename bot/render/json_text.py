"""JSON text indented by two spaces, character for character what `json.dumps(value, indent=2,
ensure_ascii=False)` writes, in a fraction of the time on a large report.

With an indent the standard library encodes in Python, one generator step per piece of output, and a
report listing every active ticket has millions of pieces. Here each container is one `join`, exact
strs, ints and None are written in place, and strings are escaped by the standard library's own C
escaper. The value must be a tree: a container inside itself raises RecursionError (json.dumps raises
ValueError).
"""

from __future__ import annotations

import json.encoder
from collections.abc import Callable
from typing import Any

_escape: Callable[[str], str] = json.encoder.encode_basestring  # json.dumps' escaper with ensure_ascii=False
_INDENT = "  "
_INFINITY = float("inf")


class Fragment:
    """A value that writes its own JSON text: a long list of like records, written with one format per
    record instead of a dict each. `json_text` must write exactly what this module (and json.dumps)
    writes for `plain()`, the same value as plain lists and dicts."""

    def plain(self) -> Any:
        raise NotImplementedError

    def json_text(self, encoder: Encoder, newline: str) -> str:
        """The text of `plain()`; `newline` is a line break and the indent of the line it starts on."""
        raise NotImplementedError


def dumps_indented(value: Any, *, strings: Callable[[str], str] | None = None) -> str:
    """`value` as json.dumps(value, indent=2, ensure_ascii=False) writes it.

    `strings`, when given, is applied to every string value (not to keys) before it is written, as if
    the value had been copied with each string passed through it first.
    """
    return Encoder(strings).value(value, "\n")


class Encoder:
    """Writes one value (`value`); a Fragment writes its own text with `string` and `value`."""

    def __init__(self, strings: Callable[[str], str] | None) -> None:
        self.strings = strings
        self.keys: dict[Any, str] = {}  # a key, escaped and followed by ": " (reports repeat a few keys)

    def string(self, text: str) -> str:
        return _escape(self.strings(text) if self.strings is not None else text)

    def value(self, item: Any, newline: str) -> str:
        """One value; `newline` is a line break and the indent of the line the value starts on."""
        kind = type(item)
        if kind is str:
            return self.string(item)
        if kind is dict:
            return self.mapping(item, newline)
        if kind is list or kind is tuple:
            return self.sequence(item, newline)
        return self.other(item, newline)

    def mapping(self, value: dict[Any, Any], newline: str) -> str:
        if not value:
            return "{}"
        inner = newline + _INDENT
        separator = "," + inner
        keys = self.keys
        parts = ["{" + inner]
        for key, item in value.items():
            name = keys.get(key)
            if name is None or type(key) is not str:
                name = keys[key] = _escape(_key(key)) + ": "
            if len(parts) > 1:
                parts.append(separator)
            kind = type(item)
            if kind is str:
                parts.append(name + self.string(item))
            elif kind is int:
                parts.append(name + int.__repr__(item))
            elif item is None:
                parts.append(name + "null")
            else:  # a container's text can be large: joined once, with the rest, not copied first
                parts.append(name)
                parts.append(self.value(item, inner))
        parts.append(newline + "}")
        return "".join(parts)

    def sequence(self, value: list[Any] | tuple[Any, ...], newline: str) -> str:
        if not value:
            return "[]"
        inner = newline + _INDENT
        parts = []
        for item in value:
            kind = type(item)
            if kind is str:
                parts.append(self.string(item))
            elif kind is dict:
                parts.append(self.mapping(item, inner))
            else:
                parts.append(self.value(item, inner))
        # The brackets go on the first and last item, so the items are joined once, into the result.
        parts[0] = "[" + inner + parts[0]
        parts[-1] += newline + "]"
        return ("," + inner).join(parts)

    def other(self, item: Any, newline: str) -> str:
        """Anything but an exact str, dict, list or tuple, tested in json's own order."""
        if isinstance(item, str):
            return self.string(item)
        if item is None:
            return "null"
        if item is True:
            return "true"
        if item is False:
            return "false"
        if isinstance(item, int):
            return int.__repr__(item)
        if isinstance(item, float):
            return _float(item)
        if isinstance(item, (list, tuple)):
            return self.sequence(item, newline)
        if isinstance(item, dict):
            return self.mapping(item, newline)
        if isinstance(item, Fragment):
            return item.json_text(self, newline)
        raise TypeError(f"Object of type {item.__class__.__name__} is not JSON serializable")


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value == _INFINITY:
        return "Infinity"
    if value == -_INFINITY:
        return "-Infinity"
    return float.__repr__(value)


def _key(key: Any) -> str:
    """A key as json writes it: strings as they are, numbers, booleans and None as their JSON text."""
    if isinstance(key, str):
        return key
    if isinstance(key, float):
        return _float(key)
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, int):
        return int.__repr__(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")
