"""Split blocks over live data: recording assignments, each assigned member's outcome, the analysis of a split, and
the decision of a "test, then send the winner" split.

Outcomes are measured per member from their first assignment: converted if the split's conversion event (the
block's own, else the journey's goal, else an order within 30 days) happened within the window after it; revenue
is the sum of their orders placed in that window. "Within N days" is calendar days in the shop's zone, as every
day count (engine.clock): from the assignment to the end of the Nth local day after its day.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlmodel import Session, col

from engine import clock
from engine.ab.analysis import AnalysisRequest, AnalysisResult, ArmCounts, Metric, analyze
from engine.ab.assign import Group
from engine.analytics.campaign_effect import CENT, roi
from engine.db import id_batches, insert_new
from engine.errors import InputError
from engine.files.csv_cells import safe_row
from engine.journey.events import Goal
from engine.journey.plan import Plan
from engine.journey.store import live_journeys, live_plan
from engine.models import (
    Coupon,
    Event,
    JourneyVersion,
    Member,
    Message,
    Order,
    PointsEntry,
    SplitAssignment,
    SplitDecision,
    table_of,
)
from engine.rewards.points import load_rules

DEFAULT_CONVERSION = Goal(event="order_placed", within_days=30)


class SplitArmSpec(BaseModel):
    """What the analysis needs of an arm (the block's arms without their steps)."""

    name: str
    weight: float
    control: bool = False


class SplitSpec(BaseModel):
    """What the analysis and the decision need of a split block."""

    block_id: str
    arms: list[SplitArmSpec]
    metric: Metric = "conversion"
    conversion: Goal | None = None
    threshold: float = 0.95
    fallback: str | None = None

    @property
    def control(self) -> str:
        return next((arm.name for arm in self.arms if arm.control), self.arms[0].name)

    @classmethod
    def of(cls, config: Mapping[str, Any], block_id: str) -> SplitSpec:
        """The spec of a split block from its configuration as plain data (a plan step's `block`, or the block's
        JSON dump); the arms' steps are not needed and ignored."""
        return cls.model_validate({"block_id": block_id, **{k: v for k, v in config.items() if k in cls.model_fields}})


def record_assignment(
    session: Session, journey_id: int, block_id: str, member_id: int, entry_id: int, group: Group, arm: str | None,
    now: datetime,
) -> SplitAssignment:  # fmt: skip
    """The member's assignment: the first one stays (re-entries and retries find it), else this one is recorded."""
    row = {"journey_id": journey_id, "block_id": block_id, "member_id": member_id, "entry_id": entry_id,
           "group": group, "arm": arm, "assigned_at": now}  # fmt: skip
    insert_new(session, table_of(SplitAssignment), [row], "id", conflict_on=["journey_id", "block_id", "member_id"])
    found = assignment_of(session, journey_id, block_id, member_id)
    assert found is not None
    return found


def assignment_of(session: Session, journey_id: int, block_id: str, member_id: int) -> SplitAssignment | None:
    return session.scalar(
        select(SplitAssignment).where(
            col(SplitAssignment.journey_id) == journey_id,
            col(SplitAssignment.block_id) == block_id,
            col(SplitAssignment.member_id) == member_id,
        )
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    member_id: int
    member_key: str
    group: str
    arm: str | None
    assigned_at: datetime
    converted_at: datetime | None
    revenue: Decimal


def outcomes(
    session: Session, journey_id: int, block_id: str, conversion: Goal, groups: tuple[str, ...] = ("split", "test"),
    zone: ZoneInfo | None = None,
) -> list[Outcome]:  # fmt: skip
    """Every assigned member of these groups with their outcome so far, in assignment order; the conversion window
    counts calendar days in `zone` (default: the shop's)."""
    rows = session.execute(
        select(SplitAssignment, col(Member.external_id))
        .join(Member, col(Member.id) == col(SplitAssignment.member_id))
        .where(
            col(SplitAssignment.journey_id) == journey_id,
            col(SplitAssignment.block_id) == block_id,
            col(SplitAssignment.group).in_(groups),
        )
        .order_by(col(SplitAssignment.assigned_at), col(SplitAssignment.id))
    ).all()
    if not rows:
        return []
    zone = zone or clock.shop_zone()
    until = {a.id: clock.end_of_day_after(a.assigned_at, conversion.within_days, zone) for a, _ in rows}
    start = min(a.assigned_at for a, _ in rows)
    end = max(until.values())
    members = [a.member_id for a, _ in rows]
    events: dict[int, list[tuple[datetime, dict[str, Any]]]] = defaultdict(list)
    orders: dict[int, list[tuple[datetime, Decimal]]] = defaultdict(list)
    for chunk in id_batches(members):
        for member_id, occurred_at, properties in session.execute(
            select(col(Event.member_id), col(Event.occurred_at), col(Event.properties)).where(
                col(Event.member_id).in_(chunk),
                col(Event.type) == conversion.event,
                col(Event.occurred_at) >= start,
                col(Event.occurred_at) < end,
            )
        ):
            events[member_id].append((occurred_at, properties))
        for member_id, placed_at, amount in session.execute(
            select(col(Order.member_id), col(Order.placed_at), col(Order.amount)).where(
                col(Order.member_id).in_(chunk), col(Order.placed_at) >= start, col(Order.placed_at) < end
            )
        ):
            orders[member_id].append((placed_at, amount))
    found = []
    for assignment, member_key in rows:
        since, ends = assignment.assigned_at, until[assignment.id]
        converted = sorted(
            at for at, properties in events[assignment.member_id]
            if since <= at < ends and conversion.match.matches(conversion.event, properties)
        )  # fmt: skip
        revenue = sum((amount for at, amount in orders[assignment.member_id] if since <= at < ends), Decimal(0))
        first = converted[0] if converted else None
        found.append(Outcome(assignment.member_id, member_key, assignment.group, assignment.arm, since, first, revenue))
    return found


def analysis_request(
    spec: SplitSpec, found: list[Outcome], alpha: float = 0.05, sequential: bool = False
) -> AnalysisRequest:
    """Counts per arm from the members' outcomes, in the `memberflow ab analyze` shape."""
    arms = []
    for arm in spec.arms:
        mine = [o for o in found if o.arm == arm.name]
        if spec.metric == "conversion":
            arms.append(
                ArmCounts(name=arm.name, users=len(mine), conversions=sum(o.converted_at is not None for o in mine))
            )
        else:
            values = [float(o.revenue) for o in mine]
            arms.append(
                ArmCounts(name=arm.name, users=len(mine), sum=sum(values), sum_squares=sum(v * v for v in values))
            )
    return AnalysisRequest(
        metric=spec.metric, control=spec.control, alpha=alpha, sequential=sequential,
        weights={arm.name: arm.weight for arm in spec.arms}, arms=arms,
    )  # fmt: skip


def choose_winner(spec: SplitSpec, result: AnalysisResult) -> tuple[str, str]:
    """(winner, why): the arm with the highest chance to beat control if that chance reaches the threshold, else
    the fallback arm (the control unless configured)."""
    chances = [(c.chance_to_win, c.arm) for c in result.comparisons if c.chance_to_win is not None]
    fallback = spec.fallback or spec.control
    if not chances:
        return fallback, f"no arm could be compared with {spec.control}; fallback {fallback}"
    chance, best = max(chances)
    if chance >= spec.threshold:
        return best, f"{best} beats {spec.control} with chance {chance:.1%} ≥ {spec.threshold:.0%}"
    return fallback, f"best arm {best} beats {spec.control} with chance {chance:.1%} < {spec.threshold:.0%}; fallback"


def conversion_of(spec: SplitSpec, plan: Plan) -> Goal:
    return spec.conversion or plan.goal or DEFAULT_CONVERSION


def decide(session: Session, journey_id: int, spec: SplitSpec, plan: Plan, now: datetime) -> SplitDecision:
    """Record the decision from the test group's outcomes now; a decision already recorded (by another member's
    run, on another worker) stands."""
    result = analyze(analysis_request(spec, outcomes(session, journey_id, spec.block_id, conversion_of(spec, plan),
                                                     ("test",))))  # fmt: skip
    winner, why = choose_winner(spec, result)
    row = {"journey_id": journey_id, "block_id": spec.block_id, "winner": winner, "reason": why[:300],
           "analysis": result.pinned(), "decided_at": now}  # fmt: skip
    insert_new(session, table_of(SplitDecision), [row], "id", conflict_on=["journey_id", "block_id"])
    decision = decision_of(session, journey_id, spec.block_id)
    assert decision is not None
    return decision


def decision_of(session: Session, journey_id: int, block_id: str) -> SplitDecision | None:
    return session.scalar(
        select(SplitDecision).where(
            col(SplitDecision.journey_id) == journey_id, col(SplitDecision.block_id) == block_id
        )
    )


def first_assigned_at(session: Session, journey_id: int, block_id: str) -> datetime | None:
    return session.scalar(
        select(col(SplitAssignment.assigned_at))
        .where(col(SplitAssignment.journey_id) == journey_id, col(SplitAssignment.block_id) == block_id)
        .order_by(col(SplitAssignment.assigned_at))
        .limit(1)
    )


def test_users_per_arm(session: Session, journey_id: int, block_id: str) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for arm in session.execute(
        select(col(SplitAssignment.arm)).where(
            col(SplitAssignment.journey_id) == journey_id,
            col(SplitAssignment.block_id) == block_id,
            col(SplitAssignment.group) == "test",
        )
    ).scalars():
        counts[arm] += 1
    return counts


def plan_of_version(session: Session, journey_id: int, version: int) -> Plan:
    row = session.scalar(
        select(JourneyVersion).where(
            col(JourneyVersion.journey_id) == journey_id, col(JourneyVersion.version) == version
        )
    )
    assert row is not None
    return Plan.model_validate(row.plan)


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


def secondary(session: Session, journey_id: int, found: list[Outcome], arms: list[str]) -> list[ArmSecondary]:
    """Per arm: messages sent / opened / clicked, coupons issued / redeemed (核销率), revenue in the window, cost
    (redeemed coupons' face value + points granted × point value + SMS cost) and ROI, for the arm's measured members."""
    since = {o.member_id: o.assigned_at for o in found if o.arm is not None}
    arm_of = {o.member_id: o.arm for o in found if o.arm is not None}
    rows = {arm: ArmSecondary(arm=arm, users=sum(o.arm == arm for o in found)) for arm in arms}
    point_value = load_rules(session).point_value
    for o in found:
        if o.arm in rows:
            rows[o.arm].revenue += o.revenue
    for chunk in id_batches(list(since)):
        mine = (col(Message.journey_id) == journey_id, col(Message.member_id).in_(chunk))
        for member_id, created, status, opened, clicked, channel, cost in session.execute(
            select(col(Message.member_id), col(Message.created_at), col(Message.status), col(Message.first_opened_at),
                   col(Message.first_clicked_at), col(Message.channel), col(Message.cost)).where(*mine)
        ):  # fmt: skip
            row = rows.get(arm_of[member_id] or "")
            if row is None or created < since[member_id]:
                continue
            row.messages_sent += status in ("sent", "delivered")
            row.opened += opened is not None
            row.clicked += clicked is not None
            row.cost += cost if channel == "sms" else Decimal(0)
        coupons = (col(Coupon.journey_id) == journey_id, col(Coupon.member_id).in_(chunk))
        for member_id, issued, face_value, redeemed in session.execute(
            select(col(Coupon.member_id), col(Coupon.issued_at), col(Coupon.face_value),
                   col(Coupon.redeemed_order_id)).where(*coupons)
        ):  # fmt: skip
            row = rows.get(arm_of[member_id] or "")
            if row is None or issued < since[member_id]:
                continue
            row.coupons_issued += 1
            if redeemed is not None:
                row.coupons_redeemed += 1
                row.cost += face_value
        grants = (col(PointsEntry.journey_id) == journey_id, col(PointsEntry.member_id).in_(chunk),
                  col(PointsEntry.kind) == "grant")  # fmt: skip
        for member_id, created, points in session.execute(
            select(col(PointsEntry.member_id), col(PointsEntry.created_at), col(PointsEntry.points)).where(*grants)
        ):
            row = rows.get(arm_of[member_id] or "")
            if row is not None and created >= since[member_id]:
                row.cost += points * point_value
    for row in rows.values():
        row.cost, row.revenue = row.cost.quantize(CENT), row.revenue.quantize(CENT)
        row.roi = roi(row.revenue, row.cost)
        row.redemption_rate = row.coupons_redeemed / row.coupons_issued if row.coupons_issued else None
    return list(rows.values())


class SplitReport(BaseModel):
    journey: str
    block: str
    mode: str
    conversion: Goal
    analysis: AnalysisResult
    secondary: list[ArmSecondary]
    decision: dict[str, Any] | None


def split_spec(plan: Plan, block_id: str) -> tuple[SplitSpec, str]:
    """The split block's spec and mode, or an InputError naming the problem."""
    step = plan.steps.get(block_id)
    if step is None:
        raise InputError([f"journey {plan.journey_key} has no block '{block_id}'"], 404)
    kind = step.block.get("type")
    if kind != "split":
        raise InputError([f"block '{block_id}' of journey {plan.journey_key} is a {kind}, not a split"], 422)
    return SplitSpec.of(step.block, block_id), str(step.block.get("mode", "split"))


@dataclass(frozen=True, slots=True)
class LiveSplit:
    journey_id: int
    spec: SplitSpec
    mode: str
    conversion: Goal
    members: list[Outcome]  # every assigned member, held ones included


def live_split(session: Session, journey_key: str, block_id: str) -> LiveSplit:
    """A live journey's split block and each member it assigned, with their outcome so far."""
    journey, plan = live_plan(session, journey_key)
    spec, mode = split_spec(plan, block_id)
    conversion = conversion_of(spec, plan)
    assert journey.id is not None
    found = outcomes(session, journey.id, block_id, conversion, ("split", "test", "rest"))
    return LiveSplit(journey.id, spec, mode, conversion, found)


def split_report(
    session: Session, journey_key: str, block_id: str, alpha: float = 0.05, sequential: bool = False
) -> tuple[SplitReport, list[Outcome]]:
    """The analysis of a split over live data (test group only in "test, then send the winner"), with the members'
    outcomes for the CSV export."""
    split = live_split(session, journey_key, block_id)
    measured = [o for o in split.members if o.group in ("split", "test")]
    decision = decision_of(session, split.journey_id, block_id)
    report = SplitReport(
        journey=journey_key, block=block_id, mode=split.mode, conversion=split.conversion,
        analysis=analyze(analysis_request(split.spec, measured, alpha, sequential)),
        secondary=secondary(session, split.journey_id, measured, [arm.name for arm in split.spec.arms]),
        decision=None if decision is None else {"winner": decision.winner, "reason": decision.reason,
                                                "decided_at": decision.decided_at.isoformat()},
    )  # fmt: skip
    return report, split.members


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


class DayRates(BaseModel):
    day: str
    rates: dict[str, float | None] = Field(description="Per arm: converted so far / assigned so far, by this day")


def conversion_over_time(
    found: list[Outcome], arms: list[str], zone: ZoneInfo, now: datetime, days: int = 60
) -> list[DayRates]:
    """Per local day from the first assignment to today (the first `days` days): each arm's cumulative conversion
    rate (converted by that day / assigned by that day)."""
    measured = [o for o in found if o.arm in arms]
    if not measured:
        return []
    first = min(o.assigned_at for o in measured).astimezone(zone).date()
    span = min((now.astimezone(zone).date() - first).days + 1, days)
    rows = []
    for offset in range(span):
        day = first + timedelta(days=offset)
        rates: dict[str, float | None] = {}
        for arm in arms:
            mine = [o for o in measured if o.arm == arm and o.assigned_at.astimezone(zone).date() <= day]
            converted = sum(1 for o in mine if o.converted_at and o.converted_at.astimezone(zone).date() <= day)
            rates[arm] = converted / len(mine) if mine else None
        rows.append(DayRates(day=day.isoformat(), rates=rates))
    return rows


class SplitSummary(BaseModel):
    journey: str
    journey_name: str
    block: str
    mode: str
    arms: list[str]
    assigned: int
    winner: str | None


def splits_in_use(session: Session) -> list[SplitSummary]:
    """Every split block of every live journey, with how many members it assigned and any winner."""
    by_block = (col(SplitAssignment.journey_id), col(SplitAssignment.block_id))
    counts = {
        f"{journey_id}:{block_id}": count
        for journey_id, block_id, count in session.execute(select(*by_block, func.count()).group_by(*by_block))
    }
    found = []
    for journey, plan in live_journeys(session):
        for step_id, step in plan.steps.items():
            if step.block.get("type") != "split":
                continue
            decision = decision_of(session, journey.id or 0, step_id)
            found.append(SplitSummary(
                journey=journey.key, journey_name=journey.name, block=step_id, mode=step.block.get("mode", "split"),
                arms=[arm["name"] for arm in step.block["arms"]], assigned=counts.get(f"{journey.id}:{step_id}", 0),
                winner=None if decision is None else decision.winner,
            ))  # fmt: skip
    return found
