"""Condition: how many orders the member placed in the last N days, e.g. at least 3 in 30 (消费满3次)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.compare import Op, compare
from engine.journey.facts import MemberFacts
from engine.ranges import MAX_COUNT, MAX_DAYS


class OrdersInLastDays(ConditionBase):
    kind: Literal["orders_in_last_days"] = "orders_in_last_days"
    days: int = Field(gt=0, le=MAX_DAYS, title="Window (days)")
    op: Op = Field("ge", title="Comparison")
    count: int = Field(ge=0, le=MAX_COUNT, title="Orders")

    title: ClassVar[str] = "Orders in the last N days"
    help: ClassVar[str] = (
        "How many orders the member placed in the last N calendar days (1: today), e.g. at least 3 in 30 days "
        "(消费满3次)."
    )

    def holds(self, member: MemberFacts) -> bool:
        return compare(member.orders_in_last(self.days)[0], self.op, self.count)
