"""Block: A/B split. Members go to named, weighted arms by a hash of (journey, block, member), so each keeps their arm
on retry, replay and re-entry; each arm holds its own blocks and the flow continues after the split.

Mode `split` sends everyone to an arm. Mode `test_then_winner` sends `test_fraction` of the members to the arms and
holds the rest inside the block until the decision (`decide_after_hours` after the first assignment, or once every
arm has `min_users_per_arm` test members, whichever comes first): the arm with the highest chance to beat the
control wins if that chance reaches `threshold`, else `fallback`; the held members then take the winner's arm.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field
from temporalio import activity

from engine.ab.assign import assign
from engine.ab.splits import (
    SplitSpec,
    assignment_of,
    decide,
    decision_of,
    first_assigned_at,
    plan_of_version,
    record_assignment,
    test_users_per_arm,
)
from engine.db import session_scope
from engine.journey.base import BlockBase, Category, JourneyRunContext
from engine.journey.events import Goal
from engine.journey.metadata import Words, zh
from engine.journey.registry import Block
from engine.journey.run_records import record_steps
from engine.journey.runtime import ActionInput, ActionResult
from engine.models import SplitAssignment
from engine.ranges import MAX_COUNT, MAX_HOURS, MAX_WEIGHT

ARM_NAME = re.compile(r"^[A-Za-z0-9\u4e00-\u9fff][\w\u4e00-\u9fff\-]{0,63}$")
POLL = timedelta(hours=1)  # how often a held member asks again when the decision waits for a sample size
SOONEST = timedelta(minutes=1)


MODES = {
    "split": Words("Split everyone", "全部分流"),
    "test_then_winner": Words("Test on a share, then send the winner", "先小流量测试，再全量发送胜出组"),
}
METRICS = {"conversion": Words("Conversion rate", "转化率"), "revenue": Words("Revenue per member", "人均收入")}


class Arm(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, defer_build=True
    )  # holds blocks: see engine.journey.registry

    name: Annotated[str, zh("分组名称", "例如 coupon20、points300，或 holdout（空白对照组）。")] = Field(
        title="Arm name", description="e.g. coupon20, points300, holdout"
    )
    weight: Annotated[float, zh("权重", "任意正数，会员按各组权重的比例分配。")] = Field(
        1,
        gt=0,
        le=MAX_WEIGHT,
        allow_inf_nan=False,
        title="Weight",
        description="Any positive number; weights are normalised",
    )
    control: Annotated[bool, zh("对照组", "其他组与之比较的那一组。")] = Field(
        False, title="Control", description="The arm the others are compared with"
    )
    steps: Annotated[list[Block], zh("执行", "这一组会员经过的节点；留空即为什么都不做的空白对照组。")] = Field(
        default_factory=list, title="Then", description="Empty: a holdout that does nothing"
    )


class Split(BlockBase):
    type: Literal["split"] = "split"
    arms: Annotated[list[Arm], zh("实验分组", "2 到 20 个组，每位会员只进入其中一组。")] = Field(
        min_length=2, max_length=20, title="Arms", description="Two to twenty arms; each member goes to one."
    )
    mode: Annotated[
        Literal["split", "test_then_winner"],
        zh("模式", "全部分流：每位会员都进入某一组；先测试后择优：先用一部分会员测试，其余会员进入胜出组。", MODES),
    ] = Field(
        "split",
        title="Mode",
        description="split: every member goes to an arm; test_then_winner: a test share first, the rest the winner.",
    )
    test_fraction: Annotated[float, zh("测试比例", "先测试后择优：参与测试的会员比例，例如 0.2 即 20%。")] = Field(
        0.2, gt=0, lt=1, title="Test share", description="test_then_winner: the share of members in the test, e.g. 0.2"
    )
    decide_after_hours: Annotated[
        float | None, zh("多少小时后决出胜负", "先测试后择优：从第一位会员分组起，经过多少小时选出胜出组。")
    ] = Field(
        48,
        gt=0,
        le=MAX_HOURS,
        allow_inf_nan=False,
        title="Decide after (hours)",
        description="test_then_winner: hours after the first member was assigned.",
    )
    min_users_per_arm: Annotated[
        int | None, zh("或每组满多少人", "先测试后择优：每组的测试会员都达到这个人数时立即决出胜负。")
    ] = Field(
        None,
        ge=1,
        le=MAX_COUNT,
        title="Or once every arm has",
        description="test_then_winner: decide as soon as every arm has this many test members.",
    )
    threshold: Annotated[float, zh("胜出所需概率", "优于对照组的概率达到此值（例如 0.95）才算胜出。")] = Field(
        0.95,
        gt=0.5,
        lt=1,
        title="Chance to beat control needed",
        description="test_then_winner: e.g. 0.95; an arm below it does not win.",
    )
    fallback: Annotated[str | None, zh("无胜出时发送", "没有组胜出时其余会员进入的组；留空则进入对照组。")] = Field(
        None, title="Else send", description="Arm sent when nobody wins; the control"
    )
    metric: Annotated[
        Literal["conversion", "revenue"],
        zh("决胜指标", "转化率：完成转化的会员占比；人均收入：每位会员带来的收入。", METRICS),
    ] = Field("conversion", title="Decide on", description="conversion: the share who converted; revenue: per member.")
    conversion: Annotated[Goal | None, zh("转化目标", "用来判断转化的事件；留空则使用旅程的目标。")] = Field(
        None, title="Conversion", description="Default: the journey's goal"
    )

    title: ClassVar[Words] = Words("A/B split", "A/B 分流")
    help: ClassVar[Words] = Words(
        "Split members into weighted arms (sticky per member); optionally test, then send the winner.",
        "按权重把会员分到不同的组（同一会员始终在同一组）；也可以先小流量测试，再把其余会员送进胜出组。",
    )
    icon: ClassVar[str] = "flask"
    category: ClassVar[Category] = "condition"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = (
        {
            "id": "coupon-vs-points", "type": "split",
            "arms": [
                {"name": "coupon20", "control": True,
                 "steps": [{"id": "give-coupon", "type": "issue_coupon", "template": "winback-20"}]},
                {"name": "points300", "steps": [{"id": "give-points", "type": "grant_points", "points": 300}]},
                {"name": "holdout", "weight": 0.5},
            ],
        },
        {
            "id": "test-first", "type": "split", "mode": "test_then_winner", "test_fraction": 0.2,
            "decide_after_hours": 48, "threshold": 0.95, "metric": "revenue", "fallback": "coupon20",
            "conversion": {"event": "order_placed", "within_days": 7},
            "arms": [
                {"name": "coupon20", "control": True,
                 "steps": [{"id": "test-coupon", "type": "issue_coupon", "template": "winback-20"}]},
                {"name": "points300", "steps": [{"id": "test-points", "type": "grant_points", "points": 300}]},
            ],
        },
    )  # fmt: skip

    def branches(self) -> list[tuple[str, list[BlockBase]]]:
        return [(arm.name, list(arm.steps)) for arm in self.arms]

    def without_steps(self) -> BlockBase:
        return self.model_copy(update={"arms": [arm.model_copy(update={"steps": []}) for arm in self.arms]})

    def check(self) -> list[str]:
        problems = []
        names = [arm.name for arm in self.arms]
        if repeated := sorted({name for name in names if names.count(name) > 1}):
            problems.append(f"arm name(s) {', '.join(repeated)} used more than once")
        if bad := [name for name in names if not ARM_NAME.match(name)]:
            problems.append(f"arm name(s) {', '.join(bad)} must be a word (letters, digits, - or _)")
        if sum(arm.control for arm in self.arms) > 1:
            problems.append("more than one arm is marked as the control; mark one")
        if self.fallback is not None and self.fallback not in names:
            problems.append(f"fallback '{self.fallback}' is not one of the arms ({', '.join(names)})")
        if self.mode == "test_then_winner" and self.decide_after_hours is None and self.min_users_per_arm is None:
            problems.append("test_then_winner needs decide_after_hours or min_users_per_arm to know when to decide")
        if not any(arm.steps for arm in self.arms):
            problems.append("every arm is empty: give at least one arm a block to test")
        return problems

    @property
    def spec(self) -> SplitSpec:
        return SplitSpec.of(self.model_dump(mode="json"), self.id)

    @classmethod
    def activities(cls) -> tuple[Callable[..., Any], ...]:
        return (assign_member_to_arm, ask_for_winner)

    async def run(self, journey: JourneyRunContext) -> str | None:
        result = await journey.act(self, assign_member_to_arm)
        while result.detail["arm"] is None:  # held for the winner
            await journey.sleep(timedelta(seconds=result.detail["ask_again_in"]))
            if journey.ended:
                return None
            result = await journey.act(self, ask_for_winner)
        return str(result.detail["arm"])


def _held(block: Split, assignment: SplitAssignment, request: ActionInput) -> ActionResult:
    """A held member's answer: the winner (released now), or when to ask again."""
    entry = request.entry
    with session_scope() as session:
        decision = decision_of(session, entry.journey_id, block.id)
        if decision is None:
            first = first_assigned_at(session, entry.journey_id, block.id) or request.now
            decide_at = first + timedelta(hours=block.decide_after_hours) if block.decide_after_hours else None
            counts = test_users_per_arm(session, entry.journey_id, block.id)
            enough = block.min_users_per_arm is not None and all(
                counts.get(arm.name, 0) >= block.min_users_per_arm for arm in block.arms
            )
            if enough or (decide_at is not None and request.now >= decide_at):
                plan = plan_of_version(session, entry.journey_id, entry.version)
                decision = decide(session, entry.journey_id, block.spec, plan, request.now)
            else:
                wait = POLL if decide_at is None else decide_at - request.now
                if block.min_users_per_arm is not None:
                    wait = min(wait, POLL)
                later = max(wait, SOONEST).total_seconds()
                return ActionResult(performed=False, detail={"arm": None, "group": "rest", "ask_again_in": later})
        row = session.get(SplitAssignment, assignment.id)
        assert row is not None
        if row.arm is None:
            row.arm, row.released_at = decision.winner, request.now
        return ActionResult(performed=True, detail={"arm": row.arm, "group": "rest", "winner_reason": decision.reason})


