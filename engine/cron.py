"""Five-field cron expressions as marketers write them for schedules: checked here, run by Temporal."""

from __future__ import annotations

import re

CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12), ("weekday", 0, 7))
_NUMBER = re.compile(r"[0-9]+")


def cron_problem(expr: str) -> str | None:
    """Why a 5-field cron (numbers, *, a-b, a,b, */n, a-b/n) is invalid, or None if it is fine."""
    fields = expr.split()
    if len(fields) != 5:
        return f"a cron has 5 fields (minute hour day month weekday), this one has {len(fields)}"
    for text, (name, low, high) in zip(fields, CRON_FIELDS, strict=True):
        for item in text.split(","):
            if reason := _cron_item_problem(item, name, low, high):
                return reason
    return None


def _cron_item_problem(item: str, name: str, low: int, high: int) -> str | None:
    base, slash, step = item.partition("/")
    if slash and not (_NUMBER.fullmatch(step) and int(step) > 0):
        return f"{name} '{item}': the step after / must be a whole number above 0"
    if base == "*":
        return None
    first, dash, last = base.partition("-")
    numbers = [first, last] if dash else [first]
    if not all(_NUMBER.fullmatch(number) for number in numbers):
        return f"{name} '{item}' is not a number, *, a range a-b, a list a,b or a step */n"
    if outside := [number for number in numbers if not low <= int(number) <= high]:
        return f"{name} {outside[0]} is outside {low}-{high}"
    if dash and int(first) > int(last):
        return f"{name} range {base} runs backwards"
    if slash and not dash:
        return f"{name} '{item}': a step needs * or a range before the /"
    return None
