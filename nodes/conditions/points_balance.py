"""Condition: the member's current points balance."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.compare import Op, check_operands, compare
from engine.journey.facts import MemberFacts
from engine.ranges import MAX_POINTS


class PointsBalance(ConditionBase):
    kind: Literal["points_balance"] = "points_balance"
    op: Op = Field("ge", title="Comparison")
    points: int = Field(ge=0, le=MAX_POINTS, title="Points")

    title: ClassVar[str] = "Points balance"
    help: ClassVar[str] = "The member's current points balance from the ledger."

    def holds(self, member: MemberFacts) -> bool:
        return compare(member.points_balance, self.op, self.points)

    def check(self) -> list[str]:
        problem = check_operands(self.op, self.points)
        return [problem] if problem else []
