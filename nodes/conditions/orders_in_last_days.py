"""Condition: how many orders the member placed in the last N days, e.g. at least 3 in 30 (消费满3次)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.compare import OP_CHOICES, Op, compare
from engine.journey.facts import MemberFacts
from engine.journey.metadata import ConditionCategory, Words, zh
from engine.ranges import MAX_COUNT, MAX_DAYS


class OrdersInLastDays(ConditionBase):
    kind: Literal["orders_in_last_days"] = "orders_in_last_days"
    days: Annotated[int, zh("最近天数", "最近 N 个自然日，1 表示今天。")] = Field(
        gt=0, le=MAX_DAYS, title="Window (days)", description="The last N calendar days; 1 is today."
    )
    op: Annotated[Op, zh("比较方式", "会员的数值与所填数值的比较方式。", OP_CHOICES)] = Field(
        "ge", title="Comparison", description="How the member's value compares with the one given."
    )
    count: Annotated[int, zh("订单数", "用来比较的下单次数。")] = Field(
        ge=0, le=MAX_COUNT, title="Orders", description="The number of orders to compare with."
    )

    title: ClassVar[Words] = Words("Orders in the last N days", "近 N 天消费次数")
    help: ClassVar[Words] = Words(
        "How many orders the member placed in the last N calendar days (1: today), e.g. at least 3 in 30 days "
        "(消费满3次).",
        "会员最近 N 个自然日（1 表示今天）内的下单次数，例如近 30 天消费满 3 次。",
    )
    icon: ClassVar[str] = "receipt"
    about: ClassVar[ConditionCategory] = "orders"
    examples: ClassVar[tuple[Mapping[str, Any], ...]] = (
        {"kind": "orders_in_last_days", "days": 30, "op": "ge", "count": 3},
    )

    def holds(self, member: MemberFacts) -> bool:
        return compare(member.orders_in_last(self.days)[0], self.op, self.count)
