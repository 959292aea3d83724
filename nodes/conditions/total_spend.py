"""Condition: the member's total order amount over all history (累计消费)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from engine.journey.base import ConditionBase
from engine.journey.compare import Op, compare
from engine.journey.facts import MemberFacts
from engine.ranges import MAX_MONEY


class TotalSpend(ConditionBase):
    kind: Literal["total_spend"] = "total_spend"
    op: Op = Field("ge", title="Comparison")
    amount: float = Field(
        ge=0, le=float(MAX_MONEY), allow_inf_nan=False, title="Amount",
        description="In the shop's currency, e.g. 5000 (累计消费满5000).",
    )  # fmt: skip

    title: ClassVar[str] = "Total spend"
    help: ClassVar[str] = "The member's total order amount over all history."

    def holds(self, member: MemberFacts) -> bool:
        return compare(float(member.total_spend), self.op, self.amount)
