"""JSON text indented by two spaces: exactly json.dumps(value, indent=2, ensure_ascii=False)."""

from __future__ import annotations

import enum
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.render.escape import scrub
from bot.render.json_text import dumps_indented


class Kind(enum.IntEnum):
    ONE = 1


class Text(str):
    pass


def expected(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def test_every_kind_of_value_is_written_as_json_dumps_writes_it():
    values = [
        {
            "a": [1, 2.5, None, True, False, 'x\u2028"\\\n\x00é😀\ud800', [], {}, (1, (2,)), Kind.ONE],
            "subclass": Text("s"),
            "floats": [float("nan"), float("inf"), -float("inf"), 1e300, -0.0, 0.1, 10**30],
            "nested": {"k": {"k2": [{"deep": []}]}},
        },
        {1: "int key", 2.5: "float key", False: "false key", None: "null key", Text("k"): 2},
        {"k": 1, Kind.ONE: "an int subclass key"},
        dict([(1, "one"), (True, "True replaces 1's value, keeps its key")]),
        [{1: "a"}, {True: "b"}, {1.0: "c"}, {"1": "d"}],  # equal keys of other types are written as theirs
        [],
        {},
        "plain",
        3,
        None,
        True,
        2.5,
        (),
        [[[{}]]],
        [1],
        {"a": [1]},
    ]
    for value in values:
        assert dumps_indented(value) == expected(value)


_LEAVES = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(_VALUES)
def test_any_json_value_is_written_as_json_dumps_writes_it(value):
    assert dumps_indented(value) == expected(value)


def test_strings_can_be_passed_through_a_function_first_but_not_keys():
    value = {"lone \ud800": ["a \ud800 b", {"x": "\udfff"}], "n": 1}
    scrubbed = {"lone \ud800": ["a \ufffd b", {"x": "\ufffd"}], "n": 1}
    assert dumps_indented(value, strings=scrub) == expected(scrubbed)


def test_what_json_cannot_write_is_refused_as_json_refuses_it():
    for value in ({"a": object()}, [set()], {(1, 2): "tuple key"}):
        with pytest.raises(TypeError) as ours:
            dumps_indented(value)
        with pytest.raises(TypeError) as theirs:
            expected(value)
        assert str(ours.value) == str(theirs.value)
