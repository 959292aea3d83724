"""Compiling a journey to its plan: flat steps, ids resolved, defaults filled, content-hashed.

The JourneyRun interpreter walks a plan: from `start`, run a step, then go to the first step of the branch the
block chose, or to `next`. A branch's last step continues at the branching block's `next`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine.journey.base import BlockBase
from engine.journey.events import Goal
from engine.journey.language import JourneyDefinition, Reentry, Trigger
from engine.journey.registry import Condition, block_class


class PlanStep(BaseModel):
    block: dict[str, Any] = Field(description="The block's configuration without its nested sequences.")
    next: str | None = None
    branches: dict[str, str | None] = Field(default_factory=dict)


class Plan(BaseModel):
    model_config = ConfigDict(defer_build=True)  # holds conditions: built on first use (engine.journey.registry)

    journey_key: str
    name: str
    version: int = 0
    content_hash: str = ""
    trigger: Trigger
    reentry: Reentry
    goal: Goal | None = None
    audience: Condition | None = None
    start: str | None = None
    steps: dict[str, PlanStep] = Field(default_factory=dict)

    def block(self, step_id: str) -> BlockBase:
        data = self.steps[step_id].block
        return block_class(data["type"]).model_validate(data)

    def following(self, step_id: str, branch: str | None) -> str | None:
        step = self.steps[step_id]
        if branch is not None and step.branches.get(branch) is not None:
            return step.branches[branch]
        return step.next


def compile_plan(journey: JourneyDefinition) -> Plan:
    steps: dict[str, PlanStep] = {}
    start = _compile_sequence(list(journey.steps), None, steps)
    plan = Plan(
        journey_key=journey.key,
        name=journey.name,
        trigger=journey.trigger,
        reentry=journey.reentry,
        goal=journey.goal,
        audience=journey.audience,
        start=start,
        steps=steps,
    )
    return plan.model_copy(update={"content_hash": content_hash(plan)})


def _compile_sequence(blocks: list[BlockBase], continuation: str | None, steps: dict[str, PlanStep]) -> str | None:
    for index, block in enumerate(blocks):
        following = blocks[index + 1].id if index + 1 < len(blocks) else continuation
        branches = {name: _compile_sequence(seq, following, steps) for name, seq in block.branches()}
        steps[block.id] = PlanStep(
            block=block.without_steps().model_dump(mode="json", by_alias=True), next=following, branches=branches
        )
    return blocks[0].id if blocks else continuation


def content_hash(plan: Plan) -> str:
    """sha256 of what the plan does (not of its version number), so an unchanged republish is recognised."""
    body = plan.model_dump(mode="json", exclude={"version", "content_hash"})
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