@activity.defn(name="assign_arm")
def assign_member_to_arm(request: ActionInput) -> ActionResult:
    block = Split.model_validate(request.block)
    entry = request.entry
    test_fraction = block.test_fraction if block.mode == "test_then_winner" else None
    group, index = assign(entry.journey_key, block.id, entry.member_key, [a.weight for a in block.arms], test_fraction)
    arm = None if index is None else block.arms[index].name
    with session_scope() as session:
        record_steps(session, entry, request.steps)
        assignment = record_assignment(
            session, entry.journey_id, block.id, entry.member_id, entry.entry_id, group, arm, request.now
        )
        session.expunge(assignment)
    if assignment.arm is None:
        return _held(block, assignment, request)
    return ActionResult(performed=True, detail={"arm": assignment.arm, "group": assignment.group})


@activity.defn(name="ask_for_winner")
def ask_for_winner(request: ActionInput) -> ActionResult:
    block = Split.model_validate(request.block)
    entry = request.entry
    with session_scope() as session:
        assignment = assignment_of(session, entry.journey_id, block.id, entry.member_id)
        assert assignment is not None, "asked for the winner before the member was assigned"
        session.expunge(assignment)
    if assignment.arm is not None:
        return ActionResult(performed=False, detail={"arm": assignment.arm, "group": assignment.group})
    return _held(block, assignment, request)
