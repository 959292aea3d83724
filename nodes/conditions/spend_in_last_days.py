"""Condition: the member's total order amount in the last N days."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.compare import Op, compare
from engine.journey.facts import MemberFacts
from engine.ranges import MAX_DAYS, MAX_MONEY


class SpendInLastDays(ConditionBase):
    kind: Literal["spend_in_last_days"] = "spend_in_last_days"
    days: int = Field(gt=0, le=MAX_DAYS, title="Window (days)")
    op: Op = Field("ge", title="Comparison")
    amount: float = Field(
        ge=0, le=float(MAX_MONEY), allow_inf_nan=False, title="Amount", description="In the shop's currency."
    )

    title: ClassVar[str] = "Spend in the last N days"
    help: ClassVar[str] = "The member's total order amount in the last N calendar days (1: today)."

    def holds(self, member: MemberFacts) -> bool:
        return compare(float(member.orders_in_last(self.days)[1]), self.op, self.amount)
