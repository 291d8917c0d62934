"""core.web.strict_json reads bodies with orjson and falls back on the standard library with
its checks: both readings must give the same value, or refuse with the same code."""
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from core.web import strict_json
from core.web.strict_json import JsonRefused
from tests.hostile_json import DEEP, HUGE_INTEGERS, NON_FINITE_TOKENS, STRANGE_STRINGS, deep_array

scalars = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
           | st.floats(allow_nan=True, allow_infinity=True)
           | st.text(st.characters(codec=None), max_size=30)
           | st.sampled_from(STRANGE_STRINGS[:-1]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=40)


def reading(read, data):
    try:
        return "value", read(data)
    except JsonRefused as refused:
        return "refused", refused.code


def agree(data):
    fast, checked = reading(strict_json.loads, data), reading(strict_json._loads_checked, data)
    if fast[0] == "value" and checked[0] == "value":
        # NaN is never read, so == compares everything, and type() tells 1 from 1.0.
        assert json.dumps(fast[1]) == json.dumps(checked[1])
    else:
        assert fast == checked


@settings(max_examples=300, deadline=None)
@given(values, st.booleans())
def test_the_fast_reading_agrees_with_the_checked_one(value, as_text):
    text = json.dumps(value, allow_nan=True)  # NaN and lone surrogates kept, as clients send
    agree(text if as_text else text.encode("utf-8", "surrogatepass"))


def test_hostile_bodies_are_refused_with_the_same_code_either_way(subtests):
    bodies = ([str(number) for number in HUGE_INTEGERS] + NON_FINITE_TOKENS
              + [json.dumps(text) for text in STRANGE_STRINGS]
              + [deep_array(), deep_array(33), deep_array(32), "[" * DEEP, "1" * 41,
                 "0." + "1" * 39, "-1.5e-" + "0" * 40 + "1", '{"a": [1, "[[[[\\"["]}',
                 "\ufeff{}", "{", '{"a": 1,}', "\x00"])
    for body in bodies:
        with subtests.test(body=body[:40]):
            agree(body.encode("utf-8", "surrogatepass"))
            agree(body)


def test_nesting_is_counted_outside_strings():
    assert strict_json._nesting(b'[1, {"a": "[[[\\"[{", "b": [[]]}]') == 4
    assert reading(strict_json.loads, '{"a": "' + "[" * 100 + '"}') == (
        "value", {"a": "[" * 100})


@settings(max_examples=500)
@given(st.binary(max_size=120)
       | st.lists(st.sampled_from([b"1", b"9", b"0", b"-", b"+", b".", b"e", b"E", b"a", b" ",
                                   b'"', b"\xff"]), max_size=90).map(b"".join))
def test_the_quick_look_for_long_numbers_misses_none_the_regular_expression_finds(data):
    """loads() skips the regular expression when the quick look finds no run of 19 number
    characters: that must never skip a body the expression would send to the checked reading."""
    if strict_json.NUMBER_TO_CHECK.search(data) is not None:
        assert strict_json._may_hold_number_to_check(data)
