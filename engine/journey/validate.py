"""Checking a journey: every problem at once, each a sentence naming the block at fault.

One validation serves `memberflow journey validate`, `journey publish` and `POST /api/journeys`: parsing, the
checks on the journey itself, and, given the shop's data (engine.journey.store.shop_data), the templates, coupons
and tags it names. No database access here: the caller reads the shop's data once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from engine.cron import cron_problem
from engine.errors import BOUND_WORDS, Invalid
from engine.journey.base import BlockBase, ConditionBase, Problem, ShopData
from engine.journey.events import EventMatch, Goal
from engine.journey.language import (
    JOURNEY_KEY,
    BirthdayTrigger,
    EventTrigger,
    JourneyDefinition,
    ScheduleTrigger,
    Trigger,
)
from engine.journey.registry import blocks, conditions

# Keys whose lists hold blocks (IfElse accepts its "else" branch as "otherwise" too, Branch calls it that).
BLOCK_LISTS = frozenset({"steps", "then", "else", "otherwise", "happened", "timed_out"})

Loc = list[str | int]


# --- Parse errors: pydantic's error list, located and said in plain words -------------------------------------------


def parse_journey(raw: Any) -> JourneyDefinition:
    """Validate raw data (from JSON or YAML); raises Invalid with every problem, each on the block at fault."""
    try:
        return JourneyDefinition.model_validate(raw)
    except ValidationError as exc:
        raise Invalid([str(p) for p in problems_from(exc, raw)]) from None


def problems_from(error: ValidationError, raw: Any) -> list[Problem]:
    """One Problem per pydantic error of `JourneyDefinition.model_validate(raw)`, on the innermost enclosing block."""
    located = [(detail, *locate(raw, detail["loc"])) for detail in error.errors()]
    return [Problem(block=block, message=describe(detail, fields)) for detail, block, fields in located]


def locate(raw: Any, loc: Sequence[str | int]) -> tuple[str | None, Loc]:
    """(id of the innermost block on the way down `loc`, the fields from that block to the error)."""
    block: str | None = None
    fields: Loc = []
    current: Any = raw
    entered = False  # just stepped into a block, condition or trigger: pydantic names its tag next
    for step in loc:
        if entered and isinstance(current, dict) and step in (current.get("type"), current.get("kind")):
            entered = False  # the tag of the union member pydantic chose (it can equal a field: kind 'attribute')
            continue
        if isinstance(current, dict) and step in current:
            current = current[step]
            fields.append(step)
        elif isinstance(current, list) and isinstance(step, int) and 0 <= step < len(current):
            holder = fields[-1] if fields else None
            current = current[step]
            if holder in BLOCK_LISTS and isinstance(current, dict) and isinstance(current.get("id"), str):
                block, fields = current["id"], []
            else:
                fields.append(step)
        else:
            current = None  # a missing field, or a value of the wrong shape: name it and stop descending
            fields.append(step)
        entered = isinstance(current, dict)
    return block, fields


def dotted(fields: Loc) -> str:
    """e.g. paths[0].condition.of[1].days"""
    text = ""
    for field in fields:
        text += f"[{field}]" if isinstance(field, int) else f".{field}" if text else field
    return text


def describe(detail: ErrorDetails, fields: Loc) -> str:
    kind, name, ctx, value = detail["type"], dotted(fields), detail.get("ctx", {}), detail["input"]
    if kind == "missing":
        return f"{name} is required"
    if kind == "extra_forbidden":
        return _at(dotted(fields[:-1]), f"unknown field '{fields[-1]}'" if fields else "unknown field")
    if kind == "union_tag_invalid":
        return _at(name, _unknown_tag(ctx, fields))
    if kind == "union_tag_not_found":
        return f"{dotted([*fields, _discriminator(ctx)])} is required"
    if kind in BOUND_WORDS:
        key, words = BOUND_WORDS[kind]
        return f"{name} must be {words} {ctx.get(key)} (it is {value!r})"
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return f"{name} must not be empty"
    if kind == "string_too_short":
        return f"{name} needs at least {ctx.get('min_length')} characters"
    if kind == "string_too_long":
        return f"{name} must be at most {ctx.get('max_length')} characters long"
    if kind == "too_short" and ctx.get("min_length") == 1:
        return f"{name} must not be empty"
    if kind == "too_short":
        return f"{name} needs at least {ctx.get('min_length')} item(s)"
    if kind == "literal_error":
        return f"{name} must be {ctx.get('expected')}, not {value!r}"
    if kind in ("time_parsing", "time_type"):
        return f"{name} must be a time of day such as 09:30, not {value!r}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"{name or 'a journey'} must be a mapping of settings (key: value), not {_shape(value)}"
    if kind == "list_type":
        return f"{name} must be a list, not {_shape(value)}"
    if kind == "value_error" and fields == ["id"]:
        return _plain(detail["msg"])  # the block id validator's sentence already quotes the id
    return _at(name, _plain(detail["msg"]))


def _at(name: str, message: str) -> str:
    return f"{name}: {message}" if name else message


def _plain(message: str) -> str:
    """pydantic's message as part of a sentence: no "Value error, " prefix, no redundant parsing detail."""
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    message = re.sub(r", unable to parse string as an? \w+$", "", message)
    return message[:1].lower() + message[1:]


