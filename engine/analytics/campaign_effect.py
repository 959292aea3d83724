"""Campaign effect (活动效果) per journey and per block, straight from the raw rows.

- entered: entries of the journey; for a block, entries that passed it.
- sent / delivered / opened / clicked / failed / skipped: its messages (opened: the pixel loaded or a link was
  clicked; sent counts delivered ones too).
- converted members / orders / revenue: goal conversions of those entries (for a block: reached after passing it).
- cost: face value of its coupons that were redeemed + its points granted × the points rules' point value + the
  cost of its SMS. ROI = (revenue − cost) / cost, empty when nothing was spent.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import case, func, select
from sqlmodel import Session, col

from engine.errors import NotFound
from engine.models import Conversion, Coupon, Journey, JourneyEntry, JourneyStep, Message, PointsEntry
from engine.rewards.points import load_rules

CENT = Decimal("0.01")


class Effect(BaseModel):
    journey: str
    block: str | None = None  # None: the whole journey
    entered: int = 0
    sent: int = 0
    delivered: int = 0
    opened: int = 0
    clicked: int = 0
    failed: int = 0
    skipped: int = 0
    converted_members: int = 0
    converted_orders: int = 0
    revenue: Decimal = Decimal(0)
    coupon_cost: Decimal = Decimal(0)
    points_cost: Decimal = Decimal(0)
    sms_cost: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)
    roi: float | None = None


def roi(revenue: Decimal, cost: Decimal) -> float | None:
    """(revenue − cost) / cost; None when nothing was spent."""
    return None if cost == 0 else float((revenue - cost) / cost)


def campaign_effect(session: Session, journey_key: str) -> list[Effect]:
    """The journey's row first, then one row per block that has anything to count, by block id."""
    journey_id = session.scalar(select(col(Journey.id)).where(col(Journey.key) == journey_key))
    if journey_id is None:
        raise NotFound([f"journey {journey_key} does not exist"])
    blocks: dict[str | None, dict[str, Any]] = defaultdict(dict)
    for block, counts in _message_counts(session, journey_id).items():
        for field, value in counts.items():
            blocks[block][field] = value
            blocks[None][field] = blocks[None].get(field, 0) + value
    for block, value in _coupon_costs(session, journey_id).items():
        blocks[block]["coupon_cost"] = value
        blocks[None]["coupon_cost"] = blocks[None].get("coupon_cost", Decimal(0)) + value
    point_value = load_rules(session).point_value
    for block, points in _points_granted(session, journey_id).items():
        blocks[block]["points_cost"] = points * point_value
        blocks[None]["points_cost"] = blocks[None].get("points_cost", Decimal(0)) + points * point_value
    for block, (entered, members, orders, revenue) in _passed_and_converted(session, journey_id).items():
        blocks[block] |= {"entered": entered, "converted_members": members, "converted_orders": orders,
                          "revenue": revenue}  # fmt: skip
    blocks[None] |= dict(zip(("entered", "converted_members", "converted_orders", "revenue"),
                             _journey_conversions(session, journey_id), strict=True))  # fmt: skip
    effects = []
    for block in [None, *sorted(b for b in blocks if b is not None)]:
        row = Effect(journey=journey_key, block=block, **blocks[block])
        row.cost = (row.coupon_cost + row.points_cost + row.sms_cost).quantize(CENT)
        row.revenue, row.roi = row.revenue.quantize(CENT), roi(row.revenue, row.cost)
        effects.append(row)
    return effects


def _message_counts(session: Session, journey_id: int) -> dict[str | None, dict[str, Any]]:
    status = col(Message.status)
    rows = session.execute(
        select(
            col(Message.block_id),
            func.sum(case((status.in_(("sent", "delivered")), 1), else_=0)),
            func.sum(case((status == "delivered", 1), else_=0)),
            func.sum(case((col(Message.first_opened_at).is_not(None), 1), else_=0)),
            func.sum(case((col(Message.first_clicked_at).is_not(None), 1), else_=0)),
            func.sum(case((status == "failed", 1), else_=0)),
            func.sum(case((status == "skipped", 1), else_=0)),
            func.coalesce(func.sum(case((col(Message.channel) == "sms", col(Message.cost)), else_=0)), 0),
        )
        .where(col(Message.journey_id) == journey_id)
        .group_by(col(Message.block_id))
    )
    names = ("sent", "delivered", "opened", "clicked", "failed", "skipped")
    return {
        block: {**{n: int(v or 0) for n, v in zip(names, values, strict=True)}, "sms_cost": Decimal(str(sms))}
        for block, *values, sms in rows
    }


def _coupon_costs(session: Session, journey_id: int) -> dict[str | None, Decimal]:
    rows = session.execute(
        select(col(Coupon.block_id), func.sum(col(Coupon.face_value)))
        .where(col(Coupon.journey_id) == journey_id, col(Coupon.redeemed_order_id).is_not(None))
        .group_by(col(Coupon.block_id))
    )
    return {block: Decimal(str(value)) for block, value in rows}


def _points_granted(session: Session, journey_id: int) -> dict[str | None, int]:
    rows = session.execute(
        select(col(PointsEntry.block_id), func.sum(col(PointsEntry.points)))
        .where(col(PointsEntry.journey_id) == journey_id, col(PointsEntry.kind) == "grant")
        .group_by(col(PointsEntry.block_id))
    )
    return {block: int(points) for block, points in rows}


def _passed_and_converted(session: Session, journey_id: int) -> dict[str | None, tuple[int, int, int, Decimal]]:
    """block → (entries that passed it, members / conversions / revenue reached after passing it)."""
    after = col(Conversion.converted_at) >= col(JourneyStep.entered_at)
    rows = session.execute(
        select(
            col(JourneyStep.block_id), func.count(func.distinct(col(JourneyStep.entry_id))),
            func.count(func.distinct(case((after, col(Conversion.member_id))))),
            func.count(func.distinct(case((after, col(Conversion.id))))),
            func.coalesce(func.sum(case((after, col(Conversion.revenue)), else_=0)), 0),
        )
        .outerjoin(Conversion, col(Conversion.entry_id) == col(JourneyStep.entry_id))
        .where(col(JourneyStep.journey_id) == journey_id)
        .group_by(col(JourneyStep.block_id))
    )  # fmt: skip
    return {block: (entered, members, orders, Decimal(str(money))) for block, entered, members, orders, money in rows}


def _journey_conversions(session: Session, journey_id: int) -> tuple[int, int, int, Decimal]:
    entered = session.scalar(
        select(func.count()).select_from(JourneyEntry).where(col(JourneyEntry.journey_id) == journey_id)
    )
    members, orders, revenue = session.execute(
        select(func.count(func.distinct(col(Conversion.member_id))), func.count(),
               func.coalesce(func.sum(col(Conversion.revenue)), 0)).where(col(Conversion.journey_id) == journey_id)
    ).one()  # fmt: skip
    return int(entered or 0), int(members), int(orders), Decimal(str(revenue))
