"""Condition: the member's total order amount in the last N days."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.compare import OP_CHOICES, Op, compare
from engine.journey.facts import MemberFacts
from engine.journey.metadata import ConditionCategory, Words, zh
from engine.ranges import MAX_DAYS, MAX_MONEY


class SpendInLastDays(ConditionBase):
    kind: Literal["spend_in_last_days"] = "spend_in_last_days"
    days: Annotated[int, zh("最近天数", "最近 N 个自然日，1 表示今天。")] = Field(
        gt=0, le=MAX_DAYS, title="Window (days)", description="The last N calendar days; 1 is today."
    )
    op: Annotated[Op, zh("比较方式", "会员的数值与所填数值的比较方式。", OP_CHOICES)] = Field(
        "ge", title="Comparison", description="How the member's value compares with the one given."
    )
    amount: Annotated[float, zh("金额", "以店铺币种计。")] = Field(
        ge=0, le=float(MAX_MONEY), allow_inf_nan=False, title="Amount", description="In the shop's currency."
    )

    title: ClassVar[Words] = Words("Spend in the last N days", "近 N 天消费金额")
    help: ClassVar[Words] = Words(
        "The member's total order amount in the last N calendar days (1: today).",
        "会员最近 N 个自然日（1 表示今天）内的订单总金额。",
    )
    icon: ClassVar[str] = "cash"
    about: ClassVar[ConditionCategory] = "orders"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = (
        {"kind": "spend_in_last_days", "days": 365, "op": "ge", "amount": 2000},
    )

    def holds(self, member: MemberFacts) -> bool:
        return compare(float(member.orders_in_last(self.days)[1]), self.op, self.amount)
