"""The domains intake accepts, in one place: sizes, lengths, dates and amounts that every edge (API, CSV, CLI)
checks before anything is stored or handed to a workflow.

Each check raises ValueError with a sentence that names the value and the limit, so pydantic validators, the
importer and the web layer share them. README.md documents them (Getting data in, RFM).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator

MAX_BODY_BYTES = 4 * 1024 * 1024  # one API request body
MAX_BATCH = 1000  # records in one API list (members, orders, events)
MAX_JSON_DEPTH = 64  # nesting of any API body: deep enough for any journey, far from the parser's recursion limit
MAX_PROPERTIES_BYTES = 32 * 1024  # one event's properties as compact UTF-8 JSON: they travel in Temporal signals
MAX_PROPERTIES_DEPTH = 5
MAX_PROPERTY_KEY = 64
MAX_KEY = 64  # member_id, order_id, tags, journey, block and coupon template keys, in bodies and URL paths
MAX_TAGS_PER_RECORD = 50
MAX_SEARCH = 200  # a listing's search text
MAX_OFFSET = 1_000_000_000  # a listing's offset: far beyond any shop, well inside a 64-bit integer
MAX_PAGE = 500  # a listing's page size
EARLIEST = date(1900, 1, 1)  # dates and times (in the shop's or the given zone) fall in these years
LATEST = date(2100, 12, 31)
MAX_WINDOW_DAYS = 36_525  # an RFM look-back window: a hundred years
MAX_AMOUNT_DIGITS = 12  # an order's amount is below 10^12 in the shop's currency


def check_day(day: date, shown: object = None) -> date:
    """`day` if it lies between EARLIEST and LATEST; ValueError naming the value (`shown`, else the day) if not."""
    if not EARLIEST <= day <= LATEST:
        shown = day if shown is None else shown
        raise ValueError(f"'{shown}' is outside the years {EARLIEST.year} to {LATEST.year}")
    return day


def check_moment(moment: datetime, shown: object = None) -> datetime:
    """`moment` if its date (in its own zone) lies between EARLIEST and LATEST, so converting it to UTC or any
    zone cannot overflow; ValueError naming the value if not."""
    check_day(moment.date(), shown if shown is not None else moment.isoformat())
    return moment


def check_text(value: str) -> str:
    """`value` unless it holds a NUL character, which PostgreSQL cannot store in text (and no person types)."""
    if "\x00" in value:
        raise ValueError("contains a NUL character (\\u0000), which cannot be stored")
    return value


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_line(value: str) -> str:
    """`value` if it is one line of text: no NUL, no line break or other control character (names, ids, cities, tags
    end up in message headers and table cells, where a line break does harm)."""
    check_text(value)
    if found := _CONTROL.search(value):
        raise ValueError(f"contains a line break or another control character (U+{ord(found.group()):04X})")
    return value


def check_tag(value: str) -> str:
    """`value` if it can name a tag: one line (check_line), not blank, no spaces at either end (' VIP' and 'VIP'
    would be two tags that read alike), and no U+FFFD (what bytes that were not UTF-8 became on the way in)."""
    check_line(value)
    if not value.strip():
        raise ValueError("is blank: name the tag")
    if value != value.strip():
        raise ValueError(f"'{value}' has spaces at its start or end")
    if "\ufffd" in value:
        raise ValueError(f"'{value}' contains U+FFFD, what bytes that were not UTF-8 text became")
    return value


# A tag name wherever one is given (tag rules, blocks, conditions, tags by hand); lengths stay with each field.
TagText = Annotated[str, AfterValidator(check_tag)]


def nul_paths(value: Any, path: str = "") -> Iterator[str]:
    """Where a JSON-like value (dicts, lists, strings, numbers) holds a NUL character, in a key or a string:
    dotted paths such as 'steps.2.subject' ('' for the value itself). Depth is bounded by the caller."""
    if isinstance(value, str):
        if "\x00" in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and "\x00" in key:
                yield where.replace("\x00", "\\u0000")
            else:
                yield from nul_paths(item, where)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from nul_paths(item, f"{path}.{index}" if path else str(index))


def nul_problem(value: Any) -> str | None:
    """The sentence for the first NUL character in a JSON-like value (a body, a YAML file's data), or None; the
    one check for anything that reaches the database as text or JSON, which PostgreSQL refuses to store."""
    where = next(nul_paths(value), None)
    if where is None:
        return None
    return f"{where or 'the value'} contains a NUL character (\\u0000), which cannot be stored"


def depth_of(value: Any, limit: int) -> int:
    """How deeply a JSON-like value nests (a scalar is 0, [] or {} is 1), counted up to `limit` + 1 at most, so
    a hostile value costs no more than the limit to measure."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict | list | tuple):
            level += 1
            deepest = max(deepest, level)
            if level > limit:
                return level
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, level) for child in children)
    return deepest


def check_properties(properties: dict[str, Any]) -> dict[str, Any]:
    """An event's properties if they fit: at most MAX_PROPERTIES_BYTES of compact JSON, MAX_PROPERTIES_DEPTH levels,
    keys of at most MAX_PROPERTY_KEY characters, no NUL character. ValueError naming the size and the limit."""
    if depth_of(properties, MAX_PROPERTIES_DEPTH) > MAX_PROPERTIES_DEPTH:
        raise ValueError(f"nest deeper than {MAX_PROPERTIES_DEPTH} levels")
    size = len(json.dumps(properties, ensure_ascii=False, separators=(",", ":"), default=str).encode())
    if size > MAX_PROPERTIES_BYTES:
        limit = f"{MAX_PROPERTIES_BYTES:,} bytes ({MAX_PROPERTIES_BYTES // 1024} KB)"
        raise ValueError(f"are {size:,} bytes of JSON; the limit is {limit}")
    if long := next((key for key in _keys(properties) if len(key) > MAX_PROPERTY_KEY), None):
        raise ValueError(f"key '{long[:20]}…' is longer than {MAX_PROPERTY_KEY} characters")
    if problem := nul_problem(properties):
        raise ValueError(problem)
    return properties


def _keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)
