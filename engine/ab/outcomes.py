"""What became of each member a split assigned, and what the journey did and cost in each arm: a query reads the
rows (`outcome_rows`, `journey_activity`), a pure function turns them into numbers (`measure_outcomes`,
`secondary`).

Outcomes are measured per member from their first assignment: converted if the split's conversion event (the
block's own, else the journey's goal, else an order within 30 days) happened within the window after it; revenue
is the sum of their orders placed in that window. "Within N days" is calendar days in the shop's zone, as every
day count (engine.clock): from the assignment to the end of the Nth local day after its day.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import select
from sqlmodel import Session, col

from engine import clock
from engine.analytics.campaign_effect import CENT, roi
from engine.db import id_batches
from engine.files.csv_cells import safe_row
from engine.journey.events import Goal
from engine.models import Coupon, Event, Member, Message, Order, PointsEntry, SplitAssignment
from engine.rewards.points import load_rules


@dataclass(frozen=True, slots=True)
class Assigned:
    """A member's (first) assignment by a split block."""

    member_id: int
    member_key: str
    group: str  # split, test (measured in "test, then send the winner"), rest (held until the decision)
    arm: str | None
    assigned_at: datetime


@dataclass(frozen=True, slots=True)
class OutcomeRows:
    """What `measure_outcomes` reads: the assignments in assignment order, and per member id the conversion events
    (occurred_at, properties) and orders (placed_at, amount) between the first assignment and the last window's
    end."""

    assigned: list[Assigned]
    events: dict[int, list[tuple[datetime, dict[str, Any]]]] = field(default_factory=dict)
    orders: dict[int, list[tuple[datetime, Decimal]]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Outcome:
    member_id: int
    member_key: str
    group: str
    arm: str | None
    assigned_at: datetime
    converted_at: datetime | None  # the first conversion in the window
    revenue: Decimal  # orders placed in the window, in the shop's currency


def window_end(assigned_at: datetime, conversion: Goal, zone: ZoneInfo) -> datetime:
    """The end (exclusive) of the conversion window: the end of the `within_days`-th local day after the
    assignment's day in `zone`."""
    return clock.end_of_day_after(assigned_at, conversion.within_days, zone)


def outcome_rows(
    session: Session, journey_id: int, block_id: str, conversion: Goal, groups: tuple[str, ...], zone: ZoneInfo
) -> OutcomeRows:
    """Query: the block's assignments of these groups, then the conversion events and orders of those members that
    can fall in one of their windows (read in batches of ids)."""
    assigned = [
        Assigned(a.member_id, member_key, a.group, a.arm, a.assigned_at)
        for a, member_key in session.execute(
            select(SplitAssignment, col(Member.external_id))
            .join(Member, col(Member.id) == col(SplitAssignment.member_id))
            .where(
                col(SplitAssignment.journey_id) == journey_id,
                col(SplitAssignment.block_id) == block_id,
                col(SplitAssignment.group).in_(groups),
            )
            .order_by(col(SplitAssignment.assigned_at), col(SplitAssignment.id))
        ).all()
    ]
    rows = OutcomeRows(assigned)
    if not assigned:
        return rows
    start = min(a.assigned_at for a in assigned)
    end = max(window_end(a.assigned_at, conversion, zone) for a in assigned)
    for chunk in id_batches([a.member_id for a in assigned]):
        for member_id, occurred_at, properties in session.execute(
            select(col(Event.member_id), col(Event.occurred_at), col(Event.properties)).where(
                col(Event.member_id).in_(chunk),
                col(Event.type) == conversion.event,
                col(Event.occurred_at) >= start,
                col(Event.occurred_at) < end,
            )
        ):
            rows.events.setdefault(member_id, []).append((occurred_at, properties))
        for member_id, placed_at, amount in session.execute(
            select(col(Order.member_id), col(Order.placed_at), col(Order.amount)).where(
                col(Order.member_id).in_(chunk), col(Order.placed_at) >= start, col(Order.placed_at) < end
            )
        ):
            rows.orders.setdefault(member_id, []).append((placed_at, amount))
    return rows


def measure_outcomes(rows: OutcomeRows, conversion: Goal, zone: ZoneInfo) -> list[Outcome]:
    """Pure: each assigned member's outcome, in assignment order. Converted at the first event of the conversion's
    type that matches its properties within [assigned_at, window end); revenue is the sum of the orders placed in
    that window. Events and orders outside it, or of other members, count for nothing."""
    found = []
    for a in rows.assigned:
        ends = window_end(a.assigned_at, conversion, zone)
        converted = sorted(
            at for at, properties in rows.events.get(a.member_id, [])
            if a.assigned_at <= at < ends and conversion.match.matches(conversion.event, properties)
        )  # fmt: skip
        in_window = (amount for at, amount in rows.orders.get(a.member_id, []) if a.assigned_at <= at < ends)
        revenue = sum(in_window, Decimal(0))
        found.append(Outcome(a.member_id, a.member_key, a.group, a.arm, a.assigned_at,
                             converted[0] if converted else None, revenue))  # fmt: skip
    return found


def outcomes(
    session: Session, journey_id: int, block_id: str, conversion: Goal, groups: tuple[str, ...] = ("split", "test"),
    zone: ZoneInfo | None = None,
) -> list[Outcome]:  # fmt: skip
    """Every assigned member of these groups with their outcome so far, in assignment order; the conversion window
    counts calendar days in `zone` (default: the shop's)."""
    zone = zone or clock.shop_zone()
    return measure_outcomes(outcome_rows(session, journey_id, block_id, conversion, groups, zone), conversion, zone)


OUTCOME_COLUMNS = ("member_id", "group", "arm", "assigned_at", "converted", "converted_at", "revenue")


def write_outcomes_csv(handle: TextIO, found: list[Outcome]) -> None:
    """One row per assigned member, so an analyst can redo the analysis in a spreadsheet (cells made safe to open
    there: engine.files.csv_cells)."""
    writer = csv.writer(handle)
    writer.writerow(OUTCOME_COLUMNS)
    for o in found:
        converted_at = "" if o.converted_at is None else o.converted_at.isoformat()
        converted = int(o.converted_at is not None)
        writer.writerow(safe_row([o.member_key, o.group, o.arm, o.assigned_at.isoformat(), converted, converted_at,
                                  o.revenue]))  # fmt: skip


# --- what the journey did in each arm -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JourneyMessage:
    member_id: int
    created_at: datetime
    status: str  # queued, sending, sent, delivered, failed, skipped
    opened: bool
    clicked: bool
    channel: str
    cost: Decimal  # what the provider charges (SMS), in the shop's currency


@dataclass(frozen=True, slots=True)
class JourneyCoupon:
    member_id: int
    issued_at: datetime
    face_value: Decimal
    redeemed: bool


@dataclass(frozen=True, slots=True)
class JourneyPoints:
    member_id: int
    granted_at: datetime
    points: int


@dataclass(frozen=True, slots=True)
class JourneyActivity:
    """What `secondary` reads: the journey's messages, coupons and points grants for some members, and what a point
    is worth (engine.rewards.points rules, in the shop's currency)."""

    messages: list[JourneyMessage]
    coupons: list[JourneyCoupon]
    grants: list[JourneyPoints]
    point_value: Decimal


def journey_activity(session: Session, journey_id: int, member_ids: list[int]) -> JourneyActivity:
    """Query: the journey's messages, coupons and points grants for these members (read in batches of ids)."""
    activity = JourneyActivity([], [], [], load_rules(session).point_value)
    for chunk in id_batches(member_ids):
        activity.messages.extend(
            JourneyMessage(member_id, created, status, opened is not None, clicked is not None, channel, cost)
            for member_id, created, status, opened, clicked, channel, cost in session.execute(
                select(col(Message.member_id), col(Message.created_at), col(Message.status),
                       col(Message.first_opened_at), col(Message.first_clicked_at), col(Message.channel),
                       col(Message.cost))
                .where(col(Message.journey_id) == journey_id, col(Message.member_id).in_(chunk))
            )
        )  # fmt: skip
        activity.coupons.extend(
            JourneyCoupon(member_id, issued, face_value, redeemed is not None)
            for member_id, issued, face_value, redeemed in session.execute(
                select(col(Coupon.member_id), col(Coupon.issued_at), col(Coupon.face_value),
                       col(Coupon.redeemed_order_id))
                .where(col(Coupon.journey_id) == journey_id, col(Coupon.member_id).in_(chunk))
            )
        )  # fmt: skip
        activity.grants.extend(
            JourneyPoints(member_id, created, points)
            for member_id, created, points in session.execute(
                select(col(PointsEntry.member_id), col(PointsEntry.created_at), col(PointsEntry.points)).where(
                    col(PointsEntry.journey_id) == journey_id, col(PointsEntry.member_id).in_(chunk),
                    col(PointsEntry.kind) == "grant",
                )
            )
        )  # fmt: skip
    return activity


class ArmSecondary(BaseModel):
    """Shown, not decided on: what the journey did to the arm's members from their assignment on, and its return."""

    arm: str
    users: int
    messages_sent: int = 0
    opened: int = 0
    clicked: int = 0
    coupons_issued: int = 0
    coupons_redeemed: int = 0
    redemption_rate: float | None = None
    revenue: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)
    roi: float | None = None


