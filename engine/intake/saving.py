"""Saving members, orders and events: upsert on the shop's ids, each new fact recorded once as a member event.

Every function takes one batch of validated records and returns one `Outcome` per record, in order. They
never commit: the caller's transaction decides, so a batch is written whole or not at all. New orders then redeem
the coupon code they carry and earn points, in the same transaction (engine.rewards: rewards never import intake).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import bindparam, select, update
from sqlmodel import Session, col

from engine.db import insert_new
from engine.intake.records import EventRecord, MemberRecord, OrderRecord
from engine.models import Event, Member, MemberTag, Order, Tag, table_of
from engine.rewards.coupons import redeem_orders
from engine.rewards.points import earn_for_orders
from engine.settings import get_settings

Status = Literal["inserted", "updated", "unchanged", "rejected"]
MEMBER_FIELDS = ("name", "email", "phone", "birthday", "gender", "city", "timezone", "registered_at")
ORDER_FIELDS = ("placed_at", "amount", "category", "channel", "coupon_code")


@dataclass(frozen=True, slots=True)
class Outcome:
    key: str
    status: Status
    reason: str | None = None
    conflict: bool = False  # the key exists with different content (HTTP 409), rather than a bad reference


class RepeatGuard:
    """Remembers each key's content and position the first time a file or request gives it.

    A later repeat with the same content is harmless ("unchanged"); with other content it is rejected, since
    we cannot know which of the two the shop meant.
    """

    def __init__(self, noun: str, where: str = "line") -> None:
        self._noun = noun
        self._where = where
        self._first: dict[str, tuple[int, int]] = {}

    def check(self, key: str, content_hash: int, position: int) -> Outcome | None:
        first = self._first.setdefault(key, (content_hash, position))
        if first == (content_hash, position):
            return None
        if first[0] == content_hash:
            return Outcome(key, "unchanged")
        return Outcome(
            key, "rejected", f"{self._noun} {key} appeared before on {self._where} {first[1]} with different content"
        )


def save_members(
    session: Session, records: Sequence[MemberRecord], *, source: str, added_by: str | None, now: datetime
) -> list[Outcome]:
    existing = {
        member.external_id: member
        for member in session.scalars(select(Member).where(col(Member.external_id).in_([r.member_id for r in records])))
    }
    statuses: list[Status] = []
    members: list[Member] = []
    for record in records:
        member = existing.get(record.member_id)
        if member is None:
            member = Member(external_id=record.member_id, created_at=now, updated_at=now)
            _apply_member(member, record, now)
            session.add(member)
            existing[record.member_id] = member
            statuses.append("inserted")
        elif _apply_member(member, record, now):
            member.updated_at = now
            statuses.append("updated")
        else:
            statuses.append("unchanged")
        members.append(member)
    session.flush()

    events: list[dict[str, Any]] = [
        _event_row(
            member.id, "signup", {"source": source}, member.registered_at or now, f"signup:{member.external_id}", now
        )
        for member, status in zip(members, statuses, strict=True)
        if status == "inserted"
    ]
    tagged = _add_tags(session, members, records, source=source, added_by=added_by, now=now, events=events)
    insert_new(session, table_of(Event), events, "idempotency_key")
    return [
        Outcome(r.member_id, "updated" if status == "unchanged" and member.id in tagged else status)
        for r, member, status in zip(records, members, statuses, strict=True)
    ]


def _apply_member(member: Member, record: MemberRecord, now: datetime) -> bool:
    """Copy what the record gives onto the member; True if anything changed."""
    changed = False
    for field in MEMBER_FIELDS:
        if field in record.model_fields_set and getattr(member, field) != (value := getattr(record, field)):
            setattr(member, field, value)
            changed = True
    for consent, opted_out in (("email_consent", "email_opted_out_at"), ("sms_consent", "sms_opted_out_at")):
        given = getattr(record, consent)
        if given is True and getattr(member, opted_out) is not None:
            setattr(member, opted_out, None)
            changed = True
        elif given is False and getattr(member, opted_out) is None:
            setattr(member, opted_out, now)
            changed = True
    return changed


def _add_tags(
    session: Session,
    members: list[Member],
    records: Sequence[MemberRecord],
    *,
    source: str,
    added_by: str | None,
    now: datetime,
    events: list[dict[str, Any]],
) -> set[int]:
    """Add the tags each record names (tags are only ever added here); returns the ids of members that got one."""
    wanted = {name for record in records for name in record.tags}
    if not wanted:
        return set()
    tag_ids = {tag.name: tag.id for tag in session.scalars(select(Tag).where(col(Tag.name).in_(wanted)))}
    for name in sorted(wanted - tag_ids.keys()):
        tag = Tag(name=name, created_at=now)
        session.add(tag)
        session.flush()
        tag_ids[name] = tag.id
    member_ids = [m.id for m in members]
    have: set[tuple[int, int]] = {
        (member_id, tag_id)
        for member_id, tag_id in session.execute(
            select(col(MemberTag.member_id), col(MemberTag.tag_id)).where(col(MemberTag.member_id).in_(member_ids))
        )
    }
    tagged: set[int] = set()
    for member, record in zip(members, records, strict=True):
        assert member.id is not None
        for name in record.tags:
            tag_id = tag_ids[name]
            assert tag_id is not None
            pair = (member.id, tag_id)
            if pair in have:
                continue
            have.add(pair)
            tagged.add(member.id)
            session.add(MemberTag(member_id=member.id, tag_id=pair[1], source=source, added_by=added_by, added_at=now))
            key = f"tag_added:{member.external_id}:{name}:{now.isoformat()}"
            events.append(_event_row(member.id, "tag_added", {"tag": name, "source": source}, now, key, now))
    session.flush()
    return tagged


def save_orders(session: Session, records: Sequence[OrderRecord], *, now: datetime) -> list[Outcome]:
    member_ids = _member_ids(session, {r.member_id for r in records})
    stored = {
        row.external_id: row
        for row in session.execute(
            select(col(Order.external_id), *(getattr(Order, f) for f in ORDER_FIELDS)).where(
                col(Order.external_id).in_([r.order_id for r in records])
            )
        )
    }
    outcomes: list[Outcome] = []
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[dict[str, Any]] = []
    for record in records:
        member_id = member_ids.get(record.member_id)
        if member_id is None:
            outcomes.append(Outcome(record.order_id, "rejected", f"member {record.member_id} does not exist"))
            continue
        values = {"member_id": member_id, **{f: getattr(record, f) for f in ORDER_FIELDS}}
        current = stored.get(record.order_id)
        if current is None:
            new_rows.append({"external_id": record.order_id, "created_at": now, **values})
            outcomes.append(Outcome(record.order_id, "inserted"))
        elif all(getattr(current, f) == values[f] for f in ORDER_FIELDS):
            outcomes.append(Outcome(record.order_id, "unchanged"))
        else:
            changed_rows.append({"b_external_id": record.order_id, **values})
            outcomes.append(Outcome(record.order_id, "updated"))
    inserted = insert_new(session, table_of(Order), new_rows, "external_id")
    if changed_rows:
        table = table_of(Order)
        statement = update(table).where(table.c.external_id == bindparam("b_external_id"))
        session.execute(statement, changed_rows, execution_options={"synchronize_session": False})
    insert_new(
        session,
        table_of(Event),
        [_order_placed(row, now) for row in new_rows if row["external_id"] in inserted],
        "idempotency_key",
    )
    _rewards_for_new_orders(session, new_rows, inserted, now)
    # An order inserted meanwhile by a concurrent request was not written twice: it is already there.
    return [Outcome(o.key, "unchanged") if o.status == "inserted" and o.key not in inserted else o for o in outcomes]


def _rewards_for_new_orders(
    session: Session, new_rows: list[dict[str, Any]], inserted: set[Any], now: datetime
) -> None:
    """New orders redeem the coupon code they carry (or record why not) and earn points, in the same transaction."""
    fresh = [row for row in new_rows if row["external_id"] in inserted]
    if not fresh:
        return
    if with_codes := [row["external_id"] for row in fresh if row["coupon_code"]]:
        ids = session.scalars(select(col(Order.id)).where(col(Order.external_id).in_(with_codes)))
        redeem_orders(session, [i for i in ids if i is not None], now)
    earn_for_orders(session, [row["external_id"] for row in fresh], now, get_settings().shop_zone)


def _order_placed(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    properties = {
        "order_id": row["external_id"],
        "amount": float(row["amount"]),
        "category": row["category"],
        "channel": row["channel"],
        "coupon_code": row["coupon_code"],
    }
    return _event_row(
        row["member_id"], "order_placed", properties, row["placed_at"], f"order_placed:{row['external_id']}", now
    )


def save_events(session: Session, records: Sequence[EventRecord], *, now: datetime) -> list[Outcome]:
    member_ids = _member_ids(session, {r.member_id for r in records})
    keys = [r.key() for r in records]
    stored = {
        row.idempotency_key: row
        for row in session.execute(
            select(
                col(Event.idempotency_key),
                col(Event.member_id),
                col(Event.type),
                col(Event.properties),
                col(Event.occurred_at),
            ).where(col(Event.idempotency_key).in_(keys))
        )
    }
    outcomes: list[Outcome] = []
    new_rows: list[dict[str, Any]] = []
    for record, key in zip(records, keys, strict=True):
        member_id = member_ids.get(record.member_id)
        if member_id is None:
            outcomes.append(Outcome(key, "rejected", f"member {record.member_id} does not exist"))
            continue
        current = stored.get(key)
        if current is None:
            new_rows.append(_event_row(member_id, record.type, record.properties, record.occurred_at or now, key, now))
            outcomes.append(Outcome(key, "inserted"))
        elif (current.member_id, current.type, current.properties) == (member_id, record.type, record.properties) and (
            record.occurred_at is None or record.occurred_at == current.occurred_at
        ):
            outcomes.append(Outcome(key, "unchanged"))
        else:
            reason = f"idempotency key {key} was already used for a different event"
            outcomes.append(Outcome(key, "rejected", reason, conflict=True))
    inserted = insert_new(session, table_of(Event), new_rows, "idempotency_key")
    return [Outcome(o.key, "unchanged") if o.status == "inserted" and o.key not in inserted else o for o in outcomes]


def _member_ids(session: Session, external_ids: Iterable[str]) -> dict[str, int]:
    rows = session.execute(
        select(col(Member.external_id), col(Member.id)).where(col(Member.external_id).in_(list(external_ids)))
    )
    return {external_id: member_id for external_id, member_id in rows}


def _event_row(
    member_id: int | None, type_: str, properties: dict[str, Any], occurred_at: datetime, key: str, now: datetime
) -> dict[str, Any]:
    return {
        "member_id": member_id,
        "type": type_,
        "properties": properties,
        "occurred_at": occurred_at,
        "idempotency_key": key,
        "recorded_at": now,
    }
