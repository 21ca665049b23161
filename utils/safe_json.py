"""JSON from clients, decoded with limits: bounded nesting, numbers within ±(2**63 - 1), no NaN.

Python's decoder recurses once per level (10 000 nested arrays raise RecursionError, not a
decoding error) and turns any run of digits into an int our databases cannot store.
"""

import json
import re

from flask.json.provider import DefaultJSONProvider

MAX_DEPTH = 32
INT64_MAX = 2**63 - 1
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class UnsafeJsonError(ValueError):
    """A body that is JSON but outside what the API accepts; the message says why."""


def loads(text: str | bytes):
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8")
    _check_depth(text)
    return json.loads(
        text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_refuse_constant
    )


def _check_depth(text: str) -> None:
    depth = 0
    for bracket in _BRACKET.finditer(_STRING.sub("", text)):
        if bracket.group() in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise UnsafeJsonError(f"The JSON is nested deeper than {MAX_DEPTH} levels.")
        else:
            depth -= 1


def _parse_int(digits: str) -> int:
    # Checked on the text first: converting thousands of digits is itself slow.
    if len(digits) > 20 or abs(value := int(digits)) > INT64_MAX:
        raise UnsafeJsonError("Integers must fit in 64 bits.")
    return value


def _parse_float(text: str) -> float:
    # The same bound as integers (the OpenAPI document's for any number); 1e999 would be inf.
    value = float(text)
    if not abs(value) <= INT64_MAX:
        raise UnsafeJsonError("Numbers must lie between -(2**63 - 1) and 2**63 - 1.")
    return value


def _refuse_constant(name: str):
    raise UnsafeJsonError(f"{name} is not valid JSON.")


class SafeJSONProvider(DefaultJSONProvider):
    """Flask's provider, decoding request bodies (`request.get_json()`) with the limits."""

    def loads(self, s: str | bytes, **kwargs):
        return loads(s)