def secondary(found: list[Outcome], arms: list[str], activity: JourneyActivity) -> list[ArmSecondary]:
    """Pure: per arm, for the arm's measured members and what happened to each from their assignment on: messages
    sent (sent or delivered) / opened / clicked, coupons issued / redeemed (核销率), revenue in the window, cost
    (redeemed coupons' face value + points granted × point value + SMS cost, to the cent) and ROI
    (engine.analytics.campaign_effect.roi). Activity of members without an arm, or before their assignment, is not
    counted."""
    since = {o.member_id: o.assigned_at for o in found if o.arm is not None}
    arm_of = {o.member_id: o.arm for o in found if o.arm is not None}
    rows = {arm: ArmSecondary(arm=arm, users=sum(o.arm == arm for o in found)) for arm in arms}

    def row_of(member_id: int, at: datetime) -> ArmSecondary | None:
        row = rows.get(arm_of.get(member_id) or "")
        return row if row is not None and at >= since[member_id] else None

    for o in found:
        if o.arm in rows:
            rows[o.arm].revenue += o.revenue
    for message in activity.messages:
        if (row := row_of(message.member_id, message.created_at)) is not None:
            row.messages_sent += message.status in ("sent", "delivered")
            row.opened += message.opened
            row.clicked += message.clicked
            row.cost += message.cost if message.channel == "sms" else Decimal(0)
    for coupon in activity.coupons:
        if (row := row_of(coupon.member_id, coupon.issued_at)) is not None:
            row.coupons_issued += 1
            if coupon.redeemed:
                row.coupons_redeemed += 1
                row.cost += coupon.face_value
    for grant in activity.grants:
        if (row := row_of(grant.member_id, grant.granted_at)) is not None:
            row.cost += grant.points * activity.point_value
    for row in rows.values():
        row.cost, row.revenue = row.cost.quantize(CENT), row.revenue.quantize(CENT)
        row.roi = roi(row.revenue, row.cost)
        row.redemption_rate = row.coupons_redeemed / row.coupons_issued if row.coupons_issued else None
    return list(rows.values())
