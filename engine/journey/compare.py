"""Comparisons a marketer can pick (≥, <, is one of, …), applied to plain values."""

from __future__ import annotations

from typing import Any, Literal

Op = Literal["eq", "ne", "gt", "ge", "lt", "le", "in", "not_in"]
OP_WORDS: dict[str, str] = {
    "eq": "is", "ne": "is not", "gt": "is more than", "ge": "is at least", "lt": "is less than", "le": "is at most",
    "in": "is one of", "not_in": "is none of",
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


def check_operands(op: Op, expected: Any) -> str | None:
    """A sentence if `expected` cannot be compared with `op`, else None."""
    if op in ("in", "not_in") and not isinstance(expected, list):
        return f"'{OP_WORDS[op]}' needs a list of values"
    if op in ("gt", "ge", "lt", "le") and not isinstance(expected, int | float):
        return f"'{OP_WORDS[op]}' needs a number, not {expected!r}"
    return None
