"""Condition: the member's current points balance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.compare import OP_CHOICES, Op, check_operands, compare
from engine.journey.facts import MemberFacts
from engine.journey.metadata import ConditionCategory, Words, zh
from engine.ranges import MAX_POINTS


class PointsBalance(ConditionBase):
    kind: Literal["points_balance"] = "points_balance"
    op: Annotated[Op, zh("比较方式", "会员的数值与所填数值的比较方式。", OP_CHOICES)] = Field(
        "ge", title="Comparison", description="How the member's value compares with the one given."
    )
    points: Annotated[int, zh("积分", "用来比较的积分余额。")] = Field(
        ge=0, le=MAX_POINTS, title="Points", description="The balance to compare with."
    )

    title: ClassVar[Words] = Words("Points balance", "积分余额")
    help: ClassVar[Words] = Words(
        "The member's current points balance from the ledger.", "会员当前的积分余额（以积分明细为准）。"
    )
    icon: ClassVar[str] = "coins"
    about: ClassVar[ConditionCategory] = "rewards"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = ({"kind": "points_balance", "op": "ge", "points": 500},)

    def holds(self, member: MemberFacts) -> bool:
        return compare(member.points_balance, self.op, self.points)

    def check(self) -> list[str]:
        problem = check_operands(self.op, self.points)
        return [problem] if problem else []
