"""Condition: calendar days since the member's last order, e.g. exactly 30 (a win-back's day)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.compare import OP_CHOICES, Op, check_operands, compare
from engine.journey.facts import MemberFacts
from engine.journey.metadata import ConditionCategory, Words, zh
from engine.ranges import MAX_DAYS


class DaysSinceLastOrder(ConditionBase):
    kind: Literal["days_since_last_order"] = "days_since_last_order"
    op: Annotated[Op, zh("比较方式", "会员的数值与所填数值的比较方式。", OP_CHOICES)] = Field(
        "eq", title="Comparison", description="How the member's value compares with the one given."
    )
    days: Annotated[int, zh("天数", "例如距上次消费正好 30 天。")] = Field(
        ge=0, le=MAX_DAYS, title="Days", description="e.g. exactly 30 days since the last order"
    )

    title: ClassVar[Words] = Words("Days since last order", "距上次消费天数")
    help: ClassVar[Words] = Words(
        "Calendar days from the member's last order to today in the shop's zone (0: today); members who never "
        "ordered never match.",
        "从会员最近一次下单到今天的自然日天数（按店铺时区，今天下单为 0）；从未下单的会员永远不满足。",
    )
    icon: ClassVar[str] = "calendar"
    about: ClassVar[ConditionCategory] = "orders"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = (
        {"kind": "days_since_last_order", "days": 30},
        {"kind": "days_since_last_order", "op": "ge", "days": 90},
    )

    def holds(self, member: MemberFacts) -> bool:
        return compare(member.days_since_last_order, self.op, self.days)

    def check(self) -> list[str]:
        problem = check_operands(self.op, self.days)
        return [problem] if problem else []
