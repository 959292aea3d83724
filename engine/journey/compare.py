"""Comparisons a marketer can pick (≥, <, is one of, …), applied to plain values."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import AfterValidator

from engine.journey.metadata import Words

Op = Literal["eq", "ne", "gt", "ge", "lt", "le", "in", "not_in"]
MAX_TEXT = 200  # characters of a text operand (a city, a category, a segment name)
MAX_LIST = 1000  # values of an "is one of" list
MAX_NUMBER = 10**15  # beyond any amount, count or day a member's data can hold
OP_WORDS: dict[str, str] = {
    "eq": "is", "ne": "is not", "gt": "is more than", "ge": "is at least", "lt": "is less than", "le": "is at most",
    "in": "is one of", "not_in": "is none of",
}  # fmt: skip
# The labels of the editor's comparison picker.
OP_CHOICES: dict[str, Words] = {
    "eq": Words(OP_WORDS["eq"], "等于"), "ne": Words(OP_WORDS["ne"], "不等于"),
    "gt": Words(OP_WORDS["gt"], "大于"), "ge": Words(OP_WORDS["ge"], "大于或等于"),
    "lt": Words(OP_WORDS["lt"], "小于"), "le": Words(OP_WORDS["le"], "小于或等于"),
    "in": Words(OP_WORDS["in"], "是其中之一"), "not_in": Words(OP_WORDS["not_in"], "不是其中任何一个"),
}  # fmt: skip


def compare(actual: Any, op: Op, expected: Any) -> bool:
    """`actual op expected`; a missing actual value never satisfies an ordering comparison."""
    if op == "eq":
        return bool(actual == expected)
    if op == "ne":
        return bool(actual != expected)
    if op in ("in", "not_in"):
        members = expected if isinstance(expected, list | tuple | set) else [expected]
        return (actual in members) == (op == "in")
    if actual is None:
        return False
    try:
        if op == "gt":
            return bool(actual > expected)
        if op == "ge":
            return bool(actual >= expected)
        if op == "lt":
            return bool(actual < expected)
        return bool(actual <= expected)
    except TypeError:
        return False


def _plain_value(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int | float):
        return math.isfinite(value) and abs(value) <= MAX_NUMBER
    return isinstance(value, str) and len(value) <= MAX_TEXT


def _operand(value: Any) -> Any:
    """What a condition compares with: a number, a text, true/false or nothing, or a list of those."""
    values = value if isinstance(value, list) else [value]
    if len(values) > MAX_LIST:
        raise ValueError(f"a list of at most {MAX_LIST} values, not {len(values)}")
    if not all(_plain_value(v) for v in values):
        raise ValueError(
            f"use a number up to {MAX_NUMBER:,} either way, a text of at most {MAX_TEXT} characters, true or false, "
            "or a list of those"
        )
    return value


Operand = Annotated[Any, AfterValidator(_operand)]


def check_operands(op: Op, expected: Any) -> str | None:
    """A sentence if `expected` cannot be compared with `op`, else None."""
    if op in ("in", "not_in") and not isinstance(expected, list):
        return f"'{OP_WORDS[op]}' needs a list of values"
    if op in ("gt", "ge", "lt", "le") and not isinstance(expected, int | float):
        return f"'{OP_WORDS[op]}' needs a number, not {expected!r}"
    return None
