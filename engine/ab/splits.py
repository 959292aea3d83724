"""Split blocks over live data: recording assignments, the analysis of a split (from its members' outcomes,
engine.ab.outcomes), the decision of a "test, then send the winner" split, and the splits in use."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlmodel import Session, col

from engine.ab.analysis import AnalysisRequest, AnalysisResult, ArmCounts, Metric, analyze
from engine.ab.assign import Group
from engine.ab.outcomes import ArmSecondary, Outcome, journey_activity, outcomes, secondary
from engine.db import insert_new
from engine.errors import NotFound, Rejected
from engine.journey.events import Goal
from engine.journey.plan import Plan
from engine.journey.store import live_journeys, live_plan
from engine.models import (
    JourneyVersion,
    SplitAssignment,
    SplitDecision,
    table_of,
)

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


class SplitReport(BaseModel):
    journey: str
    block: str
    mode: str
    conversion: Goal
    analysis: AnalysisResult
    secondary: list[ArmSecondary]
    decision: dict[str, Any] | None


def split_spec(plan: Plan, block_id: str) -> tuple[SplitSpec, str]:
    """The split block's spec and mode, NotFound when the journey has no such block, Rejected when the
    block is not a split."""
    step = plan.steps.get(block_id)
    if step is None:
        raise NotFound([f"journey {plan.journey_key} has no block '{block_id}'"])
    kind = step.block.get("type")
    if kind != "split":
        raise Rejected([f"block '{block_id}' of journey {plan.journey_key} is a {kind}, not a split"])
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
        secondary=secondary(
            measured, [arm.name for arm in split.spec.arms],
            journey_activity(session, split.journey_id, [o.member_id for o in measured]),
        ),
        decision=None if decision is None else {"winner": decision.winner, "reason": decision.reason,
                                                "decided_at": decision.decided_at.isoformat()},
    )  # fmt: skip
    return report, split.members


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
