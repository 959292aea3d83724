"""Taking in members, orders and events from the API: drop in-request repeats, save, report each item."""

from __future__ import annotations

from typing import TypeVar

from engine import clock
from engine.db import session_scope
from engine.intake import saving
from engine.intake.records import EventRecord, MemberRecord, OrderRecord
from engine.intake.saving import Outcome, RepeatGuard

R = TypeVar("R", MemberRecord, OrderRecord, EventRecord)


def take_members(records: list[MemberRecord], *, added_by: str) -> list[Outcome]:
    unique, repeats = _first_of_each(records)
    with session_scope() as session:
        saved = saving.save_members(session, unique, source="api", added_by=added_by, now=clock.now())
    return _merge(saved, repeats, len(records))


def take_orders(records: list[OrderRecord]) -> list[Outcome]:
    unique, repeats = _first_of_each(records)
    with session_scope() as session:
        saved = saving.save_orders(session, unique, now=clock.now())
    return _merge(saved, repeats, len(records))


def take_events(records: list[EventRecord]) -> list[Outcome]:
    unique, repeats = _first_of_each(records)
    with session_scope() as session:
        saved = saving.save_events(session, unique, now=clock.now())
    return _merge(saved, repeats, len(records))


def _key(record: MemberRecord | OrderRecord | EventRecord) -> tuple[str, str]:
    if isinstance(record, EventRecord):
        return "idempotency key", record.key()
    if isinstance(record, OrderRecord):
        return "order_id", record.order_id
    return "member_id", record.member_id


def _first_of_each(records: list[R]) -> tuple[list[R], dict[int, Outcome]]:
    """Keep each key's first record; a repeat with the same content is unchanged, with other content rejected."""
    if not records:
        return [], {}
    guard = RepeatGuard(_key(records[0])[0], where="item")
    unique: list[R] = []
    repeats: dict[int, Outcome] = {}
    for index, record in enumerate(records):
        if (repeat := guard.check(_key(record)[1], record.content_hash(), index)) is not None:
            repeats[index] = repeat
        else:
            unique.append(record)
    return unique, repeats


def _merge(saved: list[Outcome], repeats: dict[int, Outcome], total: int) -> list[Outcome]:
    pending = iter(saved)
    return [repeats[index] if index in repeats else next(pending) for index in range(total)]