def _shape(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the text {value!r}"
    return f"{type(value).__name__} {value!r}"


def _discriminator(ctx: dict[str, Any]) -> str:
    return str(ctx.get("discriminator", "type")).strip("'")  # pydantic quotes it: "'kind'"


def _unknown_tag(ctx: dict[str, Any], fields: Loc) -> str:
    """e.g. unknown block type 'send_fax'; known types are add_tag, branch, …"""
    discriminator = _discriminator(ctx)
    expected = set(re.findall(r"'([^']*)'", str(ctx.get("expected_tags", ""))))
    if expected == set(blocks()):
        noun = "block"
    elif expected == set(conditions()):
        noun = "condition"
    else:
        noun = next((field for field in reversed(fields) if isinstance(field, str)), "")
    what = f"{noun} {discriminator}".strip()
    return f"unknown {what} '{ctx.get('tag')}'; known {discriminator}s are {', '.join(sorted(expected))}"


# --- Semantic checks on a parsed journey ----------------------------------------------------------------------------


def validate(journey: JourneyDefinition, known_events: set[str], shop: ShopData | None = None) -> list[Problem]:
    """Every problem pydantic cannot see, in document order: settings first, then the blocks. With `shop`, also
    what only the shop's data can show (a coupon or message template that does not exist), on its block."""
    shop = shop or ShopData()
    settings = [Problem(block=None, message=message) for message in setting_problems(journey, known_events, shop)]
    return settings + list(step_problems(journey.steps, known_events, shop))


def check_journey(
    raw: Any, known_events: set[str], shop: ShopData | None = None
) -> tuple[JourneyDefinition | None, list[Problem]]:
    """Parse, then validate; bad input gives (None, its problems), never an exception."""
    try:
        journey = JourneyDefinition.model_validate(raw)
    except ValidationError as error:
        return None, problems_from(error, raw)
    return journey, validate(journey, known_events, shop)


def setting_problems(journey: JourneyDefinition, known_events: set[str], shop: ShopData) -> Iterator[str]:
    if not JOURNEY_KEY.match(journey.key):
        yield f"id '{journey.key}' is not a journey id: use lowercase letters, digits, - and _ (at most 64)"
    yield from trigger_problems(journey.trigger, known_events, shop)
    reentry = journey.reentry
    if reentry.min_gap_days > 0 and reentry.policy != "always":
        yield f"reentry: min_gap_days only applies when policy is 'always' (it is '{reentry.policy}')"
    if isinstance(journey.trigger, BirthdayTrigger) and reentry.policy == "never":
        yield "reentry: a birthday journey with policy 'never' greets each member only once in their life; use 'always'"
    if journey.goal is not None:
        yield from (f"goal: {message}" for message in journey.goal.match.problems(known_events))
        if journey.goal.within_days <= 0:
            yield f"goal: within_days must be more than 0 (it is {journey.goal.within_days})"
    if journey.audience is not None:
        audience = condition_problems(journey.audience, known_events, shop)
        yield from (f"audience: {message}" for message in audience)
        yield from (f"audience: {message}" for message in entry_condition_problems(journey.audience))
    if not journey.steps:
        yield "the journey has no steps: add at least one block"


def trigger_problems(trigger: Trigger, known_events: set[str], shop: ShopData) -> Iterator[str]:
    if isinstance(trigger, EventTrigger):
        yield from (f"trigger: {message}" for message in trigger.match.problems(known_events))
    if isinstance(trigger, ScheduleTrigger):
        if reason := cron_problem(trigger.cron):
            yield f"trigger.cron '{trigger.cron}' is not valid: {reason}"
        if trigger.audience is None:
            yield "trigger: a schedule needs an audience, or every member would be enrolled each time it fires"
        else:
            audience = condition_problems(trigger.audience, known_events, shop)
            audience += entry_condition_problems(trigger.audience)
            yield from (f"trigger.audience: {message}" for message in audience)


def step_problems(steps: Sequence[BlockBase], known_events: set[str], shop: ShopData) -> Iterator[Problem]:
    seen: set[str] = set()
    for block, exit_before in in_order(steps):
        if block.id in seen:
            message = f"block id '{block.id}' is used by an earlier block too; give each block its own id"
            yield Problem(block=block.id, message=message)
        seen.add(block.id)
        if exit_before is not None:
            message = f"unreachable: block '{block.id}' comes after the exit '{exit_before}' in the same path"
            yield Problem(block=block.id, message=message)
        yield from (Problem(block=block.id, message=message) for message in block_problems(block, known_events, shop))


def in_order(blocks: Sequence[BlockBase]) -> Iterator[tuple[BlockBase, str | None]]:
    """Every block, nested ones right after their parent, with the id of an exit earlier in its own sequence."""
    exit_before: str | None = None
    for block in blocks:
        yield block, exit_before
        for _, branch in block.branches():
            yield from in_order(branch)
        if block.ends_journey and exit_before is None:
            exit_before = block.id


def block_problems(block: BlockBase, known_events: set[str], shop: ShopData) -> Iterator[str]:
    """The block's own check, then its conditions and event matches (not those of the blocks it holds), then what
    the shop's data shows."""
    yield from block.check()
    for where, part in settings_in(block, ""):
        if isinstance(part, ConditionBase):
            yield from (f"{where}: {message}" for message in condition_problems(part, known_events, shop))
        else:
            yield from (f"{where}: {message}" for message in part.problems(known_events))
    yield from block.publish_problems(shop)


def settings_in(model: BaseModel, prefix: str) -> Iterator[tuple[str, ConditionBase | EventMatch]]:
    """(field path, value) of each condition and event match in a block, found by walking its fields."""
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        where = f"{prefix}.{field.alias or name}" if prefix else field.alias or name
        items = enumerate(value) if isinstance(value, list | tuple) else [(None, value)]
        for index, item in items:
            at = where if index is None else f"{where}[{index}]"
            if isinstance(item, ConditionBase | EventMatch):
                yield at, item
            elif isinstance(item, Goal):  # e.g. a split's own conversion
                yield at, item.match
            elif isinstance(item, BaseModel) and not isinstance(item, BlockBase):
                yield from settings_in(item, at)


def condition_problems(condition: ConditionBase, known_events: set[str], shop: ShopData | None = None) -> list[str]:
    """The condition's own check, unknown event types and (given `shop`) what the shop's data shows, then those of
    its parts; each sentence once."""
    found = list(condition.check())
    for event in sorted(condition.event_types()):
        found += EventMatch(event=event).problems(known_events)
    found += condition.publish_problems(shop or ShopData())
    for part in condition.parts():
        found += condition_problems(part, known_events, shop)
    return list(dict.fromkeys(found))


def entry_condition_problems(condition: ConditionBase) -> list[str]:
    """Conditions checked before a member is in the journey cannot ask what happened since they entered."""
    if condition.inside_journey_only:
        return [f"{condition.kind} asks about the time since entering, which has not begun here; use it in a block"]
    return [problem for part in condition.parts() for problem in entry_condition_problems(part)]


# --- Warnings: likely mistakes that do not stop publishing -----------------------------------------------------------


def journey_warnings(journey: JourneyDefinition, shop: ShopData) -> list[Problem]:
    """Conditions naming a tag the shop has never seen (a typo never matches anyone), on their block. Tags the
    journey's own blocks give count as known; without the shop's tags (None) nothing is said."""
    if shop.tags is None:
        return []
    given = {tag for block, _ in in_order(journey.steps) for tag in block.tags_given()}
    shop = replace(shop, tags=shop.tags | given)
    found: list[Problem] = []
    entry = [("audience", journey.audience)]
    if isinstance(journey.trigger, ScheduleTrigger):
        entry.append(("trigger.audience", journey.trigger.audience))
    for where, condition in entry:
        if condition is not None:
            found += [Problem(block=None, message=f"{where}: {w}") for w in condition_warnings(condition, shop)]
    for block, _ in in_order(journey.steps):
        for where, part in settings_in(block, ""):
            if isinstance(part, ConditionBase):
                found += [Problem(block=block.id, message=f"{where}: {w}") for w in condition_warnings(part, shop)]
    return found


def condition_warnings(condition: ConditionBase, shop: ShopData) -> list[str]:
    found = condition.publish_warnings(shop)
    for part in condition.parts():
        found += condition_warnings(part, shop)
    return list(dict.fromkeys(found))
